/**
 * Acta images, content-addressed: `images/sha256/<first two hex>/<other 62 hex>.<jpg|png>`,
 * immutable once written. An upload is hashed and measured as it arrives and checked; a usual
 * one (up to 1 MiB) is then written straight under its name, a larger one was streamed to a
 * staging file and is renamed into place. The file and its directory are fsynced: only then is
 * it durable, and only then may a receipt be signed.
 */
import { createHash } from 'node:crypto';
import { close, fsync, open as openFile, write } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { hostname } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import type { Readable } from 'node:stream';
import { imageSize } from 'image-size';
import { err, ok, type Result } from '../domain/result.ts';
import { syncDirectory } from '../journal/durable_file.ts';
import { processAlive } from '../journal/file_lock.ts';

const openFd = promisify(openFile);
const writeFd = promisify(write) as (
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
) => Promise<{ bytesWritten: number; buffer: Buffer }>;
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

export type ImageKind = 'jpg' | 'png';

export type ImageError = 'too-large' | 'not-an-image' | 'too-many-pixels' | 'truncated';

export interface ImageLimits {
  readonly maxBytes: number;
  readonly maxPixels: number;
}

export interface StagedImage {
  readonly sha256: string;
  readonly bytes: number;
  readonly kind: ImageKind;
  readonly width: number;
  readonly height: number;
  /** Moves the staged file into the store (durably); the same bytes already there are kept as they are. */
  commit(): Promise<string>;
  discard(): Promise<void>;
}

/** The first bytes kept in memory for the type and size check: the JPEG frame header can follow a long EXIF block. */
const HEAD_BYTES = 256 * 1024;
/** Up to this much of an upload waits in memory before it is written. */
const SPILL_BYTES = 1024 * 1024;

export function imagePath(root: string, sha256: string, kind: ImageKind): string {
  return path.join(root, 'sha256', sha256.slice(0, 2), `${sha256.slice(2)}.${kind}`);
}

export function sniffKind(head: Uint8Array): ImageKind | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (head.length >= 8 && png.every((b, i) => head[i] === b)) return 'png';
  return null;
}

export class ImageStore {
  readonly root: string;
  readonly #staging: string;
  /** Directories known to exist (at most 256). */
  readonly #directories = new Set<string>();
  #counter = 0;

  constructor(root: string) {
    this.root = root;
    // Several intake processes may share the store (more nodes on one data folder, a bundle
    // import beside serve, nodes of several machines on a shared file system): each stages in
    // a folder of its own.
    this.#staging = path.join(root, 'staging', `${hostname()}-${process.pid}`);
  }

