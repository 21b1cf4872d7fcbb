/**
 * `npm run bench -- capture [capturistas] [actas]`: capture operations per second with
 * thousands of capturistas at once (4,000 by default, as on INE's night) over HTTP. A
 * state-sized election gets `actas` actas registered in-process; the capturistas (and one
 * verificador per 100) are created, sign in with password + TOTP, then all work at once at
 * machine speed — the next acta, its values (3% mistyped, so some go to verification), again —
 * until every acta is verified. Prints operations per second (captures and verifications),
 * latency percentiles per route, sign-ins per second, and the ratio to a baseline measured in
 * the same run: writing and fsyncing each operation's request bytes. OPENPREP_BENCH_NODES=N
 * runs N `serve` processes (sharing the data folder, or OPENPREP_BENCH_DATABASE_URL's
 * PostgreSQL) and spreads the operators over them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { openCenter } from '../src/center/node.ts';
import { actasEsperadas } from '../src/domain/actas_esperadas.ts';
import { createRandom } from '../src/sim/random.ts';
import {
  actaSheets,
  ConsoleClient,
  createShift,
  signInAll,
  type WorkCounts,
  workShift,
} from '../src/test/capturistas.ts';
import {
  preparedCenter,
  startBalancedNodes,
  stopServer,
  type startServer,
} from '../src/test/center_process.ts';
import { dropSchemas } from '../src/test/postgres.ts';

const capturistaCount = Number(process.argv[2] ?? 4000);
const actaCount = Number(process.argv[3] ?? 20_000);
const verifierCount = Math.max(1, Math.ceil(capturistaCount / 100));
const TYPING_ERROR_RATE = 0.03;

const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-capture-'));
const databaseUrl = process.env['OPENPREP_BENCH_DATABASE_URL'];
const schema = `openprep_bench_${process.pid}`;
if (databaseUrl !== undefined) {
  process.env['DATABASE_URL'] = databaseUrl;
  process.env['OPENPREP_DATABASE_SCHEMA'] = schema;
}
const nodeCount = Number(process.env['OPENPREP_BENCH_NODES'] ?? 1);
const servers: Awaited<ReturnType<typeof startServer>>[] = [];
try {
  const center = path.join(work, 'center');
  const prepared = await preparedCenter(center, 1, [], { scale: 'state' });
  const sheets = actaSheets(prepared.catalog, prepared.election);
  const began = Date.now();
  const clock = () => prepared.start + (Date.now() - began);

  // The actas, already received (intake is measured by its own benchmark).
  const node = await openCenter({ root: center, clock });
  if (!node.ok) throw new Error(node.message);
  const keys = prepared.election.contests.flatMap((contest) =>
    actasEsperadas(prepared.catalog, contest).map((e) => ({ contest: contest.id, key: e.actaKey })),
  );
  if (keys.length < actaCount) throw new Error(`only ${keys.length} actas for ${actaCount}`);
  for (let i = 0; i < actaCount; i += 256) {
    await Promise.all(
      keys.slice(i, Math.min(actaCount, i + 256)).map(async (target, j) => {
        const registered = await node.value.pipeline.registerSubmission({
          contest: target.contest,
          claimedKey: target.key,
          imageSha256: randomBytes(32).toString('hex'),
          origin: 'CATD',
          digitization: 'ESCANER',
          documentType: 'ACTA_PREP',
          transfer: null,
          acopioAt: clock() + i + j,
          source: 'bench',
        });
        if (!registered.ok || registered.value.outcome !== 'registered')
          throw new Error(`acta ${target.key} not registered`);
      }),
    );
  }
  await node.value.close();
  const shift = await createShift(center, clock, { capturistas: capturistaCount, verifiers: verifierCount });
  // The operators reach the nodes as through a load balancer on this host.
  servers.push(...(await startBalancedNodes(center, clock, nodeCount)));
  const client = new ConsoleClient(servers.map((s) => s.base));

  const signInBegan = performance.now();
  const everyone = [...shift.capturistas, ...shift.verifiers];
  const sessions = await signInAll(client, everyone, clock, 16);
  const signInSeconds = (performance.now() - signInBegan) / 1000;

  const counts: WorkCounts = { captures: 0, verifications: 0, emptyAnswers: 0 };
  const workBegan = performance.now();
  await workShift(
    client,
    sessions,
    capturistaCount,
    { typist: (i) => sheets.typist(createRandom(`typist:${i}`), TYPING_ERROR_RATE), truth: sheets.truth },
    counts,
    () => false,
  );
  const workSeconds = (performance.now() - workBegan) / 1000;
  client.close();
  for (const server of servers) await stopServer(server.child);
  if (counts.captures !== actaCount * 2)
    throw new Error(`${counts.captures} captures for ${actaCount} actas (2 each expected)`);

  // Baseline: each operation's request bytes written and fsynced, one after another.
  const operations = counts.captures + counts.verifications;
  const sample = Buffer.from(
    JSON.stringify({
      fields: sheets.truth({ ...keys[0]!, recordId: '', actaKey: keys[0]!.key, columns: [] }),
    }),
  );
  const baselineOps = Math.min(operations, 5_000);
  const file = await open(path.join(work, 'baseline'), 'w');
  const baselineBegan = performance.now();
  for (let i = 0; i < baselineOps; i++) {
    await file.write(sample);
    await file.sync();
  }
  const baselineSeconds = (performance.now() - baselineBegan) / 1000;
  await file.close();

  const opsPerSecond = operations / workSeconds;
  const baselinePerSecond = baselineOps / baselineSeconds;
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'capture',
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      store: databaseUrl === undefined ? 'sqlite' : 'postgresql',
      nodes: nodeCount,
      capturistas: capturistaCount,
      verificadores: verifierCount,
      actas: actaCount,
      captures: counts.captures,
      verifications: counts.verifications,
      sign_ins_per_second: Math.round(everyone.length / signInSeconds),
      seconds: Math.round(workSeconds * 10) / 10,
      operations_per_second: Math.round(opsPerSecond),
      routes: {
        'capture/next': client.routeStats('capture/next'),
        capture: client.routeStats('capture'),
        'verification/next': client.routeStats('verification/next'),
        verification: client.routeStats('verification'),
      },
      baseline_fsynced_writes_per_second: Math.round(baselinePerSecond),
      baseline_ratio: Math.round((opsPerSecond / baselinePerSecond) * 100) / 100,
    })}\n`,
  );
} finally {
  for (const server of servers) await stopServer(server.child).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
  if (databaseUrl !== undefined) await dropSchemas([schema], databaseUrl);
}
