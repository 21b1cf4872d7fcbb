/**
 * `npm run bench -- intake [packages] [clients] [gate-images]`: sustained intake over HTTP on
 * loopback, with the quality gate off and then on.
 *
 * Gate off (`packages_per_second`): `openprep serve` in its own process on a state-sized
 * election, one enrolled scanner per client, many concurrent clients send signed packages with
 * ~100 KB noise PNGs (prepared beforehand, so the clients spend little CPU while timed), with the
 * ratio to a baseline measured in the same run: hashing, writing and fsyncing the same images
 * in-process with the same concurrency, the least any durable intake must do.
 *
 * Gate on (`gate_packages_per_second`): a fresh center, `serve` with the gate enforced, the same
 * clients sending the actas of `gate-images` realistic ones (src/sim/acta_images/realistic/:
 * phone JPEGs and scanner PNGs of test handwriting under the evaluation's graded conditions,
 * `openprep quality evaluate --realistic`) that the gate accepts; those it refuses or sends to
 * review are counted apart. The actas are rendered once and cached under the OS temp folder,
 * keyed by the renderer's inputs and sources. `gate_capacity_ratio` divides that by the gate's own
 * throughput on the same accepted images and cores (its worker pool, in this process, under
 * serve's heap policy), taken before and after the intake run and counted together. Both sides
 * are measured warm: the intake's first package per client is untimed. Where the cores go is printed beside it: CPU milliseconds per package of
 * `serve` and of the clients, per image of the gate alone, and the same by thread (from /proc).
 *
 * Everything the bench starts — the `serve` processes, its temporary folders — is stopped and
 * removed on success, on failure and on SIGINT/SIGTERM (bench/intake.test.ts proves it).
 * OPENPREP_BENCH_NODES=N starts N `serve` processes on the one data folder (one signing
 * checkpoints); OPENPREP_BENCH_DATABASE_URL=postgresql://… puts the store on PostgreSQL;
 * OPENPREP_BENCH_FAIL=after-serve fails on purpose once the first `serve` listens (for the test);
 * OPENPREP_BENCH_CENTER_CPUS=0 puts the center (`serve`, and the gate timed alone) on those cores
 * and the clients on the rest.
 */
import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import type { Readable } from 'node:stream';
import { actasEsperadas } from '../src/domain/actas_esperadas.ts';
import { QualityGatePool } from '../src/gate/gate_pool.ts';
import { applyCenterHeapPolicy } from '../src/platform/heap_policy.ts';
import { perThread, processCpuSeconds, threadCpuSeconds } from './proc_cpu.ts';
import { renderRealisticSet } from '../src/sim/acta_images/realistic/realistic_set.ts';
import { generateCatalog } from '../src/sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../src/sim/default_election.ts';
import { preparedCenter } from '../src/test/center_process.ts';
import { packageFor, pngOfSize } from '../src/test/packages.ts';
import { dropSchemas } from '../src/test/postgres.ts';

const USAGE = 'usage: npm run bench -- intake [packages] [clients] [gate-images]\n';
function countArgument(index: number, fallback: number, min: number): number {
  const text = process.argv[index];
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`intake: bad argument ${JSON.stringify(text)}\n${USAGE}`);
    process.exit(2);
  }
  return value;
}
const total = countArgument(2, 4000, 1);
const clients = countArgument(3, 64, 1);
// Rendering costs ~1 s per realistic acta, once (then cached); 0 skips the gate-on run.
const gateImages = countArgument(4, 400, 0);
const IMAGE_BYTES = 100_000;
const SEED = 1;
const MAIN = path.join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
const debug = process.env['OPENPREP_BENCH_DEBUG'] !== undefined;

