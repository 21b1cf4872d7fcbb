/**
 * Where published cuts go (the cut store port): the data folder's `cuts/` (the embedded
 * default, folder_cut_store.ts) or an S3-compatible bucket (s3_cut_store.ts), which nodes on
 * several machines share without a shared file system. Names are relative to the cuts root,
 * with `/` between folders: `<cutId>/manifest.json`, `catalogo/…`, `imagenes/sha256/ab/…`,
 * `latest.json`. Everything but the latest pointer is immutable: a name, once written, keeps
 * its bytes, and writing other bytes under it is refused.
 */
import type { Result } from '../domain/result.ts';

export type CutStoreUnavailable = 'unavailable';

export interface CutStore {
  /** The store, for messages: a folder, or `s3://bucket/prefix/`. */
  readonly location: string;
  /** Where a cut is, for messages: its folder, or its `s3://` prefix. */
  whereIs(cutId: string): string;
  /** Whether the store answers (a bucket that exists and may be listed); a folder always does. */
  check(): Promise<Result<void, CutStoreUnavailable>>;
  has(name: string): Promise<Result<boolean, CutStoreUnavailable>>;
  read(name: string): Promise<Result<Buffer, 'not-found' | CutStoreUnavailable>>;
  /**
   * Puts an immutable file: `written`, or `present` when the same bytes are already there;
   * other bytes under the name are `different` and nothing is changed. Durable once answered
   * (on a folder, after `sync()`).
   */
  putFile(
    name: string,
    bytes: Buffer,
    options?: { readonly contentType?: string },
  ): Promise<Result<'written' | 'present', 'different' | CutStoreUnavailable>>;
  /** Makes the folder's directory entries of the files put so far durable (nothing on S3). */
  sync(): Promise<void>;
  /**
   * Puts every file of a cut under `<cutId>/`, so that no reader sees a part of it as the
   * whole: on a folder, written aside and renamed into place; on S3, the manifest last, and
   * the cut is reachable only once the latest pointer names it. A cut already there with the
   * same manifest is `present` (a retried publish completes); one with other bytes is
   * `cut-exists` and nothing is changed.
   */
  putCut(
    cutId: string,
    files: ReadonlyMap<string, Buffer>,
  ): Promise<Result<'written' | 'present', 'cut-exists' | CutStoreUnavailable>>;
  /** The cuts whose manifest is stored, oldest first. */
  listCuts(): Promise<Result<string[], CutStoreUnavailable>>;
  /** Replaces the latest pointer: `latest.json`, then `latest.sig`. */
  writeLatest(json: Buffer, sig: Buffer): Promise<Result<void, CutStoreUnavailable>>;
  /** Removes what a publisher that crashed left (a folder's temporaries); returns their names. */
  cleanLeftovers(now: number): Promise<string[]>;
  close(): void;
}

/** A cut's folder name: its local time to the minute. */
export const CUT_ID = /^\d{8}_\d{4}$/;

/** The pointer's names, which alone are replaced. */
export const LATEST_JSON = 'latest.json';
export const LATEST_SIG = 'latest.sig';

/** A name inside the cuts root: plain segments, no `..`, no leading `/`. */
export function isCutStoreName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 1024 &&
    !name.startsWith('/') &&
    name.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && /^[A-Za-z0-9._-]+$/.test(s))
  );
}
