import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { parseTerritoryCsv, TERRITORY_COLUMNS } from './territory_csv.ts';

const catalog = generateCatalog({ scale: 'tiny', seed: 1 });
const HEADER = TERRITORY_COLUMNS.join(',');
const csv = (...lines: string[]) => Buffer.from(`${[HEADER, ...lines].join('\n')}\n`);
const problemsOf = (bytes: Uint8Array) => {
  const result = parseTerritoryCsv(bytes, catalog);
  assert.equal(result.ok, false, 'refused');
  return result.ok ? [] : result.problems.map((p) => `${p.line} ${p.column ?? '-'}: ${p.reason}`);
};

describe('territory CSV', () => {
  test('distritos for CATDs, casillas for a split distrito and for a CAE, sorted and digested', () => {
    const result = parseTerritoryCsv(
      csv(
        'CATD-02,CATD,1,2,',
        'CATD-01,catd,1,1,',
        'CATD-03,CATD,1,1,010001C0100',
        'CAE-7,CAE,,,010001B0100',
      ),
      catalog,
    );
    assert.ok(result.ok);
    assert.deepEqual(result.value.rows, [
      { unit: 'CAE-7', unitKind: 'CAE', areaKind: 'casilla', area: '010001B0100' },
      { unit: 'CATD-01', unitKind: 'CATD', areaKind: 'distrito', area: '01-001' },
      { unit: 'CATD-02', unitKind: 'CATD', areaKind: 'distrito', area: '01-002' },
      { unit: 'CATD-03', unitKind: 'CATD', areaKind: 'casilla', area: '010001C0100' },
    ]);
    assert.equal(result.value.units, 4);
    const again = parseTerritoryCsv(
      csv(
        'CAE-7,CAE,,,010001B0100',
        'CATD-03,CATD,1,1,010001C0100',
        'CATD-01,CATD,1,1,',
        'CATD-02,CATD,1,2,',
      ),
      catalog,
    );
    assert.ok(again.ok);
    assert.equal(again.value.sha256, result.value.sha256, 'the same assignment in another order');
  });

  test('every problem named by line and column; nothing imported', () => {
    assert.deepEqual(
      problemsOf(
        csv(
          'CATD-01,CATD,1,9,',
          'CATD 01,CATD,1,1,',
          'CATD-02,CAE,,,010001B0100',
          'CAE-7,CAE,1,1,',
          'CAE-7,CATD,1,1,',
          'CATD-03,CATD,1,1,019999B0100',
          'CATD-03,CATD,1,2,010001B0100',
          'CATD-03,CATD,x,1,',
          'CATD-03,CATD,1,1',
          'CATD-04,CATD,1,1,01X',
          'CATD-05,CATD,1,1,',
          'CATD-05,CATD,1,1,',
          'CATD-06,CATD,1,,',
        ),
      ),
      [
        '2 ID_DISTRITO_FEDERAL: distrito 9 of entidad 1 is not in the catalog',
        '3 UNIDAD: "CATD 01" is not a CATD or CAE id (1 to 64 letters, digits, dots, dashes, underscores)',
        '5 CLAVE_CASILLA: a CAE is assigned casillas (its ARE), not a whole distrito: name the casilla',
        '6 TIPO_UNIDAD: CAE-7 was declared a CAE on line 5',
        '7 CLAVE_CASILLA: casilla 019999B0100 is not in the catalog',
        '8 ID_DISTRITO_FEDERAL: casilla 010001B0100 is in distrito 1, not 2',
        '9 ID_ENTIDAD: "x" is not a number',
        '10 -: 4 fields where the header has 5',
        '11 CLAVE_CASILLA: CLAVE_CASILLA "01X" must have 11 characters',
        '13 -: CATD-05 is given 01-001 already on line 12',
        '14 ID_DISTRITO_FEDERAL: a row without CLAVE_CASILLA names a whole distrito: give ID_ENTIDAD and ID_DISTRITO_FEDERAL',
      ],
    );
  });

  test('a wrong file: empty, not UTF-8, not CSV, another header, no rows', () => {
    assert.deepEqual(problemsOf(Buffer.alloc(0)), ['0 -: the file is empty']);
    assert.deepEqual(problemsOf(Buffer.from([0x55, 0xff, 0xfe, 0x0a])), ['0 -: the file is not UTF-8 text']);
    assert.match(
      problemsOf(Buffer.from(`${HEADER}\n"CATD-01,CATD,1,1,\n`))[0] ?? '',
      /^\d+ -: not valid CSV/,
    );
    assert.deepEqual(problemsOf(Buffer.from('UNIDAD,TIPO,ID_ENTIDAD,ID_DISTRITO_FEDERAL\nA,CATD,1,1\n')), [
      '1 -: unknown column "TIPO"',
      '1 TIPO_UNIDAD: the header lacks the column TIPO_UNIDAD',
      '1 CLAVE_CASILLA: the header lacks the column CLAVE_CASILLA',
    ]);
    assert.deepEqual(problemsOf(csv()), ['0 -: the file assigns nothing']);
  });

  test('the error count is capped', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `CATD-${i},CATD,1,50,`);
    const result = parseTerritoryCsv(csv(...lines), catalog);
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.problems.length, 100);
      assert.equal(result.truncated, true);
    }
  });
});
