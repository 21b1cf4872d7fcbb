import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { catalogToCsv, parseCatalogCsv } from '../catalog/csv_import.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { TipoCasilla } from '../domain/keys.ts';
import { compareCasillas, seccionKey } from '../domain/catalog.ts';
import { generateCatalog, NATIONAL_CASILLAS } from './catalog_generator.ts';
import { ENTIDAD_PROFILES } from './names.ts';

function countByTipo(catalog: Catalog): Record<TipoCasilla, number> {
  const counts: Record<TipoCasilla, number> = { B: 0, C: 0, E: 0, S: 0 };
  for (const c of catalog.casillas) counts[c.tipo]++;
  return counts;
}

async function assertImportable(catalog: Catalog): Promise<void> {
  const result = await parseCatalogCsv(Buffer.from(catalogToCsv(catalog)));
  assert.ok(result.ok, result.ok ? '' : result.message);
  assert.deepEqual(result.value, catalog);
}

describe('names', () => {
  test('32 entidades in order, 300 distritos, the 2024 distrito counts', () => {
    assert.deepEqual(
      ENTIDAD_PROFILES.map((p) => p.id),
      Array.from({ length: 32 }, (_, i) => i + 1),
    );
    assert.equal(
      ENTIDAD_PROFILES.reduce((n, p) => n + p.cabeceras.length, 0),
      300,
    );
    const count = (name: string) => ENTIDAD_PROFILES.find((p) => p.name === name)?.cabeceras.length;
    assert.deepEqual(
      ['CIUDAD DE MÉXICO', 'MÉXICO', 'JALISCO', 'VERACRUZ', 'BAJA CALIFORNIA SUR'].map(count),
      [22, 40, 20, 19, 2],
    );
    for (const p of ENTIDAD_PROFILES) {
      assert.ok(p.urbanShare > 0 && p.urbanShare < 1);
      for (const name of [p.name, ...p.cabeceras]) assert.equal(name, name.toUpperCase().trim());
    }
  });
});

describe('generateCatalog', () => {
  test('tiny: 1 entidad, 2 distritos, 40 casillas with a special and an extraordinaria', async () => {
    const catalog = generateCatalog({ scale: 'tiny', seed: 1 });
    assert.deepEqual(catalog.entidades, [{ id: 1, name: 'AGUASCALIENTES' }]);
    assert.deepEqual(
      catalog.distritos.map((d) => [d.entidad, d.id]),
      [
        [1, 1],
        [1, 2],
      ],
    );
    assert.equal(catalog.casillas.length, 40);
    const byTipo = countByTipo(catalog);
    assert.ok(byTipo.S >= 1 && byTipo.E >= 1 && byTipo.B >= 1 && byTipo.C >= 1, JSON.stringify(byTipo));
    await assertImportable(catalog);
  });

  test('every tiny catalog is valid, has a special and an extraordinaria', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const catalog = generateCatalog({ scale: 'tiny', seed });
        const byTipo = countByTipo(catalog);
        assert.equal(catalog.casillas.length, 40);
        assert.ok(byTipo.S >= 1 && byTipo.E >= 1);
        await assertImportable(catalog);
      }),
      { numRuns: 40 },
    );
  });

  test('state: 1 entidad, 9 distritos, 7,000 casillas', async () => {
    const catalog = generateCatalog({ scale: 'state', seed: 9 });
    assert.equal(catalog.entidades.length, 1);
    assert.equal(catalog.distritos.length, 9);
    assert.equal(catalog.casillas.length, 7_000);
    await assertImportable(catalog);
  });

  test('deterministic from the seed', () => {
    for (const scale of ['tiny', 'state'] as const) {
      assert.deepEqual(generateCatalog({ scale, seed: 5 }), generateCatalog({ scale, seed: 5 }));
      assert.notDeepEqual(generateCatalog({ scale, seed: 5 }), generateCatalog({ scale, seed: 6 }));
    }
  });

  describe('national', () => {
    // How long it takes is `npm run bench -- catalog`'s figure (docs/benchmarks.md), not a test's.
    const catalog = generateCatalog({ scale: 'national', seed: 2024 });

    test('32 entidades with their names, 300 distritos, exactly 170,648 casillas', () => {
      assert.equal(catalog.entidades.length, 32);
      assert.equal(catalog.entidades[0]!.name, 'AGUASCALIENTES');
      assert.equal(catalog.entidades[31]!.name, 'ZACATECAS');
      assert.equal(catalog.distritos.length, 300);
      assert.equal(catalog.casillas.length, NATIONAL_CASILLAS);
      assert.equal(catalog.casillas.length, 170_648);
      const mexico = catalog.distritos.filter((d) => d.entidad === 15);
      assert.equal(mexico.length, 40);
    });

    test('a realistic mix of casilla types and secciones', () => {
      const byTipo = countByTipo(catalog);
      assert.ok(byTipo.B > 66_000 && byTipo.B < 72_000, `básicas ${byTipo.B}`);
      assert.ok(byTipo.C > 90_000 && byTipo.C < 100_000, `contiguas ${byTipo.C}`);
      assert.ok(byTipo.E > 2_000 && byTipo.E < 5_000, `extraordinarias ${byTipo.E}`);
      assert.ok(byTipo.S > 800 && byTipo.S < 1_300, `especiales ${byTipo.S}`);
      const secciones = new Set(catalog.casillas.map((c) => seccionKey(c.entidad, c.seccion)));
      assert.ok(secciones.size > 66_000 && secciones.size < 74_000, `secciones ${secciones.size}`);
    });

    test('lista nominal ~98 million, ~575 a casilla, at most 750; specials 0 with ballots', () => {
      let total = 0;
      let ordinary = 0;
      for (const c of catalog.casillas) {
        if (c.tipo === 'S') {
          assert.equal(c.listaNominal, 0);
          assert.ok(c.boletasAprobadas >= 750 && c.boletasAprobadas <= 1_500);
          continue;
        }
        assert.ok(c.listaNominal >= 1 && c.listaNominal <= 750, `${c.key} ${c.listaNominal}`);
        assert.equal(c.boletasAprobadas, 0);
        total += c.listaNominal;
        ordinary++;
      }
      assert.ok(total > 96_000_000 && total < 100_000_000, `lista nominal ${total}`);
      const mean = total / ordinary;
      assert.ok(mean > 560 && mean < 590, `mean ${mean}`);
    });

    test('urbana / no urbana mix and representantes 10–20', () => {
      const urbanas =
        catalog.casillas.filter((c) => c.ubicacion === 'URBANA').length / catalog.casillas.length;
      assert.ok(urbanas > 0.6 && urbanas < 0.9, `urbanas ${urbanas}`);
      assert.ok(catalog.casillas.every((c) => c.representantes >= 10 && c.representantes <= 20));
    });

    test('sorted in publication order', () => {
      for (let i = 1; i < catalog.casillas.length; i++)
        assert.ok(compareCasillas(catalog.casillas[i - 1]!, catalog.casillas[i]!) < 0);
    });

    test('deterministic, and it imports back unchanged', async () => {
      assert.deepEqual(generateCatalog({ scale: 'national', seed: 2024 }), catalog);
      await assertImportable(catalog);
    });
  });
});
