import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { ElectionDefinition } from '../domain/election.ts';
import { applicableColumns } from '../domain/actas_esperadas.ts';
import type { Casilla } from '../domain/catalog.ts';
import type { ActaReading } from '../domain/reader_assist.ts';
import { tabulate } from '../domain/tabulation.ts';
import type { ActaFields } from '../domain/values.ts';
import { type JournalEntry, readEntry } from '../journal/entries.ts';
import { GroupCommit } from '../platform/group_commit.ts';
import { resultsCsv } from '../publish/results_csv.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import type { Store } from '../store/store.ts';
import {
  actaKeyOf,
  BASICA,
  CATALOG,
  CONTEST,
  CONTIGUA,
  ELECTION,
  ESPECIAL,
  EXTRAORDINARIA,
  fields,
} from '../test/fixtures.ts';
import { imageOf, readingOf } from '../test/readings.ts';
import { ActaPipeline } from './pipeline.ts';

const AT = Date.parse('2024-06-03T04:00:00.000Z');
const MODEL = 'c0ffee'.repeat(10).padEnd(64, '0');
const LECTOR = 'lector:c0ffeec0ffee';
const ASSIST: ElectionDefinition = {
  ...ELECTION,
  reader: { mode: 'assist', agreementThreshold: 0.98, window: 1, minScored: 1 },
};

async function fresh(election = ASSIST): Promise<{ pipeline: ActaPipeline; store: Store }> {
  const opened = openSqliteStore(':memory:');
  assert.ok(opened.ok);
  let now = AT;
  const setup = await ActaPipeline.setup({
    records: opened.value,
    commits: new GroupCommit(opened.value),
    election,
    catalog: CATALOG,
    clock: () => now++,
  });
  assert.ok(setup.ok);
  return { pipeline: setup.value, store: opened.value };
}

const image = imageOf;

async function register(pipeline: ActaPipeline, casilla: Casilla, at = AT): Promise<void> {
  const registered = await pipeline.registerSubmission({
    contest: CONTEST.id,
    claimedKey: actaKeyOf(casilla),
    imageSha256: image(casilla),
    origin: 'CASILLA',
    digitization: 'MOVIL',
    documentType: 'ACTA_PREP',
    transfer: null,
    acopioAt: at,
    source: 'phone-1',
  });
  assert.ok(registered.ok, registered.ok ? '' : registered.message);
}

const reading = (casilla: Casilla, f: ActaFields, confidence = 1): ActaReading =>
  readingOf(casilla, f, { modelHash: MODEL, confidence });

async function journal(store: Store): Promise<JournalEntry[]> {
  const head = await store.journalHead();
  return (await store.journalEntries(0, head.size)).map((bytes) => {
    const entry = readEntry(bytes);
    assert.ok(entry.ok);
    return entry.value;
  });
}

/** Earns assist with one verified acta (the window is 1) the reader read right. */
async function earn(pipeline: ActaPipeline, casilla: Casilla): Promise<void> {
  await register(pipeline, casilla);
  const f = fields(casilla, [100, 150, 5, 1, 4]);
  for (const operatorId of ['ana', 'beto'])
    assert.ok((await pipeline.recordCapture({ recordId: actaKeyOf(casilla), operatorId, fields: f })).ok);
  const scored = await pipeline.readerAssist.scoreVerified(reading(casilla, f));
  assert.ok(scored.ok);
  assert.equal(scored.value.counted, true);
  assert.equal(scored.value.status.active, true);
}

