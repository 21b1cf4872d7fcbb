/**
 * Acta images for the public. Every image a cut names in CODIGO_INTEGRIDAD is copied from the
 * center's image store to `<cuts root>/imagenes/sha256/<first 2 hex>/<other 62 hex>` — named by
 * its SHA-256 and nothing else, so the name is the check: the site recomputes the hash in the
 * reader's browser, and `openprep verify --images <cuts root>/imagenes` checks them all (V13).
 * Copied before the cut's pointer moves, so a reader never follows a cut to a missing image.
 * Once there an image never changes; later cuts copy only the new ones.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../images/blob_store.ts';
import { closeFd, fsyncFd, openFd, syncDirectory, writeAllFd, pathExists } from '../platform/durable_file.ts';

export const PUBLIC_IMAGES = 'imagenes';
const PARALLEL = 8;

/** The public name of an image, relative to the cuts root: `imagenes/sha256/ab/cdef…`. */
export function publicImageName(sha256: string): string {
  return `${PUBLIC_IMAGES}/sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`;
}

export interface PublishedImages {
  readonly copied: number;
  readonly present: number;
  /** Named by the cut but not in the image store, or no longer whole there: not published. */
  readonly missing: readonly string[];
}

/**
 * Copies the images not yet public. `known` (kept by a long-running publisher) spares a stat
 * per image at each cut. A store that cannot be reached is an exception for the caller: the
 * cut waits rather than point readers at images that are not there.
 */
export async function publishImages(options: {
  readonly blobs: BlobStore;
  readonly cutsRoot: string;
  readonly hashes: Iterable<string>;
  readonly known?: Set<string>;
}): Promise<PublishedImages> {
  const queue = [...new Set(options.hashes)].filter(
    (h) => /^[0-9a-f]{64}$/.test(h) && !options.known?.has(h),
  );
  const touched = new Set<string>();
  const missing: string[] = [];
  let copied = 0;
  let present = 0;
  const worker = async () => {
    for (let hash = queue.shift(); hash !== undefined; hash = queue.shift()) {
      const target = path.join(options.cutsRoot, ...publicImageName(hash).split('/'));
      if (await pathExists(target)) {
        present++;
        options.known?.add(hash);
        continue;
      }
      const image = await options.blobs.get(hash);
      if (!image.ok) {
        if (image.code === 'unavailable')
          throw new Error(`the image store cannot be reached: ${image.message}`);
        missing.push(hash);
        continue;
      }
      const directory = path.dirname(target);
      await mkdir(directory, { recursive: true });
      // Whole or absent: written aside, synced, renamed into place.
      const temporary = `${target}.${randomBytes(4).toString('hex')}.tmp`;
      const fd = await openFd(temporary, 'w', 0o644);
      try {
        await writeAllFd(fd, image.value.bytes);
        await fsyncFd(fd);
      } finally {
        await closeFd(fd);
      }
      await rename(temporary, target);
      touched.add(directory);
      copied++;
      options.known?.add(hash);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  for (const directory of touched) await syncDirectory(directory);
  if (touched.size > 0) {
    await syncDirectory(path.join(options.cutsRoot, PUBLIC_IMAGES, 'sha256'));
    await syncDirectory(path.join(options.cutsRoot, PUBLIC_IMAGES));
    await syncDirectory(options.cutsRoot);
  }
  return { copied, present, missing };
}
