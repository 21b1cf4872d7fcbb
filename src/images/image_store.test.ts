import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os, { hostname } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { pngOfSize } from '../test/packages.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { imagePath } from './blob_store.ts';
import { ImageStore } from './image_store.ts';

const LIMITS = { maxBytes: 8 * 1024 * 1024, maxPixels: 50_000_000 };

/** An upload arriving in chunks, as a request body does. */
function upload(bytes: Buffer, chunk = 16 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
    })(),
  );
}

async function store(): Promise<ImageStore> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'openprep-images-'));
  after(() => rm(root, { recursive: true, force: true }));
  const images = new ImageStore(root);
  await images.init();
  return images;
}

async function stagedFiles(images: ImageStore): Promise<string[]> {
  const entries = await readdir(path.join(images.root, 'staging'), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

async function commitOf(images: ImageStore, bytes: Buffer): Promise<string> {
  const staged = await images.stage(upload(bytes), LIMITS);
  assert.ok(staged.ok, staged.ok ? '' : staged.message);
  const stored = await staged.value.commit();
  assert.ok(stored.ok, stored.ok ? '' : stored.message);
  return stored.value;
}

describe('image store', () => {
  test('an image is stored under its SHA-256, with nothing left in staging', async () => {
    const images = await store();
    const image = pngOfSize(100_000, 1);
    const target = await commitOf(images, image);
    assert.equal(target, imagePath(images.root, sha256Hex(image), 'png'));
    assert.deepEqual(await readFile(target), image);
    assert.deepEqual(await stagedFiles(images), []);
  });

  test('an image larger than the in-memory limit is streamed through staging to the same place', async () => {
    const images = await store();
    const image = pngOfSize(3 * 1024 * 1024, 2);
    const target = await commitOf(images, image);
    assert.equal(target, imagePath(images.root, sha256Hex(image), 'png'));
    assert.deepEqual(await readFile(target), image);
    assert.deepEqual(await stagedFiles(images), []);
  });

  test('an image the caller holds (intake with the gate) is never staged to a file; past what it holds, it is', async () => {
    const images = await store();
    const image = pngOfSize(3 * 1024 * 1024, 4);
    const held = await images.stage(upload(image), LIMITS, 4 * 1024 * 1024);
    assert.ok(held.ok, held.ok ? '' : held.message);
    assert.deepEqual(await stagedFiles(images), [], 'nothing written before the gate');
    assert.deepEqual(await held.value.read(), image);
    await held.value.discard();
    assert.deepEqual(await stagedFiles(images), []);
    const other = pngOfSize(3 * 1024 * 1024, 5);
    const spilled = await images.stage(upload(other), LIMITS, 2 * 1024 * 1024);
    assert.ok(spilled.ok, spilled.ok ? '' : spilled.message);
    assert.equal((await stagedFiles(images)).length, 1, 'past 2 MiB, the upload went to its staging file');
    assert.deepEqual(await spilled.value.read(), other);
    const stored = await spilled.value.commit();
    assert.ok(stored.ok);
    assert.deepEqual(await readFile(stored.value), other);
    assert.deepEqual(await stagedFiles(images), []);
  });

  test('held memory is reused once an image is committed or discarded, and each image is stored as itself', async () => {
    const images = await store();
    const first = pngOfSize(1_500_000, 6);
    const held = await images.stage(upload(first), LIMITS, LIMITS.maxBytes);
    assert.ok(held.ok, held.ok ? '' : held.message);
    const firstMemory = (await held.value.read()).buffer;
    const firstStored = await held.value.commit();
    assert.ok(firstStored.ok);
    await assert.rejects(held.value.read(), /after it was committed/);
    // The next upload of that size lands in the same memory, over the first one's bytes.
    const second = pngOfSize(1_400_000, 7);
    const next = await images.stage(upload(second), LIMITS, LIMITS.maxBytes);
    assert.ok(next.ok, next.ok ? '' : next.message);
    assert.equal((await next.value.read()).buffer, firstMemory);
    assert.deepEqual(await next.value.read(), second);
    const secondStored = await next.value.commit();
    assert.ok(secondStored.ok);
    assert.deepEqual(await readFile(firstStored.value), first);
    assert.deepEqual(await readFile(secondStored.value), second);
    // A discarded one is given back too, and never committed after.
    const third = await images.stage(upload(pngOfSize(1_300_000, 8)), LIMITS, LIMITS.maxBytes);
    assert.ok(third.ok);
    assert.equal((await third.value.read()).buffer, firstMemory);
    await third.value.discard();
    await assert.rejects(third.value.commit(), /after it was discarded/);
  });

  test('a short file left under the name by a crash is replaced; an identical one is kept', async () => {
    const images = await store();
    const image = pngOfSize(100_000, 3);
    const target = await commitOf(images, image);
    // What a crash in the middle of the first write leaves: the name, with only part of the bytes.
    await writeFile(target, image.subarray(0, 4096));
    await commitOf(images, image);
    assert.deepEqual(await readFile(target), image);
    const before = await stat(target);
    await commitOf(images, image);
    assert.equal((await stat(target)).ino, before.ino, 'the same bytes are not written again');
  });

  test('the same image uploaded many times at once ends whole, once', async () => {
    const images = await store();
    const image = pngOfSize(200_000, 4);
    const targets = await Promise.all(Array.from({ length: 12 }, () => commitOf(images, image)));
    assert.equal(new Set(targets).size, 1);
    assert.deepEqual(await readFile(targets[0]!), image);
    assert.deepEqual(await readdir(path.dirname(targets[0]!)), [path.basename(targets[0]!)]);
  });

  test('a refused upload leaves no file behind', async () => {
    const images = await store();
    const notImage = Buffer.alloc(50_000, 0x41);
    const refused = await images.stage(upload(notImage), LIMITS);
    assert.ok(!refused.ok && refused.code === 'not-an-image');
    const tooLarge = await images.stage(upload(pngOfSize(200_000, 5)), { ...LIMITS, maxBytes: 100_000 });
    assert.ok(!tooLarge.ok && tooLarge.code === 'too-large');
    const spilled = await images.stage(upload(Buffer.concat([Buffer.alloc(2 * 1024 * 1024, 0x41)])), LIMITS);
    assert.ok(!spilled.ok && spilled.code === 'not-an-image');
    assert.deepEqual(await stagedFiles(images), []);
    assert.deepEqual(await readdir(images.root), ['staging']);
  });

  test("a new process clears the staging folders of processes that are gone, never a live one's", async () => {
    const images = await store();
    const gone = path.join(images.root, 'staging', `${hostname()}-999999999`);
    const alive = path.join(images.root, 'staging', `${hostname()}-${process.ppid}`);
    const elsewhere = path.join(images.root, 'staging', 'another-machine-999999999');
    for (const [folder, file] of [
      [gone, 'x.part'],
      [alive, 'y.part'],
      [elsewhere, 'z.part'],
    ] as const) {
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, file), 'bytes');
    }
    await new ImageStore(images.root).init();
    assert.deepEqual((await stagedFiles(images)).sort(), ['y.part', 'z.part']);
  });
});
