/**
 * Acta uploads on their way into the blob store (blob_store.ts): an upload is hashed and
 * measured as it arrives and checked; a usual one (up to 1 MiB, or as much as the caller
 * holds) is kept in memory, a larger one is streamed to a staging file in `<root>/staging`.
 * Committing puts it in the blob store under its content address; only once that resolves is
 * it durable, and only then may a receipt be signed.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import type { Readable } from 'node:stream';
import { imageSize } from 'image-size';
import { err, ok, type Result } from '../domain/result.ts';
import { BufferPool } from '../platform/buffer_pool.ts';
import { closeFd, fsyncFd, openFd, writeAllFd } from '../platform/durable_file.ts';
import { chunksOf } from '../platform/stream_chunks.ts';
import { processAlive } from '../platform/file_lock.ts';
import { type BlobStore, FolderBlobStore, type ImageKind } from './blob_store.ts';
import type { S3Settings } from './s3_blob_store.ts';

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
  /**
   * Puts the image in the blob store (durably) and says where it is; the same bytes already
   * there are kept as they are. `unavailable`: the store cannot be reached, nothing is stored.
   * Commit or discard ends the staged image: memory it held is reused for the next upload.
   */
  commit(): Promise<Result<string, 'unavailable'>>;
  discard(): Promise<void>;
  /**
   * The bytes, for the quality gate (from memory, or the staging file of a large upload); held
   * bytes are valid only until commit or discard, after which another upload writes over them.
   */
  read(): Promise<Buffer>;
}

/** The first bytes kept in memory for the type and size check: the JPEG frame header can follow a long EXIF block. */
const HEAD_BYTES = 256 * 1024;
/** Up to this much of an upload waits in memory before it is written. */
const SPILL_BYTES = 1024 * 1024;

/** Which blob store holds the images: the configuration's `images` (server/config.ts, validated there). */
export interface ImageStoreSettings {
  readonly store: 'folder' | 's3';
  readonly s3?: Omit<S3Settings, 'bucket'> & { readonly bucket?: string };
}

/**
 * The image store of a data folder (`root` is its `images/`, where uploads are staged) with
 * the configured blob store. Check it (`blobs.check()`) before taking uploads; close it after.
 */
export async function openImageStore(root: string, settings: ImageStoreSettings): Promise<ImageStore> {
  if (settings.store === 'folder') return new ImageStore(root);
  const bucket = settings.s3?.bucket;
  if (bucket === undefined)
    throw new Error('images.store is s3 without a bucket: the configuration was not validated');
  // Loaded only here: the AWS SDK takes a quarter of a second to load, which every other
  // command (and the CATD agent, which shares this module) would pay for nothing.
  const { S3BlobStore } = await import('./s3_blob_store.ts');
  return new ImageStore(root, new S3BlobStore({ ...settings.s3, bucket }));
}

export function sniffKind(head: Uint8Array): ImageKind | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (head.length >= 8 && png.every((b, i) => head[i] === b)) return 'png';
  return null;
}

export class ImageStore {
  /** The images folder of the data folder: staging, and the images themselves with the folder backend. */
  readonly root: string;
  readonly blobs: BlobStore;
  readonly #staging: string;
  /**
   * Memory for the uploads held until commit, reused from one to the next (platform/buffer_pool.ts).
   * Up to 256 MiB of it is kept unused between bursts: about a hundred acta images, what a busy
   * center has in flight; fresh memory costs of the order of 15 ms of CPU a body to fault in under load.
   */
  readonly #memory = new BufferPool({ maxIdleBytes: 256 * 1024 * 1024 });
  #counter = 0;

  constructor(root: string, blobs: BlobStore = new FolderBlobStore(root)) {
    this.root = root;
    this.blobs = blobs;
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
  async stage(
    body: Readable,
    limits: ImageLimits,
    /**
     * Uploads up to this many bytes are held in memory, not written to a staging file: intake
     * with the quality gate holds every image in memory for the gate's workers anyway, and a
     * large one staged was written, fsynced and read back before the gate saw it
     * (docs/benchmarks.md).
     */
    holdBytes = SPILL_BYTES,
  ): Promise<Result<StagedImage, ImageError>> {
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
      await writeAllFd(fd, data);
    };
    let bytes = 0;
    let failure: Result<never, ImageError> | null = null;
    // A write to the staging file that fails is this center's disk, never the client's
    // upload: it is rethrown as it is (src/platform/faults.ts makes it a 507/503), not `truncated`.
    let diskError: unknown = null;
    // Stopping leaves the request paused, not destroyed, so a 413 still reaches the client.
    const chunks = chunksOf(body);
    try {
      for (;;) {
        let chunk: Buffer | null;
        try {
          chunk = await chunks.next();
        } catch (error) {
          failure = err('truncated', `the upload ended early: ${(error as Error).message}`);
          break;
        }
        if (chunk === null) break;
        bytes += chunk.length;
        if (bytes > limits.maxBytes) {
          chunks.stop();
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
        if (pendingLength >= SPILL_BYTES && (fd !== null || bytes > holdBytes)) await flush();
      }
      if (failure === null && (body as Readable & { truncated?: boolean }).truncated === true)
        failure = err('too-large', `the image is larger than ${limits.maxBytes} bytes`);
      // Spilled uploads finish in their staging file; the rest stay in memory until commit.
      if (failure === null && fd !== null) {
        await flush();
        await fsyncFd(fd);
      }
    } catch (error) {
      diskError = error;
      // The rest of the upload is not wanted; the answer closes the connection.
      chunks.stop();
      body.resume();
    } finally {
      chunks.stop();
      if (fd !== null) await closeFd(fd).catch(() => undefined);
    }
    const spilled = fd !== null;
    if (diskError !== null || failure !== null) {
      if (spilled) await rm(file, { force: true }).catch(() => undefined);
      if (diskError !== null) throw diskError;
      return failure!;
    }
    // Held in memory: gathered into reused memory, given back once committed or discarded.
    let data: Buffer | null = null;
    if (!spilled) {
      data = this.#memory.take(bytes);
      let at = 0;
      for (const chunk of pending) at += chunk.copy(data, at);
    }
    pending = [];
    let released = false;
    const release = () => {
      if (data === null || released) return;
      released = true;
      this.#memory.give(data);
    };
    const discard = async () => {
      release();
      if (spilled) await rm(file, { force: true });
    };
    const start = data?.subarray(0, HEAD_BYTES) ?? Buffer.concat(head);
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
    return ok({
      sha256,
      bytes,
      kind,
      width,
      height,
      commit: async () => {
        if (released) throw new Error('an image was committed after it was discarded');
        try {
          return await this.blobs.put({ sha256, kind }, data === null ? { file, bytes } : { data });
        } finally {
          // The folder backend moved it; any other leaves it here.
          if (data === null) await rm(file, { force: true });
          release();
        }
      },
      discard,
      read: async () => {
        if (released) throw new Error('an image was read after it was committed or discarded');
        return data ?? (await readFile(file));
      },
    });
  }
}

function size(n: number): number {
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY;
}