describe('the reader as one blind capture (SQLite)', () => {
  test('in shadow its readings are never captures', async () => {
    const { pipeline } = await fresh(ELECTION);
    await register(pipeline, CONTIGUA);
    const offered = await pipeline.readerAssist.offerReading(
      reading(CONTIGUA, fields(CONTIGUA, [1, 2, 3, 4, 5])),
    );
    assert.equal(offered.ok ? '' : offered.code, 'assist-off');
    const status = await pipeline.readerAssist.status();
    assert.equal(status.mode, 'shadow');
    assert.equal(status.reason, 'shadow-mode');
  });

  test('earned: it takes one place, a person types the other, a difference goes to a verificador', async () => {
    const { pipeline, store } = await fresh();
    const before = await pipeline.readerAssist.offerReading(reading(BASICA, fields(BASICA, [1, 2, 3, 4, 5])));
    assert.equal(before.ok ? '' : before.code, 'unknown-acta');
    assert.equal((await pipeline.readerAssist.status()).reason, 'too-few-scored');
    await earn(pipeline, BASICA);
    assert.ok(
      (await journal(store)).some(
        (e) => e.type === 'READER_ASSIST_SWITCHED' && e.active && e.agreement === 1,
      ),
    );

    await register(pipeline, CONTIGUA, AT + 1);
    const truth = fields(CONTIGUA, [10, 20, 3, 4, 5]);
    // A doubtful box: not offered, two people type it.
    const doubtful = await pipeline.readerAssist.offerReading(reading(CONTIGUA, truth, 0.9));
    assert.equal(doubtful.ok ? '' : doubtful.code, 'not-confident');
    const wrong = fields(CONTIGUA, [10, 26, 3, 4, 5]);
    const offered = await pipeline.readerAssist.offerReading(reading(CONTIGUA, wrong));
    assert.ok(offered.ok, offered.ok ? '' : offered.message);
    assert.equal(offered.value.outcome, 'captured');
    // The same reading again changes nothing.
    const again = await pipeline.readerAssist.offerReading(reading(CONTIGUA, wrong));
    assert.equal(again.ok && again.value.outcome, 'unchanged');
    // Handed to one person only.
    const task = await pipeline.nextToCapture({ operatorId: 'ana' });
    assert.equal(task?.recordId, actaKeyOf(CONTIGUA));
    assert.equal(await pipeline.nextToCapture({ operatorId: 'beto' }), null);
    const typed = await pipeline.recordCapture({
      recordId: actaKeyOf(CONTIGUA),
      operatorId: 'ana',
      fields: truth,
      requireClaim: true,
    });
    assert.equal(typed.ok && typed.value.outcome, 'mismatch');
    const mismatch = await pipeline.nextToVerify({ operatorId: 'vero' });
    assert.equal(mismatch?.recordId, actaKeyOf(CONTIGUA));
    const byReader = await pipeline.resolveMismatch({
      recordId: actaKeyOf(CONTIGUA),
      verifierId: 'lector:000000000000',
      fields: wrong,
    });
    assert.equal(byReader.ok ? '' : byReader.code, 'reserved-operator');
    const resolved = await pipeline.resolveMismatch({
      recordId: actaKeyOf(CONTIGUA),
      verifierId: 'vero',
      fields: truth,
    });
    assert.equal(resolved.ok && resolved.value.outcome, 'resolved');

    // The journal says which capture was the reader's.
    const entries = await journal(store);
    const readerCapture = entries.find((e) => e.type === 'CAPTURE_RECORDED' && e.operatorId === LECTOR);
    assert.ok(readerCapture !== undefined && 'modelHash' in readerCapture);
    assert.equal(readerCapture.modelHash, MODEL);
    assert.ok(entries.every((e) => !('operatorId' in e) || e.operatorId === LECTOR || !('modelHash' in e)));

    // Scored against the verificador's values, it was wrong: back to shadow, and said so.
    const scored = await pipeline.readerAssist.scoreVerified(reading(CONTIGUA, wrong));
    assert.ok(scored.ok);
    assert.equal(scored.value.status.active, false);
    assert.equal(scored.value.status.fallbacks, 1);
    const switched = (await journal(store)).filter((e) => e.type === 'READER_ASSIST_SWITCHED');
    assert.deepEqual(
      switched.map((e) => [e.active, e.reason, e.agreement, e.scored]),
      [
        [true, 'earned', 1, 1],
        [false, 'below-threshold', 0, 1],
      ],
    );
    await register(pipeline, EXTRAORDINARIA, AT + 2);
    const off = await pipeline.readerAssist.offerReading(
      reading(EXTRAORDINARIA, fields(EXTRAORDINARIA, [1, 2, 3, 4])),
    );
    assert.equal(off.ok ? '' : off.code, 'assist-off');

    // The INE results file says nothing of the reader.
    const { actas } = await pipeline.publication.snapshot();
    const published = actas.get(CONTEST.id) ?? [];
    const csv = resultsCsv({
      election: ASSIST,
      contest: CONTEST,
      catalog: CATALOG,
      actas: published,
      tabulation: tabulate({ contest: CONTEST, catalog: CATALOG, actas: published, final: false }),
      cutTime: AT + 60_000,
    });
    const text = Buffer.from(csv.bytes).toString('utf8');
    assert.equal(published.length, 2);
    assert.doesNotMatch(text, /lector|c0ffee/);
  });

  test('never once people hold or made both captures; never under a person’s id', async () => {
    const { pipeline } = await fresh();
    await earn(pipeline, BASICA);
    // Both people captured (they differ): the reading is no capture.
    await register(pipeline, EXTRAORDINARIA, AT + 1);
    const key = actaKeyOf(EXTRAORDINARIA);
    assert.ok(
      (
        await pipeline.recordCapture({
          recordId: key,
          operatorId: 'ana',
          fields: fields(EXTRAORDINARIA, [1, 2, 3, 4]),
        })
      ).ok,
    );
    assert.ok(
      (
        await pipeline.recordCapture({
          recordId: key,
          operatorId: 'beto',
          fields: fields(EXTRAORDINARIA, [1, 2, 3, 5]),
        })
      ).ok,
    );
    const late = await pipeline.readerAssist.offerReading(
      reading(EXTRAORDINARIA, fields(EXTRAORDINARIA, [1, 2, 3, 4])),
    );
    assert.equal(late.ok ? '' : late.code, 'not-awaiting-capture');
    // Handed to two people already: theirs to type.
    await register(pipeline, ESPECIAL, AT + 2);
    assert.equal((await pipeline.nextToCapture({ operatorId: 'ana' }))?.recordId, actaKeyOf(ESPECIAL));
    assert.equal((await pipeline.nextToCapture({ operatorId: 'beto' }))?.recordId, actaKeyOf(ESPECIAL));
    const held = await pipeline.readerAssist.offerReading(reading(ESPECIAL, fields(ESPECIAL, [1, 2, 3, 4])));
    assert.equal(held.ok ? '' : held.code, 'held-by-others');
    // Another image than the acta's image of record.
    const elsewhere = await pipeline.readerAssist.offerReading({
      ...reading(ESPECIAL, fields(ESPECIAL, [1, 2, 3, 4])),
      imageSha256: 'e'.repeat(64),
    });
    assert.equal(elsewhere.ok ? '' : elsewhere.code, 'image-not-of-record');
    // A person may not capture as the reader.
    const posing = await pipeline.recordCapture({
      recordId: actaKeyOf(ESPECIAL),
      operatorId: LECTOR,
      fields: fields(ESPECIAL, [1, 2, 3, 4]),
    });
    assert.equal(posing.ok ? '' : posing.code, 'reserved-operator');
  });
});