// What must be undone, newest first; run once, whatever ends the bench.
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | null = null;
// Set by SIGINT/SIGTERM: what fails afterwards (a `serve` stopped under a request) is not news.
let stoppedBy: string | null = null;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const undo of cleanups.reverse()) {
      try {
        await undo();
      } catch (error) {
        process.stderr.write(`intake: cleanup failed: ${(error as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    stoppedBy = signal;
    process.stderr.write(`intake: ${signal}, stopping what the bench started\n`);
    void cleanUp().finally(() => process.exit(code));
  });
}

function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs `work(i)` for i in [0, n) with `concurrency` at a time. */
async function pool(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await work(i);
    }),
  );
}

type Server = ChildProcessByStdio<null, Readable | null, Readable>;
async function stopServer(server: Server): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const nodeCount = Number(process.env['OPENPREP_BENCH_NODES'] ?? 1);

/**
 * OPENPREP_BENCH_CENTER_CPUS=0 (a `taskset` list): the center — `serve`, and the gate when it is
 * timed alone — on those cores, the clients on the others, as at a real center whose devices are
 * other machines. Unset, everything shares every core.
 */
const centerCpus = process.env['OPENPREP_BENCH_CENTER_CPUS'] ?? null;
const allCpus = `0-${os.cpus().length - 1}`;
const clientCpus = (() => {
  if (centerCpus === null) return null;
  const center = new Set<number>();
  for (const part of centerCpus.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || !Number.isInteger(from))
      throw new Error(`bad OPENPREP_BENCH_CENTER_CPUS ${centerCpus}`);
    for (let c = from; c <= (to ?? from); c++) center.add(c);
  }
  const rest = os
    .cpus()
    .map((_, i) => i)
    .filter((c) => !center.has(c));
  if (rest.length === 0)
    throw new Error(`OPENPREP_BENCH_CENTER_CPUS ${centerCpus} leaves no core for the clients`);
  return rest.join(',');
})();

/** Puts every thread of this process on `cpus` (threads started later inherit it). */
function pinSelf(cpus: string): void {
  const run = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`taskset ${cpus} failed: ${run.stderr}`);
}
const multipartForm = process.env['OPENPREP_BENCH_FORM'] === 'multipart';
const boundary = 'openprep-bench-boundary';

interface Prepared {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

/** A signed package for `image`, in the lean form device agents use or the browser's multipart. */
function prepare(
  device: Parameters<typeof packageFor>[0],
  image: Buffer,
  fields: { sequence: number; claimedKey: string; contest: string },
  type: 'image/png' | 'image/jpeg' = 'image/png',
): Prepared {
  const pkg = packageFor(device, image, fields);
  if (!multipartForm)
    return {
      body: image,
      headers: {
        'content-type': type,
        'openprep-package': Buffer.from(pkg.text).toString('base64url'),
        'openprep-signature': pkg.signature,
      },
    };
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="package"\r\n\r\n${pkg.text}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="signature"\r\n\r\n${pkg.signature}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="acta.${type === 'image/png' ? 'png' : 'jpg'}"\r\nContent-Type: ${type}\r\n\r\n`,
      ),
      image,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  };
}

