import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { err, ok, type Result } from '../domain/result.ts';
import { closeFd, fsyncFd, openFd, syncDirectory, writeAllFd } from '../platform/durable_file.ts';
import { sha256Hex } from '../platform/hashing.ts';

export type ImageKind = 'jpg' | 'png';

export const IMAGE_KINDS: readonly ImageKind[] = ['jpg', 'png'];

export interface BlobName {
  readonly sha256: string;
  readonly kind: ImageKind;
}

/**
 * The bytes to store: in memory, or a staged file of `bytes` bytes that `put` may move away
 * (the caller removes whatever is left of it afterwards).
 */
export type BlobSource = { readonly data: Buffer } | { readonly file: string; readonly bytes: number };

/** The store cannot be reached or refuses us (network, credentials, a missing bucket): try later. */
export type BlobUnavailable = 'unavailable';

export interface StoredImage {
  readonly kind: ImageKind;
  readonly bytes: Buffer;
}

export interface BlobStore {
  /** Where images go, for messages: a folder, or `s3://bucket/prefix`. */
  readonly location: string;
  /** Whether the store answers (at start, so a bad setting stops the service rather than the first upload). */
  check(): Promise<Result<void, BlobUnavailable>>;
  /** Stores the bytes under their name, durably; the same bytes already there are fine. Resolves to where they are. */
  put(name: BlobName, source: BlobSource): Promise<Result<string, BlobUnavailable>>;
  /** The image named by this SHA-256, of either kind; bytes that no longer hash to their name are `corrupt`. */
  get(sha256: string): Promise<Result<StoredImage, 'not-found' | 'corrupt' | BlobUnavailable>>;
  /** Whether something is stored under the name (not whether it is whole: `get` checks that). */
  exists(name: BlobName): Promise<Result<boolean, BlobUnavailable>>;
  close(): void;
}

/** The name relative to the store: `sha256/ab/cdef….png`. */
export function blobName(sha256: string, kind: ImageKind): string {
  return `sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}.${kind}`;
}

export function imagePath(root: string, sha256: string, kind: ImageKind): string {
  return path.join(root, ...blobName(sha256, kind).split('/'));
}

/**
 * The folder backend, `<root>/sha256/…`. A staged file given to `put` must be on the same file
 * system as `root` (the image store stages under `<root>/staging`), so that moving it is a rename.
 */
export class FolderBlobStore implements BlobStore {
  readonly root: string;
  readonly location: string;
  /** Directories known to exist (at most 256). */
  readonly #directories = new Set<string>();
  readonly #temporary: string;
  #counter = 0;

  constructor(root: string) {
    this.root = root;
    this.location = root;
    // The image store's staging folder for this process: cleared of dead processes' files at start.
    this.#temporary = path.join(root, 'staging', `${hostname()}-${process.pid}`);
  }

  async check(): Promise<Result<void, BlobUnavailable>> {
    try {
      await mkdir(this.root, { recursive: true });
      return ok(undefined);
    } catch (error) {
      return err('unavailable', `cannot use the image folder ${this.root}: ${(error as Error).message}`);
    }
  }

  async put(name: BlobName, source: BlobSource): Promise<Result<string, BlobUnavailable>> {
    const target = imagePath(this.root, name.sha256, name.kind);
    await this.#ensureDirectory(path.dirname(target));
    // The same name always means the same bytes: replacing an image by its twin changes nothing.
    if ('file' in source) await rename(source.file, target);
    else await this.#writeInPlace(target, source.data);
    await syncDirectory(path.dirname(target));
    return ok(target);
  }

  async get(sha256: string): Promise<Result<StoredImage, 'not-found' | 'corrupt' | BlobUnavailable>> {
    for (const kind of IMAGE_KINDS) {
      let bytes: Buffer;
      try {
        bytes = await readFile(imagePath(this.root, sha256, kind));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        return err('unavailable', `cannot read image ${sha256}: ${(error as Error).message}`);
      }
      if (sha256Hex(bytes) !== sha256)
        return err('corrupt', `${imagePath(this.root, sha256, kind)} no longer hashes to its name`);
      return ok({ kind, bytes });
    }
    return err('not-found', `no image ${sha256} in ${this.root}`);
  }

  async exists(name: BlobName): Promise<Result<boolean, BlobUnavailable>> {
    try {
      await access(imagePath(this.root, name.sha256, name.kind));
      return ok(true);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ok(false);
      return err('unavailable', `cannot look for image ${name.sha256}: ${(error as Error).message}`);
    }
  }

  close(): void {}

  async #ensureDirectory(directory: string): Promise<void> {
    if (this.#directories.has(directory)) return;
    // A new directory is durable only once its parent is synced too.
    const created = await mkdir(directory, { recursive: true });
    if (created !== undefined) {
      await syncDirectory(path.join(this.root, 'sha256'));
      await syncDirectory(this.root);
    }
    this.#directories.add(directory);
  }

  /**
   * Writes an image held in memory straight under its final name: a temporary file and a
   * rename cost the file system more than everything else intake does. A name that exists
   * already is trusted only if it holds exactly these bytes (a crash mid-write can leave a
   * short file, never acknowledged); otherwise it is replaced atomically. Either way the
   * bytes under the name are fsynced before this returns, even when another upload of the
   * same image is still writing them.
   */
  async #writeInPlace(target: string, data: Buffer): Promise<void> {
    let fd: number;
    try {
      fd = await openFd(target, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const present = await readFile(target).catch(() => null);
      if (present?.equals(data)) {
        const existing = await openFd(target, 'r');
        try {
          await fsyncFd(existing);
        } finally {
          await closeFd(existing);
        }
        return;
      }
      await mkdir(this.#temporary, { recursive: true });
      const temporary = path.join(this.#temporary, `${process.pid}-${Date.now()}-${this.#counter++}.replace`);
      await writeNew(await openFd(temporary, 'wx', 0o644), data);
      await rename(temporary, target);
      return;
    }
    try {
      await writeNew(fd, data);
    } catch (error) {
      // Never acknowledged; removing the short file spares the next upload the check.
      await rm(target, { force: true });
      throw error;
    }
  }
}

/** Writes all of `data` to a new file's descriptor, fsyncs and closes it. */
async function writeNew(fd: number, data: Buffer): Promise<void> {
  try {
    await writeAllFd(fd, data);
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}
