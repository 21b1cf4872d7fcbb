/**
 * Contests shared out between the verifier's thread and worker threads (contest_worker.ts):
 * a queue in shared memory, and the two ways of draining it.
 */
import { Worker } from 'node:worker_threads';
import { type ContestInput, type ContestOutcome, verifyContest } from './contest.ts';
import { type CheckId, Checks } from './core/report.ts';
import type { CutSource } from './cut_source.ts';

/** Below this many acta rows a worker's start-up costs more than it saves. */
export const WORKER_THRESHOLD_ROWS = 50_000;

export type ContestVerdict = ContestOutcome & { readonly failures: readonly [CheckId, string][] };

/**
 * Hands out contest indexes to whoever is free: worker threads or the verifier's own thread.
 * The counter is in shared memory so a worker takes its next contest itself, without waiting
 * for this thread (busy with a contest of its own) to answer a message.
 */
export class ContestQueue {
  readonly #next: Int32Array;
  readonly #count: number;

  constructor(count: number, shared = new SharedArrayBuffer(4)) {
    this.#next = new Int32Array(shared);
    this.#count = count;
  }

  get shared(): SharedArrayBuffer {
    return this.#next.buffer as SharedArrayBuffer;
  }

  take(): number | null {
    const index = Atomics.add(this.#next, 0, 1);
    return index < this.#count ? index : null;
  }
}

export type WorkerMessage =
  | { readonly kind: 'verdict'; readonly index: number; readonly verdict: ContestVerdict }
  | { readonly kind: 'done' };

export async function runContestsHere(
  queue: ContestQueue,
  results: ContestVerdict[],
  source: CutSource,
  input: ContestInput,
): Promise<void> {
  for (let index = queue.take(); index !== null; index = queue.take())
    results[index] = await contestVerdict(input, source, index);
}

/**
 * One contest's verdict. An exception inside its checks (an unreadable CSV, a bug met by
 * hostile input) fails V07 for that contest, the check that reads its CSV; the others go on.
 */
export async function contestVerdict(
  input: ContestInput,
  source: CutSource,
  index: number,
): Promise<ContestVerdict> {
  const checks = new Checks();
  const entry = input.manifest.contests[index]!;
  const outcome = await checks.attempt<ContestOutcome>('V07', { published: null, hashes: [] }, () =>
    verifyContest({ ...input, source, entry, checks }),
  );
  return { ...outcome, failures: checks.failures() };
}

/** A worker thread takes contests from the queue until it is empty; the catalog is sent to it once. */
export function runContestsInWorker(
  queue: ContestQueue,
  results: ContestVerdict[],
  location: string,
  input: ContestInput,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./contest_worker.ts', import.meta.url), {
      workerData: { ...input, location, queue: queue.shared },
    });
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'verdict') results[message.index] = message.verdict;
      else {
        resolve();
        void worker.terminate();
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`contest worker exited with ${code}`)));
  });
}
