/**
 * `npm run bench -- restore [actas] [image bytes]`: the restore drill (deploy/drills/restore.sh)
 * at a size that says something. On a private PostgreSQL cluster with WAL archiving (made here,
 * as the drill's test does; never the machine's own), a state-sized election with its images in
 * an S3 bucket (s3rver): half the actas, a base backup, the other half, a cut, a recovery target,
 * a write after it; the bucket copied to a backup bucket, the first one dropped; then the script
 * restores into a fresh cluster and checks it. Prints the script's timings with the sizes.
 */
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import pg from 'pg';
import { actasEsperadas } from '../src/domain/actas_esperadas.ts';
import { preparedCenter, runCli, startServer, stopServer } from '../src/test/center_process.ts';
import { packageFor, postPackageRaw, uniquePng } from '../src/test/packages.ts';
import {
  clustersUnavailable,
  copyBucket,
  ownedByPostgres,
  pgTime,
  script,
  targetThenLaterWrite,
  startCluster,
  stopCluster,
} from '../src/test/pg_cluster.ts';
import { freePortPair } from '../src/test/ports.ts';
import { startS3, type TestS3 } from '../src/test/s3.ts';

const total = Number(process.argv[2] ?? 5000);
const imageBytes = Number(process.argv[3] ?? 4000);
const CLIENTS = 8;
const SCHEMA = 'openprep_bench_restore';

if (clustersUnavailable !== null) {
  process.stderr.write(`bench restore: ${clustersUnavailable}\n`);
  process.exit(1);
}

const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-restore-'));
await chmod(work, 0o755);
const archive = await ownedByPostgres(path.join(work, 'wal-archive'));
const clusters = await ownedByPostgres(path.join(work, 'clusters'), 0o755);
const port = await freePortPair();
const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
const ENV = { DATABASE_URL: url, OPENPREP_DATABASE_SCHEMA: SCHEMA };
const buckets: TestS3[] = [];
let source: string | null = null;
try {
  source = await startCluster(clusters, port, archive);
  const images = await startS3('actas');
  buckets.push(images);
  const data = path.join(work, 'center');
  const deviceIds = Array.from({ length: CLIENTS }, (_, i) => `CATD-BENCH-${i + 1}`);
  const { catalog, election, start, devices } = await preparedCenter(data, 1, deviceIds, {
    scale: 'state',
    env: { ...process.env, ...ENV },
  });
  const contest = election.contests[0]!;
  const keys = actasEsperadas(catalog, contest).slice(0, total);
  if (keys.length < total) throw new Error(`the state catalog has ${keys.length} actas of ${contest.id}`);
  const server = await startServer(data, start, {
    ...ENV,
    ...images.env,
    OPENPREP_CHECKPOINT_SECONDS: '5',
    OPENPREP_RATE_LIMIT_PER_MINUTE: '1000000',
  });
  let next = 0;
  const sequences = new Map<string, number>();
  const send = async (until: number) => {
    await Promise.all(
      devices.map(async (device) => {
        for (let i = next++; i < until; i = next++) {
          const sequence = (sequences.get(device.id) ?? 0) + 1;
          sequences.set(device.id, sequence);
          const image = uniquePng(imageBytes, i + 1);
          const pkg = packageFor(device, image, {
            sequence,
            claimedKey: keys[i]!.actaKey,
            contest: contest.id,
          });
          const answer = await postPackageRaw(server.base, { ...pkg, image });
          if (answer.status !== 201) throw new Error(`package ${i}: ${answer.status} ${answer.body}`);
        }
      }),
    );
    next = until;
  };
  try {
    await send(Math.floor(total / 2));
    const backup = await script(['base-backup', '--source', url, '--out', path.join(clusters, 'base')]);
    if (backup.code !== 0) throw new Error(backup.stderr);
    await send(total);
  } finally {
    await stopServer(server.child);
  }
  const cut = await runCli(['cut', '--data', data], { env: { ...ENV, ...images.env } });
  if (cut.code !== 0) throw new Error(cut.stderr);
  const folder = /: (\S+) \(/.exec(cut.stdout)?.[1];
  if (folder === undefined) throw new Error(cut.stdout);
  const target = await targetThenLaterWrite(data, work, ENV);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const databaseBytes = Number(
    (await client.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n,
  );
  await client.end();

  const backupBucket = await startS3('actas-backup');
  buckets.push(backupBucket);
  const copyStarted = performance.now();
  const copied = await copyBucket(images, backupBucket);
  const copySeconds = (performance.now() - copyStarted) / 1000;
  await images.close();
  buckets.splice(buckets.indexOf(images), 1);

  const drill = await script(
    [
      'restore',
      '--base',
      path.join(clusters, 'base'),
      '--wal-archive',
      archive,
      '--target-time',
      pgTime(target),
      '--work',
      path.join(clusters, 'restore'),
      '--data',
      data,
      '--schema',
      SCHEMA,
      '--cut',
      folder,
      '--port',
      String(await freePortPair()),
      '--switch-wal',
      url,
    ],
    backupBucket.env,
  );
  if (drill.code !== 0) throw new Error(drill.stderr);
  const timings = JSON.parse(drill.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  let walBytes = 0;
  const segments = await readdir(archive);
  for (const segment of segments) walBytes += (await stat(path.join(archive, segment))).size;
  process.stdout.write(
    `${JSON.stringify({
      actas: total,
      image_bytes: imageBytes,
      images_copied_to_backup_bucket: copied,
      bucket_copy_s: Number(copySeconds.toFixed(2)),
      database_mb: Math.round(databaseBytes / 1_048_576),
      wal_archived_mb: Math.round(walBytes / 1_048_576),
      wal_segments: segments.length,
      ...timings,
      date: new Date().toISOString().slice(0, 10),
      cores: os.cpus().length,
    })}\n`,
  );
} finally {
  if (source !== null) await stopCluster(source);
  for (const s3 of buckets) await s3.close();
  await rm(work, { recursive: true, force: true });
}
