/**
 * A node that shares nothing on disk with the others: its own empty (not even created)
 * `--data` folder, and DATABASE_URL, the S3 variables (images and cuts), the signer's socket and
 * the election's secrets key file — what a machine of a deployment without a shared file system
 * is given. `init` ran once, on another node; this one runs `serve` (ready, operators' accounts
 * open) and `openprep cut` (the cut in the bucket) with nothing more, and its folder holds no
 * key, no cut and no image afterwards.
 *
 * Needs PostgreSQL; says it was skipped without it (CI has it).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';
import { dropSchemas, postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';
import { S3_CREDENTIALS, startS3 } from '../test/s3.ts';
import { startSigner } from '../test/signer.ts';

const unavailable = await postgresUnavailable();
const SCHEMA = `freshnode_${process.pid}`;

test('a node on its own empty data folder serves and publishes cuts with the database, the buckets, the signer and the secrets key', {
  skip: unavailable ?? false,
  timeout: 180_000,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-fresh-node-'));
  const s3 = await startS3('actas');
  let signer: ChildProcess | null = null;
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
  try {
    await dropSchemas([SCHEMA]);
    const socket = path.join(work, 'run', 'signer.sock');
    await mkdir(path.dirname(socket), { recursive: true });
    signer = await startSigner(path.join(work, 'signer', 'openprep.PEF2024.simulacro.key'), socket, [
      '--create-key',
    ]);
    const env = {
      ...s3.env,
      DATABASE_URL: TEST_DATABASE_URL,
      OPENPREP_DATABASE_SCHEMA: SCHEMA,
      OPENPREP_SIGNER_SOCKET: socket,
      OPENPREP_SECRETS_KEY_FILE: path.join(work, 'etc', 'secrets.key'),
      OPENPREP_CUT_STORE: 's3',
      OPENPREP_CUTS_BUCKET: 'actas',
      OPENPREP_CUTS_PREFIX: 'cortes/',
    };
    // init, once, on the first node (it writes the secrets key file to hand out).
    const prepared = await preparedCenter(path.join(work, 'node-a'), 51, [], {
      env: { ...process.env, ...env },
    });
    assert.equal(prepared.election.id, 'PEF2024');

    const fresh = path.join(work, 'node-c');
    const { child, base } = await startServer(fresh, prepared.start, { ...env, OPENPREP_NODE_ID: 'node-c' });
    try {
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
    } finally {
      await stopServer(child);
    }
    const cut = await runCli(['cut', '--data', fresh], { env: { ...env, OPENPREP_NODE_ID: 'node-c' } });
    assert.equal(cut.code, 0, cut.stderr);
    const id = /^cut (\d{8}_\d{4}) #1: s3:\/\/actas\/cortes\/\1\//m.exec(cut.stdout)?.[1];
    assert.ok(id !== undefined, cut.stdout);
    const latest = await client.send(new GetObjectCommand({ Bucket: 'actas', Key: 'cortes/latest.json' }));
    assert.equal(JSON.parse(await latest.Body!.transformToString()).cut, id);
    // The folder: the node's own staging of uploads, and the mark of the breach corpus this node
    // last re-checked the accounts against (lost, it only makes the node check them again);
    // nothing shared.
    const files = (await readdir(fresh, { recursive: true })).sort();
    assert.ok(
      files.every(
        (f) =>
          f === 'images' || f.startsWith(`images${path.sep}staging`) || f === 'breached-passwords.checked',
      ),
      `only staging in the node's folder: ${files.join(' ')}`,
    );
  } finally {
    signer?.kill('SIGTERM');
    client.destroy();
    await s3.close();
    await dropSchemas([SCHEMA]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
});
