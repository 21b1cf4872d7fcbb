import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Classification } from './acta.ts';
import { actaBoxKeys } from './acta_form.ts';
import type { ActaRecord } from './acta_lifecycle.ts';
import { type BoxRead, capturedValue, type Reading, readerFigures, scoreReading } from './reader_score.ts';
import type { ActaFields, CapturedValue } from './values.ts';

const COLUMNS = ['PAN', 'PRI', 'MORENA', 'NULOS'];
const KEYS = actaBoxKeys(COLUMNS);
const sha = (n: number) => n.toString(16).padStart(64, '0');

const value: fc.Arbitrary<CapturedValue> = fc.oneof(
  fc.integer({ min: 0, max: 999 }),
  fc.constant('ilegible' as const),
  fc.constant('sin_dato' as const),
);
const fields: fc.Arbitrary<ActaFields> = fc
  .array(value, { minLength: KEYS.length, maxLength: KEYS.length })
  .map((values) => ({
    boletasSobrantes: values[0]!,
    personasVotaron: values[1]!,
    representantesVotaron: values[2]!,
    votosSacados: values[3]!,
    votes: Object.fromEntries(COLUMNS.map((c, i) => [c, values[4 + i]!])),
    totalAsentado: values[values.length - 1]!,
  }));

function record(
  recordId: string,
  image: string,
  verified: ActaFields | null,
  resolvedBy: string | null,
): ActaRecord {
  return {
    recordId,
    contest: 'PRES',
    actaKey: null,
    casillaKey: null,
    tipoActa: null,
    identification: {} as ActaRecord['identification'],
    status: verified === null ? 'received' : 'verified',
    round: 0,
    captures: [],
    submission: { imageSha256: image } as ActaRecord['submission'],
    additionalImages: [],
    published:
      verified === null
        ? null
        : {
            fields: verified,
            classification: {} as Classification,
            capturedAt: 1,
            verifiedAt: 2,
            round: 0,
            resolvedBy,
          },
    previousVersions: [],
    cotejada: 0,
    sinActaReason: null,
  };
}

