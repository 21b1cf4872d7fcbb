/**
 * Group commit: write transactions queued while one is being written share the next one, so
 * many receipts, captures and claims cost one commit (one fsync on SQLite, one round of the
 * write lock on PostgreSQL) and each caller is still answered only after its commit. A piece
 * of work returns its expected failures as values; a throw is a bug and fails the whole batch.
 *
 * Generic over the transaction: each part sees only its own view of it (its port), while one
 * group commit, made by the wiring, serves every part that writes.
 */

/** Something that runs work in one transaction of type Tx (a store, or a port of one). */
export interface Transactional<Tx> {
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/** Work run in a shared transaction: what a part that writes is given by the wiring. */
export interface Commits<Tx> {
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/** Runs queued transaction work in shared transactions: whatever queues while one commits goes in the next. */
export class GroupCommit<Tx> implements Commits<Tx> {
  readonly #store: Transactional<Tx>;
  #pending: {
    work: (tx: Tx) => Promise<unknown>;
    settle: (r: PromiseSettledResult<unknown>) => void;
  }[] = [];
  #running = false;
  readonly maxBatch: number;

  constructor(store: Transactional<Tx>, maxBatch = 256) {
    this.#store = store;
    this.maxBatch = maxBatch;
  }

  /** Writes queued for the next commit (the metrics' view of the writer's backlog). */
  get backlog(): number {
    return this.#pending.length;
  }

  /** Whether a batch is being committed now. */
  get busy(): boolean {
    return this.#running;
  }

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({
        work,
        settle: (r) => (r.status === 'fulfilled' ? resolve(r.value as T) : reject(r.reason)),
      });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#pending.length > 0) {
      // A transaction runs without yielding to I/O: give the packages whose images finished
      // meanwhile one turn of the event loop to join this batch.
      await new Promise((resolve) => setImmediate(resolve));
      const batch = this.#pending.splice(0, this.maxBatch);
      try {
        const results = await this.#store.transaction(async (tx) => {
          const out: unknown[] = [];
          for (const item of batch) out.push(await item.work(tx));
          return out;
        });
        for (const [i, item] of batch.entries()) item.settle({ status: 'fulfilled', value: results[i] });
      } catch (error) {
        // A throw is a bug, and it rolled the whole batch back: every caller learns it failed.
        for (const item of batch) item.settle({ status: 'rejected', reason: error });
      }
    }
    this.#running = false;
  }
}
