/**
 * The journal's Merkle tree as one process keeps it. `openprep serve` signs its periodic
 * checkpoints with it and answers the witnesses' consistency proofs from it
 * (`GET /api/v1/proof/consistency`): one copy of the hashes in memory, each leaf read from the
 * store once for the life of the process, and one answer to "what is the tree of size n".
 *
 * Readers need no snapshot: the journal only grows, and the tree caches only perfect subtrees,
 * which never change once complete, so a proof or a root for a size n ≤ the tree's size is the
 * same bytes before and after any growth (and each is computed synchronously, between awaits).
 */
import type { JournalReads } from './journal_port.ts';
import { MerkleTree } from './merkle.ts';

/** What a reader may do with the shared tree: ask, never append (only `grownTo` appends). */
export type JournalTreeView = Pick<MerkleTree, 'size' | 'root' | 'inclusionProof' | 'consistencyProof'>;

export class JournalTree {
  readonly #tree = new MerkleTree([]);
  readonly #leaves: Pick<JournalReads, 'journalLeafHashes'>;
  // Growths run one after another: two that read the tree's size before either appended would
  // append the same leaves twice, and every later root would be wrong.
  #growing: Promise<void> = Promise.resolve();

  constructor(leaves: Pick<JournalReads, 'journalLeafHashes'>) {
    this.#leaves = leaves;
  }

  get size(): number {
    return this.#tree.size;
  }

  /**
   * The tree, holding at least the journal's first `size` leaves: the missing ones are read
   * from the store. `size` must not exceed the journal's head (the caller read it): leaves
   * that are not there yet are a bug, not a wait.
   */
  async grownTo(size: number): Promise<JournalTreeView> {
    if (this.#tree.size >= size) return this.#tree;
    const growth = this.#growing.then(async () => {
      const from = this.#tree.size;
      if (from >= size) return;
      const hashes = await this.#leaves.journalLeafHashes(from, size);
      if (hashes.length !== size - from)
        throw new Error(`the journal gave ${hashes.length} leaves of [${from}, ${size}), not ${size - from}`);
      this.#tree.append(hashes);
    });
    // A failed read (the store away) fails the caller that asked, not every one after it.
    this.#growing = growth.catch(() => undefined);
    await growth;
    return this.#tree;
  }
}