/** An acta: its verified values (or none yet), how, and what the reader read (a failure, or per box the truth or another value). */
const acta = fc.record({
  verified: fc.option(fields, { nil: null }),
  resolved: fc.boolean(),
  failure: fc.option(fc.constantFrom('marks_not_found' as const, 'decode_error' as const), {
    freq: 5,
    nil: null,
  }),
  read: fc.array(
    fc.record({
      misread: fc.option(value, { freq: 2, nil: null }),
      confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    {
      minLength: KEYS.length,
      maxLength: KEYS.length,
    },
  ),
  readAt: fc.integer({ min: 0, max: 1000 }),
});

type Acta = typeof acta extends fc.Arbitrary<infer T> ? T : never;

function night(actas: readonly Acta[]) {
  const records = new Map<string, ActaRecord>();
  const readings: Reading[] = [];
  actas.forEach((a, i) => {
    const id = `R${i}`;
    records.set(id, record(id, sha(i), a.verified, a.resolved ? 'verificador-1' : null));
    const boxes: BoxRead[] =
      a.failure !== null
        ? []
        : KEYS.map((key, line) => {
            const truth = a.verified === null ? 0 : capturedValue(a.verified, key)!;
            const r = a.read[line]!;
            return { key, value: r.misread ?? truth, confidence: r.confidence };
          });
    readings.push({
      recordId: id,
      imageSha256: sha(i),
      modelSha256: 'm',
      boxes,
      failure: a.failure,
      readAt: a.readAt,
    });
  });
  return { records, readings };
}

test('a reading equal to the verified values scores every box and every acta right', () => {
  fc.assert(
    fc.property(fields, fc.double({ min: 0, max: 1, noNaN: true }), (verified, confidence) => {
      const reading: Reading = {
        recordId: 'R',
        imageSha256: sha(1),
        modelSha256: 'm',
        boxes: KEYS.map((key) => ({ key, value: capturedValue(verified, key)!, confidence })),
        failure: null,
        readAt: 1,
      };
      assert.ok(scoreReading(reading, verified).every((s) => s.right));
      const figures = readerFigures({
        readings: [reading],
        records: new Map([['R', record('R', sha(1), verified, null)]]),
        confident: 0.995,
        limit: 10,
      });
      assert.deepEqual(figures.agreement, {
        actas: 1,
        actasExact: 1,
        boxes: KEYS.length,
        boxesRight: KEYS.length,
        confidentBoxes: confidence >= 0.995 ? KEYS.length : 0,
        confidentRight: confidence >= 0.995 ? KEYS.length : 0,
      });
      assert.equal(figures.disagreementsTotal, 0);
    }),
  );
});

test('the counts add up: readings, boxes, bins, disagreements; the list is bounded, its count is not', () => {
  fc.assert(
    fc.property(fc.array(acta, { maxLength: 30 }), fc.integer({ min: 0, max: 20 }), (actas, limit) => {
      const { records, readings } = night(actas);
      const f = readerFigures({ readings, records, confident: 0.995, limit });
      assert.equal(f.actasRead + f.readFailures, readings.length);
      assert.equal(
        Object.values(f.failures).reduce((a, b) => a + b, 0),
        f.readFailures,
      );
      assert.equal(f.boxesRead, f.actasRead * KEYS.length);
      const read = actas.filter((a) => a.failure === null);
      const scored = (resolved: boolean) =>
        read.filter((a) => a.verified !== null && a.resolved === resolved);
      assert.equal(f.agreement.actas, scored(false).length);
      assert.equal(f.resolved.actas, scored(true).length);
      for (const a of [f.agreement, f.resolved]) {
        assert.equal(a.boxes, a.actas * KEYS.length);
        assert.ok(
          a.boxesRight <= a.boxes && a.confidentRight <= a.confidentBoxes && a.confidentBoxes <= a.boxes,
        );
        assert.ok(a.actasExact <= a.actas);
      }
      assert.equal(
        f.calibration.reduce((n, b) => n + b.boxes, 0),
        f.agreement.boxes,
      );
      assert.equal(
        f.calibration.reduce((n, b) => n + b.right, 0),
        f.agreement.boxesRight,
      );
      assert.equal(
        f.disagreementsTotal,
        f.agreement.boxes - f.agreement.boxesRight + f.resolved.boxes - f.resolved.boxesRight,
      );
      assert.equal(f.disagreements.length, Math.min(limit, f.disagreementsTotal));
      for (let i = 1; i < f.disagreements.length; i++)
        assert.ok(f.disagreements[i - 1]!.readAt >= f.disagreements[i]!.readAt, 'newest first');
      for (const d of f.disagreements) assert.notEqual(d.read, d.verified);
    }),
  );
});

test("a reading of another image than the record's, or of an acta not verified, is not scored", () => {
  const verified: ActaFields = {
    boletasSobrantes: 1,
    personasVotaron: 2,
    representantesVotaron: 3,
    votosSacados: 4,
    votes: { PAN: 5, PRI: 6, MORENA: 7, NULOS: 8 },
    totalAsentado: 26,
  };
  const reading = (id: string, image: string): Reading => ({
    recordId: id,
    imageSha256: image,
    modelSha256: 'm',
    boxes: KEYS.map((key) => ({ key, value: 0, confidence: 1 })),
    failure: null,
    readAt: 1,
  });
  const f = readerFigures({
    readings: [reading('A', sha(9)), reading('B', sha(2))],
    records: new Map([
      ['A', record('A', sha(1), verified, null)],
      ['B', record('B', sha(2), null, null)],
    ]),
    confident: 0.995,
    limit: 10,
  });
  assert.equal(f.actasRead, 2);
  assert.equal(f.agreement.actas, 0);
  assert.equal(f.disagreementsTotal, 0);
});