describe('over SQLite, generated nights', () => {
  const value = fc.integer({ min: 0, max: 400 });
  const actaArb = (casilla: Casilla) =>
    fc.record({
      votes: fc.array(value, {
        minLength: applicableColumns(CONTEST, casilla).length,
        maxLength: applicableColumns(CONTEST, casilla).length,
      }),
      readerFirst: fc.boolean(),
      wrongBy: fc.integer({ min: 1, max: 9 }),
      typo1: fc.option(fc.nat({ max: 2 }), { nil: null }),
      typo2: fc.option(fc.nat({ max: 2 }), { nil: null }),
    });
  const CASILLAS = [CONTIGUA, EXTRAORDINARIA, ESPECIAL] as const;
  const shift = (f: ActaFields, by: number): ActaFields => ({
    boletasSobrantes: (f.boletasSobrantes as number) + by,
    personasVotaron: (f.personasVotaron as number) + by,
    representantesVotaron: (f.representantesVotaron as number) + by,
    votosSacados: (f.votosSacados as number) + by,
    votes: Object.fromEntries(Object.entries(f.votes).map(([k, v]) => [k, (v as number) + by])),
    totalAsentado: (f.totalAsentado as number) + by,
  });
  /** A person's typo in one vote box (a +1000 or +2000 no other typo or reading repeats). */
  const typed = (f: ActaFields, typo: number | null, by: number): ActaFields => {
    if (typo === null) return f;
    const key = Object.keys(f.votes)[typo]!;
    return { ...f, votes: { ...f.votes, [key]: (f.votes[key] as number) + by } };
  };

  test('a reader wrong on every box: every acta goes to a verificador, and the totals are a night without it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(...CASILLAS.map(actaArb)), async (actas) => {
        const totals: unknown[] = [];
        for (const withReader of [false, true]) {
          const { pipeline, store } = await fresh();
          if (withReader) await earn(pipeline, BASICA);
          let at = AT + 1;
          for (const [i, casilla] of CASILLAS.entries()) {
            const acta = actas[i]!;
            const truth = fields(casilla, acta.votes);
            const recordId = actaKeyOf(casilla);
            await register(pipeline, casilla, at++);
            const person = (operatorId: string, f: ActaFields) => async () => {
              const task = await pipeline.nextToCapture({ operatorId });
              assert.equal(task?.recordId, recordId);
              return pipeline.recordCapture({ recordId, operatorId, fields: f, requireClaim: true });
            };
            const steps = withReader
              ? [
                  async () =>
                    pipeline.readerAssist.offerReading(reading(casilla, shift(truth, acta.wrongBy))),
                  person('beto', typed(truth, acta.typo2, 2000)),
                ]
              : [
                  person('ana', typed(truth, acta.typo1, 1000)),
                  person('beto', typed(truth, acta.typo2, 2000)),
                ];
            if (withReader && !acta.readerFirst) steps.reverse();
            const outcomes: string[] = [];
            for (const step of steps) {
              const r = await step();
              assert.ok(r.ok, r.ok ? '' : r.message);
              outcomes.push(r.value.outcome);
            }
            // With the reader in one place, a person beside it never verifies the acta alone.
            if (withReader) assert.equal(outcomes[1], 'mismatch');
            if (outcomes[1] === 'mismatch') {
              const resolved = await pipeline.resolveMismatch({
                recordId,
                verifierId: 'vero',
                fields: truth,
              });
              assert.ok(resolved.ok);
            }
            const record = await store.getActa(recordId);
            assert.equal(record?.status, 'verified');
            assert.equal(record?.published?.resolvedBy, outcomes[1] === 'mismatch' ? 'vero' : null);
          }
          const { actas: published } = await pipeline.publication.snapshot();
          const mine = (published.get(CONTEST.id) ?? []).filter((a) => a.casilla?.key !== BASICA.key);
          totals.push(tabulate({ contest: CONTEST, catalog: CATALOG, actas: mine, final: true }).national);
        }
        assert.deepEqual(totals[1], totals[0]);
      }),
      { numRuns: 15 },
    );
  });
});
