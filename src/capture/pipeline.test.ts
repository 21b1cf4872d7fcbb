import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { BASICA, CATALOG, CONTIGUA, ELECTION, ESPECIAL, actaKeyOf, fields } from '../test/fixtures.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import type { Store } from '../store/store.ts';
import { GroupCommit } from '../platform/group_commit.ts';
import { ActaPipeline, type SubmissionInput } from './pipeline.ts';
import { tabulate } from '../domain/tabulation.ts';

const AT = Date.parse('2024-06-03T04:00:00.000Z');
let directory: string;
before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'openprep-pipeline-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

let counter = 0;
async function fresh(
  file?: string,
  clock: () => number = () => AT,
): Promise<{ pipeline: ActaPipeline; store: Store }> {
  const opened = openSqliteStore(file ?? path.join(directory, `p${counter++}.sqlite`));
  assert.ok(opened.ok);
  const setup = await ActaPipeline.setup({
    records: opened.value,
    commits: new GroupCommit(opened.value),
    election: ELECTION,
    catalog: CATALOG,
    clock,
  });
  assert.ok(setup.ok);
  return { pipeline: setup.value, store: opened.value };
}

function submission(
  claimedKey: string,
  image: string,
  overrides: Partial<SubmissionInput> = {},
): SubmissionInput {
  return {
    contest: 'DIP_FED',
    claimedKey,
    imageSha256: image.repeat(64).slice(0, 64),
    origin: 'CASILLA',
    digitization: 'MOVIL',
    documentType: 'ACTA_PREP',
    transfer: null,
    acopioAt: AT,
    source: 'phone-1',
    ...overrides,
  };
}