  async init(): Promise<void> {
    const parent = path.dirname(this.#staging);
    await mkdir(parent, { recursive: true });
    // Left by a crash between staging and commit: never acknowledged, safe to drop — but only
    // a process that is gone, never one still receiving.
    // Only this machine's processes can be known to be gone.
    const prefix = `${hostname()}-`;
    for (const entry of await readdir(parent)) {
      if (!entry.startsWith(prefix)) continue;
      const pid = Number(entry.slice(prefix.length));
      if (pid === process.pid || !Number.isInteger(pid) || !processAlive(pid))
        await rm(path.join(parent, entry), { recursive: true, force: true });
    }
    await mkdir(this.#staging, { recursive: true });
  }

  /**
   * Streams an upload to a staging file, refusing it as soon as it passes `maxBytes` (the rest
   * is not read into memory or disk), then checks it is a JPEG or PNG within `maxPixels`.
   */
  async stage(body: Readable, limits: ImageLimits): Promise<Result<StagedImage, ImageError>> {
    const file = path.join(this.#staging, `${process.pid}-${Date.now()}-${this.#counter++}.part`);
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let headLength = 0;
    // Small images (most) are kept in memory and written with one call; larger ones go to the
    // file as they arrive, so memory stays bounded whatever is sent.
    let pending: Buffer[] = [];
    let pendingLength = 0;
    // Plain file descriptors: a FileHandle per upload costs more than the write.
    let fd: number | null = null;
    const flush = async () => {
      fd ??= await openFd(file, 'wx', 0o644);
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      pending = [];
      pendingLength = 0;
      for (let at = 0; at < data.length; ) at += (await writeFd(fd, data, at, data.length - at)).bytesWritten;
    };
    let bytes = 0;
    let failure: Result<never, ImageError> | null = null;
    // A hand-driven iterator: leaving it without return() stops reading without destroying the
    // request, so a 413 still reaches the client.
    const chunks = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await chunks.next();
        if (next.done === true) break;
        const chunk = next.value;
        bytes += chunk.length;
        if (bytes > limits.maxBytes) {
          body.pause();
          failure = err('too-large', `the image is larger than ${limits.maxBytes} bytes`);
          break;
        }
        hash.update(chunk);
        if (headLength < HEAD_BYTES) {
          head.push(chunk);
          headLength += chunk.length;
        }
        pending.push(chunk);
        pendingLength += chunk.length;
        if (pendingLength >= SPILL_BYTES) await flush();
      }
    } catch (error) {
      failure = err('truncated', `the upload ended early: ${(error as Error).message}`);
    }
    if (failure === null && (body as Readable & { truncated?: boolean }).truncated === true)
      failure = err('too-large', `the image is larger than ${limits.maxBytes} bytes`);
    try {
      // Spilled uploads finish in their staging file; the rest stay in memory until commit.
      if (failure === null && fd !== null) {
        await flush();
        await fsyncFd(fd);
      }
    } finally {
      if (fd !== null) await closeFd(fd);
    }
    const spilled = fd !== null;
    const discard = () => (spilled ? rm(file, { force: true }) : Promise.resolve());
    if (failure !== null) {
      await discard();
      return failure;
    }
    const start = Buffer.concat(head);
    const kind = sniffKind(start);
    if (kind === null) {
      await discard();
      return err('not-an-image', 'the bytes are neither a JPEG nor a PNG');
    }
    let width = 0;
    let height = 0;
    try {
      const size = imageSize(start);
      width = size.width;
      height = size.height;
    } catch {
      await discard();
      return err('not-an-image', `the ${kind.toUpperCase()} header cannot be read`);
    }
    if (size(width) * size(height) > limits.maxPixels || width <= 0 || height <= 0) {
      await discard();
      return err('too-many-pixels', `${width}×${height} pixels is over the limit of ${limits.maxPixels}`);
    }
    const sha256 = hash.digest('hex');
    const data = spilled ? null : pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    return ok({
      sha256,
      bytes,
      kind,
      width,
      height,
      commit: async () => {
        const target = imagePath(this.root, sha256, kind);
        await this.#ensureDirectory(path.dirname(target));
        if (data === null) {
          // The same name always means the same bytes: replacing an image by its twin changes nothing.
          await rename(file, target);
        } else await this.#writeInPlace(target, data);
        await syncDirectory(path.dirname(target));
        return target;
      },
      discard,
    });
  }

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
      const temporary = path.join(this.#staging, `${process.pid}-${Date.now()}-${this.#counter++}.part`);
      await this.#writeNew(await openFd(temporary, 'wx', 0o644), data);
      await rename(temporary, target);
      return;
    }
    try {
      await this.#writeNew(fd, data);
    } catch (error) {
      // Never acknowledged; removing the short file spares the next upload the check.
      await rm(target, { force: true });
      throw error;
    }
  }

  /** Writes all of `data` to a new file's descriptor, fsyncs and closes it. */
  async #writeNew(fd: number, data: Buffer): Promise<void> {
    try {
      for (let at = 0; at < data.length; ) at += (await writeFd(fd, data, at, data.length - at)).bytesWritten;
      await fsyncFd(fd);
    } finally {
      await closeFd(fd);
    }
  }
}

function size(n: number): number {
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY;
}
