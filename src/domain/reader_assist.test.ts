import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BASICA, CATALOG, CONTEST, CONTIGUA, ESPECIAL, EXTRAORDINARIA, actaKeyOf } from '../test/fixtures.ts';
import type { Casilla } from './catalog.ts';
import type { ReaderPolicy } from './election.ts';
import {
  type ActaRecord,
  applyCommand,
  type LifecycleCommand,
  type LifecycleContext,
  publishedActaOf,
} from './acta_lifecycle.ts';
import { applicableColumns } from './actas_esperadas.ts';
import type { PublishedActa } from './acta.ts';
import {
  type ActaReading,
  type AssistState,
  assistActive,
  assistReason,
  boxKeys,
  INITIAL_ASSIST,
  isReaderCapturer,
  OFFER_CONFIDENCE,
  observeScore,
  offeredFields,
  readerCapturerId,
  scoredNeeded,
  windowAgreement,
} from './reader_assist.ts';
import { tabulate } from './tabulation.ts';
import { type ActaFields, type CapturedValue, differingFields, sameFields } from './values.ts';

const CASILLAS: readonly Casilla[] = [BASICA, CONTIGUA, EXTRAORDINARIA, ESPECIAL];
const MODEL = 'f'.repeat(64);
const LECTOR = readerCapturerId(MODEL);

function contextOf(casilla: Casilla): LifecycleContext {
  return { contest: CONTEST, casilla, columns: applicableColumns(CONTEST, casilla) };
}

/** The boxes of an acta in the form's order, as a list (reading and fields share it). */
function boxList(fields: ActaFields, casilla: Casilla): CapturedValue[] {
  return [
    fields.boletasSobrantes,
    fields.personasVotaron,
    fields.representantesVotaron,
    fields.votosSacados,
    ...applicableColumns(CONTEST, casilla).map((c) => fields.votes[c.id]!),
    fields.totalAsentado,
  ];
}

function fieldsFromList(values: readonly CapturedValue[], casilla: Casilla): ActaFields {
  const columns = applicableColumns(CONTEST, casilla);
  const votes: Record<string, CapturedValue> = {};
  columns.forEach((c, i) => {
    votes[c.id] = values[4 + i]!;
  });
  return {
    boletasSobrantes: values[0]!,
    personasVotaron: values[1]!,
    representantesVotaron: values[2]!,
    votosSacados: values[3]!,
    votes,
    totalAsentado: values[values.length - 1]!,
  };
}

function readingOf(fields: ActaFields, casilla: Casilla, confidence = 1): ActaReading {
  const keys = boxKeys(applicableColumns(CONTEST, casilla));
  const values = boxList(fields, casilla);
  return {
    recordId: actaKeyOf(casilla),
    imageSha256: 'a'.repeat(64),
    modelHash: MODEL,
    boxes: Object.fromEntries(keys.map((key, i) => [key, { value: values[i]!, confidence }])),
    failure: null,
  };
}

const value: fc.Arbitrary<CapturedValue> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 999 }) },
  { weight: 1, arbitrary: fc.constant('ilegible' as const) },
  { weight: 1, arbitrary: fc.constant('sin_dato' as const) },
);
const casillaArb = fc.constantFrom(...CASILLAS);
const actaArb = casillaArb.chain((casilla) =>
  fc
    .array(value, { minLength: boxKeys(applicableColumns(CONTEST, casilla)).length, maxLength: 13 })
    .map((values) => ({
      casilla,
      fields: fieldsFromList(values.slice(0, boxKeys(applicableColumns(CONTEST, casilla)).length), casilla),
    })),
);

/** A value surely different from `v` (what a wrong reader or a typo puts in a box), `shift` ≥ 1. */
function other(v: CapturedValue, shift: number): CapturedValue {
  return typeof v === 'number' ? v + shift : shift;
}

function run(
  record: ActaRecord | undefined,
  command: LifecycleCommand,
  casilla: Casilla,
): ActaRecord | undefined {
  const step = applyCommand(record, command, contextOf(casilla));
  return step.ok ? step.value.record : record;
}