/** Starts the `serve` nodes on `data`; each is registered for cleanup before it can fail. */
async function startNodes(data: string, start: number, gate: 'off' | 'enforce') {
  const startNode = async (index: number) => {
    const server: Server = spawn(
      centerCpus === null ? process.execPath : 'taskset',
      [
        ...(centerCpus === null ? [] : ['-c', centerCpus, process.execPath]),
        ...(process.env['OPENPREP_BENCH_PROFILE']
          ? ['--cpu-prof', '--cpu-prof-dir', process.env['OPENPREP_BENCH_PROFILE']]
          : []),
        MAIN,
        'serve',
        '--data',
        data,
        '--port',
        '0',
        '--simulated-start',
        new Date(start).toISOString(),
      ],
      {
        env: {
          ...process.env,
          OPENPREP_LOG_LEVEL: 'warn',
          // Stopped at the end without a balancer to drain from.
          OPENPREP_DRAIN_SECONDS: '0',
          OPENPREP_MAX_IN_FLIGHT: String(clients * 2),
          OPENPREP_QUALITY_GATE: gate,
          // Intake alone is measured: the acta reader would read every image on the same cores.
          OPENPREP_READER: 'off',
          // One node signs the checkpoints; the others share its data folder.
          ...(index > 0 ? { OPENPREP_CHECKPOINT_SECONDS: '0' } : {}),
        },
        stdio: ['ignore', debug ? 'inherit' : 'ignore', 'pipe'],
      },
    );
    cleanups.push(() => stopServer(server));
    // The test reads this line to check that the process is gone afterwards.
    process.stderr.write(`intake: serve pid ${server.pid}\n`);
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      server.stderr.on('data', (chunk: Buffer) => {
        if (debug) process.stderr.write(chunk);
        text += chunk.toString();
        const match = /listening on http:\/\/[0-9.]+:([0-9]+)\//.exec(text);
        if (match !== null) resolve(Number(match[1]));
      });
      server.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${text}`)));
    });
    return { server, port };
  };
  const nodes: Awaited<ReturnType<typeof startNode>>[] = [];
  for (let i = 0; i < nodeCount; i++) nodes.push(await startNode(i));
  return nodes;
}

/** Sends every prepared package (the first `warmUp` before the clock starts); stops the nodes. */
async function measureIntake(
  data: string,
  start: number,
  gate: 'off' | 'enforce',
  sends: Prepared[],
  warmUp = 0,
) {
  const nodes = await startNodes(data, start, gate);
  if (process.env['OPENPREP_BENCH_FAIL'] === 'after-serve')
    throw new Error('OPENPREP_BENCH_FAIL=after-serve');
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const send = (prepared: Prepared, port: number, retry = true): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      const { body, headers } = prepared;
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
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed as idle (Node's 5 s) just as this client
        // reused it — a client idles that long while the rest of the warm-up finishes. Sent
        // again once on a new connection, as Node's documentation advises and a device does;
        // a package is idempotent (the same sequence gets the same receipt).
        if (retry && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE'))
          resolve(send(prepared, port, false));
        else reject(error);
      });
      req.end(body);
    });
  try {
    // Each client keeps to one node, as a device keeps to its center.
    const nodeOf = (i: number) => nodes[(i % clients) % nodeCount]!.port;
    await pool(warmUp, clients, async (i) => {
      const status = await send(sends[i]!, nodeOf(i));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
    const serverCpu = () =>
      Promise.all(nodes.map(({ server }) => processCpuSeconds(server.pid))).then((all) =>
        all.some((s) => s === null) ? null : all.reduce((a: number, s) => a + (s ?? 0), 0),
      );
    const serverBefore = await serverCpu();
    const threadsBefore = await threadCpuSeconds(nodes[0]?.server.pid);
    const clientBefore = ownCpuSeconds();
    const began = performance.now();
    await pool(sends.length - warmUp, clients, async (j) => {
      const i = j + warmUp;
      const t0 = performance.now();
      const status = await send(sends[i]!, nodeOf(i));
      latencies.push(performance.now() - t0);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
    const seconds = (performance.now() - began) / 1000;
    const clientSeconds = ownCpuSeconds() - clientBefore;
    const serverAfter = await serverCpu();
    const threads = perThread(
      threadsBefore,
      await threadCpuSeconds(nodes[0]?.server.pid),
      sends.length - warmUp,
    );
    const serverSeconds = serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore;
    latencies.sort((a, b) => a - b);
    return {
      seconds,
      latencies,
      statuses,
      timed: sends.length - warmUp,
      serverSeconds,
      clientSeconds,
      threads,
    };
  } finally {
    agent.destroy();
    await Promise.all(nodes.map(({ server }) => stopServer(server)));
  }
}

function requireAccepted(statuses: Map<number, number>, count: number, what: string) {
  if ((statuses.get(201) ?? 0) !== count)
    throw new Error(
      `${what}: every package must be accepted (201): ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
}

interface CachedActa {
  readonly file: string;
  readonly key: string;
  readonly contest: string;
}

/**
 * The first `count` actas of the state-scale catalog as the realistic renderer draws them for
 * the gate's evaluation (test handwriting, ~55% phone JPEGs, the graded conditions), rendered
 * once (~1 s each): the cache folder's name hashes the renderer's inputs and the sources of the
 * renderer and of the catalog and night it draws from, so a change to either renders anew.
 */
async function cachedActas(
  count: number,
): Promise<{ bytes: Buffer; key: string; contest: string; type: 'image/png' | 'image/jpeg' }[]> {
  const sim = path.join(import.meta.dirname, '..', 'src', 'sim');
  const rendererSources = async (folder: string) =>
    (await readdir(path.join(sim, folder)))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => path.join(sim, folder, f));
  const sources = [
    ...(await rendererSources('acta_images')),
    ...(await rendererSources(path.join('acta_images', 'realistic'))),
    ...['catalog_generator.ts', 'default_election.ts', 'election_night.ts', 'random.ts'].map((f) =>
      path.join(sim, f),
    ),
  ].sort();
  const hash = createHash('sha256').update(
    JSON.stringify({ set: 'realistic', scale: 'state', seed: SEED, count, digitSplit: 'test' }),
  );
  for (const source of sources) hash.update(source).update(await readFile(source));
  const folder = path.join(
    os.tmpdir(),
    'openprep-bench-cache',
    `intake-actas-${hash.digest('hex').slice(0, 16)}`,
  );
  let index: CachedActa[] | null = null;
  try {
    index = JSON.parse(await readFile(path.join(folder, 'index.json'), 'utf8')) as CachedActa[];
  } catch {
    index = null;
  }
  if (index === null) {
    const began = performance.now();
    await mkdir(path.dirname(folder), { recursive: true });
    const partial = await mkdtemp(`${folder}.partial-`);
    cleanups.push(() => rm(partial, { recursive: true, force: true }));
    const catalog = generateCatalog({ scale: 'state', seed: SEED });
    const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
    const made: CachedActa[] = [];
    for await (const acta of renderRealisticSet({
      catalog,
      election,
      count,
      seed: SEED,
      digitSplit: 'test',
    })) {
      const file = `${String(acta.index).padStart(6, '0')}.${acta.format === 'png' ? 'png' : 'jpg'}`;
      await writeFile(path.join(partial, file), acta.bytes);
      made.push({ file, key: acta.truth.actaKey, contest: acta.contest });
      if (made.length % 50 === 0) process.stderr.write(`intake: rendered ${made.length}/${count} actas\n`);
    }
    await writeFile(path.join(partial, 'index.json'), JSON.stringify(made));
    // Whole or not at all: a run stopped while rendering leaves no half cache.
    await rm(folder, { recursive: true, force: true });
    await rename(partial, folder);
    index = made;
    process.stderr.write(
      `intake: rendered ${count} actas in ${Math.round(performance.now() - began)} ms, cached in ${folder}\n`,
    );
  }
  return Promise.all(
    index.map(async (a) => ({
      bytes: await readFile(path.join(folder, a.file)),
      key: a.key,
      contest: a.contest,
      type: a.file.endsWith('.png') ? ('image/png' as const) : ('image/jpeg' as const),
    })),
  );
}

