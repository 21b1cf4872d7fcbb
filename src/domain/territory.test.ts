import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { distritoKey } from './catalog.ts';
import { areaOf, areasOfActa, decideScope, type PlacedActa, type TerritoryRow } from './territory.ts';

const placed = fc.record({
  entidad: fc.integer({ min: 1, max: 3 }),
  distrito: fc.integer({ min: 1, max: 4 }),
  casillaKey: fc.constantFrom('010001B0100', '010002B0100', '020001B0100', '030005C0100'),
});
const row = fc.oneof(
  fc.record({
    unit: fc.constant('U'),
    unitKind: fc.constant('CATD' as const),
    areaKind: fc.constant('distrito' as const),
    area: fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }))
      .map(([e, d]) => distritoKey(e, d)),
  }),
  fc.record({
    unit: fc.constant('U'),
    unitKind: fc.constantFrom('CATD' as const, 'CAE' as const),
    areaKind: fc.constant('casilla' as const),
    area: fc.constantFrom('010001B0100', '010002B0100', '020001B0100', '030005C0100'),
  }),
);
const origin = fc.constantFrom('CATD' as const, 'CASILLA' as const);

describe('territory: which actas a device may send', () => {
  test('an acta of the catalog is in scope exactly when its distrito or its casilla is in the area', () => {
    fc.assert(
      fc.property(origin, fc.array(row, { minLength: 1, maxLength: 8 }), placed, (o, rows, acta) => {
        const decision = decideScope(o, areaOf(rows), acta);
        const expected = rows.some((r: TerritoryRow) =>
          r.areaKind === 'distrito'
            ? r.area === distritoKey(acta.entidad, acta.distrito)
            : r.area === acta.casillaKey,
        );
        assert.equal(decision.inScope, expected);
        if (!decision.inScope) assert.equal(decision.why, 'outside');
      }),
    );
  });

  test('no declared area: nothing is in scope, whatever the acta or the device', () => {
    fc.assert(
      fc.property(origin, fc.option(placed, { nil: null }), (o, acta: PlacedActa | null) => {
        assert.deepEqual(decideScope(o, areaOf([]), acta), { inScope: false, why: 'no-area' });
      }),
    );
  });

  test('fuera de catálogo: taken from a CATD scanner with an area, never from a CAE phone', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 8 }), (rows) => {
        assert.deepEqual(decideScope('CATD', areaOf(rows), null), {
          inScope: true,
          why: 'fuera-de-catalogo',
        });
        assert.deepEqual(decideScope('CASILLA', areaOf(rows), null), {
          inScope: false,
          why: 'fuera-de-catalogo',
        });
      }),
    );
  });

  test("reading only the acta's distrito and casilla (as intake asks the store) decides as the whole area does", () => {
    fc.assert(
      fc.property(origin, fc.array(row, { maxLength: 8 }), placed, (o, rows, acta) => {
        const wanted = new Set(areasOfActa(acta));
        const narrowed = areaOf(
          rows.filter((r) => wanted.has(r.area)),
          rows.length > 0,
        );
        assert.deepEqual(decideScope(o, narrowed, acta), decideScope(o, areaOf(rows), acta));
      }),
    );
  });

  test('adding to an area never takes an acta out of scope (monotone)', () => {
    fc.assert(
      fc.property(
        origin,
        fc.array(row, { maxLength: 6 }),
        fc.array(row, { maxLength: 6 }),
        placed,
        (o, a, b, acta) => {
          if (decideScope(o, areaOf(a), acta).inScope)
            assert.equal(decideScope(o, areaOf([...a, ...b]), acta).inScope, true);
        },
      ),
    );
  });
});
