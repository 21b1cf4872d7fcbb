/**
 * The systemd units in deploy/systemd run what they claim: the project's pinned Node directly
 * on bin/openprep.js (one process, no npx or shell in between), a command that exists with
 * options it accepts — read with the CLI's own parser, so a renamed option fails here rather
 * than at the first start on a production machine — and the hardening docs/deployment.md
 * promises. Where `systemd-analyze` is installed (Debian's systemd package), it verifies each
 * unit too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseCommandArgs } from '../src/cli/args.ts';
import { COMMANDS } from '../src/cli/commands.ts';

const ROOT = path.join(import.meta.dirname, '..');
const UNITS = path.join(ROOT, 'deploy', 'systemd');
const NODE = '/opt/openprep/node_modules/.bin/node';
const CLI = '/opt/openprep/bin/openprep.js';

/** A unit file: each section's keys, each key's values in order (a key may repeat). */
type Unit = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

/**
 * A small, strict reader of systemd's INI dialect — only what these units use: comments,
 * `[Section]` headers and `Key=Value` lines. Continuation lines, quotes and anything else are
 * refused, so no unit here can mean something this test does not see.
 */
export function readUnit(text: string): Unit | string {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    const where = `line ${index + 1}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.endsWith('\\')) return `${where}: continuation lines are not allowed`;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header !== null) {
      const name = header[1]!;
      if (sections.has(name)) return `${where}: section [${name}] appears twice`;
      current = new Map();
      sections.set(name, current);
      continue;
    }
    const pair = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (pair === null) return `${where}: not a Key=Value line: ${line}`;
    if (current === undefined) return `${where}: ${pair[1]} is outside any section`;
    const value = pair[2]!.trim();
    if (/["']/.test(value)) return `${where}: quotes are not allowed`;
    const values = current.get(pair[1]!) ?? [];
    values.push(value);
    current.set(pair[1]!, values);
  }
  return sections;
}

function service(unit: Unit, key: string): readonly string[] {
  return unit.get('Service')?.get(key) ?? [];
}

/** The one value of a key that must be given once. */
function single(unit: Unit, key: string): string | undefined {
  const values = service(unit, key);
  return values.length === 1 ? values[0] : undefined;
}

/** What the hardening of docs/deployment.md ("Packaging") requires, key by exact value. */
const HARDENING: Readonly<Record<string, string>> = {
  NoNewPrivileges: 'yes',
  ProtectSystem: 'strict',
  ProtectHome: 'yes',
  PrivateTmp: 'yes',
  PrivateDevices: 'yes',
  ProtectKernelTunables: 'yes',
  ProtectKernelModules: 'yes',
  ProtectControlGroups: 'yes',
  CapabilityBoundingSet: '',
  SystemCallFilter: '@system-service',
  Restart: 'on-failure',
};

export interface Launch {
  readonly command: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** Every problem of one unit (none: it passes), and what it launches. */
export function checkUnit(unit: Unit): { problems: string[]; launch?: Launch } {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(HARDENING)) {
    if (single(unit, key) !== value) problems.push(`${key}=${value} is missing`);
  }
  if (!/^[1-9][0-9]*$/.test(single(unit, 'LimitNOFILE') ?? '')) problems.push('LimitNOFILE=N is missing');
  if (service(unit, 'MemoryDenyWriteExecute').includes('yes')) {
    problems.push("MemoryDenyWriteExecute=yes would stop V8's compiler");
  }
  const user = single(unit, 'User');
  if (user === undefined || user === 'root') problems.push('User= must name a dedicated user');
  const environment = service(unit, 'EnvironmentFile');
  if (environment.length !== 1 || !/^-?\/etc\/openprep\/[a-z-]+\.env$/.test(environment[0]!)) {
    problems.push('EnvironmentFile= must be one file in /etc/openprep/');
  }
  const families = (single(unit, 'RestrictAddressFamilies') ?? '').split(/\s+/).filter(Boolean);
  if (families.length === 0 || families.some((f) => !['AF_UNIX', 'AF_INET', 'AF_INET6'].includes(f))) {
    problems.push('RestrictAddressFamilies= must list only AF_UNIX, AF_INET, AF_INET6');
  }

  const exec = service(unit, 'ExecStart');
  if (exec.length !== 1) return { problems: [...problems, 'ExecStart= must be given once'] };
  const words = exec[0]!.split(/\s+/);
  if (words[0] !== NODE || words[1] !== CLI) {
    return { problems: [...problems, `ExecStart= must run ${NODE} ${CLI} directly`] };
  }
  const rest = words.slice(2);
  const command = COMMANDS.filter((c) => c.name.split(' ').every((word, i) => rest[i] === word)).sort(
    (a, b) => b.name.length - a.name.length,
  )[0];
  if (command === undefined) return { problems: [...problems, `no command ${rest.join(' ')}`] };
  const parsed = parseCommandArgs(rest.slice(command.name.split(' ').length), command.options);
  if (!parsed.ok) return { problems: [...problems, `${command.name}: ${parsed.message}`] };
  if (command.arguments === undefined && parsed.value.positionals.length > 0) {
    problems.push(`${command.name} takes no arguments: ${parsed.value.positionals.join(' ')}`);
  }
  const options = parsed.value.options as Record<string, unknown>;

  // The folders it may write are exactly those its own options name.
  const writes = new Set<string>();
  const named = (key: string): string | undefined => {
    const value = options[key];
    return typeof value === 'string' && rest.includes(`--${key}`) ? value : undefined;
  };
  const data = named('data');
  if (data !== undefined) writes.add(data);
  const key = named('key');
  if (key !== undefined) writes.add(path.dirname(key));
  const metrics = named('metrics-file');
  if (metrics !== undefined) writes.add(path.dirname(metrics));
  for (const folder of service(unit, 'ReadWritePaths')) {
    if (!writes.has(folder.replace(/^-/, '')))
      problems.push(`ReadWritePaths=${folder} is not a folder it writes`);
  }
  if (data !== undefined && !service(unit, 'ReadWritePaths').includes(data)) {
    problems.push(`ReadWritePaths=${data} (its --data folder) is missing`);
  }
  return { problems, launch: { command: command.name, options } };
}

async function units(): Promise<Map<string, { text: string; unit: Unit }>> {
  const found = new Map<string, { text: string; unit: Unit }>();
  for (const name of (await readdir(UNITS)).filter((n) => n.endsWith('.service')).sort()) {
    const text = await readFile(path.join(UNITS, name), 'utf8');
    const unit = readUnit(text);
    if (typeof unit === 'string') assert.fail(`${name}: ${unit}`);
    found.set(name, { text, unit });
  }
  return found;
}

describe('systemd units (deploy/systemd)', () => {
  test('the reader and the checks refuse what they must', () => {
    assert.match(String(readUnit('User=x\n')), /outside any section/);
    assert.match(String(readUnit('[Service]\nExecStart=a \\\n  b\n')), /continuation/);
    assert.match(String(readUnit('[Service]\n[Service]\n')), /twice/);
    assert.match(String(readUnit('[Service]\nExecStart=sh -c "x"\n')), /quotes/);
    const npx = readUnit('[Service]\nUser=openprep\nExecStart=/usr/bin/npx openprep serve\n');
    assert.ok(typeof npx !== 'string');
    const problems = checkUnit(npx).problems.join('\n');
    assert.match(problems, /NoNewPrivileges/);
    assert.match(problems, /must run .*node .*openprep\.js directly/);
    const badOption = readUnit(`[Service]\nExecStart=${NODE} ${CLI} serve --dat /x\n`);
    assert.ok(typeof badOption !== 'string');
    assert.match(checkUnit(badOption).problems.join('\n'), /unknown option --dat/);
    const wider = readUnit(
      `[Service]\nReadWritePaths=/var\nExecStart=${NODE} ${CLI} serve --data /var/lib/openprep\n`,
    );
    assert.ok(typeof wider !== 'string');
    assert.match(checkUnit(wider).problems.join('\n'), /ReadWritePaths=\/var is not/);
  });

  test('each unit runs a real command with options it accepts, hardened', async () => {
    const launched = new Map<string, Launch>();
    for (const [name, { unit }] of await units()) {
      const checked = checkUnit(unit);
      assert.deepEqual(checked.problems, [], name);
      launched.set(checked.launch!.command, checked.launch!);
    }
    assert.deepEqual([...launched.keys()].sort(), ['agent run', 'cut', 'serve', 'signer']);
    assert.equal(typeof launched.get('cut')!.options['every'], 'number', 'the cut unit runs --every');
  });

  test('the signer is its own user, reachable only over its socket, by the nodes', async () => {
    const all = await units();
    const signer = all.get('openprep-signer.service')!.unit;
    const signerUser = single(signer, 'User');
    const signerGroup = single(signer, 'Group');
    assert.equal(single(signer, 'RestrictAddressFamilies'), 'AF_UNIX');
    assert.equal(single(signer, 'PrivateNetwork'), 'yes');
    const runtime = single(signer, 'RuntimeDirectory');
    const socket = checkUnit(signer).launch!.options['socket'];
    assert.equal(path.dirname(String(socket)), `/run/${runtime}`, 'the socket is in its RuntimeDirectory');
    assert.equal(single(signer, 'RuntimeDirectoryMode'), '0750');
    for (const [name, { unit }] of all) {
      if (name === 'openprep-signer.service') continue;
      assert.notEqual(single(unit, 'User'), signerUser, `${name} runs as the signer's user`);
      assert.notEqual(single(unit, 'Group'), signerGroup, `${name} runs in the signer's group`);
    }
    // The nodes that sign through it are in its group: the socket is 0660, the signer's group.
    for (const name of ['openprep-serve.service', 'openprep-cut.service']) {
      assert.ok(service(all.get(name)!.unit, 'SupplementaryGroups').includes(signerGroup!), name);
    }
  });

  test('systemd-analyze verify accepts each unit (when Debian’s systemd is installed)', async (t) => {
    const run = promisify(execFile);
    const available = await run('systemd-analyze', ['--version']).then(
      () => true,
      () => false,
    );
    if (!available) {
      // CI installs it (.ci/run) and says so: there a missing systemd-analyze is a failure.
      assert.ok(
        process.env['OPENPREP_REQUIRE_SYSTEMD_ANALYZE'] !== '1',
        'systemd-analyze is required here but not installed',
      );
      t.skip('systemd-analyze is not installed (apt-get install systemd)');
      return;
    }
    // verify checks that ExecStart's program exists and is executable, and resolves the
    // dependencies on the system's own units: a root of its own holds both, with a stand-in
    // for the pinned Node at its installed path.
    const root = await mkdtemp(path.join(tmpdir(), 'openprep-systemd-'));
    try {
      const node = path.join(root, NODE);
      await mkdir(path.dirname(node), { recursive: true });
      await writeFile(node, '#!/bin/sh\n');
      await chmod(node, 0o755);
      await mkdir(path.join(root, 'usr/lib/systemd'), { recursive: true });
      await cp('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true });
      const installed = path.join(root, 'etc/systemd/system');
      await mkdir(installed, { recursive: true });
      for (const name of (await units()).keys()) {
        await cp(path.join(UNITS, name), path.join(installed, name));
        const verified = await run(
          'systemd-analyze',
          ['verify', `--root=${root}`, path.join(installed, name)],
          {
            env: { ...process.env, SYSTEMD_LOG_COLOR: '0' },
          },
        ).catch((error: { stderr?: string; message: string }) =>
          assert.fail(`${name}: ${error.stderr ?? error.message}`),
        );
        // An unknown or misspelt key is only a warning, with exit code 0: refuse it here.
        assert.equal(verified.stderr.trim(), '', `${name}: ${verified.stderr}`);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
