/**
 * The running code attested, end to end, on a real release: `npm run release` builds it (once,
 * for the whole file), it is extracted, three maintainers' keys are made and two sign it, the
 * node pins all three with a threshold of 2. Then: `serve` starts, answers
 * `GET /.well-known/openprep-release` with the release hash and journals DEPLOYMENT; `cut` names
 * the release in its manifest and `verify` reports it; one changed byte of a src/ file, or of a
 * node_modules file, makes `serve` refuse to start naming the file (exit 20); and a byte changed
 * while it serves makes the periodic re-check journal RELEASE_CHECK_FAILED and stop it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, before, describe, it } from 'node:test';
import { buildRelease } from '../../tools/release.ts';
import { openCenter } from '../center/node.ts';
import { RELEASE_REFUSED_EXIT } from './bootstrap.ts';
import { pinMaintainers, signRelease } from '../test/release_keys.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

describe('an installed release, attested', { timeout: 600_000 }, () => {
  let work: string;
  let installed: string;
  let keysFile: string;
  let releaseHash: string;
  let data: string;

  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    OPENPREP_RELEASE_KEYS: keysFile,
    OPENPREP_QUALITY_GATE: 'off',
    OPENPREP_DRAIN_SECONDS: '0',
    ...extra,
  });
  /** `openprep` of the extracted release, with its own pinned Node. */
  const openprep = (args: readonly string[], extra: Record<string, string> = {}) => {
    const result = spawnSync(
      path.join(installed, 'node_modules/.bin/node'),
      [path.join(installed, 'bin/openprep.js'), ...args],
      { encoding: 'utf8', env: env(extra), maxBuffer: 64 * 1024 * 1024 },
    );
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const serve = (extra: Record<string, string> = {}): ChildProcess =>
    spawn(
      path.join(installed, 'node_modules/.bin/node'),
      [path.join(installed, 'bin/openprep.js'), 'serve', '--data', data, '--port', '0'],
      { env: env({ OPENPREP_LOG_LEVEL: 'warn', ...extra }), stdio: ['ignore', 'ignore', 'pipe'] },
    );
  /** Flips one bit of a byte in the middle of `file`; returns the undo. */
  const flip = async (file: string): Promise<() => Promise<void>> => {
    const target = path.join(installed, file);
    const original = await readFile(target);
    const changed = Buffer.from(original);
    const at = Math.floor(changed.length / 2);
    changed[at] = changed[at]! ^ 0x01;
    await writeFile(target, changed);
    return () => writeFile(target, original);
  };
  const journal = async () => {
    const node = await openCenter({ root: data, clock: Date.now });
    assert.ok(node.ok, node.ok ? '' : node.message);
    try {
      const head = await node.value.journal.journalHead();
      const raw = await node.value.journal.journalEntries(0, head.size);
      return raw.map((bytes) => JSON.parse(bytes.toString('utf8')) as Record<string, unknown>);
    } finally {
      await node.value.close();
    }
  };

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'openprep-attested-'));
    const built = await buildRelease({
      repo: ROOT,
      out: path.join(work, 'release'),
      allowDirty: true,
      level: 1,
    });
    releaseHash = built.releaseHash;
    const extracted = path.join(work, 'installed');
    await mkdir(extracted);
    const tar = spawnSync('tar', ['-xzf', built.tarball, '-C', extracted], { encoding: 'utf8' });
    assert.equal(tar.status, 0, tar.stderr);
    installed = path.join(extracted, `openprep-${built.version}`);
    // Three maintainers, two of whom sign; the node pins all three and requires two.
    const keys = path.join(work, 'maintainers');
    keysFile = path.join(work, 'release-keys.txt');
    await pinMaintainers(openprep, keys, ['ana', 'beto', 'carla'], keysFile);
    signRelease(openprep, path.join(installed, 'release-manifest.json'), keys, ['ana', 'carla']);
    const csv = path.join(work, 'catalog.csv');
    data = path.join(work, 'center');
    const generated = openprep(['catalog', 'generate', '--scale', 'tiny', '--seed', '3', '--out', csv]);
    assert.equal(generated.code, 0, generated.stderr);
    const init = openprep(['init', '--data', data, '--catalog', csv]);
    assert.equal(init.code, 0, init.stderr);
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('serves /.well-known/openprep-release with the release hash and journals DEPLOYMENT', async () => {
    const child = serve();
    try {
      const base = await listening(child);
      const answer = await fetch(`${base}/.well-known/openprep-release`);
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get('cache-control') ?? '', /max-age=30/);
      const document = (await answer.json()) as Record<string, unknown> & {
        release: { sha256: string; version: string; signers: string[] };
      };
      assert.equal(document['attested'], true);
      assert.equal(document.release.sha256, releaseHash);
      assert.deepEqual(document.release.signers, ['openprep-release.ana', 'openprep-release.carla']);
      assert.equal(
        document['node'],
        spawnSync(path.join(installed, 'node_modules/.bin/node'), ['-p', 'process.versions.node'], {
          encoding: 'utf8',
        }).stdout.trim(),
      );
      assert.match(String(document['configSha256']), /^[0-9a-f]{64}$/);
      assert.deepEqual((document['lastCheck'] as { ok: boolean }).ok, true);
    } finally {
      await stop(child);
    }
    const deployments = (await journal()).filter((e) => e['type'] === 'DEPLOYMENT');
    assert.equal(deployments.length, 1);
    assert.equal(deployments[0]!['command'], 'serve');
    assert.deepEqual(deployments[0]!['release'], {
      version: '0.1.0',
      sha256: releaseHash,
      commit: (deployments[0]!['release'] as { commit: string }).commit,
    });
    assert.deepEqual(deployments[0]!['signers'], ['openprep-release.ana', 'openprep-release.carla']);
  });

  it('names the release in the cut it builds, and verify reports it', async () => {
    const cut = openprep(['cut', '--data', data]);
    assert.equal(cut.code, 0, cut.stderr);
    const cuts = path.join(data, 'cuts');
    const folder = (await readdir(cuts)).find((name) => /^\d{8}_\d{4}$/.test(name));
    assert.ok(folder !== undefined);
    const manifest = JSON.parse(await readFile(path.join(cuts, folder, 'manifest.json'), 'utf8')) as {
      release: unknown;
    };
    assert.deepEqual(manifest.release, { version: '0.1.0', sha256: releaseHash });
    const key = (await readdir(path.join(data, 'keys'))).find((name) => name.endsWith('.pub'));
    assert.ok(key !== undefined);
    const verified = openprep(['verify', path.join(cuts, folder), '--key', path.join(data, 'keys', key)]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, new RegExp(`^release: 0\\.1\\.0 sha256 ${releaseHash} `, 'm'));
    const commands = (await journal()).filter((e) => e['type'] === 'DEPLOYMENT').map((e) => e['command']);
    assert.deepEqual(commands, ['serve', 'cut']);
  });

  for (const file of ['src/server/app.ts', 'node_modules/fastify/fastify.js'])
    it(`refuses to serve when one byte of ${file} changed, naming it`, async () => {
      const undo = await flip(file);
      try {
        const child = serve();
        const [code, stderr] = await exited(child);
        assert.equal(code, RELEASE_REFUSED_EXIT, stderr);
        assert.match(stderr, /refusing to start/);
        assert.ok(stderr.includes(`${file}: changed`), stderr);
      } finally {
        await undo();
      }
    });

  it('stops serving when the re-check finds a changed file, and journals it', async () => {
    const child = serve({ OPENPREP_RELEASE_RECHECK_SECONDS: '1' });
    let undo: (() => Promise<void>) | null = null;
    try {
      await listening(child);
      undo = await flip('node_modules/fastify/fastify.js');
      const [code, stderr] = await exited(child);
      assert.equal(code, RELEASE_REFUSED_EXIT, stderr);
      assert.match(stderr, /no longer checks/);
    } finally {
      child.kill('SIGKILL');
      await undo?.();
    }
    const failed = (await journal()).filter((e) => e['type'] === 'RELEASE_CHECK_FAILED');
    assert.equal(failed.length, 1);
    assert.deepEqual(failed[0]!['differences'], [
      { path: 'node_modules/fastify/fastify.js', problem: 'changed' },
    ]);
    assert.deepEqual(failed[0]!['release'], { version: '0.1.0', sha256: releaseHash });
  });
});

/** Resolves with the base URL once `serve` says it listens; rejects if it exits first. */
function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${text}`)), 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = /listening on (http:\/\/[0-9.]+:[0-9]+)\//.exec(text);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${text}`));
    });
  });
}

/** The exit status and the whole stderr of a process that must end by itself. */
function exited(child: ChildProcess): Promise<[number | null, string]> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running:\n${text}`));
    }, 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve([code, text]);
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await done;
}
