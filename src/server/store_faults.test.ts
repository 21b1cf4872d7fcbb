/**
 * A failing store or disk is never a refusal: a damaged SQLite page, a full disk (injected at
 * the file layer, and for real on a small tmpfs where mounting is allowed) answer 503/507 with
 * Retry-After, readiness goes false and is logged loudly, a retry of a receipted package still
 * gets its receipt, and the node is ready again once the disk has room. `serve` and `journal
 * verify` refuse a damaged store with one line, never a stack trace.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { type CenterNode, initCenter, openCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { imagePath } from '../images/blob_store.ts';
import { errnoError, injectFileFault } from '../platform/durable_file.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { runCli } from '../test/center_process.ts';
import {
  enrolledDevice,
  makePng,
  packageFor,
  pngOfSize,
  postPackage,
  postPackageRaw,
  type TestDevice,
} from '../test/packages.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { buildServer, type ServerHandle } from './app.ts';
import { serveConfigSchema } from './config.ts';

const catalog = generateCatalog({ scale: 'tiny', seed: 11 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
const start = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => start;
const keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey);
const folders: string[] = [];

after(async () => {
  injectFileFault(null);
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

interface Running {
  readonly node: CenterNode;
  readonly server: ServerHandle;
  readonly base: string;
  readonly logs: string[];
  close(): Promise<void>;
}

async function serve(node: CenterNode, intake: Record<string, unknown> = {}): Promise<Running> {
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const config = serveConfigSchema.parse({
    logLevel: 'info',
    intake: { maxImageBytes: 64 * 1024, maxPixels: 4_000_000, qualityGate: 'off', ...intake },
    // The damaged page must be intake's: the reader's readings would be written last.
    reader: { mode: 'off' },
  });
  const server = await buildServer({ node, config, clock, logStream });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  return {
    node,
    server,
    base,
    logs,
    close: async () => {
      await server.app.close();
      await node.close();
    },
  };
}

/** A data folder (in `root`, or a new temporary one) with a scanner that serves the whole catalog. */
async function newCenter(root?: string): Promise<{ work: string; node: CenterNode; device: TestDevice }> {
  const work = root ?? (await mkdtemp(path.join(tmpdir(), 'openprep-faults-')));
  if (root === undefined) folders.push(work);
  const created = await initCenter({ root: work, election, catalog, clock });
  assert.ok(created.ok, created.ok ? '' : created.message);
  const device = await enrolledDevice(created.value.devices, {
    id: 'CATD-F-S1',
    boundTo: 'CATD-F',
    at: start,
    serves: catalog,
  });
  return { work, node: created.value, device };
}

function packageOf(device: TestDevice, sequence: number, image = makePng(16, 16, { seed: sequence })) {
  return { image, ...packageFor(device, image, { sequence, claimedKey: keys[sequence]! }) };
}

const send = (base: string, p: ReturnType<typeof packageOf>) =>
  postPackageRaw(base, { text: p.text, signature: p.signature, image: p.image });

async function readyz(base: string): Promise<{ status: number; body: { status?: string; code?: string } }> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: (await response.json()) as { status?: string; code?: string } };
}

/** Polls readiness until it is 200 (the probe runs at most once a second), within a bound. */
async function readyAgain(base: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await readyz(base)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('not ready again within 10 s');
}

/** Runs `openprep <args>` to its end (killed past 20 s): exit code and standard error. */
const runCommand = (args: readonly string[]) =>
  runCli(args, { env: { OPENPREP_LOG_LEVEL: 'silent' }, timeoutMs: 20_000 });

