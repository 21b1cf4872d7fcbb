/**
 * `npm run bench -- signin-flood [packages] [seconds]`: intake's latency with and without a
 * sign-in flood (issue 15, item 6). Starts `openprep serve` in its own process, then sends
 * `packages` signed packages (~100 KB PNG each, 4 scanners of one CATD, one at a time each)
 * quietly, and again while 30 loopback addresses (127.0.0.2…127.0.0.31) try to sign in with
 * names that do not exist, 8 attempts in flight per address, until the packages are in (or
 * for at least `seconds`). Prints the packages' latency percentiles in both phases, the
 * flood's answers by status and attempts per second, and how many security events reached
 * the journal.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { openCenter } from '../src/center/node.ts';
import { actasEsperadas } from '../src/domain/actas_esperadas.ts';
import { preparedCenter } from '../src/test/center_process.ts';
import { packageFor, pngOfSize } from '../src/test/packages.ts';

const perPhase = Number(process.argv[2] ?? 200);
const floodSeconds = Number(process.argv[3] ?? 10);
const SCANNERS = 4;
const ADDRESSES = 30;
const IN_FLIGHT_PER_ADDRESS = 8;
const MAIN = path.join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-flood-'));
try {
  // A state-sized election with the scanners of CATD-1, which serves the whole catalog.
  const {
    catalog,
    election,
    start,
    devices: scanners,
  } = await preparedCenter(
    work,
    1,
    Array.from({ length: SCANNERS }, (_, i) => `S-FLOOD-${i}`),
    { scale: 'state' },
  );
  const keys = election.contests.flatMap((contest) =>
    [...actasEsperadas(catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
  );
  // Every package made before the clock starts.
  const packages = Array.from({ length: 2 * perPhase }, (_, i) => {
    const device = scanners[i % SCANNERS]!;
    const image = pngOfSize(100_000, i + 1);
    const target = keys[i]!;
    const pkg = packageFor(device, image, {
      sequence: Math.floor(i / SCANNERS),
      claimedKey: target.key,
      contest: target.contest,
    });
    return {
      body: image,
      headers: {
        'content-type': 'image/png',
        'openprep-package': Buffer.from(pkg.text).toString('base64url'),
        'openprep-signature': pkg.signature,
      },
    };
  });

  const server = spawn(
    process.execPath,
    [MAIN, 'serve', '--data', work, '--port', '0', '--simulated-start', new Date(start).toISOString()],
    {
      env: {
        ...process.env,
        OPENPREP_LOG_LEVEL: 'warn',
        // Stopped at the end without a balancer to drain from.
        OPENPREP_DRAIN_SECONDS: '0',
        // The scanners' noise images are not actas: the gate is another benchmark's subject.
        OPENPREP_QUALITY_GATE: 'off',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  // A benchmark that fails midway must not leave its server running.
  process.once('exit', () => server.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    server.stderr.on('data', (chunk: Buffer) => {
      if (text.length < 100_000) text += chunk.toString();
      const match = /listening on http:\/\/[0-9.]+:([0-9]+)\//.exec(text);
      if (match !== null) resolve(Number(match[1]));
    });
    server.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${text}`)));
  });

  const agent = new Agent({ keepAlive: true, maxSockets: SCANNERS });
  const send = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const { body, headers } = packages[i]!;
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/packages',
          method: 'POST',
          agent,
          headers: { ...headers, 'content-length': body.length },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  /** Sends packages [from, from + perPhase), each scanner one at a time; their latencies in ms. */
  const phase = async (from: number) => {
    const latencies: number[] = [];
    await Promise.all(
      scanners.map(async (_, s) => {
        for (let i = from + s; i < from + perPhase; i += SCANNERS) {
          const t0 = performance.now();
          const status = await send(i);
          latencies.push(performance.now() - t0);
          if (status !== 201) throw new Error(`package ${i} answered ${status}`);
        }
      }),
    );
    return latencies.sort((a, b) => a - b);
  };
  const summary = (latencies: readonly number[]) => ({
    p50_ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p90_ms: Math.round(percentile(latencies, 90) * 10) / 10,
    p99_ms: Math.round(percentile(latencies, 99) * 10) / 10,
    max_ms: Math.round((latencies.at(-1) ?? 0) * 10) / 10,
  });

  const quiet = await phase(0);

  const body = (n: number) => JSON.stringify({ username: `intruso.${n}`, password: 'x', code: '000000' });
  const floodStatuses = new Map<number, number>();
  let attempts = 0;
  let flooding = true;
  const attempt = (localAddress: string, n: number) =>
    new Promise<void>((resolve) => {
      const text = body(n);
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/session',
          method: 'POST',
          localAddress,
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            floodStatuses.set(
              response.statusCode ?? 0,
              (floodStatuses.get(response.statusCode ?? 0) ?? 0) + 1,
            );
            resolve();
          });
        },
      );
      req.on('error', () => {
        floodStatuses.set(0, (floodStatuses.get(0) ?? 0) + 1);
        resolve();
      });
      req.end(text);
    });
  const floodBegan = performance.now();
  const flood = Promise.all(
    Array.from({ length: ADDRESSES * IN_FLIGHT_PER_ADDRESS }, async (_, k) => {
      const address = `127.0.0.${2 + (k % ADDRESSES)}`;
      while (flooding) await attempt(address, attempts++);
    }),
  );
  // The flood runs a second before the packages start, and on until both are done.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const stormy = await phase(perPhase);
  while (performance.now() - floodBegan < floodSeconds * 1_000)
    await new Promise((resolve) => setTimeout(resolve, 100));
  flooding = false;
  await flood;
  const floodElapsed = (performance.now() - floodBegan) / 1_000;
  agent.destroy();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));

  const reopened = await openCenter({ root: work, clock: () => start });
  if (!reopened.ok) throw new Error(reopened.message);
  const store = reopened.value.journal;
  const types = new Map<string, number>();
  const head = (await store.journalHead()).size;
  for (const entry of await store.journalEntries(0, head)) {
    const type = (JSON.parse(entry.toString()) as { type: string }).type;
    types.set(type, (types.get(type) ?? 0) + 1);
  }
  await reopened.value.close();
  const security = [...types].filter(([type]) => /^(LOGIN_|ACCOUNT_)/.test(type));
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'signin-flood',
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      packages_per_phase: perPhase,
      scanners: SCANNERS,
      quiet: summary(quiet),
      flood: summary(stormy),
      flood_addresses: ADDRESSES,
      flood_attempts: attempts,
      flood_attempts_per_second: Math.round(attempts / floodElapsed),
      flood_seconds: Math.round(floodElapsed * 10) / 10,
      flood_statuses: Object.fromEntries(floodStatuses),
      security_events_journaled: Object.fromEntries(security),
    })}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
