/**
 * The quality gate on worker threads, for the center's intake: judging an image takes tens of
 * milliseconds of JavaScript (measurements, QR reading) besides libvips' own threads, which on
 * the event loop would stall every other request. A few workers (one per core, at most four)
 * take images from one queue, two at a time each; a worker that dies fails only the images it
 * held, and is replaced.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { BufferPool } from '../platform/buffer_pool.ts';
import type { QualityReport } from './judge.ts';

interface Job {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly claimedKey: string | undefined;
  readonly resolve: (report: QualityReport) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  /** The images this worker holds (at most PER_WORKER); the others wait in the pool's queue. */
  readonly jobs: Map<number, Job>;
}

/**
 * Images a worker holds at once: two, so its JavaScript (the measures, the label) runs while the
 * other image's decode is on libvips' threads; more only queue inside the worker.
 */
const PER_WORKER = 2;

/**
 * Images wait in one queue and each worker takes the next when it has room: images differ in cost
 * by ten times (a clean scan against a photo whose label needs the full-resolution readings), so
 * queues dealt out per worker as images arrive left one worker idle while the other still had a
 * backlog, and a worker given many at once started them all together (their libvips calls and
 * their memory at once). A worker that dies fails only the images it held.
 */
export class QualityGatePool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  /**
   * The workers' copies, sent back with each answer and reused (platform/buffer_pool.ts): at most
   * two a worker are out at once.
   */
  readonly #memory = new BufferPool();
  #next = 0;
  #closed = false;

  constructor(size = Math.max(1, Math.min(4, os.availableParallelism()))) {
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: this.#spawn(() => slot), jobs: new Map() };
      this.#slots.push(slot);
    }
  }

  #spawn(slot: () => Slot): Worker {
    const worker = new Worker(new URL('./gate_worker.ts', import.meta.url));
    worker.unref(); // an idle pool never keeps a process alive
    worker.on(
      'message',
      (message: { id: number; report?: QualityReport; error?: string; bytes?: Uint8Array }) => {
        // The worker is done with the copy it was lent (gate_worker.ts sends it back last).
        if (message.bytes !== undefined) this.#memory.give(message.bytes);
        const s = slot();
        const job = s.jobs.get(message.id);
        if (s.worker !== worker || job === undefined) return;
        s.jobs.delete(message.id);
        if (message.report !== undefined) job.resolve(message.report);
        else job.reject(new Error(`quality gate worker: ${message.error ?? 'no answer'}`));
        this.#dispatch();
      },
    );
    const fail = (error: Error) => {
      const s = slot();
      if (s.worker !== worker) return;
      for (const job of s.jobs.values()) job.reject(error);
      s.jobs.clear();
      if (!this.#closed) {
        s.worker = this.#spawn(slot);
        this.#dispatch();
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`quality gate worker exited with ${code}`)));
    return worker;
  }

  #dispatch(): void {
    // The emptiest worker first, one image at a time: two free workers share a burst.
    for (;;) {
      let slot: Slot | null = null;
      for (const s of this.#slots)
        if (s.jobs.size < PER_WORKER && (slot === null || s.jobs.size < slot.jobs.size)) slot = s;
      if (slot === null) return;
      const job = this.#queue.shift();
      if (job === undefined) return;
      slot.jobs.set(job.id, job);
      // Copied only now, for the worker to hold until it answers: the queue holds the callers'
      // bytes, not copies.
      const bytes = this.#memory.take(job.bytes.length);
      bytes.set(job.bytes);
      slot.worker.postMessage({ id: job.id, bytes, claimedKey: job.claimedKey }, [bytes.buffer]);
    }
  }

  /**
   * Judges one image. The bytes are copied to the worker when it takes them, so the caller's
   * buffer is left as it is and must stay so until the answer.
   */
  assess(bytes: Uint8Array, claimedKey?: string): Promise<QualityReport> {
    if (this.#closed) return Promise.reject(new Error('the quality gate pool is closed'));
    return new Promise<QualityReport>((resolve, reject) => {
      this.#queue.push({ id: ++this.#next, bytes, claimedKey, resolve, reject });
      this.#dispatch();
    });
  }

  /** Images waiting for a free worker (the ones being judged not counted). */
  get waiting(): number {
    return this.#queue.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the quality gate pool is closed'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
