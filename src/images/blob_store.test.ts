/**
 * Both image blob stores pass one contract: the folder in a temporary directory, and S3
 * against a real S3 protocol server on loopback (s3rver, from npm). Then what only S3 has:
 * the key layout under a prefix, and clear failures for a wrong bucket, address or key.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { pngOfSize } from '../test/packages.ts';
import { S3_CREDENTIALS, startS3, type TestS3 } from '../test/s3.ts';
import { blobStoreContract } from './blob_store.contract.ts';
import { blobName, FolderBlobStore, imagePath } from './blob_store.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { S3BlobStore, type S3Settings } from './s3_blob_store.ts';

let s3: TestS3;
let raw: S3Client;
let stores = 0;

before(async () => {
  s3 = await startS3();
  raw = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
});

after(async () => {
  raw.destroy();
  await s3.close();
});

function settings(extra: Partial<S3Settings> = {}): S3Settings {
  return {
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    ...extra,
  };
}

async function temporary(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'openprep-blobs-'));
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

blobStoreContract('folder', async () => {
  const root = await temporary();
  const staging = path.join(root, 'staging', 'test');
  await mkdir(staging, { recursive: true });
  return {
    store: new FolderBlobStore(root),
    staging,
    tamper: (name, bytes) => writeFile(imagePath(root, name.sha256, name.kind), bytes),
    close: () => rm(root, { recursive: true, force: true }),
  };
});

blobStoreContract('s3', async () => {
  // A fresh prefix in the one bucket is a fresh, empty store.
  const prefix = `contract-${++stores}/`;
  const staging = await temporary();
  const store = new S3BlobStore(settings({ prefix }));
  return {
    store,
    staging,
    tamper: async (name, bytes) => {
      await raw.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: `${prefix}${blobName(name.sha256, name.kind)}`,
          Body: bytes,
        }),
      );
    },
    close: async () => {
      store.close();
      await rm(staging, { recursive: true, force: true });
    },
  };
});

describe('S3 blob store', () => {
  test('an image is the object <prefix>/sha256/<2 hex>/<62 hex>.<kind>, with its content type', async () => {
    const store = new S3BlobStore(settings({ prefix: 'pef2024/imagenes' }));
    try {
      const image = pngOfSize(10_000, 7);
      const sha256 = sha256Hex(image);
      const put = await store.put({ sha256, kind: 'png' }, { data: image });
      assert.ok(put.ok);
      const key = `pef2024/imagenes/sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}.png`;
      assert.equal(put.value, `s3://${s3.bucket}/${key}`);
      const object = await raw.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      assert.equal(object.ContentType, 'image/png');
      assert.deepEqual(Buffer.from(await object.Body!.transformToByteArray()), image);
    } finally {
      store.close();
    }
  });

  test('a missing bucket, a wrong address or a wrong key is a clear "unavailable", never a throw', async () => {
    const missing = new S3BlobStore(settings({ bucket: 'no-such-bucket' }));
    const nowhere = new S3BlobStore(settings({ endpoint: `http://127.0.0.1:${await closedPort()}` }));
    const stranger = new S3BlobStore(
      settings({ credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'NOTHING' } }),
    );
    try {
      const checks = await Promise.all([missing.check(), nowhere.check(), stranger.check()]);
      assert.ok(checks.every((c) => !c.ok && c.code === 'unavailable'));
      const [noBucket, noServer, denied] = checks.map((c) => (c.ok ? '' : c.message));
      assert.match(noBucket!, /there is no bucket no-such-bucket/);
      assert.match(noServer!, /ECONNREFUSED/);
      assert.match(denied!, /access denied/);
      const image = pngOfSize(5_000, 8);
      const put = await nowhere.put({ sha256: sha256Hex(image), kind: 'png' }, { data: image });
      assert.ok(!put.ok && put.code === 'unavailable', put.ok ? 'stored' : put.message);
      const got = await nowhere.get(sha256Hex(image));
      assert.ok(!got.ok && got.code === 'unavailable');
    } finally {
      for (const store of [missing, nowhere, stranger]) store.close();
    }
  });
});
