/**
 * What the journal's witnesses use (docs/witness.md): the RFC 6962 consistency proof between
 * two of the journal's sizes, so that a witness can check a new checkpoint extends the last one
 * it cosigned, and the door through which a witness hands back its cosignature. Both are
 * public: a proof is computed from the public journal's hashes, and a cosignature is kept only
 * when it verifies with a key the election definition lists, over a checkpoint this center signed.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CenterNode } from '../center/node.ts';
import { parseCheckpointBody } from '../journal/checkpoint.ts';
import { openCosignatures, parseWitnessKey, splitNote, type WitnessKey } from '../journal/cosignature.ts';
import type { JournalTree } from '../journal/journal_tree.ts';

/** A cosigned checkpoint note: the checkpoint, the log's line and up to a few dozen cosignatures. */
const MAX_COSIGNED_NOTE_BYTES = 16 * 1024;

const consistencyQuery = z.strictObject({
  from: z.string().regex(/^(0|[1-9][0-9]{0,14})$/, 'must be a tree size: a decimal without leading zeros'),
  to: z.string().regex(/^(0|[1-9][0-9]{0,14})$/, 'must be a tree size: a decimal without leading zeros'),
});

export function registerWitnessRoutes(
  app: FastifyInstance,
  node: CenterNode,
  clock: () => number,
  journalTree: JournalTree,
): void {
  app.get('/api/v1/proof/consistency', { config: { policy: 'public' } }, async (request, reply) => {
    const query = consistencyQuery.safeParse(request.query);
    if (!query.success)
      return reply.code(400).send({
        error: 'bad-request',
        message: `give from and to, two tree sizes: ${query.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')}`,
      });
    const from = Number(query.data.from);
    const to = Number(query.data.to);
    if (from > to)
      return reply
        .code(400)
        .send({ error: 'bad-request', message: `from (${from}) is larger than to (${to})` });
    // A size the tree already holds is in the journal; only a larger one needs the head.
    let grow = to;
    if (to > journalTree.size) {
      const head = await node.journal.journalHead();
      if (to > head.size)
        return reply
          .code(400)
          .send({ error: 'beyond-head', message: `the journal has ${head.size} entries, not ${to}` });
      grow = head.size;
    }
    const tree = await journalTree.grownTo(grow);
    const proof = tree.consistencyProof(from, to).map((hash) => hash.toString('base64'));
    return reply.header('cache-control', 'public, max-age=3600').send({ from, to, proof });
  });

  const election = node.pipeline.election;
  const witnessKeys: WitnessKey[] = [];
  for (const text of election.witnesses?.keys ?? []) {
    const key = parseWitnessKey(text);
    if (key.ok) witnessKeys.push(key.value);
    else app.log.error({ code: key.code }, `election definition: witness key ignored: ${key.message}`);
  }

  app.post(
    '/api/v1/witness/cosignature',
    { config: { policy: 'public' }, bodyLimit: MAX_COSIGNED_NOTE_BYTES },
    async (request, reply) => {
      const refuse = (status: number, error: string, message: string) =>
        reply.code(status).send({ error, message });
      if (typeof request.body !== 'string')
        return refuse(400, 'bad-request', 'send the cosigned checkpoint note as text/plain');
      const note = splitNote(request.body);
      if (!note.ok) return refuse(400, 'bad-note', note.message);
      const checkpoint = parseCheckpointBody(note.value.body);
      if (!checkpoint.ok) return refuse(400, 'bad-checkpoint', checkpoint.message);
      if (witnessKeys.length === 0)
        return refuse(403, 'no-witnesses', 'the election definition lists no witnesses');
      const opened = openCosignatures(request.body, witnessKeys);
      if (!opened.ok) return refuse(403, opened.code, opened.message);
      if (opened.value.cosignatures.length === 0)
        return refuse(403, 'unknown-witness', 'no cosignature by a witness the election definition lists');
      const signed = await node.journal.checkpointOfSize(checkpoint.value.size);
      const signedBody = signed === null ? null : splitNote(signed.note);
      // A checkpoint this center never signed, or another tree of that size: a witness that
      // cosigned it was shown something else, which its own alarm is for; the center keeps nothing.
      if (signedBody === null || !signedBody.ok || signedBody.value.body !== note.value.body)
        return refuse(
          409,
          'unknown-checkpoint',
          `this center signed no checkpoint of size ${checkpoint.value.size} with that root`,
        );
      const receivedAt = clock();
      await node.journal.transaction(async (tx) => {
        for (const c of opened.value.cosignatures)
          await tx.addCosignature({
            size: checkpoint.value.size,
            witness: c.name,
            keyId: c.keyIdHex,
            line: c.line,
            cosignedAt: c.time,
            receivedAt,
          });
      });
      request.log.info(
        {
          event: 'witness',
          size: checkpoint.value.size,
          witnesses: opened.value.cosignatures.map((c) => c.name),
        },
        'cosignature received',
      );
      return reply.send({
        size: checkpoint.value.size,
        accepted: opened.value.cosignatures.map((c) => c.name),
      });
    },
  );
}
