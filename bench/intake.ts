/**
 * `npm run bench -- intake [packages] [clients]`: sustained intake over HTTP on loopback.
 * Starts `openprep serve` in its own process on a state-sized election, enrols one scanner per
 * client, then many concurrent clients send signed packages with ~100 KB PNG images (prepared
 * beforehand, so the clients spend little CPU while timed). Prints packages per second and
 * latency percentiles, and the ratio to a baseline measured in the same run: hashing, writing
 * and fsyncing the same images in-process with the same concurrency, which is the least any
 * durable intake must do. OPENPREP_BENCH_NODES=N starts N `serve` processes on the one data
 * folder (one signing checkpoints) and spreads the clients over them;
 * OPENPREP_BENCH_DATABASE_URL=postgresql://… puts the store on PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { actasEsperadas } from '../src/domain/actas_esperadas.ts';
import { preparedCenter } from '../src/test/center_process.ts';
import { packageFor, pngOfSize } from '../src/test/packages.ts';
import { dropSchemas } from '../src/test/postgres.ts';

const total = Number(process.argv[2] ?? 4000);
const clients = Number(process.argv[3] ?? 64);
const IMAGE_BYTES = 100_000;
const MAIN = path.join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

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

const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-intake-'));
// OPENPREP_BENCH_DATABASE_URL: the store on PostgreSQL (a schema of its own, dropped after);
// the nodes inherit it.
const databaseUrl = process.env['OPENPREP_BENCH_DATABASE_URL'];
if (databaseUrl !== undefined) {
  process.env['DATABASE_URL'] = databaseUrl;
  process.env['OPENPREP_DATABASE_SCHEMA'] = `openprep_bench_${process.pid}`;
}
try {
  // A state-sized election, one scanner of CATD-1 (which serves the whole catalog) per client.
  const { catalog, election, start, devices } = await preparedCenter(
    work,
    1,
    Array.from({ length: clients }, (_, i) => `CATD-BENCH-${i}`),
    { scale: 'state' },
  );
  const keys = election.contests.flatMap((contest) =>
    [...actasEsperadas(catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
  );
  if (keys.length < total) throw new Error(`only ${keys.length} actas for ${total} packages`);

  // Every request made before the clock starts, in the lean form device agents use: the image
  // as the body, the signed header and signature in HTTP headers (OPENPREP_BENCH_FORM=multipart
  // for the browser form).
  const multipartForm = process.env['OPENPREP_BENCH_FORM'] === 'multipart';
  const boundary = 'openprep-bench-boundary';
  const bodies: Buffer[] = [];
  const packageHeaders: Record<string, string>[] = [];
  const images: Buffer[] = [];
  for (let i = 0; i < total; i++) {
    const device = devices[i % clients]!;
    const image = pngOfSize(IMAGE_BYTES, i + 1);
    const target = keys[i]!;
    const pkg = packageFor(device, image, {
      sequence: Math.floor(i / clients),
      claimedKey: target.key,
      contest: target.contest,
    });
    images.push(image);
    packageHeaders.push(
      multipartForm
        ? { 'content-type': `multipart/form-data; boundary=${boundary}` }
        : {
            'content-type': 'image/png',
            'openprep-package': Buffer.from(pkg.text).toString('base64url'),
            'openprep-signature': pkg.signature,
          },
    );
    if (!multipartForm) {
      bodies.push(image);
      continue;
    }
    bodies.push(
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="package"\r\n\r\n${pkg.text}\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="signature"\r\n\r\n${pkg.signature}\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="acta.png"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        image,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    );
  }

  const nodeCount = Number(process.env['OPENPREP_BENCH_NODES'] ?? 1);
  const startNode = async (index: number) => {
    const server = spawn(
      process.execPath,
      [
        ...(process.env['OPENPREP_BENCH_PROFILE']
          ? ['--cpu-prof', '--cpu-prof-dir', process.env['OPENPREP_BENCH_PROFILE']]
          : []),
        MAIN,
        'serve',
        '--data',
        work,
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
          // The packages carry noise PNGs, which the quality gate refuses (422): this measures
          // intake itself; the gate has its own benchmark (`npm run bench -- images`).
          OPENPREP_QUALITY_GATE: process.env['OPENPREP_QUALITY_GATE'] ?? 'off',
          // One node signs the checkpoints; the others share its data folder.
          ...(index > 0 ? { OPENPREP_CHECKPOINT_SECONDS: '0' } : {}),
        },
        stdio: ['ignore', process.env['OPENPREP_BENCH_DEBUG'] ? 'inherit' : 'ignore', 'pipe'],
      },
    );
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      server.stderr.on('data', (chunk: Buffer) => {
        if (process.env['OPENPREP_BENCH_DEBUG']) process.stderr.write(chunk);
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
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const send = (body: Buffer, headers: Record<string, string>, port: number) =>
    new Promise<number>((resolve, reject) => {
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
  const began = performance.now();
  await pool(total, clients, async (i) => {
    const t0 = performance.now();
    // Each client keeps to one node, as a device keeps to its center.
    const status = await send(bodies[i]!, packageHeaders[i]!, nodes[(i % clients) % nodeCount]!.port);
    latencies.push(performance.now() - t0);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  });
  const seconds = (performance.now() - began) / 1000;
  agent.destroy();
  for (const { server } of nodes) {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
  // After the servers are stopped: a failed run must not leave them serving.
  if ((statuses.get(201) ?? 0) !== total)
    throw new Error(`every package must be accepted (201): ${JSON.stringify(Object.fromEntries(statuses))}`);

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

  latencies.sort((a, b) => a - b);
  const packagesPerSecond = total / seconds;
  const baselinePerSecond = total / baselineSeconds;
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'intake',
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      packages: total,
      clients,
      form: multipartForm ? 'multipart' : 'image body',
      nodes: nodeCount,
      store: databaseUrl === undefined ? 'sqlite' : 'postgresql',
      image_bytes: IMAGE_BYTES,
      statuses: Object.fromEntries(statuses),
      packages_per_second: Math.round(packagesPerSecond),
      p50_ms: Math.round(percentile(latencies, 50) * 10) / 10,
      p99_ms: Math.round(percentile(latencies, 99) * 10) / 10,
      baseline_packages_per_second: Math.round(baselinePerSecond),
      baseline_ratio: Math.round((packagesPerSecond / baselinePerSecond) * 100) / 100,
    })}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
  if (databaseUrl !== undefined) await dropSchemas([`openprep_bench_${process.pid}`], databaseUrl);
}
