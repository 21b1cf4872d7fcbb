/**
 * The acta reader in shadow mode, in the center: every acta image of record is read off the
 * request path — intake hands over (record, image) once the package is accepted, a bounded queue
 * takes it, the reader pool's worker reads it, the readings store keeps the result. Nothing waits
 * for it and nothing it reads is published or captured (docs/reader.md, "Shadow mode in the
 * center"). On start, and whenever the queue had to drop work, a sweep reads the images of record
 * no reading names yet: a crash loses no reading, it only redoes one.
 */
import type { Reading } from '../domain/reader_score.ts';
import type { ImageReading } from './reader_pool.ts';
import type { ReadingsPort, UnreadImage } from './readings_port.ts';

export interface ShadowReaderOptions {
  readonly readings: ReadingsPort;
  /** Reads one image's boxes (the worker pool; a failure is a value). */
  readonly read: (bytes: Uint8Array, keys: readonly string[]) => Promise<ImageReading>;
  /** The SHA-256 of the model the pool runs. */
  readonly modelSha256: string;
  /** The keys of the acta's boxes, line by line (acta_form.ts actaBoxKeys); null when unknown. */
  readonly boxKeys: (recordId: string) => Promise<readonly string[] | null>;
  /** The image's bytes from the image store; null when it is not there. */
  readonly imageBytes: (sha256: string) => Promise<Uint8Array | null>;
  readonly clock: () => number;
  /** How many images may wait; past it they are left to the next sweep. */
  readonly capacity?: number;
  /**
   * Each reading as it is stored: where the node will hand readings to assist once it exists
   * (issue 19, part 3). In shadow nothing else happens.
   */
  readonly onReading?: (reading: Reading) => void;
  /** A reading that could not be stored (the store down): logged by the caller, redone by a later sweep. */
  readonly onError?: (error: unknown) => void;
}

/** The sweep's page: images of record read this many at a time. */
const SWEEP_PAGE = 200;

export class ShadowReader {
  readonly #o: ShadowReaderOptions;
  readonly #queue: UnreadImage[] = [];
  readonly #queued = new Set<string>();
  readonly #capacity: number;
  #running = false;
  #dropped = false;
  #closed = false;
  #sweeping: Promise<void> | null = null;
  #idle: (() => void)[] = [];
  #counts = { read: 0, failed: 0, dropped: 0 };

  constructor(options: ShadowReaderOptions) {
    this.#o = options;
    this.#capacity = options.capacity ?? 1000;
  }

  get modelSha256(): string {
    return this.#o.modelSha256;
  }

  /** Since start: readings stored, of which failures, and images left to a sweep. */
  get counts(): {
    readonly read: number;
    readonly failed: number;
    readonly dropped: number;
    readonly queued: number;
  } {
    return { ...this.#counts, queued: this.#queue.length };
  }

  /** An acta image of record just registered: read it when the reader's turn comes. Never throws. */
  submit(recordId: string, imageSha256: string): void {
    if (this.#closed) return;
    const id = `${recordId}\n${imageSha256}`;
    if (this.#queued.has(id)) return;
    if (this.#queue.length >= this.#capacity) {
      this.#dropped = true;
      this.#counts.dropped++;
      return;
    }
    this.#queued.add(id);
    this.#queue.push({ recordId, imageSha256 });
    void this.#drain();
  }

  /** Reads every image of record the model has not read yet (at start; again after drops). */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweep().finally(() => {
      this.#sweeping = null;
    });
    return this.#sweeping;
  }

  async #sweep(): Promise<void> {
    this.#dropped = false;
    while (!this.#closed) {
      let page: UnreadImage[];
      try {
        page = await this.#o.readings.unreadImages(this.#o.modelSha256, SWEEP_PAGE);
      } catch (error) {
        this.#o.onError?.(error);
        return;
      }
      if (page.length === 0) return;
      let stored = 0;
      for (const image of page) if (await this.#readOne(image)) stored++;
      // Nothing of a page could be stored (the store is down): the next start, or drop, sweeps again.
      if (stored === 0) return;
    }
  }

  /** Resolves once the queue is empty and no sweep runs (tests, an orderly stop). */
  async idle(): Promise<void> {
    while (this.#running || this.#queue.length > 0 || this.#sweeping !== null) {
      if (this.#sweeping !== null) await this.#sweeping;
      if (this.#running || this.#queue.length > 0)
        await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }

  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#queued.clear();
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const image = this.#queue.shift()!;
        this.#queued.delete(`${image.recordId}\n${image.imageSha256}`);
        await this.#readOne(image);
      }
    } finally {
      this.#running = false;
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
    }
    if (this.#dropped && !this.#closed) void this.sweep();
  }

  async #readOne(image: UnreadImage): Promise<boolean> {
    let result: ImageReading;
    try {
      const keys = await this.#o.boxKeys(image.recordId);
      const bytes = keys === null ? null : await this.#o.imageBytes(image.imageSha256);
      result =
        keys === null
          ? { boxes: [], failure: 'no_layout' }
          : bytes === null
            ? { boxes: [], failure: 'image_missing' }
            : await this.#o.read(bytes, keys);
    } catch {
      result = { boxes: [], failure: 'reader_error' };
    }
    // Stopping ends the workers mid-read: that is no reading of the image, the next start's sweep reads it.
    if (this.#closed) return false;
    const reading: Reading = {
      recordId: image.recordId,
      imageSha256: image.imageSha256,
      modelSha256: this.#o.modelSha256,
      boxes: result.boxes,
      failure: result.failure,
      readAt: this.#o.clock(),
    };
    try {
      await this.#o.readings.putReading(reading);
    } catch (error) {
      this.#o.onError?.(error);
      return false;
    }
    this.#counts.read++;
    if (reading.failure !== null) this.#counts.failed++;
    this.#o.onReading?.(reading);
    return true;
  }
}