/**
 * The gate's own images per second on these images, on its worker pool, as `serve` runs it: with
 * the center's heap policy (src/platform/heap_policy.ts), which is process-wide and so also
 * governs the pool's workers there.
 */
/** Two runs of the gate alone over the same images as one: images over seconds, CPU and threads summed. */
function bothRuns(
  a: Awaited<ReturnType<typeof gateThroughput>>,
  b: Awaited<ReturnType<typeof gateThroughput>>,
) {
  const threads: Record<string, number> = {};
  for (const run of [a, b])
    for (const [name, ms] of Object.entries(run.threads)) threads[name] = (threads[name] ?? 0) + ms / 2;
  for (const name of Object.keys(threads)) threads[name] = Math.round(threads[name]! * 10) / 10;
  return {
    perSecond: 2 / (1 / a.perSecond + 1 / b.perSecond),
    // Per image of one run, as `cpuSeconds` of one run is read.
    cpuSeconds: (a.cpuSeconds + b.cpuSeconds) / 2,
    threads,
  };
}

async function gateThroughput(images: readonly { bytes: Buffer; key: string }[]) {
  // On the center's cores, as serve's gate: its pool has as many workers as they are.
  if (centerCpus !== null) pinSelf(centerCpus);
  const gate = new QualityGatePool();
  cleanups.push(() => gate.close());
  try {
    const verdicts: string[] = [];
    const concurrency = 2 * Math.max(1, Math.min(4, os.availableParallelism()));
    // Warm-up: the workers' JIT and libvips' first calls.
    await pool(Math.min(20, images.length), concurrency, async (i) => {
      await gate.assess(images[i]!.bytes, images[i]!.key);
    });
    const cpuBefore = ownCpuSeconds();
    const threadsBefore = await threadCpuSeconds(process.pid);
    const began = performance.now();
    await pool(images.length, concurrency, async (i) => {
      verdicts[i] = (await gate.assess(images[i]!.bytes, images[i]!.key)).verdict;
    });
    return {
      perSecond: images.length / ((performance.now() - began) / 1000),
      cpuSeconds: ownCpuSeconds() - cpuBefore,
      threads: perThread(threadsBefore, await threadCpuSeconds(process.pid), images.length),
      verdicts,
    };
  } finally {
    await gate.close();
    if (clientCpus !== null) pinSelf(clientCpus);
  }
}