function registered(casilla: Casilla): ActaRecord {
  const step = applyCommand(
    undefined,
    {
      kind: 'register-submission',
      recordId: actaKeyOf(casilla),
      contest: CONTEST.id,
      actaKey: actaKeyOf(casilla),
      casillaKey: casilla.key,
      tipoActa: '03',
      identification: {
        claimedKey: actaKeyOf(casilla),
        entidad: 1,
        distrito: casilla.distrito,
        seccion: casilla.seccion,
        tipo: casilla.tipo,
        id: casilla.id,
        extension: casilla.extension,
        tipoActa: '03',
      },
      submission: {
        imageSha256: 'a'.repeat(64),
        origin: 'CASILLA',
        digitization: 'MOVIL',
        documentType: 'ACTA_PREP',
        transfer: null,
        acopioAt: 1,
        source: 'phone',
      },
    },
    contextOf(casilla),
  );
  assert.ok(step.ok);
  return step.value.record;
}

describe('a reading offered as a capture', () => {
  test('the capturer id is the reader’s, and no person’s', () => {
    assert.equal(LECTOR, 'lector:ffffffffffff');
    assert.ok(isReaderCapturer(LECTOR));
    assert.ok(!isReaderCapturer('ana'));
  });

  test('a reading confident in every box stands for exactly the fields it read', () => {
    fc.assert(
      fc.property(actaArb, ({ casilla, fields }) => {
        const offered = offeredFields(readingOf(fields, casilla), applicableColumns(CONTEST, casilla), 0.995);
        assert.ok(offered.ok);
        assert.ok(sameFields(offered.value, fields));
        // The lifecycle takes it as a capture of this acta.
        const step = applyCommand(
          registered(casilla),
          { kind: 'record-capture', operatorId: LECTOR, fields: offered.value, at: 2 },
          contextOf(casilla),
        );
        assert.ok(step.ok);
      }),
    );
  });

  test('one doubtful box, a box missing or extra, or a failed page: nothing offered', () => {
    fc.assert(
      fc.property(actaArb, fc.nat(), fc.double({ min: 0, max: 0.99, noNaN: true }), (acta, pick, low) => {
        const { casilla, fields } = acta;
        const columns = applicableColumns(CONTEST, casilla);
        const reading = readingOf(fields, casilla);
        const keys = boxKeys(columns);
        const key = keys[pick % keys.length]!;
        const doubtful = {
          ...reading,
          boxes: { ...reading.boxes, [key]: { value: reading.boxes[key]!.value, confidence: low } },
        };
        assert.equal(offeredFields(doubtful, columns, OFFER_CONFIDENCE).ok, false);
        const { [key]: _gone, ...rest } = reading.boxes;
        const missing = offeredFields({ ...reading, boxes: rest }, columns, OFFER_CONFIDENCE);
        assert.equal(missing.ok ? '' : missing.code, 'box-missing');
        const extra = offeredFields(
          { ...reading, boxes: { ...reading.boxes, 'vote:OTRO': { value: 1, confidence: 1 } } },
          columns,
          OFFER_CONFIDENCE,
        );
        assert.equal(extra.ok ? '' : extra.code, 'unexpected-box');
        const failed = offeredFields({ ...reading, failure: 'marks_not_found' }, columns, OFFER_CONFIDENCE);
        assert.equal(failed.ok ? '' : failed.code, 'reading-failed');
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------

const policyArb: fc.Arbitrary<ReaderPolicy> = fc.record({
  mode: fc.constantFrom('shadow' as const, 'assist' as const),
  agreementThreshold: fc.constantFrom(0.5, 0.8, 0.9, 0.98, 1),
  window: fc.integer({ min: 1, max: 30 }),
  minScored: fc.integer({ min: 1, max: 40 }),
});
/** Runs of agreement and disagreement, so that assist has something to earn and to lose. */
const scoresArb = fc
  .array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 40 })), { maxLength: 12 })
  .map((runs) => runs.flatMap(([agreed, length]) => Array.from({ length }, () => agreed)));

describe('assist, only when earned', () => {
  test('active only in assist mode, over enough scored actas, at or above the threshold; back to shadow below it', () => {
    const seen = { earned: 0, lost: 0, back: 0 };
    fc.assert(
      fc.property(policyArb, scoresArb, (policy, scores) => {
        let state: AssistState = INITIAL_ASSIST;
        let sinceFall = 0;
        scores.forEach((agreed, i) => {
          const before = state;
          const step = observeScore(state, { recordId: `a${i}`, agreed }, policy);
          state = step.state;
          sinceFall++;
          assert.ok(state.window.length <= policy.window);
          if (step.switched?.active === true) seen[state.fallbacks > 0 ? 'back' : 'earned']++;
          if (step.switched?.active === false) {
            seen.lost++;
            // It fell back exactly when the window's agreement went below the threshold.
            assert.ok(before.active);
            const measured = [...before.window, { recordId: `a${i}`, agreed }].slice(-policy.window);
            assert.ok(measured.filter((s) => s.agreed).length / measured.length < policy.agreementThreshold);
            assert.equal(assistReason(state, policy), 'too-few-scored');
            sinceFall = 0;
          }
          if (assistActive(state, policy)) {
            assert.equal(policy.mode, 'assist');
            assert.ok(windowAgreement(state)! >= policy.agreementThreshold);
            assert.ok(state.scored >= policy.minScored);
            // After a fall-back, only a whole fresh window brings it back.
            if (state.fallbacks > 0) assert.ok(sinceFall >= Math.max(policy.window, policy.minScored));
            assert.equal(assistReason(state, policy), 'earned');
          }
          if (policy.mode === 'shadow') assert.equal(assistActive(state, policy), false);
        });
      }),
      { numRuns: 300 },
    );
    // The generated nights do earn it, lose it and earn it back.
    assert.ok(seen.earned > 0 && seen.lost > 0 && seen.back > 0, JSON.stringify(seen));
  });

  test('a long run of agreement earns it; one disagreement too many loses it', () => {
    const policy: ReaderPolicy = { mode: 'assist', agreementThreshold: 0.98, window: 100, minScored: 150 };
    let state = INITIAL_ASSIST;
    for (let i = 0; i < 149; i++)
      state = observeScore(state, { recordId: `a${i}`, agreed: true }, policy).state;
    assert.equal(assistActive(state, policy), false);
    const earned = observeScore(state, { recordId: 'a149', agreed: true }, policy);
    assert.deepEqual(earned.switched, { active: true, reason: 'earned' });
    state = earned.state;
    for (let i = 0; i < 2; i++)
      state = observeScore(state, { recordId: `b${i}`, agreed: false }, policy).state;
    assert.ok(assistActive(state, policy)); // 98 of 100
    const lost = observeScore(state, { recordId: 'b2', agreed: false }, policy);
    assert.deepEqual(lost.switched, { active: false, reason: 'below-threshold' });
    assert.equal(scoredNeeded(lost.state, policy), 150);
    // The same acta scored twice counts once.
    const again = observeScore(state, { recordId: 'b1', agreed: false }, policy);
    assert.equal(again.state, state);
  });
});

// ---------------------------------------------------------------------------------------------
// The must-show, on the pure lifecycle and the tabulation

/** Boxes a person mistypes: some, never all (so a reader wrong on every box never matches them). */
const typosArb = (boxes: number) => fc.uniqueArray(fc.nat({ max: boxes - 1 }), { maxLength: boxes - 1 });

describe('assist never publishes alone', () => {
  test('a reading that differs from the person’s in any box is never verified without a verificador', () => {
    fc.assert(
      fc.property(
        actaArb,
        fc.array(fc.nat(), { minLength: 1 }),
        fc.boolean(),
        fc.boolean(),
        ({ casilla, fields }, differ, readerFirst, repeat) => {
          const values = boxList(fields, casilla);
          const read = values.map((v, i) => (differ.some((d) => d % values.length === i) ? other(v, 1) : v));
          const offered = offeredFields(
            readingOf(fieldsFromList(read, casilla), casilla),
            applicableColumns(CONTEST, casilla),
            OFFER_CONFIDENCE,
          );
          assert.ok(offered.ok);
          const lector: LifecycleCommand = {
            kind: 'record-capture',
            operatorId: LECTOR,
            fields: offered.value,
            at: 2,
          };
          const person: LifecycleCommand = { kind: 'record-capture', operatorId: 'ana', fields, at: 3 };
          let record: ActaRecord | undefined = registered(casilla);
          for (const command of readerFirst ? [lector, person] : [person, lector]) {
            record = run(record, command, casilla);
            // Neither may capture twice, nor the reader stand for both captures.
            if (repeat) record = run(record, { ...command, fields: fields }, casilla);
            if (repeat) record = run(record, { ...lector, at: 4 }, casilla);
          }
          assert.ok(differingFields(offered.value, fields).length > 0);
          assert.equal(record?.status, 'mismatch');
          assert.equal(record?.published, null);
          // Only a verificador ends it, and neither capturer may be one.
          assert.equal(
            applyCommand(
              record,
              { kind: 'resolve-mismatch', verifierId: LECTOR, fields, at: 5 },
              contextOf(casilla),
            ).ok,
            false,
          );
          const resolved = run(
            record,
            { kind: 'resolve-mismatch', verifierId: 'vero', fields, at: 5 },
            casilla,
          );
          assert.equal(resolved?.status, 'verified');
          assert.equal(resolved?.published?.resolvedBy, 'vero');
        },
      ),
    );
  });

  test('with the reader wrong on every box, the published totals are those of a night without it', () => {
    const nightArb = fc.array(
      fc.tuple(actaArb, fc.boolean(), fc.integer({ min: 1, max: 50 })).chain(([acta, readerFirst, wrong]) => {
        const boxes = boxList(acta.fields, acta.casilla).length;
        return fc.record({
          acta: fc.constant(acta),
          readerFirst: fc.constant(readerFirst),
          wrong: fc.constant(wrong),
          typos1: typosArb(boxes),
          typos2: typosArb(boxes),
        });
      }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(nightArb, (night) => {
        // One acta per casilla: the last generated for it.
        const byCasilla = new Map(night.map((n) => [n.acta.casilla.key, n]));
        const without: PublishedActa[] = [];
        const withReader: PublishedActa[] = [];
        for (const { acta, readerFirst, wrong, typos1, typos2 } of byCasilla.values()) {
          const { casilla, fields } = acta;
          const truth = boxList(fields, casilla);
          // Two people's typos never coincide (a typo of one is +1000 and the other's +2000).
          const typed = (typos: number[], shift: number) =>
            fieldsFromList(
              truth.map((v, i) => (typos.includes(i) ? other(v, shift) : v)),
              casilla,
            );
          const verifier = (record: ActaRecord | undefined): ActaRecord | undefined =>
            record?.status === 'mismatch'
              ? run(record, { kind: 'resolve-mismatch', verifierId: 'vero', fields, at: 9 }, casilla)
              : record;
          const capture = (operatorId: string, f: ActaFields, at: number): LifecycleCommand => ({
            kind: 'record-capture',
            operatorId,
            fields: f,
            at,
          });

          // A night without the reader: two people.
          let a: ActaRecord | undefined = registered(casilla);
          a = run(a, capture('ana', typed(typos1, 1000), 2), casilla);
          a = run(a, capture('beto', typed(typos2, 2000), 3), casilla);
          a = verifier(a);

          // The same night with the reader capturing, wrong on every box.
          const reading = readingOf(
            fieldsFromList(
              truth.map((v) => other(v, wrong)),
              casilla,
            ),
            casilla,
          );
          const offered = offeredFields(reading, applicableColumns(CONTEST, casilla), OFFER_CONFIDENCE);
          assert.ok(offered.ok);
          const steps = [capture(LECTOR, offered.value, 2), capture('beto', typed(typos2, 2000), 3)];
          let b: ActaRecord | undefined = registered(casilla);
          for (const step of readerFirst ? steps : steps.reverse()) b = run(b, step, casilla);
          assert.equal(b?.status, 'mismatch');
          b = verifier(b);

          for (const [record, out] of [
            [a, without],
            [b, withReader],
          ] as const) {
            assert.equal(record?.status, 'verified');
            const published = publishedActaOf(record!, contextOf(casilla));
            assert.ok(published !== null);
            out.push(published);
          }
        }
        for (const final of [false, true]) {
          const t1 = tabulate({ contest: CONTEST, catalog: CATALOG, actas: without, final });
          const t2 = tabulate({ contest: CONTEST, catalog: CATALOG, actas: withReader, final });
          assert.deepEqual(t2.national, t1.national);
          for (const casilla of CASILLAS)
            assert.deepEqual(t2.casillas.get(casilla.key), t1.casillas.get(casilla.key));
        }
      }),
    );
  });
});
