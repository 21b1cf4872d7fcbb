import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { JournalTree } from './journal_tree.ts';
import { hashLeafText, MerkleTree } from './merkle.ts';

/** A journal that grows under the tree, answering each read a few event-loop turns later. */
class SlowJournal {
  readonly leaves: Buffer[] = [];
  read = 0;
  failNext = false;
  short = false;
  readonly #delays: () => number;
  constructor(delays: () => number) {
    this.#delays = delays;
  }
  grow(n: number): void {
    for (let i = 0; i < n; i++) this.leaves.push(hashLeafText(`entry ${this.leaves.length}`));
  }
  async journalLeafHashes(start: number, end: number): Promise<Buffer[]> {
    for (let turns = this.#delays(); turns > 0; turns--) await nextTurn();
    if (this.failNext) {
      this.failNext = false;
      throw new Error('the store is away');
    }
    const got = this.leaves.slice(start, this.short ? end - 1 : end);
    this.read += got.length;
    return got;
  }
}

describe('JournalTree', () => {
  test('concurrent growths and readers: every proof and root is the fresh tree’s, each leaf read once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ grow: fc.nat(40), asks: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }) }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 16 }),
        async (steps, delays) => {
          let d = 0;
          const journal = new SlowJournal(() => delays[d++ % delays.length]!);
          const tree = new JournalTree(journal);
          const answers: Promise<void>[] = [];
          for (const step of steps) {
            journal.grow(step.grow);
            const head = journal.leaves.length;
            // Not awaited: the readers of this head race the growth of the next.
            for (const [a, b] of step.asks) {
              const to = b % (head + 1);
              const from = a % (to + 1);
              const expected = new MerkleTree(journal.leaves.slice(0, to));
              answers.push(
                tree.grownTo(to).then((view) => {
                  assert.ok(view.size >= to);
                  assert.deepEqual(view.consistencyProof(from, to), expected.consistencyProof(from, to));
                  assert.deepEqual(view.root(to), expected.root());
                }),
              );
            }
            answers.push(tree.grownTo(head).then(() => undefined));
          }
          await Promise.all(answers);
          assert.equal(tree.size, journal.leaves.length);
          assert.equal(journal.read, journal.leaves.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a size the tree holds is answered without reading the journal', async () => {
    const journal = new SlowJournal(() => 0);
    journal.grow(9);
    const tree = new JournalTree(journal);
    await tree.grownTo(9);
    journal.failNext = true;
    assert.equal((await tree.grownTo(5)).size, 9);
    assert.equal(journal.read, 9);
  });

  test('a failed read fails its caller only; the next growth reads the leaves again', async () => {
    const journal = new SlowJournal(() => 1);
    journal.grow(5);
    const tree = new JournalTree(journal);
    journal.failNext = true;
    await assert.rejects(tree.grownTo(5), /the store is away/);
    assert.equal(tree.size, 0);
    const view = await tree.grownTo(5);
    assert.deepEqual(view.root(), new MerkleTree(journal.leaves).root());
  });

  test('a journal that gives fewer leaves than its head is a bug, and nothing is appended', async () => {
    const journal = new SlowJournal(() => 0);
    journal.grow(4);
    journal.short = true;
    const tree = new JournalTree(journal);
    await assert.rejects(tree.grownTo(4), /gave 3 leaves of \[0, 4\)/);
    assert.equal(tree.size, 0);
  });
});