// Once, for the gate's own runs: the policy serve runs under (gateThroughput says why).
applyCenterHeapPolicy();
const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-intake-'));
cleanups.push(() => rm(work, { recursive: true, force: true }));
process.stderr.write(`intake: work folder ${work}\n`);
// OPENPREP_BENCH_DATABASE_URL: the store on PostgreSQL (a schema of its own per center, dropped
// after); the nodes inherit it.
const databaseUrl = process.env['OPENPREP_BENCH_DATABASE_URL'];
const schemas: string[] = [];
if (databaseUrl !== undefined) {
  process.env['DATABASE_URL'] = databaseUrl;
  cleanups.push(() => dropSchemas(schemas, databaseUrl));
}
const useSchema = (name: string) => {
  if (databaseUrl === undefined) return;
  const schema = `openprep_bench_${process.pid}_${name}`;
  schemas.push(schema);
  process.env['OPENPREP_DATABASE_SCHEMA'] = schema;
};
const deviceIds = Array.from({ length: clients }, (_, i) => `CATD-BENCH-${i}`);

try {
  if (clientCpus !== null) pinSelf(clientCpus);
  // Gate off. A state-sized election, one scanner of CATD-1 (which serves the whole catalog) per client.
  const offData = path.join(work, 'gate-off');
  await mkdir(offData);
  useSchema('off');
  const { catalog, election, start, devices } = await preparedCenter(offData, SEED, deviceIds, {
    scale: 'state',
  });
  const keys = election.contests.flatMap((contest) =>
    [...actasEsperadas(catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
  );
  if (keys.length < total) throw new Error(`only ${keys.length} actas for ${total} packages`);
  // Every request made before the clock starts.
  const images: Buffer[] = [];
  const sends: Prepared[] = [];
  for (let i = 0; i < total; i++) {
    const image = pngOfSize(IMAGE_BYTES, i + 1);
    const target = keys[i]!;
    images.push(image);
    sends.push(
      prepare(devices[i % clients]!, image, {
        sequence: Math.floor(i / clients),
        claimedKey: target.key,
        contest: target.contest,
      }),
    );
  }
  // The packages carry noise PNGs, which the quality gate refuses (422): this measures intake itself.
  const off = await measureIntake(offData, start, 'off', sends);
  requireAccepted(off.statuses, total, 'gate off');

  // Baseline: hash, write and fsync the same images here, same concurrency.
  const baselineDir = path.join(work, 'baseline');
  await mkdir(baselineDir);
  const baselineBegan = performance.now();
  await pool(total, clients, async (i) => {
    const image = images[i]!;
    const name = createHash('sha256').update(image).digest('hex');
    const handle = await open(path.join(baselineDir, name), 'w');
    await handle.writeFile(image);
    await handle.sync();
    await handle.close();
  });
  const baselineSeconds = (performance.now() - baselineBegan) / 1000;
  await rm(baselineDir, { recursive: true, force: true });

  // Gate on: the gate's own throughput first, then intake over the images it accepts.
  let gateFigures: Record<string, unknown> = { gate_images: 0 };
  if (gateImages > 0) {
    const actas = await cachedActas(gateImages);
    const all = await gateThroughput(actas);
    const accepted = actas.filter((_, i) => all.verdicts[i] === 'accept');
    if (accepted.length === 0) throw new Error('the gate accepted none of the rendered actas');
    // The intake below carries the accepted ones only: the gate's own pace is taken on them too
    // (a refused image can cost less or more than an accepted one).
    const ownBefore = await gateThroughput(accepted);
    const onData = path.join(work, 'gate-on');
    await mkdir(onData);
    useSchema('on');
    const center = await preparedCenter(onData, SEED, deviceIds, { scale: 'state' });
    const onSends = accepted.map((acta, i) =>
      prepare(
        center.devices[i % clients]!,
        acta.bytes,
        {
          sequence: Math.floor(i / clients),
          claimedKey: acta.key,
          contest: acta.contest,
        },
        acta.type,
      ),
    );
    // Untimed first, one package per client, all at once: the server's gate workers start cold,
    // and the memory serve reuses for the bodies it holds (src/platform/buffer_pool.ts) grows to
    // what that many uploads in flight use: first touched once a process, at ~15 ms a body on
    // this machine — nothing against a night, much against this run's ~190 timed packages.
    const warmUp = Math.min(clients, Math.floor(accepted.length / 4));
    const on = await measureIntake(onData, center.start, 'enforce', onSends, warmUp);
    requireAccepted(on.statuses, accepted.length, 'gate on');
    // The gate alone once more, after: this virtual machine's pace drifts by a third from one
    // minute to the next, and a ratio of two runs minutes apart took the drift for a result
    // (docs/benchmarks.md). Both runs are printed; the ratio is against the two together.
    const ownAfter = await gateThroughput(accepted);
    const own = bothRuns(ownBefore, ownAfter);
    const gatePerSecond = on.timed / on.seconds;
    gateFigures = {
      gate_images: actas.length,
      gate_accepted_by_gate: accepted.length,
      gate_review_by_gate: all.verdicts.filter((v) => v === 'review').length,
      gate_refused_by_gate: all.verdicts.filter((v) => v === 'reject').length,
      gate_phone_jpegs: accepted.filter((a) => a.type === 'image/jpeg').length,
      gate_all_images_per_second: Math.round(all.perSecond * 10) / 10,
      gate_statuses: Object.fromEntries(on.statuses),
      gate_packages_per_second: Math.round(gatePerSecond * 10) / 10,
      gate_p50_ms: Math.round(percentile(on.latencies, 50) * 10) / 10,
      gate_p99_ms: Math.round(percentile(on.latencies, 99) * 10) / 10,
      gate_own_images_per_second: Math.round(own.perSecond * 10) / 10,
      gate_own_images_per_second_before_after: [ownBefore.perSecond, ownAfter.perSecond].map(
        (r) => Math.round(r * 10) / 10,
      ),
      gate_capacity_ratio: Math.round((gatePerSecond / own.perSecond) * 100) / 100,
      // Where the cores went, per accepted image: the gate alone (this process and its workers),
      // then intake's `serve` and the clients sending the bodies, apart.
      gate_own_cpu_ms_per_image: Math.round((own.cpuSeconds / accepted.length) * 10000) / 10,
      gate_serve_cpu_ms_per_package:
        on.serverSeconds === null ? null : Math.round((on.serverSeconds / on.timed) * 10000) / 10,
      gate_clients_cpu_ms_per_package: Math.round((on.clientSeconds / on.timed) * 10000) / 10,
      // The same by thread (the first node's, when there are several; Linux only).
      gate_own_cpu_ms_by_thread: own.threads,
      gate_serve_cpu_ms_by_thread: on.threads,
    };
  }

  const packagesPerSecond = total / off.seconds;
  const baselinePerSecond = total / baselineSeconds;
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'intake',
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      packages: total,
      clients,
      form: multipartForm ? 'multipart' : 'image body',
      nodes: nodeCount,
      center_cpus: centerCpus ?? allCpus,
      client_cpus: clientCpus ?? allCpus,
      store: databaseUrl === undefined ? 'sqlite' : 'postgresql',
      image_bytes: IMAGE_BYTES,
      statuses: Object.fromEntries(off.statuses),
      packages_per_second: Math.round(packagesPerSecond),
      p50_ms: Math.round(percentile(off.latencies, 50) * 10) / 10,
      p99_ms: Math.round(percentile(off.latencies, 99) * 10) / 10,
      serve_cpu_ms_per_package:
        off.serverSeconds === null ? null : Math.round((off.serverSeconds / total) * 10000) / 10,
      clients_cpu_ms_per_package: Math.round((off.clientSeconds / total) * 10000) / 10,
      baseline_packages_per_second: Math.round(baselinePerSecond),
      baseline_ratio: Math.round((packagesPerSecond / baselinePerSecond) * 100) / 100,
      ...gateFigures,
    })}\n`,
  );
} catch (error) {
  if (stoppedBy === null) process.stderr.write(`intake: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
