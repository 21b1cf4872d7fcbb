/**
 * Test helpers for the restore drill (deploy/drills/restore.sh): private PostgreSQL clusters
 * made with the machine's binaries (/usr/lib/postgresql/<version>/bin), owned by the postgres user when
 * the tests run as root — never the machine's own cluster, whose configuration stays as it
 * is — with WAL archiving into a folder; a bucket copied to another (what a replication rule
 * or `aws s3 sync` does); the script itself.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_CREDENTIALS, type TestS3 } from './s3.ts';
import { runCli } from './center_process.ts';

export const run = promisify(execFile);
/** The drill's script. */
export const RESTORE_SCRIPT = path.join(import.meta.dirname, '..', '..', 'deploy', 'drills', 'restore.sh');
const PGBIN = (() => {
  try {
    const versions = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']);
    const dir = versions.stdout.toString().trim();
    return dir === '' ? null : dir;
  } catch {
    return null;
  }
})();
const isRoot = process.getuid?.() === 0;
const hasPostgresUser = spawnSync('id', ['postgres']).status === 0;
/** Null when private clusters can be made here; otherwise why not. */
export const clustersUnavailable =
  PGBIN === null
    ? 'no PostgreSQL binaries under /usr/lib/postgresql/<version>/bin'
    : isRoot && !hasPostgresUser
      ? 'running as root without a postgres user to own the clusters'
      : null;

/** A PostgreSQL command as the clusters' owner (postgres when the test runs as root). */
export async function asPostgres(command: string, args: readonly string[]) {
  const [file, argv] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', path.join(PGBIN!, command), ...args]]
    : [path.join(PGBIN!, command), [...args]];
  return run(file, argv, { maxBuffer: 16 * 1024 * 1024 });
}

export async function ownedByPostgres(directory: string, mode = 0o700): Promise<string> {
  await mkdir(directory, { recursive: true });
  await chmod(directory, mode);
  if (isRoot) {
    const id = spawnSync('id', ['-u', 'postgres']).stdout.toString().trim();
    const gid = spawnSync('id', ['-g', 'postgres']).stdout.toString().trim();
    await chown(directory, Number(id), Number(gid));
  }
  return directory;
}

/** A private cluster with WAL archiving into `archive`, on loopback at `port`, trust auth. */
export async function startCluster(work: string, port: number, archive: string): Promise<string> {
  const pgdata = path.join(work, 'source');
  await asPostgres('initdb', ['-D', pgdata, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  // The drill's settings after initdb's own (the later line wins); written by the owner.
  const settings = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${work}'`,
    'wal_level = replica',
    'archive_mode = on',
    `archive_command = 'test ! -f "${archive}/%f" && cp "%p" "${archive}/%f"'`,
    '',
  ].join('\n');
  const [file, argv] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', 'sh', '-c', `cat >> '${pgdata}/postgresql.conf'`]]
    : ['sh', ['-c', `cat >> '${pgdata}/postgresql.conf'`]];
  const appended = spawnSync(file, argv, { input: settings });
  assert.equal(appended.status, 0, appended.stderr.toString());
  const log = path.join(work, 'source.log');
  await asPostgres('pg_ctl', ['-D', pgdata, '-l', log, '-w', 'start']).catch(async (error) => {
    throw new Error(`${(error as Error).message}\n${await readFile(log, 'utf8').catch(() => '')}`);
  });
  return pgdata;
}

export async function stopCluster(pgdata: string): Promise<void> {
  await asPostgres('pg_ctl', ['-D', pgdata, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
}

export function s3Client(s3: TestS3): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
}

/**
 * Copies every object of one bucket to another: what a replication rule or `aws s3 sync` does.
 * Listed one `sha256/<2 hex>/` prefix at a time: s3rver fails any listing that would be
 * truncated (its continuation token uses a cipher OpenSSL 3 refuses), and no prefix holds
 * 1,000 images below ~250,000 of them.
 */
export async function copyBucket(from: TestS3, to: TestS3): Promise<number> {
  const source = s3Client(from);
  const target = s3Client(to);
  let copied = 0;
  const copy = async (key: string) => {
    const got = await source.send(new GetObjectCommand({ Bucket: from.bucket, Key: key }));
    const body = await got.Body!.transformToByteArray();
    await target.send(new PutObjectCommand({ Bucket: to.bucket, Key: key, Body: body }));
    copied++;
  };
  for (let prefix = 0; prefix < 256; prefix++) {
    let token: string | undefined;
    do {
      const page = await source.send(
        new ListObjectsV2Command({
          Bucket: from.bucket,
          Prefix: `sha256/${prefix.toString(16).padStart(2, '0')}/`,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      const keys = (page.Contents ?? []).map((object) => object.Key!);
      for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map(copy));
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
  source.destroy();
  target.destroy();
  return copied;
}

/** Runs deploy/drills/restore.sh with extra environment. */
export function script(args: readonly string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'bash',
      [RESTORE_SCRIPT, ...args],
      { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
          stdout,
          stderr,
        }),
    );
  });
}

/** PostgreSQL's recovery_target_time form of an instant, in UTC. */
export const pgTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '+00');

/**
 * The drill's recovery target: a moment a second after everything so far, then a write a second
 * later (a device enrolled) that a restore to that target must not bring back. Returns the target.
 */
export async function targetThenLaterWrite(
  data: string,
  work: string,
  env: Record<string, string>,
): Promise<number> {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await sleep(1_100);
  const target = Date.now();
  await sleep(1_100);
  const later = await runCli(
    [
      'device',
      'enroll',
      '--data',
      data,
      '--id',
      'CATD-LATE-1',
      '--origin',
      'CATD',
      '--bound-to',
      'CATD-1',
      '--generate-key',
      path.join(work, 'late.key'),
    ],
    { env },
  );
  if (later.code !== 0) throw new Error(`the write after the target failed: ${later.stderr}`);
  return target;
}
