/**
 * `npm run bench -- national [capturistas]`: a whole national election night end to end on
 * this machine. The national catalog (32 entidades, 300 distritos, 170,648 casillas) and its
 * ~515,000 actas; `openprep serve` (OPENPREP_BENCH_NODES of them; on SQLite, or on the
 * PostgreSQL of OPENPREP_BENCH_DATABASE_URL); simulated CATD agents sending every acta over
 * HTTP as a signed package with a reduced-size image (OPENPREP_BENCH_IMAGE_BYTES, 4 KB by
 * default), in a shuffled order; simulated capturistas (200 by default) taking and typing
 * actas as they arrive, 3% of them mistyped, and verificadores resolving the mismatches; a
 * cut published halfway through intake, as the PREP publishes while it runs; then the final
 * cut, checked by the verifier in its own process. Prints one JSON object: wall time of the
 * night (first package to verified final cut), actas, intake and capture rates, the cut and
 * verification times, and physical baselines measured in the same run (hash + write + fsync of
 * the same images; a sequential write of the final cut's bytes). OPENPREP_BENCH_ACTAS=N
 * limits the night to its first N actas (a quick run).
 */
import { statCpuSeconds } from './proc_cpu.ts';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { enrollDevice } from '../src/intake/devices.ts';
import { initCenter } from '../src/center/node.ts';
import { declareTerritory } from '../src/intake/territory.ts';
import { territoryOf } from '../src/catalog/territory_csv.ts';
import { actasEsperadas } from '../src/domain/actas_esperadas.ts';
import { distritoKey } from '../src/domain/catalog.ts';
import { generateCatalog } from '../src/sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../src/sim/default_election.ts';
import { createRandom } from '../src/sim/random.ts';
import {
  actaSheets,
  ConsoleClient,
  createShift,
  percentile,
  signInAll,
  type WorkCounts,
  workShift,
} from '../src/test/capturistas.ts';
import { startBalancedNodes, stopServer, type startServer } from '../src/test/center_process.ts';
import { makeDevice, packageFor, uniquePng } from '../src/test/packages.ts';
import { dropSchemas } from '../src/test/postgres.ts';
import { createProgress } from '../src/cli/progress.ts';

const capturistaCount = Number(process.argv[2] ?? 200);
const verifierCount = Math.max(1, Math.ceil(capturistaCount / 20));
const AGENTS = 64;
const IMAGE_BYTES = Number(process.env['OPENPREP_BENCH_IMAGE_BYTES'] ?? 4_000);
const TYPING_ERROR_RATE = 0.03;
const nodeCount = Number(process.env['OPENPREP_BENCH_NODES'] ?? 1);
const databaseUrl = process.env['OPENPREP_BENCH_DATABASE_URL'];
const schema = `openprep_bench_${process.pid}`;
if (databaseUrl !== undefined) {
  process.env['DATABASE_URL'] = databaseUrl;
  process.env['OPENPREP_DATABASE_SCHEMA'] = schema;
}
/** Publishes a cut of the center's folder in a process of its own (bench/cut_child.ts). */
function cutInChild(root: string, cutTime: number, final = false) {
  return new Promise<{ id: string; seconds: number; folder: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--max-old-space-size=4096',
        path.join(import.meta.dirname, 'cut_child.ts'),
        root,
        String(cutTime),
        ...(final ? ['final'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`cut exited ${code}`)),
    );
  });
}

/** The CPU time a process has used so far, in milliseconds (Linux /proc; clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  return statCpuSeconds(await readFile(`/proc/${pid}/stat`, 'utf8')) * 1000;
}

/**
 * One scrape of a node's /metrics, as Prometheus makes it (from this machine: loopback is
 * allowed without a token). Spaced beyond the metrics' 5-second freshness, each scrape
 * recounts the actas in the store: the worst case of a 15-second scrape interval.
 */
async function scrape(base: string): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(`${base}/metrics`);
  const text = await response.text();
  if (!response.ok || !text.includes('openprep_actas'))
    throw new Error(`/metrics answered ${response.status}`);
  return performance.now() - t0;
}
const SCRAPE_EVERY_MS = 5_500;

