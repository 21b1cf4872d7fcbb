/**
 * The quality gate on worker threads, for the center's intake: judging an image takes tens of
 * milliseconds of JavaScript (measurements, QR reading) besides libvips' own threads, which on
 * the event loop would stall every other request. A few workers (one per core, at most four)
 * take images in turn; a worker that dies fails only the images it held, and is replaced.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { QualityReport } from './judge.ts';

interface Pending {
  readonly resolve: (report: QualityReport) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  readonly pending: Map<number, Pending>;
}

export class QualityGatePool {
  readonly #slots: Slot[] = [];
  #next = 0;
  #closed = false;

  constructor(size = Math.max(1, Math.min(4, os.availableParallelism()))) {
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: this.#spawn(() => slot), pending: new Map() };
      this.#slots.push(slot);
    }
  }

  #spawn(slot: () => Slot): Worker {
    const worker = new Worker(new URL('./gate_worker.ts', import.meta.url));
    worker.unref(); // an idle pool never keeps a process alive
    worker.on('message', (message: { id: number; report?: QualityReport; error?: string }) => {
      const pending = slot().pending.get(message.id);
      if (pending === undefined) return;
      slot().pending.delete(message.id);
      if (message.report !== undefined) pending.resolve(message.report);
      else pending.reject(new Error(`quality gate worker: ${message.error ?? 'no answer'}`));
    });
    const fail = (error: Error) => {
      const s = slot();
      if (s.worker !== worker) return;
      for (const pending of s.pending.values()) pending.reject(error);
      s.pending.clear();
      if (!this.#closed) s.worker = this.#spawn(slot);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`quality gate worker exited with ${code}`)));
    return worker;
  }

  /** Judges one image (the bytes are copied to the worker; the caller's buffer is untouched). */
  assess(bytes: Uint8Array, claimedKey?: string): Promise<QualityReport> {
    if (this.#closed) return Promise.reject(new Error('the quality gate pool is closed'));
    // The least busy worker, ties in turn.
    let slot = this.#slots[this.#next++ % this.#slots.length]!;
    for (const s of this.#slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.#next;
    const copy = new Uint8Array(bytes);
    return new Promise<QualityReport>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, bytes: copy, claimedKey }, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
