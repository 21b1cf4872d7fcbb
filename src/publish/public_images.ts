/**
 * Acta images for the public. Every image a cut names in CODIGO_INTEGRIDAD is copied from the
 * center's image store to the cut store's `imagenes/sha256/<first 2 hex>/<other 62 hex>` — named by
 * its SHA-256 and nothing else, so the name is the check: the site recomputes the hash in the
 * reader's browser, and `openprep verify --images <cuts root>/imagenes` checks them all (V13).
 * Copied before the cut's pointer moves, so a reader never follows a cut to a missing image.
 * Once there an image never changes; later cuts copy only the new ones.
 */
import type { BlobStore } from '../images/blob_store.ts';
import type { CutStore } from './cut_store.ts';
import { FolderCutStore } from './folder_cut_store.ts';

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
  /** The cut store, or a cuts folder. */
  readonly cuts: CutStore | string;
  readonly hashes: Iterable<string>;
  readonly known?: Set<string>;
}): Promise<PublishedImages> {
  const store = typeof options.cuts === 'string' ? new FolderCutStore(options.cuts) : options.cuts;
  const queue = [...new Set(options.hashes)].filter(
    (h) => /^[0-9a-f]{64}$/.test(h) && !options.known?.has(h),
  );
  const missing: string[] = [];
  let copied = 0;
  let present = 0;
  const unreachable = (message: string) => new Error(`the cut store cannot be reached: ${message}`);
  const worker = async () => {
    for (let hash = queue.shift(); hash !== undefined; hash = queue.shift()) {
      const name = publicImageName(hash);
      const there = await store.has(name);
      if (!there.ok) throw unreachable(there.message);
      if (there.value) {
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
      const put = await store.putFile(name, image.value.bytes, {
        contentType: image.value.kind === 'jpg' ? 'image/jpeg' : 'image/png',
      });
      if (!put.ok) {
        // Named by its hash: other bytes under its name were never this image.
        if (put.code === 'different') throw new Error(put.message);
        throw unreachable(put.message);
      }
      if (put.value === 'written') copied++;
      else present++;
      options.known?.add(hash);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  await store.sync();
  return { copied, present, missing };
}
