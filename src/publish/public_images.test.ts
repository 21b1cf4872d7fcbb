import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FolderBlobStore } from '../images/blob_store.ts';
import { makePng } from '../test/packages.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_CREDENTIALS, startS3 } from '../test/s3.ts';
import { publicImageName, publishImages } from './public_images.ts';
import { IMMUTABLE_CACHE, S3CutStore } from './s3_cut_store.ts';

let work: string;
let blobs: FolderBlobStore;
const images = [makePng(20, 20, { seed: 1 }), makePng(20, 20, { seed: 2 }), makePng(20, 20, { seed: 3 })];
const hashes = images.map((image) => sha256Hex(image));

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-public-images-'));
  blobs = new FolderBlobStore(path.join(work, 'images'));
  for (const [i, image] of images.entries())
    assert.ok((await blobs.put({ sha256: hashes[i]!, kind: 'png' }, { data: image })).ok);
});

after(async () => {
  blobs.close();
  await rm(work, { recursive: true, force: true });
});

test('images named by a cut are copied once, named by their hash; missing ones are reported, not invented', async () => {
  const cuts = path.join(work, 'cuts');
  const absent = 'f'.repeat(64);
  const first = await publishImages({
    blobs,
    cuts,
    hashes: [hashes[0]!, hashes[1]!, hashes[0]!, absent],
  });
  assert.deepEqual(first, { copied: 2, present: 0, missing: [absent] });
  for (const i of [0, 1])
    assert.deepEqual(await readFile(path.join(cuts, ...publicImageName(hashes[i]!).split('/'))), images[i]);
  // No temporary file is left beside them.
  const folder = path.dirname(path.join(cuts, ...publicImageName(hashes[0]!).split('/')));
  assert.ok((await readdir(folder)).every((name) => !name.endsWith('.tmp')));

  // The next cut: only the new image is copied; with `known`, the old ones are not even looked at.
  const known = new Set<string>();
  const second = await publishImages({ blobs, cuts, hashes, known });
  assert.deepEqual(second, { copied: 1, present: 2, missing: [] });
  assert.equal(known.size, 3);
  await writeFile(path.join(cuts, ...publicImageName(hashes[2]!).split('/')), 'not looked at again');
  assert.deepEqual(await publishImages({ blobs, cuts, hashes, known }), {
    copied: 0,
    present: 0,
    missing: [],
  });
});

test('an image that no longer hashes to its name in the store is not published', async () => {
  const cuts = path.join(work, 'cuts-corrupt');
  const stored = path.join(work, 'images', 'sha256', hashes[1]!.slice(0, 2), `${hashes[1]!.slice(2)}.png`);
  const original = await readFile(stored);
  await writeFile(stored, Buffer.concat([original, Buffer.from([0])]));
  try {
    assert.deepEqual(await publishImages({ blobs, cuts, hashes: [hashes[1]!] }), {
      copied: 0,
      present: 0,
      missing: [hashes[1]!],
    });
  } finally {
    await writeFile(stored, original);
  }
});

test('to an S3 cut store: the images under imagenes/sha256/…, with their type, copied once', async () => {
  const s3 = await startS3('cortes');
  const settings = {
    bucket: 'cortes',
    prefix: 'pef2024/',
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  };
  const cuts = new S3CutStore(settings);
  const client = new S3Client({ ...settings });
  try {
    assert.deepEqual(await publishImages({ blobs, cuts, hashes }), { copied: 3, present: 0, missing: [] });
    assert.deepEqual(await publishImages({ blobs, cuts, hashes }), { copied: 0, present: 3, missing: [] });
    const object = await client.send(
      new GetObjectCommand({ Bucket: 'cortes', Key: `pef2024/${publicImageName(hashes[0]!)}` }),
    );
    assert.equal(object.ContentType, 'image/png');
    assert.equal(object.CacheControl, IMMUTABLE_CACHE);
    assert.deepEqual(Buffer.from(await object.Body!.transformToByteArray()), images[0]);
  } finally {
    cuts.close();
    client.destroy();
    await s3.close();
  }
});
