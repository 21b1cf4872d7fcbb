/**
 * Writes a built cut to the cut store (cut_store.ts) so that a reader never sees half a cut:
 * the catalog first, then the cut's files (on a folder, fsynced aside and renamed into place;
 * on S3, each put, checked, the manifest last), and only afterwards the `latest` pointer —
 * `latest.json`, then `latest.sig`. A published cut is never overwritten; the same cut put
 * again (a retried publish) is taken as it is and the pointer moved to it.
 */
import path from 'node:path';
import { err, ok, type Result } from '../domain/result.ts';
import { type AnyNoteSigner, signNoteBy } from '../journal/note.ts';
import { type BuiltCut, catalogFileNames } from './cut_builder.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { stableJson } from '../platform/web/canonical_json.ts';
import type { CutStore } from './cut_store.ts';
import { FolderCutStore } from './folder_cut_store.ts';

export type WriteCutError = 'cut-exists' | 'catalog-changed' | 'cut-store-unavailable';

export interface CutToWrite {
  readonly cut: BuiltCut;
  readonly electionId: string;
  readonly catalogCsv: Buffer;
  readonly electionJson: Buffer;
  readonly cutTime: string;
  readonly signer: AnyNoteSigner;
  /** False: the files only; the caller moves the pointer (pointLatestTo) once the cut is recorded. */
  readonly pointer?: boolean;
}

/** Writes the cut to `store`: `written`, or `present` when the same cut was already there whole. */
export async function writeCutTo(
  store: CutStore,
  input: CutToWrite,
): Promise<Result<'written' | 'present', WriteCutError>> {
  const { cut } = input;
  const unavailable = (message: string) => err('cut-store-unavailable', message);
  const names = catalogFileNames(input.electionId);
  for (const [name, data] of [
    [names.catalog, input.catalogCsv],
    [names.election, input.electionJson],
  ] as const) {
    const put = await store.putFile(`catalogo/${name}`, data);
    if (!put.ok)
      return put.code === 'different'
        ? err(
            'catalog-changed',
            `${put.message}: it differs from this election's catalog, and the catalog of an election never changes`,
          )
        : unavailable(put.message);
  }
  await store.sync();

  const files = new Map(cut.files);
  files.set(cut.zipName, cut.zip);
  const put = await store.putCut(cut.cutId, files);
  if (!put.ok) return put.code === 'cut-exists' ? err('cut-exists', put.message) : unavailable(put.message);

  if (input.pointer !== false) {
    const pointed = await pointLatestTo(store, {
      cutId: cut.cutId,
      manifestSha256: cut.manifestSha256,
      cutTime: input.cutTime,
      signer: input.signer,
    });
    if (!pointed.ok) return pointed;
  }
  return ok(put.value);
}

/** Moves the latest pointer to a cut already stored whole: `latest.json`, then its signature. */
export async function pointLatestTo(
  store: CutStore,
  cut: {
    readonly cutId: string;
    readonly manifestSha256: string;
    readonly cutTime: string;
    readonly signer: AnyNoteSigner;
  },
): Promise<Result<void, 'cut-store-unavailable'>> {
  const latest = Buffer.from(
    stableJson({ cut: cut.cutId, manifestSha256: cut.manifestSha256, time: cut.cutTime }),
  );
  const signature = Buffer.from(
    await signNoteBy(`${cut.signer.name}/latest\n${cut.cutId}\nsha256 ${sha256Hex(latest)}\n`, cut.signer),
  );
  const pointed = await store.writeLatest(latest, signature);
  return pointed.ok ? ok(undefined) : err('cut-store-unavailable', pointed.message);
}

/** Writes the cut to a cuts folder (the embedded default's layout). */
export async function writeCut(
  input: CutToWrite & { readonly cutsRoot: string },
): Promise<Result<{ folder: string; zip: string }, WriteCutError>> {
  const store = new FolderCutStore(input.cutsRoot);
  await store.check();
  const written = await writeCutTo(store, input);
  if (!written.ok) return written;
  // As before: a cut already in the folder is refused here (the publisher adopts it).
  if (written.value === 'present')
    return err('cut-exists', `cut ${input.cut.cutId} is already published; a cut never changes`);
  const folder = store.whereIs(input.cut.cutId);
  return ok({ folder, zip: path.join(folder, input.cut.zipName) });
}