describe('a damaged store', () => {
  let work: string;
  let device: TestDevice;
  const receipts = new Map<number, string>();

  test('with the last page of the SQLite file damaged, packages get 503 store-unavailable with Retry-After, readiness is 503, the event is logged', async () => {
    const center = await newCenter();
    work = center.work;
    device = center.device;
    // A night's first packages, so that the file's last pages are intake's tables.
    const first = await serve(center.node);
    for (let sequence = 0; sequence < 20; sequence++) {
      const answer = await send(first.base, packageOf(device, sequence));
      assert.equal(answer.status, 201, answer.body);
      receipts.set(sequence, answer.body);
    }
    await first.close();
    const file = path.join(work, 'openprep.sqlite');
    const { size } = await stat(file);
    const handle = await open(file, 'r+');
    await handle.write(Buffer.alloc(4096, 0xa5), 0, 4096, size - 4096);
    await handle.close();

    const reopened = await openCenter({ root: work, clock });
    assert.ok(reopened.ok, reopened.ok ? '' : reopened.message);
    const running = await serve(reopened.value);
    try {
      assert.equal((await readyz(running.base)).status, 200, 'nothing has touched the damaged page yet');
      const fresh = await send(running.base, packageOf(device, 30));
      assert.equal(fresh.status, 503, fresh.body);
      assert.equal((JSON.parse(fresh.body) as { error: string }).error, 'store-unavailable');
      assert.equal(fresh.headers.get('retry-after'), '10');
      // A device's retry of a receipted package is no refusal either.
      const retry = await send(running.base, packageOf(device, 3));
      assert.ok(retry.status === 200 || retry.status === 503, `${retry.status} ${retry.body}`);
      if (retry.status === 200) assert.equal(retry.body, receipts.get(3));
      const ready = await readyz(running.base);
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { status: 'store-unavailable', code: 'SQLITE_CORRUPT' });
      // Damage does not heal: the probe is not even tried, readiness stays 503.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await readyz(running.base)).status, 503);
      const fatal = running.logs
        .map((line) => JSON.parse(line) as { level: number; event?: string; code?: string })
        .filter((entry) => entry.event === 'store-fault');
      assert.ok(
        fatal.some((entry) => entry.level === 60 && entry.code === 'SQLITE_CORRUPT'),
        'the fault is logged at fatal level',
      );
    } finally {
      await running.close();
    }
  });

  test('serve refuses to start on the damaged store: one line on stderr, a non-zero exit, no stack trace', async () => {
    const result = await runCommand(['serve', '--data', work, '--port', '0']);
    assert.notEqual(result.code, 0);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^openprep serve: .*openprep\.sqlite is damaged: .*SQLITE_CORRUPT/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test('journal verify on the damaged store: a message, not a stack trace', async () => {
    const result = await runCommand(['journal', 'verify', '--data', work]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /^openprep journal verify: .*damaged/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});

describe('a full disk (ENOSPC injected at the file layer)', () => {
  test('507 disk-full with Retry-After, readiness 503 until space returns, a receipted package keeps its receipt, nothing half-written', async () => {
    const center = await newCenter();
    const running = await serve(center.node);
    try {
      const kept = packageOf(center.device, 0);
      const receipt = await send(running.base, kept);
      assert.equal(receipt.status, 201, receipt.body);
      injectFileFault((operation) => (operation === 'write' ? errnoError('ENOSPC', 'write') : null));
      const refused = packageOf(center.device, 1);
      const full = await send(running.base, refused);
      assert.equal(full.status, 507, full.body);
      assert.equal((JSON.parse(full.body) as { error: string }).error, 'disk-full');
      assert.equal(full.headers.get('retry-after'), '60');
      // Multipart too: the same answer, whatever the form.
      const form = await postPackage(running.base, refused);
      assert.equal(form.status, 507, form.body);
      const ready = await readyz(running.base);
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, 'disk-full');
      // The probe keeps failing while the disk is full.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await readyz(running.base)).status, 503);
      // Already receipted: the retry gets the very same receipt, full disk or not.
      const again = await send(running.base, kept);
      assert.equal(again.status, 200, again.body);
      assert.equal(again.body, receipt.body);
      // Nothing of the refused package was kept.
      assert.equal(await center.node.devices.transaction((tx) => tx.getPackage(center.device.id, 1)), null);
      await assert.rejects(
        stat(imagePath(path.join(center.work, 'images'), sha256Hex(refused.image), 'png')),
      );

      injectFileFault(null);
      await readyAgain(running.base);
      const taken = await send(running.base, refused);
      assert.equal(taken.status, 201, taken.body);
      assert.ok(
        running.logs.some((line) => /"event":"store-recovered"/.test(line)),
        'the recovery is logged',
      );
    } finally {
      injectFileFault(null);
      await running.close();
    }
  });

  test('a write that fails while a large upload is staged is the disk (507), not the client\'s "truncated"', async () => {
    const center = await newCenter();
    const running = await serve(center.node, { maxImageBytes: 4 * 1024 * 1024 });
    try {
      // Over 1 MiB: spilled to a staging file as it arrives.
      const large = packageOf(center.device, 0, pngOfSize(1_500_000, 7));
      injectFileFault((operation) => (operation === 'write' ? errnoError('EIO', 'write') : null));
      const failed = await send(running.base, large);
      assert.equal(failed.status, 503, failed.body);
      assert.equal((JSON.parse(failed.body) as { error: string }).error, 'store-unavailable');
      assert.ok(failed.headers.get('retry-after') !== null);
      injectFileFault((operation) => (operation === 'write' ? errnoError('ENOSPC', 'write') : null));
      const full = await send(running.base, large);
      assert.equal(full.status, 507, full.body);
      injectFileFault(null);
      await readyAgain(running.base);
      assert.equal((await send(running.base, large)).status, 201);
    } finally {
      injectFileFault(null);
      await running.close();
    }
  });
});

/** Mounts a tmpfs of `megabytes` at a new folder, or says why it cannot (not root, no permission). */
function mountTmpfs(megabytes: number): { folder: string } | { skip: string } {
  if (process.platform !== 'linux') return { skip: 'tmpfs needs Linux' };
  if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root' };
  const folder = path.join(tmpdir(), `openprep-tmpfs-${process.pid}-${Date.now()}`);
  try {
    execFileSync('mkdir', ['-p', folder]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', folder], { stdio: 'pipe' });
    return { folder };
  } catch (error) {
    return { skip: `mount -t tmpfs is not permitted here: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** Writes zeros until the file system says ENOSPC. */
async function fill(file: string): Promise<void> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(256 * 1024);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
}

describe('a really full disk (a small tmpfs)', () => {
  const mounted = mountTmpfs(24);
  after(() => {
    if ('folder' in mounted) {
      execFileSync('umount', [mounted.folder]);
      execFileSync('rmdir', [mounted.folder]);
    }
  });

  test('the data folder on a full tmpfs: 507, readiness 503, receipts kept; room again: ready, accepted', {
    skip: 'skip' in mounted ? mounted.skip : false,
  }, async () => {
    assert.ok('folder' in mounted);
    const work = path.join(mounted.folder, 'data');
    await mkdir(work);
    const center = await newCenter(work);
    const running = await serve(center.node);
    const filler = path.join(mounted.folder, 'filler');
    try {
      const receipts: string[] = [];
      for (let sequence = 0; sequence < 3; sequence++) {
        const answer = await send(running.base, packageOf(center.device, sequence));
        assert.equal(answer.status, 201, answer.body);
        receipts.push(answer.body);
      }
      await fill(filler);
      assert.equal((await readyz(running.base)).status, 503);
      const full = await send(running.base, packageOf(center.device, 3, makePng(64, 64, { seed: 3 })));
      assert.equal(full.status, 507, full.body);
      assert.ok(full.headers.get('retry-after') !== null);
      const retry = await send(running.base, packageOf(center.device, 0));
      assert.ok(retry.status === 200 || retry.status === 507, `${retry.status} ${retry.body}`);
      if (retry.status === 200) assert.equal(retry.body, receipts[0]);

      await rm(filler);
      await readyAgain(running.base);
      const taken = await send(running.base, packageOf(center.device, 3, makePng(64, 64, { seed: 3 })));
      assert.equal(taken.status, 201, taken.body);
      for (const [sequence, receipt] of receipts.entries())
        assert.equal(
          (await center.node.devices.transaction((tx) => tx.getPackage(center.device.id, sequence)))?.receipt,
          receipt,
        );
    } finally {
      await rm(filler, { force: true });
      await running.close();
    }
  });
});