const log = (message: string) => process.stderr.write(`[national ${new Date().toISOString()}] ${message}\n`);

const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-national-'));
const servers: Awaited<ReturnType<typeof startServer>>[] = [];
try {
  const setupBegan = performance.now();
  const catalog = generateCatalog({ scale: 'national', seed: 1 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const start = Date.parse(election.publicationStart) + 60_000;
  const began = Date.now();
  const clock = () => start + (Date.now() - began);
  const center = path.join(work, 'center');
  const created = await initCenter({ root: center, election, catalog, clock });
  if (!created.ok) throw new Error(created.message);
  const devices = Array.from({ length: AGENTS }, (_, i) => makeDevice(`CATD-${String(i).padStart(3, '0')}`));
  for (const device of devices) {
    const enrolled = await enrollDevice(created.value.devices, {
      id: device.id,
      publicKey: device.publicKey,
      origin: 'CATD',
      boundTo: device.id,
      label: '',
      at: clock(),
    });
    if (!enrolled.ok) throw new Error(enrolled.message);
  }
  // Actas reach any agent (below), so each agent's CATD is declared to serve every distrito;
  // intake reads only an acta's own distrito and casilla, so this costs what one distrito would.
  await declareTerritory(
    created.value.devices,
    territoryOf(
      devices.flatMap((device) =>
        catalog.distritos.map((d) => ({
          unit: device.id,
          unitKind: 'CATD' as const,
          areaKind: 'distrito' as const,
          area: distritoKey(d.entidad, d.id),
        })),
      ),
    ),
    clock(),
  );
  const verifierKey = created.value.verifierKey;
  await created.value.close();

  const all = election.contests.flatMap((contest) =>
    actasEsperadas(catalog, contest).map((e) => ({ contest: contest.id, key: e.actaKey })),
  );
  // Actas arrive from all over the country at once, not in catalog order.
  const random = createRandom('national-arrivals');
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const actas = all.slice(0, Number(process.env['OPENPREP_BENCH_ACTAS'] ?? all.length));
  const sheets = actaSheets(catalog, election);

  const shift = await createShift(center, clock, { capturistas: capturistaCount, verifiers: verifierCount });
  // Agents and operators reach the nodes as through a load balancer on this host.
  servers.push(...(await startBalancedNodes(center, clock, nodeCount, { OPENPREP_MAX_IN_FLIGHT: '256' })));
  const client = new ConsoleClient(servers.map((s) => s.base));
  const everyone = [...shift.capturistas, ...shift.verifiers];
  const sessions = await signInAll(client, everyone, clock, 8);
  // Every package signed before the clock starts, as the intake benchmark does: on the night
  // each agent signs on its own machine, not on the center's two cores. The image itself is
  // made again when sent (cheap, and the same bytes for the same index).
  const signed: { header: string; signature: string }[] = new Array(actas.length);
  for (let index = 0; index < actas.length; index++) {
    const target = actas[index]!;
    const pkg = packageFor(devices[index % AGENTS]!, uniquePng(IMAGE_BYTES, index + 1), {
      sequence: Math.floor(index / AGENTS),
      claimedKey: target.key,
      contest: target.contest,
    });
    signed[index] = { header: Buffer.from(pkg.text).toString('base64url'), signature: pkg.signature };
  }
  const setupSeconds = (performance.now() - setupBegan) / 1000;
  log(`set up in ${Math.round(setupSeconds)} s: ${actas.length} actas, ${everyone.length} operators`);

  // The night.
  const nightBegan = performance.now();
  const agent = new Agent({ keepAlive: true, maxSockets: AGENTS });
  const intakeLatencies: number[] = [];
  const statuses = new Map<number, number>();
  const send = (index: number) => {
    const image = uniquePng(IMAGE_BYTES, index + 1);
    const headers = {
      'content-type': 'image/png',
      'content-length': image.length,
      'openprep-package': signed[index]!.header,
      'openprep-signature': signed[index]!.signature,
      'x-forwarded-for': `10.200.${index % AGENTS}.1`,
    };
    const base = new URL(servers[(index % AGENTS) % servers.length]!.base);
    const t0 = performance.now();
    return new Promise<void>((resolve, reject) => {
      const req = request(
        { host: base.hostname, port: base.port, path: '/api/v1/packages', method: 'POST', agent, headers },
        (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            intakeLatencies.push(performance.now() - t0);
            if (status === 503) {
              // Overload: the agent waits as told and sends the same package again.
              setTimeout(() => void send(index).then(resolve, reject), 200);
              return;
            }
            if (status !== 201) reject(new Error(`package ${index} answered ${status}`));
            else resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(image);
    });
  };
  let intakeDone = false;
  let sent = 0;
  // Capture and verification run beside intake: the line counts packages and shows their totals.
  const counts: WorkCounts = { captures: 0, verifications: 0, emptyAnswers: 0 };
  const night = createProgress(process.stderr, {
    label: 'national night',
    unit: 'packages sent',
    total: actas.length,
  });
  let midCut: { seconds: number; id: string } | null = null;
  let midCutAt = 0;
  const intake = (async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: AGENTS }, async () => {
        for (let i = next++; i < actas.length; i = next++) {
          await send(i);
          sent++;
          night.update(sent, `captures ${counts.captures}, verifications ${counts.verifications}`);
        }
      }),
    );
    intakeDone = true;
  })();
  // Prometheus scraping the first node all night long.
  const nightScrapes: number[] = [];
  const scraping = (async () => {
    while (!intakeDone) {
      nightScrapes.push(await scrape(servers[0]!.base));
      await new Promise((r) => setTimeout(r, SCRAPE_EVERY_MS));
    }
  })();
  const intakeSeconds = intake.then(() => (performance.now() - nightBegan) / 1000);
  // A cut while intake and capture run, as the PREP publishes every few minutes (in its own
  // process, as `openprep cut` runs beside `serve`).
  const halfway = (async () => {
    while (sent < actas.length / 2 && !intakeDone) await new Promise((r) => setTimeout(r, 500));
    midCutAt = clock();
    midCut = await cutInChild(center, midCutAt);
    log(`cut ${midCut.id} under load in ${midCut.seconds} s`);
  })();
  await Promise.all([
    intake,
    halfway,
    workShift(
      client,
      sessions,
      capturistaCount,
      { typist: (i) => sheets.typist(createRandom(`typist:${i}`), TYPING_ERROR_RATE), truth: sheets.truth },
      counts,
      () => !intakeDone,
    ),
  ]);
  night.finish(`captures ${counts.captures}, verifications ${counts.verifications}`);
  const captureSeconds = (performance.now() - nightBegan) / 1000;
  await scraping;
  // The store at its fullest and the node otherwise idle: what one scrape costs the node.
  const endScrapes: number[] = [];
  const endScrapeCpu: number[] = [];
  const scraped = servers[0]!.child.pid!;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, SCRAPE_EVERY_MS));
    const cpuBefore = await cpuMs(scraped);
    endScrapes.push(await scrape(servers[0]!.base));
    endScrapeCpu.push((await cpuMs(scraped)) - cpuBefore);
  }
  log(
    `/metrics at the end of the night: p50 ${percentile(endScrapes, 50)} ms, node CPU p50 ${percentile(endScrapeCpu, 50)} ms`,
  );
  agent.destroy();
  client.close();
  for (const server of servers) await stopServer(server.child);
  servers.length = 0;

  // The final cut and its verification, as anyone would run it.
  // Cuts are at least a minute apart (a quick run can be shorter than that).
  const finalCut = await cutInChild(center, Math.max(clock(), midCutAt + 60_000), true);
  log(`final cut ${finalCut.id} in ${finalCut.seconds} s; verifying`);
  const verified = await new Promise<{ seconds: number; ok: boolean; failed: string[]; peakRssMb: number }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        [path.join(import.meta.dirname, 'verify_child.ts'), finalCut.folder, verifierKey],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.once('exit', (code) =>
        code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`verifier exited ${code}`)),
      );
    },
  );
  const wallSeconds = (performance.now() - nightBegan) / 1000;

  // Physical baselines, same run, same disk.
  const baselineDir = path.join(work, 'baseline');
  await mkdir(baselineDir);
  const baselineCount = Math.min(actas.length, 20_000);
  let nextBaseline = 0;
  const baselineBegan = performance.now();
  await Promise.all(
    Array.from({ length: AGENTS }, async () => {
      for (let i = nextBaseline++; i < baselineCount; i = nextBaseline++) {
        const image = uniquePng(IMAGE_BYTES, i + 1);
        const file = await open(
          path.join(baselineDir, createHash('sha256').update(image).digest('hex')),
          'w',
        );
        await file.writeFile(image);
        await file.sync();
        await file.close();
      }
    }),
  );
  const baselineIntakePerSecond = baselineCount / ((performance.now() - baselineBegan) / 1000);
  let cutBytes = 0;
  const cutFiles: string[] = [];
  for (const entry of await readdir(finalCut.folder, { recursive: true })) {
    const file = path.join(finalCut.folder, entry);
    if ((await stat(file)).isFile()) {
      cutFiles.push(file);
      cutBytes += (await stat(file)).size;
    }
  }
  const writeBegan = performance.now();
  const sink = await open(path.join(baselineDir, 'cut-bytes'), 'w');
  for (const file of cutFiles) await sink.write(await readFile(file));
  await sink.sync();
  await sink.close();
  const cutWriteSeconds = (performance.now() - writeBegan) / 1000;

  const total = (await intakeSeconds) > 0 ? actas.length / (await intakeSeconds) : 0;
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'national',
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      store: databaseUrl === undefined ? 'sqlite' : 'postgresql',
      nodes: nodeCount,
      casillas: catalog.casillas.length,
      actas: actas.length,
      image_bytes: IMAGE_BYTES,
      agents: AGENTS,
      capturistas: capturistaCount,
      verificadores: verifierCount,
      wall_seconds: Math.round(wallSeconds),
      setup_seconds: Math.round(setupSeconds),
      intake_seconds: Math.round(await intakeSeconds),
      intake_packages_per_second: Math.round(total),
      intake_statuses: Object.fromEntries(statuses),
      intake_p50_ms: percentile(intakeLatencies, 50),
      intake_p99_ms: percentile(intakeLatencies, 99),
      capture_done_seconds: Math.round(captureSeconds),
      captures: counts.captures,
      verifications: counts.verifications,
      capture_operations_per_second: Math.round((counts.captures + counts.verifications) / captureSeconds),
      routes: { 'capture/next': client.routeStats('capture/next'), capture: client.routeStats('capture') },
      metrics_scrapes_during_night: nightScrapes.length,
      metrics_scrape_night_p50_ms: percentile(nightScrapes, 50),
      metrics_scrape_night_p99_ms: percentile(nightScrapes, 99),
      metrics_scrape_end_p50_ms: percentile(endScrapes, 50),
      metrics_scrape_end_max_ms: Math.round(Math.max(...endScrapes)),
      metrics_scrape_end_node_cpu_p50_ms: percentile(endScrapeCpu, 50),
      cut_under_load: midCut,
      final_cut_seconds: finalCut.seconds,
      final_cut_mb: Math.round(cutBytes / 2 ** 20),
      verify_seconds: verified.seconds,
      verify_ok: verified.ok,
      verify_failed_checks: verified.failed,
      verify_peak_rss_mb: verified.peakRssMb,
      baseline_intake_per_second: Math.round(baselineIntakePerSecond),
      intake_baseline_ratio: Math.round((total / baselineIntakePerSecond) * 100) / 100,
      baseline_cut_write_seconds: Math.round(cutWriteSeconds * 10) / 10,
      final_cut_baseline_ratio: Math.round((finalCut.seconds / cutWriteSeconds) * 10) / 10,
    })}\n`,
  );
  if (!verified.ok || counts.captures !== actas.length * 2) process.exitCode = 1;
} finally {
  for (const server of servers) await stopServer(server.child).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
  if (databaseUrl !== undefined) await dropSchemas([schema], databaseUrl);
}
