/**
 * The contract every image blob store must pass (the folder and S3): run it from a test file
 * with a function that opens a fresh, empty store.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pngOfSize } from '../test/packages.ts';
import type { BlobName, BlobStore } from './blob_store.ts';
import { sha256Hex } from '../platform/hashing.ts';

export interface OpenedBlobStore {
  readonly store: BlobStore;
  /** A folder for staged files, on the same file system as a folder store (as the image store's staging is). */
  readonly staging: string;
  /** Puts `bytes` under `name` behind the store's back, as bit rot or a careless hand would. */
  tamper(name: BlobName, bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

function nameOf(bytes: Buffer): BlobName {
  return { sha256: sha256Hex(bytes), kind: 'png' };
}

async function stored(store: BlobStore, sha256: string): Promise<Buffer> {
  const got = await store.get(sha256);
  assert.ok(got.ok, got.ok ? '' : got.message);
  return got.value.bytes;
}

export function blobStoreContract(name: string, open: () => Promise<OpenedBlobStore>): void {
  describe(`blob store contract: ${name}`, () => {
    test('an image put from memory is there under its name, of its kind', async () => {
      const opened = await open();
      try {
        const { store } = opened;
        assert.ok((await store.check()).ok);
        const image = pngOfSize(50_000, 1);
        const put = await store.put(nameOf(image), { data: image });
        assert.ok(put.ok, put.ok ? '' : put.message);
        const got = await store.get(nameOf(image).sha256);
        assert.ok(got.ok);
        assert.equal(got.value.kind, 'png');
        assert.deepEqual(got.value.bytes, image);
        assert.deepEqual(await store.exists(nameOf(image)), { ok: true, value: true });
        assert.deepEqual(await store.exists({ ...nameOf(image), kind: 'jpg' }), { ok: true, value: false });
      } finally {
        await opened.close();
      }
    });

    test('a large image put from a staged file arrives whole', async () => {
      const opened = await open();
      try {
        const image = pngOfSize(3 * 1024 * 1024, 2);
        const file = path.join(opened.staging, 'large.part');
        await writeFile(file, image);
        const put = await opened.store.put(nameOf(image), { file, bytes: image.length });
        assert.ok(put.ok, put.ok ? '' : put.message);
        assert.deepEqual(await stored(opened.store, nameOf(image).sha256), image);
      } finally {
        await opened.close();
      }
    });

    test('the same bytes put twice are fine, and stay the same bytes', async () => {
      const opened = await open();
      try {
        const image = pngOfSize(20_000, 3);
        for (let i = 0; i < 2; i++) assert.ok((await opened.store.put(nameOf(image), { data: image })).ok);
        assert.deepEqual(await stored(opened.store, nameOf(image).sha256), image);
      } finally {
        await opened.close();
      }
    });

    test('one image put many times at once ends whole', async () => {
      const opened = await open();
      try {
        const image = pngOfSize(200_000, 4);
        const puts = await Promise.all(
          Array.from({ length: 12 }, () => opened.store.put(nameOf(image), { data: image })),
        );
        assert.ok(puts.every((p) => p.ok));
        assert.equal(new Set(puts.map((p) => (p.ok ? p.value : ''))).size, 1);
        assert.deepEqual(await stored(opened.store, nameOf(image).sha256), image);
      } finally {
        await opened.close();
      }
    });

    test('an image never put is not found', async () => {
      const opened = await open();
      try {
        const missing = sha256Hex(Buffer.from('never stored'));
        const got = await opened.store.get(missing);
        assert.ok(!got.ok && got.code === 'not-found');
        assert.deepEqual(await opened.store.exists({ sha256: missing, kind: 'png' }), {
          ok: true,
          value: false,
        });
      } finally {
        await opened.close();
      }
    });

    test('bytes that no longer hash to their name are never handed out', async () => {
      const opened = await open();
      try {
        const image = pngOfSize(20_000, 5);
        assert.ok((await opened.store.put(nameOf(image), { data: image })).ok);
        await opened.tamper(nameOf(image), image.subarray(0, 4096));
        const got = await opened.store.get(nameOf(image).sha256);
        assert.ok(!got.ok && got.code === 'corrupt', got.ok ? 'handed out' : got.message);
      } finally {
        await opened.close();
      }
    });
  });
}
