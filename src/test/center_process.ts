/**
 * Test helpers for a center run as a real `openprep serve` process: a prepared data folder
 * (a synthetic election with devices enrolled) and a server started on a free loopback port.
 * Used by the crash tests, the field transport tests and the benchmarks.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import process from 'node:process';
import { enrollDevice } from '../intake/devices.ts';
import { initCenter } from '../center/node.ts';
import type { WitnessPolicy } from '../domain/election.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { makeDevice, servesWholeCatalog, type TestDevice } from './packages.ts';

export const MAIN = path.join(import.meta.dirname, '..', 'cli', 'main.ts');

/**
 * Starts `openprep serve` on `data` with its clock at `simulatedStart`; resolves once it listens
 * (on `port`, or on a free one).
 */
export function startServer(
  data: string,
  simulatedStart: number,
  env: Record<string, string> = {},
  port = 0,
): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'serve',
      '--data',
      data,
      '--port',
      String(port),
      '--simulated-start',
      new Date(simulatedStart).toISOString(),
    ],
    {
      // The test packages carry noise PNGs, which the quality gate would refuse: it is tested
      // with real synthetic actas on its own (src/server/intake_quality.test.ts).
      env: {
        ...process.env,
        OPENPREP_LOG_LEVEL: 'silent',
        OPENPREP_CHECKPOINT_SECONDS: '0.1',
        OPENPREP_QUALITY_GATE: 'off',
        // Noise PNGs are no actas: the acta reader has its own tests (src/reading/, intake_quality).
        OPENPREP_READER: 'off',
        // Tests stop nodes at once; the drain on SIGTERM has its own test (src/server/drain.test.ts).
        OPENPREP_DRAIN_SECONDS: '0',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/[0-9.]+:[0-9]+)\//.exec(text);
      if (match !== null) resolve({ child, base: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${text}`)));
  });
}

/**
 * Starts `count` serve nodes on one data folder as behind a load balancer on this host (they
 * trust 127.0.0.1's X-Forwarded-For); the first signs checkpoints.
 */
export async function startBalancedNodes(
  data: string,
  simulatedStart: () => number,
  count: number,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; base: string }[]> {
  const nodes: { child: ChildProcess; base: string }[] = [];
  for (let i = 0; i < count; i++)
    nodes.push(
      await startServer(data, simulatedStart(), {
        OPENPREP_LOG_LEVEL: 'warn',
        OPENPREP_CHECKPOINT_SECONDS: i === 0 ? '5' : '0',
        OPENPREP_TRUSTED_PROXIES: '127.0.0.1',
        OPENPREP_RATE_LIMIT_PER_MINUTE: '1000000',
        ...env,
      }),
    );
  return nodes;
}

/** Runs `openprep <args>` as an operator would, with extra environment and standard input. */
export function runCli(
  args: readonly string[],
  options: {
    readonly env?: Record<string, string>;
    readonly stdin?: string;
    /** Killed past this (a command expected to end, such as a serve that must refuse to start). */
    readonly timeoutMs?: number;
  } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: {
      ...process.env,
      OPENPREP_QUALITY_GATE: 'off',
      OPENPREP_READER: 'off',
      OPENPREP_DRAIN_SECONDS: '0',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(options.stdin ?? '');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer =
    options.timeoutMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      if (timer !== null) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * A data folder made as a person makes one: `catalog generate` (tiny, `seed`) into `work`, then
 * `init` of `work`/center on it. Returns the data folder.
 */
export async function initCenterWithCli(work: string, seed: number): Promise<string> {
  const data = path.join(work, 'center');
  const csv = path.join(work, 'catalog.csv');
  const generated = await runCli([
    'catalog',
    'generate',
    '--scale',
    'tiny',
    '--seed',
    String(seed),
    '--out',
    csv,
  ]);
  assert.equal(generated.code, 0, generated.stderr);
  const initialised = await runCli(['init', '--data', data, '--catalog', csv]);
  assert.equal(initialised.code, 0, initialised.stderr);
  return data;
}

/**
 * `openprep operator add` as an administrator runs it, the password on standard input (the
 * operator named by their username; with no scope, the command's default).
 */
export function addOperatorWithCli(
  data: string,
  operator: {
    readonly username: string;
    readonly role: string;
    readonly scope?: string;
    readonly password: string;
  },
  env: Record<string, string> = {},
): ReturnType<typeof runCli> {
  const { username, role, scope, password } = operator;
  return runCli(
    [
      'operator',
      'add',
      '--data',
      data,
      '--username',
      username,
      '--name',
      username,
      '--role',
      role,
      ...(scope === undefined ? [] : ['--scope', scope]),
      '--password-stdin',
    ],
    { stdin: `${password}\n`, env },
  );
}

/** Stops a server started by `startServer` (SIGTERM, then waits for it to exit). */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  // serve gives its requests 10 s; past 30 s a test must not wait on it for good.
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(kill);
}

/**
 * An election's data folder with CATD scanners enrolled, closed again for `serve` to open:
 * `deviceIds` get fresh test keys; `enrolled` are devices that made their own (agents).
 */
export async function preparedCenter(
  work: string,
  seed: number,
  deviceIds: readonly string[],
  options: {
    scale?: 'tiny' | 'state';
    enrolled?: readonly { id: string; publicKey: string }[];
    /** The environment the center is made in (e.g. OPENPREP_SIGNER_SOCKET: no key written). */
    env?: NodeJS.ProcessEnv;
    /** The witnesses the election definition lists (docs/witness.md); none by default. */
    witnesses?: WitnessPolicy;
  } = {},
) {
  const catalog = generateCatalog({ scale: options.scale ?? 'tiny', seed });
  const election = {
    ...defaultElectionDefinition(catalog, { mode: 'simulacro' }),
    ...(options.witnesses === undefined ? {} : { witnesses: options.witnesses }),
  };
  const start = Date.parse(election.publicationStart) + 3_600_000;
  const created = await initCenter({
    root: work,
    election,
    catalog,
    clock: () => start,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  assert.ok(created.ok, created.ok ? '' : created.message);
  const devices: TestDevice[] = deviceIds.map((id) => makeDevice(id));
  for (const device of [...devices, ...(options.enrolled ?? [])]) {
    const enrolled = await enrollDevice(created.value.devices, {
      id: device.id,
      publicKey: device.publicKey,
      origin: 'CATD',
      boundTo: 'CATD-1',
      label: '',
      at: start,
    });
    assert.ok(enrolled.ok);
  }
  await servesWholeCatalog(created.value.devices, catalog, 'CATD-1', { at: start });
  const { verifierKey, remoteSigner } = created.value;
  await created.value.close();
  return { catalog, election, start, devices, verifierKey, remoteSigner };
}
