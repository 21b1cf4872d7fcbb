import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  BASICA,
  CATALOG,
  CONTEST,
  CONTIGUA,
  ESPECIAL,
  EXTRAORDINARIA,
  fields,
  published,
} from '../test/fixtures.ts';
import type { PublishedActa } from './acta.ts';
import { formatPercent, parsePercent, truncatedPercent } from './percent.ts';
import { tabulate } from './tabulation.ts';
import type { CapturedValue } from './values.ts';

const worked: PublishedActa[] = [
  published(BASICA, fields(BASICA, [100, 150, 5, 1, 4])),
  published(CONTIGUA, null, { sinActaReason: 'PAQUETE_NO_ENTREGADO' }),
  published(ESPECIAL, fields(ESPECIAL, [400, 300, 50, 10])),
  published(null, fields(BASICA, [1, 2, 3, 4, 5])),
];

describe('tabulation (domain.md "Aggregates")', () => {
  test('a worked example, computed by hand', () => {
    const t = tabulate({ contest: CONTEST, catalog: CATALOG, actas: worked, final: false });
    const a = t.national.aggregates;
    assert.equal(a.actasEsperadas, 5); // B, C, E and the special casilla's MR and RP
    assert.equal(a.actasFueraCatalogo, 1);
    assert.equal(a.actasCapturadas, 3);
    assert.equal(a.actasRegistradas, 4);
    assert.equal(a.actasContabilizadas, 2);
    assert.equal(a.actasNoContabilizadas, 1);
    assert.equal(formatPercent(a.porcentajeActasCapturadas), '60.0000');
    assert.equal(formatPercent(a.porcentajeActasContabilizadas), '40.0000');
    // The only acta with an observation in the catalog is sin acta: not an inconsistency.
    assert.equal(formatPercent(a.porcentajeActasInconsistencias), '0.0000');
    assert.equal(a.listaNominalActasContabilizadas, 500);
    assert.equal(a.totalVotosConCasillasEspeciales, 1020);
    assert.equal(a.totalVotosSinCasillasEspeciales, 260);
    assert.equal(formatPercent(a.porcentajeParticipacionCiudadana), '52.0000');
    assert.deepEqual(t.national.votes, {
      PAN: 500,
      MORENA: 450,
      PAN_MORENA: 5,
      NO_REGISTRADAS: 51,
      NULOS: 14,
    });
    // Sub-levels never see fuera de catálogo actas.
    assert.equal(t.entidades.get(1)!.aggregates.actasFueraCatalogo, 0);
    assert.equal(t.distritos.get('01-002')!.aggregates.actasEsperadas, 3);
    assert.equal(t.secciones.get('01-0338')!.aggregates.actasCapturadas, 2);
    assert.equal(t.casillas.get(EXTRAORDINARIA.key)!.aggregates.actasCapturadas, 0);
  });

  test('inconsistencias: Ilegible, Sin dato and Excede Lista Nominal count; sin acta and fuera de catálogo do not', () => {
    const actas = [
      published(BASICA, fields(BASICA, [100, 'ilegible', 5, 1, 4])), // counted, inconsistent
      published(CONTIGUA, null, { sinActaReason: 'CASILLA_NO_INSTALADA' }), // not counted, not inconsistent
      published(ESPECIAL, fields(ESPECIAL, [400, 300, 50, 11])), // excede: not counted, inconsistent
      published(EXTRAORDINARIA, fields(EXTRAORDINARIA, ['sin_dato', 50, 1, 2])), // counted, inconsistent
      published(null, fields(BASICA, ['ilegible', 2, 3, 4, 5])), // fuera de catálogo: outside the expected set
    ];
    const a = tabulate({ contest: CONTEST, catalog: CATALOG, actas, final: false }).national.aggregates;
    assert.equal(a.actasEsperadas, 5);
    assert.equal(a.actasCapturadas, 4);
    assert.equal(formatPercent(a.porcentajeActasInconsistencias), '60.0000'); // 3 of 5
  });

  test('the final cut switches participation to the votes with special casillas', () => {
    const t = tabulate({ contest: CONTEST, catalog: CATALOG, actas: worked, final: true });
    assert.equal(formatPercent(t.national.aggregates.porcentajeParticipacionCiudadana), '204.0000');
  });

  test('percentages truncate, never round', () => {
    assert.equal(formatPercent(truncatedPercent(2, 3)), '66.6666');
    assert.equal(formatPercent(truncatedPercent(1, 3)), '33.3333');
    assert.equal(formatPercent(truncatedPercent(99_999_999, 100_000_000)), '99.9999');
    assert.equal(formatPercent(truncatedPercent(0, 0)), '0.0000');
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.integer({ min: 1, max: 100_000_000 }), (num, den) => {
        const p = BigInt(truncatedPercent(num, den));
        // p / 10^4 ≤ 100·num/den < (p + 1) / 10^4, exactly.
        const exact = BigInt(num) * 1_000_000n;
        return (
          p * BigInt(den) <= exact &&
          exact < (p + 1n) * BigInt(den) &&
          parsePercent(formatPercent(truncatedPercent(num, den))) === Number(p)
        );
      }),
    );
  });

  const value = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 200 }) },
    { weight: 1, arbitrary: fc.constant<CapturedValue>('ilegible') },
    { weight: 1, arbitrary: fc.constant<CapturedValue>('sin_dato') },
  );
  const actaArb = fc.oneof(
    fc
      .tuple(fc.constantFrom(BASICA, CONTIGUA), fc.array(value, { minLength: 5, maxLength: 5 }))
      .map(([c, v]) => published(c, fields(c, v))),
    fc
      .tuple(fc.constantFrom(EXTRAORDINARIA, ESPECIAL), fc.array(value, { minLength: 4, maxLength: 4 }))
      .map(([c, v]) => published(c, fields(c, v))),
    fc.constant(published(CONTIGUA, null, { sinActaReason: 'SIN_SOBRE' })),
    fc.array(value, { minLength: 5, maxLength: 5 }).map((v) => published(null, fields(BASICA, v))),
  );

  test('property: totals do not depend on the order of the actas', () => {
    fc.assert(
      fc.property(fc.array(actaArb, { maxLength: 30 }), fc.boolean(), (actas, final) => {
        const forward = tabulate({ contest: CONTEST, catalog: CATALOG, actas, final });
        const backward = tabulate({ contest: CONTEST, catalog: CATALOG, actas: [...actas].reverse(), final });
        return (
          JSON.stringify(forward.national) === JSON.stringify(backward.national) &&
          JSON.stringify([...forward.distritos]) === JSON.stringify([...backward.distritos])
        );
      }),
      { numRuns: 300 },
    );
  });

  test('property: the nation is the sum of its units, fuera de catálogo apart', () => {
    fc.assert(
      fc.property(fc.array(actaArb, { maxLength: 30 }), (actas) => {
        const t = tabulate({ contest: CONTEST, catalog: CATALOG, actas, final: false });
        const n = t.national.aggregates;
        const distritos = [...t.distritos.values()];
        const sum = (f: (a: typeof n) => number) => distritos.reduce((s, d) => s + f(d.aggregates), 0);
        const fuera = actas.filter((a) => a.casilla === null).length;
        return (
          n.actasFueraCatalogo === fuera &&
          sum((a) => a.actasCapturadas) === n.actasCapturadas &&
          sum((a) => a.actasContabilizadas) === n.actasContabilizadas &&
          sum((a) => a.totalVotosConCasillasEspeciales) === n.totalVotosConCasillasEspeciales &&
          sum((a) => a.listaNominalActasContabilizadas) === n.listaNominalActasContabilizadas &&
          CONTEST.columns.every(
            (c) => distritos.reduce((s, d) => s + (d.votes[c.id] ?? 0), 0) === t.national.votes[c.id],
          )
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('truncatedPercent', () => {
  test('property: the fast path equals exact BigInt division', () => {
    fc.assert(
      fc.property(fc.nat(2_000_000_000), fc.integer({ min: 1, max: 2_000_000_000 }), (num, den) => {
        return truncatedPercent(num, den) === Number((BigInt(num) * 1_000_000n) / BigInt(den));
      }),
      { numRuns: 20_000 },
    );
  });
});
