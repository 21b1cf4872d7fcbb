/**
 * `GET /api/v1/proof/consistency` answers from the tree the server keeps for the process (the
 * one serve signs its checkpoints with), while the journal grows and that tree grows under the
 * requests: every answer is, byte for byte, the proof a tree built afresh from the journal gives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MerkleTree, verifyConsistency } from '../journal/merkle.ts';
import { movingClock, type ServedCenter, startServedCenter, tinySimulacro } from '../test/served_center.ts';

describe('GET /api/v1/proof/consistency', () => {
  let center: ServedCenter;
  const { catalog, election } = tinySimulacro(20);
  const clock = movingClock(election);
  const append = (n: number) =>
    center.node.journal.transaction(async (tx) => {
      for (let i = 0; i < n; i++)
        await tx.appendJournal({ type: 'LOGOUT', at: clock(), operatorId: `o${i}` });
    });
  const ask = (from: number, to: number) =>
    fetch(`${center.base}/api/v1/proof/consistency?from=${from}&to=${to}`);

  before(async () => {
    center = await startServedCenter({ catalog, election, clock, folder: 'openprep-consistency-' });
  });
  after(async () => {
    await center.close();
  });

  test('answers from the server’s one tree, byte for byte the fresh tree’s proof, as it grows', async () => {
    await append(3);
    const tree = center.server.journalTree;
    const answers: Promise<void>[] = [];
    for (let round = 0; round < 6; round++) {
      await append(round + 1);
      const head = (await center.node.journal.journalHead()).size;
      // The checkpoint loop's growth, racing the requests (serve does this every few seconds).
      if (round % 2 === 1) answers.push(tree.grownTo(head).then(() => undefined));
      for (const [from, to] of [
        [1, head],
        [Math.floor(head / 2), head - 1],
        [0, head],
        [head, head],
      ] as const) {
        answers.push(
          ask(from, to).then(async (answer) => {
            assert.equal(answer.status, 200);
            assert.equal(answer.headers.get('cache-control'), 'public, max-age=3600');
            const fresh = new MerkleTree(await center.node.journal.journalLeafHashes(0, to));
            const proof = fresh.consistencyProof(from, to);
            const expected = JSON.stringify({ from, to, proof: proof.map((h) => h.toString('base64')) });
            assert.equal(await answer.text(), expected);
            assert.ok(
              verifyConsistency({
                oldSize: from,
                newSize: to,
                oldRoot: fresh.root(from),
                newRoot: fresh.root(to),
                proof,
              }),
            );
          }),
        );
      }
    }
    await Promise.all(answers);
    assert.equal(tree.size, (await center.node.journal.journalHead()).size);
  });

  test('a size past the journal’s head is refused as before; one the tree has not reached yet is answered', async () => {
    const head = (await center.node.journal.journalHead()).size;
    const beyond = await ask(1, head + 1);
    assert.equal(beyond.status, 400);
    assert.deepEqual(await beyond.json(), {
      error: 'beyond-head',
      message: `the journal has ${head} entries, not ${head + 1}`,
    });
    await append(5);
    assert.equal(center.server.journalTree.size, head);
    const grown = await ask(head, head + 5);
    assert.equal(grown.status, 200);
    assert.equal(((await grown.json()) as { proof: string[] }).proof.length > 0, true);
    assert.equal(center.server.journalTree.size, head + 5);
    assert.equal((await ask(3, 2)).status, 400);
    assert.equal((await ask(Number.NaN, 2)).status, 400);
  });
});
