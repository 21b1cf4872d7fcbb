/**
 * The cut store contract (cut_store.contract.ts) on both stores: a folder, and a bucket of the
 * S3 test server (src/test/s3.ts); and what only S3 adds — the headers a CDN serves.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_CREDENTIALS, startS3, type TestS3 } from '../test/s3.ts';
import { cutStoreContract } from './cut_store.contract.ts';
import { FolderCutStore } from './folder_cut_store.ts';
import { IMMUTABLE_CACHE, LATEST_CACHE, S3CutStore } from './s3_cut_store.ts';

cutStoreContract('folder', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-cut-store-'));
  return {
    store: new FolderCutStore(path.join(work, 'cuts')),
    close: () => rm(work, { recursive: true, force: true }),
  };
});

let s3: TestS3 | null = null;
let prefixes = 0;
after(async () => s3?.close());
const settings = async () => {
  s3 ??= await startS3('cortes');
  return {
    bucket: s3.bucket,
    prefix: `t${++prefixes}/`,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  };
};

cutStoreContract('S3', async () => {
  const store = new S3CutStore(await settings());
  return { store, close: async () => store.close() };
});

test('S3: a cut file is served immutable with its type; the pointer briefly cached', async () => {
  const given = await settings();
  const store = new S3CutStore(given);
  const client = new S3Client({ ...given });
  try {
    assert.ok((await store.putCut('20240602_2100', new Map([['a.csv', Buffer.from('x\n')]]))).ok);
    assert.ok((await store.writeLatest(Buffer.from('{}'), Buffer.from('s\n'))).ok);
    const head = (key: string) =>
      client.send(new HeadObjectCommand({ Bucket: given.bucket, Key: `${given.prefix}${key}` }));
    const file = await head('20240602_2100/a.csv');
    assert.equal(file.CacheControl, IMMUTABLE_CACHE);
    assert.equal(file.ContentType, 'text/csv; charset=utf-8');
    const latest = await head('latest.json');
    assert.equal(latest.CacheControl, LATEST_CACHE);
    assert.equal(latest.ContentType, 'application/json; charset=utf-8');
    // A bucket that is not there is named at the check.
    const missing = new S3CutStore({ ...given, bucket: 'no-such-bucket' });
    const checked = await missing.check();
    assert.ok(!checked.ok && /there is no bucket no-such-bucket/.test(checked.message));
    missing.close();
  } finally {
    store.close();
    client.destroy();
  }
});
