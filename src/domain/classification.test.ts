import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BASICA, CONTEST, CONTIGUA, ESPECIAL, EXTRAORDINARIA, fields } from '../test/fixtures.ts';
import type { SinActaReason } from './acta.ts';
import {
  classifyActa,
  expectedContabilizada,
  formatObservaciones,
  isInconsistent,
  parseObservaciones,
} from './classification.ts';
import type { CapturedValue } from './values.ts';

const classify = (
  c: typeof BASICA | null,
  f: ReturnType<typeof fields> | null,
  sinActaReason: SinActaReason | null = null,
) => classifyActa({ casilla: c, contest: CONTEST, fields: f, sinActaReason });

describe('PREP classification (domain.md "Classification")', () => {
  test('a clean acta counts, with its computed total', () => {
    const c = classify(BASICA, fields(BASICA, [100, 150, 5, 1, 4]));
    assert.deepEqual(c.observations, []);
    assert.equal(c.contabilizada, 1);
    assert.equal(c.computedTotal, 260);
    assert.equal(c.totalMismatch, false);
    assert.equal(formatObservaciones(c), '-');
  });

  test('rule 2: Ilegible counts 0 and the acta still counts', () => {
    const c = classify(BASICA, fields(BASICA, [100, 'ilegible', 5, 1, 4]));
    assert.deepEqual(c.observations, ['ILEGIBLE']);
    assert.equal(c.contabilizada, 1);
    assert.equal(c.computedTotal, 110);
    assert.equal(formatObservaciones(c), "['Ilegible']");
  });

  test('rule 2: Sin dato counts 0 and the acta still counts', () => {
    const c = classify(BASICA, fields(BASICA, ['sin_dato', 150, 5, 1, 4]));
    assert.deepEqual(c.observations, ['SIN_DATO']);
    assert.equal(c.contabilizada, 1);
    assert.equal(c.computedTotal, 160);
  });

  test('rule 3: every vote field illegible → todos ilegibles, not counted', () => {
    const c = classify(BASICA, fields(BASICA, ['ilegible', 'ilegible', 'ilegible', 'ilegible', 'ilegible']));
    assert.deepEqual(c.observations, ['TODOS_ILEGIBLES', 'ILEGIBLE']);
    assert.equal(c.contabilizada, 0);
    assert.equal(formatObservaciones(c), "['Todos los campos ilegibles', 'Ilegible']");
  });

  test('rule 3: every vote field empty → todos vacíos, not counted', () => {
    const c = classify(BASICA, fields(BASICA, ['sin_dato', 'sin_dato', 'sin_dato', 'sin_dato', 'sin_dato']));
    assert.deepEqual(c.observations, ['TODOS_VACIOS', 'SIN_DATO']);
    assert.equal(c.contabilizada, 0);
  });

  test('rule 3: no legible field at all (illegible and empty mixed) → not counted, both observed', () => {
    const c = classify(BASICA, fields(BASICA, ['sin_dato', 'ilegible', 'sin_dato', 'ilegible', 'sin_dato']));
    assert.deepEqual(c.observations, ['TODOS_ILEGIBLES', 'TODOS_VACIOS', 'ILEGIBLE', 'SIN_DATO']);
    assert.equal(c.contabilizada, 0);
  });

  test('rule 4: a total equal to LN + representatives counts; one more exceeds', () => {
    // LN 500 + 10 representatives = 510.
    assert.equal(classify(BASICA, fields(BASICA, [300, 200, 5, 1, 4])).contabilizada, 1);
    const over = classify(BASICA, fields(BASICA, [300, 200, 5, 1, 5]));
    assert.deepEqual(over.observations, ['EXCEDE_LISTA_NOMINAL']);
    assert.equal(over.contabilizada, 0);
    assert.equal(over.computedTotal, 511);
  });

  test('rule 4, special casilla: capped by approved ballots + representatives, not by its LN of 0', () => {
    // 750 ballots + 10 representatives = 760.
    assert.equal(classify(ESPECIAL, fields(ESPECIAL, [400, 300, 50, 10])).contabilizada, 1);
    const over = classify(ESPECIAL, fields(ESPECIAL, [400, 300, 50, 11]));
    assert.deepEqual(over.observations, ['EXCEDE_LISTA_NOMINAL']);
    assert.equal(over.contabilizada, 0);
  });

  test('rule 5: sin acta, with each reason, is not counted and has no total', () => {
    for (const reason of [
      'PAQUETE_NO_ENTREGADO',
      'CASILLA_NO_INSTALADA',
      'SIN_SOBRE',
      'CONTINGENCIA_URNA_ELECTRONICA',
    ] as const) {
      const c = classify(CONTIGUA, null, reason);
      assert.deepEqual(c.observations, ['SIN_ACTA']);
      assert.equal(c.contabilizada, 0);
      assert.equal(c.computedTotal, null);
      assert.equal(c.sinActaReason, reason);
      const parsed = parseObservaciones(formatObservaciones(c));
      assert.ok(parsed.ok);
      assert.equal(parsed.value.sinActaReason, reason);
    }
    assert.equal(formatObservaciones(classify(CONTIGUA, null, 'SIN_SOBRE')), "['Sin acta (sin sobre)']");
  });

  test('rule 1: fuera de catálogo is registered with CONTABILIZADA 2 and never an inconsistency', () => {
    const c = classify(null, fields(BASICA, [100, 150, 5, 1, 4]));
    assert.deepEqual(c.observations, ['FUERA_DE_CATALOGO']);
    assert.equal(c.contabilizada, 2);
    assert.equal(isInconsistent(c), false);
  });

  test('actas con inconsistencias: Excede Lista Nominal, Ilegible, Sin dato, Todos los campos ilegibles / vacíos', () => {
    const inconsistent = {
      'Excede Lista Nominal': classify(BASICA, fields(BASICA, [300, 200, 5, 1, 5])),
      Ilegible: classify(BASICA, fields(BASICA, [100, 'ilegible', 5, 1, 4])),
      'Sin dato': classify(BASICA, fields(BASICA, ['sin_dato', 150, 5, 1, 4])),
      'Todos los campos ilegibles': classify(
        BASICA,
        fields(BASICA, ['ilegible', 'ilegible', 'ilegible', 'ilegible', 'ilegible']),
      ),
      'Todos los campos vacíos': classify(
        BASICA,
        fields(BASICA, ['sin_dato', 'sin_dato', 'sin_dato', 'sin_dato', 'sin_dato']),
      ),
    };
    for (const [label, c] of Object.entries(inconsistent)) {
      assert.ok(formatObservaciones(c).includes(`'${label}'`), label);
      assert.equal(isInconsistent(c), true, label);
    }
    assert.equal(
      isInconsistent(classify(BASICA, fields(BASICA, [100, 150, 5, 1, 4]))),
      false,
      'a clean acta',
    );
  });

  test('sin acta, whatever its reason, and fuera de catálogo are not inconsistencies', () => {
    for (const reason of [
      'PAQUETE_NO_ENTREGADO',
      'CASILLA_NO_INSTALADA',
      'SIN_SOBRE',
      'CONTINGENCIA_URNA_ELECTRONICA',
    ] as const) {
      const c = classify(CONTIGUA, null, reason);
      assert.equal(c.contabilizada, 0, 'not counted…');
      assert.equal(isInconsistent(c), false, `…but not an inconsistency (${reason})`);
    }
    // Fuera de catálogo stays out even when its fields would be inconsistent in the catalog.
    assert.equal(
      isInconsistent(classify(null, fields(BASICA, [100, 'ilegible', 'sin_dato', 1, 600]))),
      false,
    );
    assert.equal(isInconsistent(classify(null, null)), false);
  });

  test('rule 6: a written total that differs is flagged, never a reason to exclude', () => {
    const c = classify(EXTRAORDINARIA, fields(EXTRAORDINARIA, [100, 50, 1, 2], 160));
    assert.equal(c.totalMismatch, true);
    assert.equal(c.contabilizada, 1);
    assert.deepEqual(c.observations, []);
    assert.equal(
      classify(EXTRAORDINARIA, fields(EXTRAORDINARIA, [100, 50, 1, 2], 'ilegible')).totalMismatch,
      false,
    );
  });

  test('rule 7: several observations at once, all published in order', () => {
    const c = classify(BASICA, fields(BASICA, [600, 'ilegible', 'sin_dato', 1, 4]));
    assert.deepEqual(c.observations, ['EXCEDE_LISTA_NOMINAL', 'ILEGIBLE', 'SIN_DATO']);
    assert.equal(c.contabilizada, 0);
    assert.equal(formatObservaciones(c), "['Excede Lista Nominal', 'Ilegible', 'Sin dato']");
  });

  test('OBSERVACIONES refuses the pre-2024 spelling, naming the 2024 one', () => {
    const old = parseObservaciones("['Excede lista nominal']");
    assert.equal(old.ok, false);
    assert.match(!old.ok ? old.message : '', /INE 2024 writes "Excede Lista Nominal"/);
    assert.deepEqual(parseObservaciones("['Excede Lista Nominal']"), {
      ok: true,
      value: { observations: ['EXCEDE_LISTA_NOMINAL'], sinActaReason: null },
    });
  });

  test('OBSERVACIONES round-trips and rejects what is not published', () => {
    for (const bad of [
      "['Ilegible'",
      "['Foo']",
      "['Sin dato', 'Ilegible']",
      'Ilegible',
      "['Ilegible', 'Ilegible']",
    ])
      assert.equal(parseObservaciones(bad).ok, false, bad);
  });

  test('property: CONTABILIZADA is 1 exactly when no blocking observation applies', () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 400 }),
      fc.constant<CapturedValue>('ilegible'),
      fc.constant<CapturedValue>('sin_dato'),
    );
    fc.assert(
      fc.property(fc.array(value, { minLength: 5, maxLength: 5 }), (votes) => {
        const c = classify(BASICA, fields(BASICA, votes));
        const parsed = parseObservaciones(formatObservaciones(c));
        const legible = votes.some((v) => typeof v === 'number');
        const total = votes.reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0);
        const shouldCount = legible && total <= 510;
        return (
          parsed.ok &&
          parsed.value.observations.join() === c.observations.join() &&
          c.contabilizada === expectedContabilizada(c.observations) &&
          (c.contabilizada === 1) === shouldCount &&
          c.computedTotal === total
        );
      }),
      { numRuns: 2000 },
    );
  });
});