describe('acta pipeline on a real SQLite file', () => {
  test('two equal captures by different operators verify the acta; it is published', async () => {
    const { pipeline, store } = await fresh();
    const key = actaKeyOf(BASICA);
    const registered = await pipeline.registerSubmission(submission(key, 'a'));
    assert.ok(registered.ok);
    assert.equal(registered.value.outcome, 'registered');
    assert.equal(registered.value.inCatalog, true);
    const task = await pipeline.nextToCapture({ operatorId: 'ana' });
    assert.equal(task?.recordId, key);
    assert.deepEqual(
      task?.columns.map((c) => c.id),
      ['PAN', 'MORENA', 'PAN_MORENA', 'NO_REGISTRADAS', 'NULOS'],
    );
    const f = fields(BASICA, [100, 150, 5, 1, 4]);
    assert.equal((await pipeline.recordCapture({ recordId: key, operatorId: 'ana', fields: f })).ok, true);
    // Blind and never twice to the same person.
    assert.equal(await pipeline.nextToCapture({ operatorId: 'ana' }), null);
    const second = await pipeline.recordCapture({ recordId: key, operatorId: 'beto', fields: f });
    assert.ok(second.ok);
    assert.equal(second.value.outcome, 'verified');
    const snapshot = await pipeline.snapshot();
    const actas = snapshot.actas.get('DIP_FED')!;
    assert.equal(actas.length, 1);
    assert.equal(actas[0]!.classification.contabilizada, 1);
    assert.equal(actas[0]!.capturedAt, AT);
    // setup wrote 2 entries; submission, two captures: 3 more.
    assert.equal(snapshot.head.size, 5);
    await store.close();
  });

  test('capturistas asking at once are handed different actas, at most as many per acta as captures it needs', async () => {
    let now = AT;
    const { pipeline, store } = await fresh(undefined, () => now);
    const first = actaKeyOf(BASICA);
    const second = actaKeyOf(CONTIGUA);
    assert.ok((await pipeline.registerSubmission(submission(first, 'a'))).ok);
    now += 1_000;
    assert.ok((await pipeline.registerSubmission(submission(second, 'b', { acopioAt: now }))).ok);
    const next = async (operatorId: string) =>
      (await pipeline.nextToCapture({ operatorId }))?.recordId ?? null;
    // Asked all at once: two people on the oldest acta (it needs two captures), the third elsewhere.
    assert.deepEqual(await Promise.all(['ana', 'beto', 'carla'].map(next)), [first, first, second]);
    assert.equal(await next('ana'), first, 'asking again gives back the same acta');
    const f = fields(BASICA, [100, 150, 5, 1, 4]);
    assert.ok((await pipeline.recordCapture({ recordId: first, operatorId: 'ana', fields: f })).ok);
    assert.equal(await next('dora'), second, 'beto still holds the one capture the first acta needs');
    assert.equal(await next('eva'), null, 'every acta has as many people as captures it needs');
    now += 11 * 60_000;
    assert.equal(await next('eva'), first, 'an unfinished claim expires');
    await store.close();
  });

  test('verifiers asking at once are handed different mismatches, never one they captured', async () => {
    let now = AT;
    const { pipeline, store } = await fresh(undefined, () => now);
    const keys = [actaKeyOf(BASICA), actaKeyOf(CONTIGUA)];
    for (const [i, key] of keys.entries()) {
      now += 1_000;
      assert.ok((await pipeline.registerSubmission(submission(key, 'ab'[i]!, { acopioAt: now }))).ok);
      const casilla = i === 0 ? BASICA : CONTIGUA;
      assert.ok(
        (
          await pipeline.recordCapture({
            recordId: key,
            operatorId: 'ana',
            fields: fields(casilla, [100, 150, 5, 1, 4]),
          })
        ).ok,
      );
      assert.ok(
        (
          await pipeline.recordCapture({
            recordId: key,
            operatorId: 'beto',
            fields: fields(casilla, [101, 150, 5, 1, 4]),
          })
        ).ok,
      );
    }
    const next = async (operatorId: string) =>
      (await pipeline.nextToVerify({ operatorId }))?.recordId ?? null;
    assert.equal(await next('ana'), null, 'ana captured both');
    assert.deepEqual(await Promise.all(['vera', 'victor', 'vilma'].map(next)), [keys[0], keys[1], null]);
    assert.equal(await next('vera'), keys[0], 'asking again gives back the same acta');
    const resolved = await pipeline.resolveMismatch({
      recordId: keys[0]!,
      verifierId: 'vera',
      fields: fields(BASICA, [100, 150, 5, 1, 4]),
    });
    assert.ok(resolved.ok);
    assert.equal(await next('vilma'), null, 'the other mismatch is still victor’s');
    now += 11 * 60_000;
    assert.equal(await next('vilma'), keys[1], 'an unfinished claim expires');
    await store.close();
  });

  test('a capture or resolution counts only for the acta handed to that person; a claim that expired counts while nobody else took it', async () => {
    let now = AT;
    const { pipeline, store } = await fresh(undefined, () => now);
    const key = actaKeyOf(BASICA);
    assert.ok((await pipeline.registerSubmission(submission(key, 'a'))).ok);
    const f = fields(BASICA, [100, 150, 5, 1, 4]);
    const capture = (operatorId: string, values = f) =>
      pipeline.recordCapture({ recordId: key, operatorId, fields: values, requireClaim: true });
    // Two people agreeing on values for an acta neither was handed: refused, nothing written.
    const head = await store.journalHead();
    for (const operatorId of ['ana', 'beto']) {
      const refused = await capture(operatorId);
      assert.equal(!refused.ok && refused.code, 'not-handed-out');
    }
    assert.equal((await store.getActa(key))?.captures.length, 0);
    assert.deepEqual(await store.journalHead(), head);
    // Handed to ana; she types past the claim's end, nobody took her place: it counts.
    assert.equal((await pipeline.nextToCapture({ operatorId: 'ana' }))?.recordId, key);
    now += 11 * 60_000;
    assert.equal((await capture('ana')).ok, true);
    // Handed to beto, who is slow; once his claim ends it goes to carla: beto's capture is refused.
    assert.equal((await pipeline.nextToCapture({ operatorId: 'beto' }))?.recordId, key);
    now += 11 * 60_000;
    assert.equal((await pipeline.nextToCapture({ operatorId: 'carla' }))?.recordId, key);
    const late = await capture('beto', fields(BASICA, [101, 150, 5, 1, 4]));
    assert.equal(!late.ok && late.code, 'claim-taken');
    const second = await capture('carla', fields(BASICA, [101, 150, 5, 1, 4]));
    assert.ok(second.ok);
    assert.equal(second.value.outcome, 'mismatch');
    // Repeating a capture already in (a lost answer) still answers as before.
    assert.equal((await capture('ana')).ok, true);
    // Verification: only the verifier handed the mismatch resolves it.
    const resolve = (verifierId: string) =>
      pipeline.resolveMismatch({ recordId: key, verifierId, fields: f, requireClaim: true });
    const unasked = await resolve('vera');
    assert.equal(!unasked.ok && unasked.code, 'not-handed-out');
    assert.equal((await pipeline.nextToVerify({ operatorId: 'vera' }))?.recordId, key);
    now += 11 * 60_000;
    assert.equal((await pipeline.nextToVerify({ operatorId: 'victor' }))?.recordId, key);
    const taken = await resolve('vera');
    assert.equal(!taken.ok && taken.code, 'claim-taken');
    const resolved = await resolve('victor');
    assert.ok(resolved.ok);
    assert.equal(resolved.value.outcome, 'resolved');
    await store.close();
  });

  test('claims are timed on the claim clock: a night clock running fast ends no person’s claim; captures that yield to holders take no held place', async () => {
    let night = AT;
    let wall = Date.parse('2026-12-04T12:00:00.000Z');
    const opened = openSqliteStore(path.join(directory, `p${counter++}.sqlite`));
    assert.ok(opened.ok);
    const store = opened.value;
    const setup = await ActaPipeline.setup({
      records: store,
      commits: new GroupCommit(store),
      election: ELECTION,
      catalog: CATALOG,
      clock: () => night,
      claimClock: () => wall,
    });
    assert.ok(setup.ok);
    const pipeline = setup.value;
    const key = actaKeyOf(BASICA);
    assert.ok((await pipeline.registerSubmission(submission(key, 'a'))).ok);
    const f = fields(BASICA, [100, 150, 5, 1, 4]);
    assert.equal((await pipeline.nextToCapture({ operatorId: 'ana' }))?.recordId, key);
    assert.equal((await pipeline.nextToCapture({ operatorId: 'beto' }))?.recordId, key);
    // Hours of the night pass while ana and beto type: their claims stand, nobody else is handed it.
    night += 5 * 3_600_000;
    assert.equal(await pipeline.nextToCapture({ operatorId: 'carla' }), null);
    // A capture by someone it was not handed to (a simulated capturista) yields to them.
    const simulated = (operatorId: string) =>
      pipeline.recordCapture({ recordId: key, operatorId, fields: f, yieldToHolders: true });
    const refused = await simulated('capturista-01');
    assert.equal(!refused.ok && refused.code, 'held-by-others');
    assert.equal((await store.getActa(key))?.captures.length, 0);
    assert.ok(
      (await pipeline.recordCapture({ recordId: key, operatorId: 'ana', fields: f, requireClaim: true })).ok,
    );
    assert.equal(!(await simulated('capturista-01')).ok, true, 'beto still holds the place left');
    // Ten minutes of the wall clock: beto's claim ends and the place is free again.
    wall += 11 * 60_000;
    const taken = await simulated('capturista-01');
    assert.ok(taken.ok);
    assert.equal(taken.value.outcome, 'verified');
    await store.close();
  });

  test('separation of duties: nobody captures both entries, no verifier resolves their own', async () => {
    const { pipeline, store } = await fresh();
    const key = actaKeyOf(BASICA);
    await pipeline.registerSubmission(submission(key, 'a'));
    await pipeline.recordCapture({
      recordId: key,
      operatorId: 'ana',
      fields: fields(BASICA, [1, 2, 3, 4, 5]),
    });
    const again = await pipeline.recordCapture({
      recordId: key,
      operatorId: 'ana',
      fields: fields(BASICA, [9, 2, 3, 4, 5]),
    });
    assert.equal(again.ok, false);
    assert.equal(!again.ok && again.code, 'already-captured');
    const mismatch = await pipeline.recordCapture({
      recordId: key,
      operatorId: 'beto',
      fields: fields(BASICA, [1, 2, 3, 4, 6]),
    });
    assert.ok(mismatch.ok);
    assert.equal(mismatch.value.outcome, 'mismatch');
    const queue = await pipeline.verificationQueue();
    assert.equal(queue.length, 1);
    assert.equal(queue[0]!.captures.length, 2);
    const own = await pipeline.resolveMismatch({
      recordId: key,
      verifierId: 'beto',
      fields: fields(BASICA, [1, 2, 3, 4, 5]),
    });
    assert.equal(!own.ok && own.code, 'verifier-was-capturista');
    const resolved = await pipeline.resolveMismatch({
      recordId: key,
      verifierId: 'carla',
      fields: fields(BASICA, [1, 2, 3, 4, 5]),
    });
    assert.ok(resolved.ok);
    assert.equal(resolved.value.outcome, 'resolved');
    await store.close();
  });

  test('the same submission twice changes nothing; a later image is kept beside the first; a reused image is flagged', async () => {
    const { pipeline, store } = await fresh();
    const key = actaKeyOf(CONTIGUA);
    const first = await pipeline.registerSubmission(submission(key, 'b'));
    const head = await store.journalHead();
    const repeat = await pipeline.registerSubmission(submission(key, 'b'));
    assert.ok(first.ok && repeat.ok);
    assert.equal(repeat.value.outcome, 'duplicate');
    assert.equal((await store.journalHead()).size, head.size);
    const scan = await pipeline.registerSubmission(
      submission(key, 'c', { origin: 'CATD', digitization: 'ESCANER' }),
    );
    assert.ok(scan.ok);
    assert.equal(scan.value.outcome, 'additional-image');
    const record = await store.getActa(key);
    assert.equal(record?.submission?.imageSha256, 'b'.repeat(64));
    assert.deepEqual(record?.additionalImages, ['c'.repeat(64)]);
    const reused = await pipeline.registerSubmission(submission(actaKeyOf(BASICA), 'b'));
    assert.ok(reused.ok);
    assert.equal(reused.value.outcome, 'conflict-flagged');
    assert.equal(await store.getActa(actaKeyOf(BASICA)), null);
    assert.equal((await store.images(actaKeyOf(BASICA)))[0]?.role, 'conflict');
    await store.close();
  });

  test('fuera de catálogo: kept, captured, published with CONTABILIZADA 2', async () => {
    const { pipeline, store } = await fresh();
    for (const claimed of ['010338B990003', 'garbled-label']) {
      const r = await pipeline.registerSubmission(
        submission(claimed, claimed === 'garbled-label' ? 'd' : 'e'),
      );
      assert.ok(r.ok);
      assert.equal(r.value.inCatalog, false);
      const f = fields(BASICA, [1, 2, 3, 4, 5]);
      await pipeline.recordCapture({ recordId: r.value.recordId, operatorId: 'ana', fields: f });
      await pipeline.recordCapture({ recordId: r.value.recordId, operatorId: 'beto', fields: f });
    }
    const actas = (await pipeline.snapshot()).actas.get('DIP_FED')!;
    assert.equal(actas.length, 2);
    assert.ok(actas.every((a) => a.classification.contabilizada === 2 && a.casilla === null));
    await store.close();
  });

  test('cotejo: reopening keeps the published values until re-verified, and keeps history', async () => {
    const { pipeline, store } = await fresh();
    const key = actaKeyOf(BASICA);
    await pipeline.registerSubmission(submission(key, 'a'));
    const wrong = fields(BASICA, [100, 150, 5, 1, 4]);
    await pipeline.recordCapture({ recordId: key, operatorId: 'ana', fields: wrong });
    await pipeline.recordCapture({ recordId: key, operatorId: 'beto', fields: wrong });
    const reopened = await pipeline.cotejo({
      recordId: key,
      reviewerId: 'rita',
      decision: 'reopen',
      reason: 'PAN reads 110',
    });
    assert.ok(reopened.ok);
    let acta = (await pipeline.snapshot()).actas.get('DIP_FED')![0]!;
    assert.equal(acta.cotejada, 3);
    assert.equal(acta.fields?.votes['PAN'], 100);
    const right = fields(BASICA, [110, 150, 5, 1, 4]);
    await pipeline.recordCapture({ recordId: key, operatorId: 'carla', fields: right });
    await pipeline.recordCapture({ recordId: key, operatorId: 'dani', fields: right });
    acta = (await pipeline.snapshot()).actas.get('DIP_FED')![0]!;
    assert.equal(acta.cotejada, 2);
    assert.equal(acta.fields?.votes['PAN'], 110);
    assert.equal((await store.getActa(key))?.previousVersions.length, 1);
    await store.close();
  });

  test('sin acta for an acta esperada with no image; the close stops acopio', async () => {
    const { pipeline, store } = await fresh();
    const key = actaKeyOf(ESPECIAL, '04');
    const r = await pipeline.declareSinActa({
      contest: 'DIP_FED',
      actaKey: key,
      reason: 'CASILLA_NO_INSTALADA',
      operatorId: 'coord',
    });
    assert.ok(r.ok);
    const acta = (await pipeline.snapshot()).actas.get('DIP_FED')![0]!;
    assert.deepEqual(acta.classification.observations, ['SIN_ACTA']);
    const late = await pipeline.registerSubmission(
      submission(actaKeyOf(BASICA), 'f', { acopioAt: AT + 48 * 3_600_000 }),
    );
    assert.equal(!late.ok && late.code, 'after-close');
    await store.close();
  });

  test('reopening the store gives back the same pipeline state', async () => {
    const file = path.join(directory, 'reopen.sqlite');
    const { pipeline, store } = await fresh(file);
    await pipeline.registerSubmission(submission(actaKeyOf(BASICA), 'a'));
    const before = await pipeline.snapshot();
    await store.close();
    const reopened = openSqliteStore(file);
    assert.ok(reopened.ok);
    const again = await ActaPipeline.open({
      records: reopened.value,
      commits: new GroupCommit(reopened.value),
      clock: () => AT,
    });
    assert.ok(again.ok);
    assert.deepEqual((await again.value.snapshot()).head, before.head);
    await reopened.value.close();
  });

  test('property: totals are independent of submission order and duplicates', async () => {
    const keys = [actaKeyOf(BASICA), actaKeyOf(CONTIGUA), actaKeyOf(ESPECIAL), actaKeyOf(ESPECIAL, '04')];
    const truth = new Map<string, ReturnType<typeof fields>>([
      [keys[0]!, fields(BASICA, [10, 20, 3, 0, 1])],
      [keys[1]!, fields(CONTIGUA, [7, 'ilegible', 1, 0, 2])],
      [keys[2]!, fields(ESPECIAL, [30, 40, 0, 1])],
      [keys[3]!, fields(ESPECIAL, [31, 39, 0, 1])],
    ]);
    type Step = { kind: 'submit' | 'capture1' | 'capture2'; key: string };
    const steps: Step[] = keys.flatMap((key) => [
      { kind: 'submit' as const, key },
      { kind: 'capture1' as const, key },
      { kind: 'capture2' as const, key },
    ]);
    let reference: string | null = null;
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(steps, { minLength: steps.length }),
        fc.array(fc.nat(steps.length - 1), { maxLength: 6 }),
        async (order, duplicates) => {
          const { pipeline, store } = await fresh();
          const run = [...order, ...duplicates.map((i) => order[i]!)];
          // Captures only succeed after the submission; retry the whole sequence until quiet, as devices do.
          for (let pass = 0; pass < 3; pass++) {
            for (const step of run) {
              if (step.kind === 'submit')
                await pipeline.registerSubmission({
                  ...submission(step.key, 'a'),
                  imageSha256: createHash('sha256').update(step.key).digest('hex'),
                });
              else
                await pipeline.recordCapture({
                  recordId: step.key,
                  operatorId: step.kind === 'capture1' ? 'ana' : 'beto',
                  fields: truth.get(step.key)!,
                });
            }
          }
          const snapshot = await pipeline.snapshot();
          const t = tabulate({
            contest: ELECTION.contests[0]!,
            catalog: CATALOG,
            actas: snapshot.actas.get('DIP_FED')!,
            final: false,
          });
          await store.close();
          const result = JSON.stringify(t.national);
          reference ??= result;
          return result === reference && t.national.aggregates.actasContabilizadas === 4;
        },
      ),
      { numRuns: 25 },
    );
  });
});
