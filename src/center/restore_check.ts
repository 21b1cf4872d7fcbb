/**
 * The checks of a restored store beyond `journal verify`'s own (docs/deployment.md, "Restore"):
 *
 * - that it holds a published cut's signed checkpoint as a prefix of its journal — what the
 *   public has seen is in the restored history, entry for entry — and records that cut;
 * - that every acta image it names is in the image store and still hashes to its name.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ActaRecords } from '../capture/records_port.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { BlobStore } from '../images/blob_store.ts';
import { openCheckpoint } from '../journal/checkpoint.ts';
import type { JournalReads } from '../journal/journal_port.ts';
import { CompactRange } from '../journal/merkle.ts';
import { parseVerifierKey } from '../journal/note.ts';
import { sha256Hex } from '../platform/hashing.ts';

const LEAVES_PER_READ = 100_000;
/** Images read at once from the image store (an object store answers many requests in parallel). */
const PARALLEL_READS = 16;

const manifestSchema = z.object({
  cut: z.object({ id: z.string().min(1) }),
  journal: z.object({
    size: z.number().int().min(0),
    rootHash: z.string(),
    checkpoint: z.string().min(1),
  }),
});

export type PublishedCheckError =
  | 'cut-unreadable'
  | 'checkpoint-invalid'
  | 'journal-lost'
  | 'journal-diverged'
  | 'cut-not-recorded';

export interface PublishedCheck {
  readonly cutId: string;
  readonly size: number;
  readonly journalSize: number;
}

/**
 * Whether the journal holds the checkpoint of the cut in `cutFolder` (its signature checked with
 * the election's key) as a prefix, recomputed from the stored leaves, and records the cut.
 */
export async function checkPublishedCut(
  store: JournalReads,
  verifierKey: string,
  cutFolder: string,
): Promise<Result<PublishedCheck, PublishedCheckError>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(cutFolder, 'manifest.json'));
  } catch (error) {
    return err('cut-unreadable', `cannot read the cut's manifest: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return err('cut-unreadable', `${cutFolder}/manifest.json is not JSON`);
  }
  const manifest = manifestSchema.safeParse(json);
  if (!manifest.success) return err('cut-unreadable', `${cutFolder}/manifest.json is not a cut's manifest`);
  const { cut, journal } = manifest.data;
  const key = parseVerifierKey(verifierKey);
  if (!key.ok) throw new Error(key.message);
  const opened = openCheckpoint(journal.checkpoint, [key.value]);
  if (!opened.ok) return err('checkpoint-invalid', `cut ${cut.id}'s checkpoint: ${opened.message}`);
  const signed = opened.value;
  if (signed.size !== journal.size || signed.rootHash.toString('base64') !== journal.rootHash)
    return err(
      'checkpoint-invalid',
      `cut ${cut.id}'s checkpoint is not the journal size and root its manifest states`,
    );
  const head = await store.journalHead();
  if (head.size < signed.size)
    return err(
      'journal-lost',
      `the restored journal holds ${head.size} entries but cut ${cut.id} published a checkpoint of ${signed.size}: ` +
        'restore to a later time, or bring back what is missing (docs/journal.md, "Lost storage")',
    );
  const range = new CompactRange();
  for (let start = 0; start < signed.size; start += LEAVES_PER_READ)
    for (const leaf of await store.journalLeafHashes(start, Math.min(signed.size, start + LEAVES_PER_READ)))
      range.append(leaf);
  if (!range.root().equals(signed.rootHash))
    return err(
      'journal-diverged',
      `the restored journal's first ${signed.size} entries are not the ones cut ${cut.id} published: their root differs`,
    );
  const recorded = (await store.cuts()).find((c) => c.id === cut.id);
  if (recorded === undefined || recorded.manifestSha256 !== sha256Hex(bytes))
    return err('cut-not-recorded', `the restored store does not record cut ${cut.id} with this manifest`);
  return ok({ cutId: cut.id, size: signed.size, journalSize: head.size });
}

export interface ImagesCheck {
  readonly checked: number;
  readonly location: string;
}

/**
 * Reads every image the store names — each acta's image of record and its later ones, captured
 * or not — from the image store, which checks that it hashes to its name.
 */
export async function checkStoredImages(
  records: Pick<ActaRecords, 'snapshot'>,
  blobs: BlobStore,
): Promise<Result<ImagesCheck, 'images-missing' | 'images-unavailable'>> {
  const hashes = new Set<string>();
  for (const record of (await records.snapshot()).records) {
    if (record.submission !== null) hashes.add(record.submission.imageSha256);
    for (const hash of record.additionalImages) hashes.add(hash);
  }
  const missing: string[] = [];
  const corrupt: string[] = [];
  let unreachable: string | null = null;
  const queue = [...hashes];
  const worker = async () => {
    for (let hash = queue.shift(); hash !== undefined && unreachable === null; hash = queue.shift()) {
      const image = await blobs.get(hash);
      if (image.ok) continue;
      if (image.code === 'unavailable') unreachable = image.message;
      else (image.code === 'corrupt' ? corrupt : missing).push(hash);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, worker));
  if (unreachable !== null)
    return err('images-unavailable', `the image store ${blobs.location} cannot be read: ${unreachable}`);
  missing.sort();
  corrupt.sort();
  if (missing.length + corrupt.length > 0) {
    const list = (names: string[]) => names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
    return err(
      'images-missing',
      `of ${hashes.size} images the store names, ${missing.length} are not in ${blobs.location}` +
        (missing.length > 0 ? ` (${list(missing)})` : '') +
        ` and ${corrupt.length} no longer hash to their names` +
        (corrupt.length > 0 ? ` (${list(corrupt)})` : ''),
    );
  }
  return ok({ checked: hashes.size, location: blobs.location });
}
