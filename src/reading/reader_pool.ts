/**
 * The acta reader on worker threads: reading an acta is some 100 ms of plain JavaScript
 * (straightening, segmenting, the model) that on the event loop would stall intake and the
 * console. Fewer workers than the gate's (default one): the reader is in shadow, never on a
 * device's request path, and waits its turn behind the work people are waiting for. A worker
 * that dies fails only the image it held (a `reader_error` reading), and is replaced.
 */
import { Worker } from 'node:worker_threads';
import type { BoxRead, ReadFailure } from '../domain/reader_score.ts';

export interface ImageReading {
  readonly boxes: BoxRead[];
  readonly failure: ReadFailure | null;
}

interface Slot {
  worker: Worker;
  readonly pending: Map<number, (result: ImageReading) => void>;
}

export class ReaderPool {
  readonly #slots: Slot[] = [];
  #next = 0;
  #closed = false;

  readonly #size: number;

  /** The workers start at the first image: a node (or a test) that reads none pays nothing. */
  constructor(size = 1) {
    this.#size = size;
  }

  #start(): void {
    for (let i = 0; i < this.#size; i++) {
      const slot: Slot = { worker: this.#spawn(() => slot), pending: new Map() };
      this.#slots.push(slot);
    }
  }

  #spawn(slot: () => Slot): Worker {
    const worker = new Worker(new URL('./reader_worker.ts', import.meta.url));
    worker.unref();
    worker.on('message', (message: { id: number; result?: ImageReading; error?: string }) => {
      const resolve = slot().pending.get(message.id);
      if (resolve === undefined) return;
      slot().pending.delete(message.id);
      resolve(message.result ?? { boxes: [], failure: 'reader_error' });
    });
    const fail = () => {
      const s = slot();
      if (s.worker !== worker) return;
      for (const resolve of s.pending.values()) resolve({ boxes: [], failure: 'reader_error' });
      s.pending.clear();
      if (!this.#closed) s.worker = this.#spawn(slot);
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    return worker;
  }

  /** Reads one image's boxes (`keys`, line by line); never rejects: a failure is a value. */
  read(bytes: Uint8Array, keys: readonly string[]): Promise<ImageReading> {
    if (this.#closed) return Promise.resolve({ boxes: [], failure: 'reader_error' });
    if (this.#slots.length === 0) this.#start();
    let slot = this.#slots[this.#next++ % this.#slots.length]!;
    for (const s of this.#slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.#next;
    const copy = new Uint8Array(bytes);
    return new Promise<ImageReading>((resolve) => {
      slot.pending.set(id, resolve);
      slot.worker.postMessage({ id, bytes: copy, keys: [...keys] }, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
