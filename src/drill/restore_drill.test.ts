/**
 * The restore drill (deploy/drills/restore.sh, docs/deployment.md "Restore"), run whole: a
 * private PostgreSQL cluster with WAL archiving (made here, never the machine's own), an
 * election on it with its images in an S3 bucket, a base backup while actas keep arriving, a
 * published cut, a recovery target after it and writes after the target; then the images
 * copied to a backup bucket and the first one lost, and the script restores the database into
 * a fresh cluster up to the target and checks it. Then the checks are shown to fail: a journal
 * row rewritten (hash and all) in the restored database, an image damaged in the bucket, and a
 * WAL archive with a damaged segment.
 */
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';
import { packageFor, postPackageRaw, uniquePng } from '../test/packages.ts';
import {
  clustersUnavailable,
  copyBucket,
  ownedByPostgres,
  pgTime,
  run,
  s3Client,
  script,
  targetThenLaterWrite,
  startCluster,
  stopCluster,
} from '../test/pg_cluster.ts';
import { freePortPair } from '../test/ports.ts';
import { startS3, type TestS3 } from '../test/s3.ts';

const unavailable = clustersUnavailable;
if (unavailable !== null && process.env['OPENPREP_REQUIRE_POSTGRES'] === '1') throw new Error(unavailable);
const SCHEMA = 'openprep_drill';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the restore drill: a point-in-time restore into a fresh cluster holds the published history, its images in the backup bucket', {
  skip: unavailable ?? false,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-restore-drill-'));
  await chmod(work, 0o755);
  const archive = await ownedByPostgres(path.join(work, 'wal-archive'));
  const clusters = await ownedByPostgres(path.join(work, 'clusters'), 0o755);
  const port = await freePortPair();
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const ENV = { DATABASE_URL: url, OPENPREP_DATABASE_SCHEMA: SCHEMA };
  let source: string | null = null;
  let restoredData: string | null = null;
  const buckets: TestS3[] = [];
  try {
    source = await startCluster(clusters, port, archive);
    const images = await startS3('actas');
    buckets.push(images);
    const data = path.join(work, 'center');
    const { catalog, election, start, devices } = await preparedCenter(data, 11, ['CATD-DRILL-1'], {
      env: { ...process.env, ...ENV },
    });
    const device = devices[0]!;
    const contest = election.contests[0]!;
    const keys = actasEsperadas(catalog, contest).slice(0, 24);
    const server = await startServer(data, start, { ...ENV, ...images.env });
    let sequence = 0;
    let beforeCut = 0;
    const send = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const key = keys[sequence]!;
        sequence++;
        const image = uniquePng(3_000, sequence);
        const pkg = packageFor(device, image, { sequence, claimedKey: key.actaKey, contest: contest.id });
        const answer = await postPackageRaw(server.base, { ...pkg, image });
        assert.equal(answer.status, 201, answer.body);
      }
    };
    try {
      await send(8);
      // The base backup while the night goes on.
      const backup = await script(['base-backup', '--source', url, '--out', path.join(clusters, 'base')]);
      assert.equal(backup.code, 0, backup.stderr);
      await sleep(1_100);
      beforeCut = Date.now();
      await sleep(1_100);
      await send(8);
    } finally {
      await stopServer(server.child);
    }
    const cut = await runCli(['cut', '--data', data], { env: { ...ENV, ...images.env } });
    assert.equal(cut.code, 0, cut.stderr);
    const folder = /: (\S+) \(/.exec(cut.stdout)?.[1];
    assert.ok(folder !== undefined, cut.stdout);
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as {
      journal: { size: number };
    };
    // The recovery target: after the cut; then writes the restore must not bring back.
    const target = await targetThenLaterWrite(data, work, ENV);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const sourceSize = Number((await client.query(`SELECT count(*) AS n FROM ${SCHEMA}.journal`)).rows[0].n);
    await client.end();

    // The object store's backup copy; then the first bucket is lost.
    const backupBucket = await startS3('actas-backup');
    buckets.push(backupBucket);
    assert.equal(await copyBucket(images, backupBucket), 16);
    await images.close();
    buckets.splice(buckets.indexOf(images), 1);

    const restorePort = await freePortPair();
    const restoreWork = path.join(clusters, 'restore');
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
        restoreWork,
        '--data',
        data,
        '--schema',
        SCHEMA,
        // No --cut: the last published one, as the cuts' latest.json names it.
        '--port',
        String(restorePort),
        '--switch-wal',
        url,
        '--keep',
      ],
      backupBucket.env,
    );
    restoredData = path.join(restoreWork, 'pgdata');
    assert.equal(
      drill.code,
      0,
      `${drill.stderr}\n${await readFile(path.join(restoreWork, 'postgresql.log'), 'utf8').catch(() => '')}`,
    );
    const timings = JSON.parse(drill.stdout.trim().split('\n').at(-1)!) as Record<string, number | string>;
    for (const phase of ['base_backup_s', 'restore_s', 'replay_s', 'verify_s', 'images_s', 'cut_verify_s'])
      assert.equal(typeof timings[phase], 'number', `${phase} in ${drill.stdout}`);
    process.stderr.write(`restore drill timings: ${JSON.stringify(timings)}\n`);
    // Everything up to the target — the cut and its CUT_PUBLISHED entry — and nothing after it.
    assert.equal(timings['journal_entries'], manifest.journal.size + 1);
    assert.ok(sourceSize > manifest.journal.size + 1, `${sourceSize}`);
    assert.match(drill.stderr, /journal OK: \d+ entries/);
    assert.match(
      drill.stderr,
      new RegExp(
        `published cut OK: cut ${path.basename(folder)}'s signed checkpoint \\(${manifest.journal.size} entries\\)`,
      ),
    );
    assert.match(drill.stderr, /images OK: the 16 images the store names are in s3:\/\/actas-backup/);
    assert.match(drill.stderr, /recovery stopping before/);

    const restoredUrl = `postgresql://postgres@127.0.0.1:${restorePort}/postgres`;
    const verifyRestored = (args: readonly string[], env: Record<string, string> = {}) =>
      runCli(['journal', 'verify', '--data', data, ...args], {
        env: { DATABASE_URL: restoredUrl, OPENPREP_DATABASE_SCHEMA: SCHEMA, ...env },
      });

    // An image damaged in the bucket: the same name, other bytes.
    const bucket = s3Client(backupBucket);
    const listed = await bucket.send(new ListObjectsV2Command({ Bucket: backupBucket.bucket }));
    const victim = listed.Contents![3]!.Key!;
    await bucket.send(
      new PutObjectCommand({ Bucket: backupBucket.bucket, Key: victim, Body: uniquePng(3_000, 999) }),
    );
    bucket.destroy();
    const damagedImage = await verifyRestored(['--images'], backupBucket.env);
    assert.equal(damagedImage.code, 1, damagedImage.stdout);
    assert.match(
      damagedImage.stderr,
      /of 16 images the store names, 0 are not in s3:\/\/actas-backup\/ at \S+ and 1 no longer hash to their names/,
    );

    // A journal row rewritten in the restored database, its leaf hash recomputed to match.
    const restored = new pg.Client({ connectionString: restoredUrl });
    await restored.connect();
    await restored.query('SET session_replication_role = replica'); // past the append-only triggers
    await restored.query(
      `UPDATE ${SCHEMA}.journal SET entry = entry || '\\x20'::bytea, leaf_hash = sha256('\\x00'::bytea || entry || '\\x20'::bytea) WHERE leaf_index = 5`,
    );
    await restored.end();
    const rewritten = await verifyRestored(['--cut', folder]);
    assert.equal(rewritten.code, 1, rewritten.stdout);
    assert.match(
      rewritten.stderr,
      /openprep journal verify: the journal's first \d+ entries are not the ones this center signed/,
    );

    // Restored to a time before the cut: the drill refuses what the public has seen is missing.
    const early = await script(
      [
        'restore',
        '--base',
        path.join(clusters, 'base'),
        '--wal-archive',
        archive,
        '--target-time',
        pgTime(beforeCut),
        '--work',
        path.join(clusters, 'restore-early'),
        '--data',
        data,
        '--schema',
        SCHEMA,
        '--cut',
        folder,
        '--port',
        String(await freePortPair()),
      ],
      backupBucket.env,
    );
    assert.equal(early.code, 1, early.stdout);
    assert.match(early.stderr, /recovery stopping before/);
    assert.match(
      early.stderr,
      /openprep journal verify: the journal holds \d+ entries but this center signed a checkpoint of \d+/,
    );
    assert.equal(early.stdout, '');

    // A WAL archive whose segments after the base backup are damaged: recovery cannot reach
    // the target, and the drill says so instead of verifying a shorter history.
    const damagedArchive = path.join(clusters, 'wal-archive-damaged');
    await run('cp', ['-a', archive, damagedArchive]);
    const inBackup = (await readdir(path.join(clusters, 'base', 'pg_wal')))
      .filter((f) => /^[0-9A-F]{24}$/.test(f))
      .sort();
    const after = (await readdir(damagedArchive)).filter(
      (f) => /^[0-9A-F]{24}$/.test(f) && f > inBackup.at(-1)!,
    );
    assert.ok(after.length > 0, `no archived segment after ${inBackup.at(-1)}`);
    for (const segment of after) {
      const file = await open(path.join(damagedArchive, segment), 'r+');
      await file.write(Buffer.alloc(8192), 0, 8192, 0);
      await file.close();
    }
    const broken = await script(
      [
        'restore',
        '--base',
        path.join(clusters, 'base'),
        '--wal-archive',
        damagedArchive,
        '--target-time',
        pgTime(target),
        '--work',
        path.join(clusters, 'restore-damaged'),
        '--data',
        data,
        '--schema',
        SCHEMA,
        '--cut',
        folder,
        '--port',
        String(await freePortPair()),
      ],
      backupBucket.env,
    );
    assert.equal(broken.code, 1, broken.stdout);
    assert.match(broken.stderr, /restore\.sh: the restored cluster (did not start|stopped during recovery)/);
    assert.equal(broken.stdout, '');
    assert.match(broken.stderr, /FATAL: +recovery ended before configured recovery target was reached/);
  } finally {
    if (restoredData !== null) await stopCluster(restoredData);
    for (const other of ['restore-early', 'restore-damaged'])
      await stopCluster(path.join(clusters, other, 'pgdata'));
    if (source !== null) await stopCluster(source);
    for (const s3 of buckets) await s3.close();
    await rm(work, { recursive: true, force: true });
  }
});
