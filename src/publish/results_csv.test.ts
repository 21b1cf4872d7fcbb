import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { tabulate } from '../domain/tabulation.ts';
import type { CapturedValue } from '../domain/values.ts';
import {
  BASICA,
  CATALOG,
  CONTEST,
  CONTIGUA,
  ELECTION,
  ESPECIAL,
  EXTRAORDINARIA,
  fields,
  published,
} from '../test/fixtures.ts';
import { buildCut } from './cut_builder.ts';
import { resultsCsv, safeText } from './results_csv.ts';
import { readResultsCsv } from '../verify/csv_reader.ts';
import { contestRows } from '../verify/core/csv_layout.ts';
import { addRow, aggregatesOf, newCounts } from '../verify/core/rules.ts';
import { testSigner } from '../journal/test_keys.ts';
import type { PublishedActa } from '../domain/acta.ts';

const CUT_TIME = Date.parse('2024-06-03T03:05:00.000Z'); // 21:05 central, 2 June

function csvFor(actas: PublishedActa[], options: { legacy?: boolean; final?: boolean } = {}) {
  const tabulation = tabulate({ contest: CONTEST, catalog: CATALOG, actas, final: options.final ?? false });
  return resultsCsv({
    election: ELECTION,
    contest: CONTEST,
    catalog: CATALOG,
    actas,
    tabulation,
    cutTime: CUT_TIME,
    legacy: options.legacy,
  });
}

/** Reads the file the way INE's QA and journalists' pandas scripts do: blank lines skipped, summary on the 4th line, table header on the 5th. */
function pandasStyle(bytes: Buffer): { summary: Record<string, string>; rows: Record<string, string>[] } {
  let text = bytes.toString('utf8');
  assert.equal(text.charCodeAt(0), 0xfeff, 'UTF-8 BOM');
  text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/).filter((line) => line !== '');
  const split = (line: string): string[] => {
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        cells.push(cell);
        cell = '';
      } else cell += ch;
    }
    cells.push(cell);
    return cells;
  };
  const names = split(lines[2]!);
  const values = split(lines[3]!);
  const header = split(lines[4]!);
  return {
    summary: Object.fromEntries(names.map((n, i) => [n, values[i]!])),
    rows: lines.slice(5).map((line) => Object.fromEntries(split(line).map((cell, i) => [header[i]!, cell]))),
  };
}

const SAMPLE = [
  published(ESPECIAL, fields(ESPECIAL, [400, 300, 50, 10]), { tipoActa: '03' }),
  published(null, fields(BASICA, [1, 2, 3, 4, 5]), { claimedKey: '019999B990003' }),
  published(CONTIGUA, null, { sinActaReason: 'SIN_SOBRE' }),
  published(BASICA, fields(BASICA, [100, 'ilegible', 5, 1, 4])),
];

describe('results CSV, INE 2024 layout', () => {
  test('the header block and the first row, byte for byte', () => {
    const csv = csvFor(SAMPLE);
    const text = csv.bytes.toString('utf8');
    const lines = text.split('\r');
    assert.equal(lines[0], '\uFEFFSIMULACRO - DIPUTACIONES FEDERALES');
    assert.equal(lines[1], '02/06/2024 21:05 (UTC-6)');
    assert.equal(lines[2], '');
    assert.equal(
      lines[3],
      'ACTAS_ESPERADAS,ACTAS_REGISTRADAS,ACTAS_FUERA_CATALOGO,ACTAS_CAPTURADAS,PORCENTAJE_ACTAS_CAPTURADAS,ACTAS_CONTABILIZADAS,PORCENTAJE_ACTAS_CONTABILIZADAS,PORCENTAJE_ACTAS_INCONSISTENCIAS,ACTAS_NO_CONTABILIZADAS,LISTA_NOMINAL_ACTAS_CONTABILIZADAS,TOTAL_VOTOS_C_CS,TOTAL_VOTOS_S_CS,PORCENTAJE_PARTICIPACION_CIUDADANA',
    );
    // Inconsistencias 20.0000: the Ilegible row only; the sin acta row is not an inconsistency.
    assert.equal(lines[4], '5,4,1,3,60.0000,2,40.0000,20.0000,1,500,870,110,22.0000');
    assert.equal(lines[5], '');
    assert.ok(lines[6]!.startsWith('CLAVE_CASILLA,CLAVE_ACTA,ID_ENTIDAD,ENTIDAD,ID_DISTRITO_FEDERAL,'));
    assert.ok(lines[6]!.includes(',PAN,MORENA,PAN_MORENA,NO_REGISTRADAS,NULOS,TOTAL_VOTOS_ASENTADO,'));
    assert.equal(
      lines[7],
      "'010338B0100,'010338B010003,1,AGUASCALIENTES,001,JESÚS MARÍA,0338,01,B,00,1,03,100,110,2,110,100,Ilegible,5,1,4,110,110,500,10,['Ilegible'],1,-," +
        `${'a'.repeat(64)},02/06/2024 22:00:00,02/06/2024 22:01:00,02/06/2024 22:02:00,CASILLA,Móvil,Acta PREP,0`,
    );
    // Sin acta: every box and vote is '-'; the special casilla after the básica and contigua; fuera de catálogo last.
    assert.ok(lines[8]!.startsWith("'010338C0100,'010338C010003,"));
    assert.ok(
      lines[8]!.includes(",-,-,-,-,-,-,-,-,-,-,-,480,10,['Sin acta (sin sobre)'],0,-,-,-,-,-,-,-,-,0"),
    );
    assert.ok(lines[9]!.startsWith("'010600S0100,'010600S010003,"));
    assert.ok(lines[10]!.startsWith('-,-,1,AGUASCALIENTES,-,-,9999,99,B,00,-,03,'));
    assert.ok(lines[10]!.includes(",['Fuera de catálogo'],2,"));
    assert.equal(lines[11], '');
    assert.equal(lines.length, 12, 'every line, the last too, ends in \\r');
    assert.equal(csv.rowCount, 4);
  });

  test('read the pandas way, the summary and the rows come back', () => {
    const { summary, rows } = pandasStyle(csvFor(SAMPLE).bytes);
    assert.equal(summary['ACTAS_ESPERADAS'], '5');
    assert.equal(summary['PORCENTAJE_PARTICIPACION_CIUDADANA'], '22.0000');
    assert.equal(rows.length, 4);
    assert.equal(rows[0]!['CLAVE_CASILLA'], "'010338B0100");
    assert.equal(rows[0]!['OBSERVACIONES'], "['Ilegible']");
    assert.equal(rows[3]!['CONTABILIZADA'], '2');
  });

  test('property: the header aggregates equal a recomputation from the CSV rows', () => {
    const value = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }) },
      { weight: 1, arbitrary: fc.constant<CapturedValue>('ilegible') },
      { weight: 1, arbitrary: fc.constant<CapturedValue>('sin_dato') },
    );
    const acta = fc.oneof(
      fc
        .tuple(fc.constantFrom(BASICA, CONTIGUA), fc.array(value, { minLength: 5, maxLength: 5 }))
        .map(([c, v]) => published(c, fields(c, v))),
      fc
        .tuple(fc.constantFrom(EXTRAORDINARIA, ESPECIAL), fc.array(value, { minLength: 4, maxLength: 4 }))
        .map(([c, v]) => published(c, fields(c, v))),
      fc.array(value, { minLength: 5, maxLength: 5 }).map((v) => published(null, fields(BASICA, v))),
      fc
        .tuple(
          fc.constantFrom(BASICA, CONTIGUA, EXTRAORDINARIA, ESPECIAL),
          fc.constantFrom('PAQUETE_NO_ENTREGADO', 'CASILLA_NO_INSTALADA', 'SIN_SOBRE') as fc.Arbitrary<
            'PAQUETE_NO_ENTREGADO' | 'CASILLA_NO_INSTALADA' | 'SIN_SOBRE'
          >,
        )
        .map(([c, reason]) => published(c, null, { sinActaReason: reason })),
    );
    // The LEEME's definition, written out the way INE's QA filtered PRES_2024.csv: the quoted
    // items of OBSERVACIONES against the five texts, on rows in the catalog.
    const INE_INCONSISTENCIES = [
      'Excede Lista Nominal',
      'Ilegible',
      'Sin dato',
      'Todos los campos ilegibles',
      'Todos los campos vacíos',
    ];
    const inconsistent = (r: Record<string, string>): boolean =>
      r['CONTABILIZADA'] !== '2' &&
      [...r['OBSERVACIONES']!.matchAll(/'([^']*)'/g)].some((m) => INE_INCONSISTENCIES.includes(m[1]!));
    fc.assert(
      fc.property(
        fc.uniqueArray(acta, { maxLength: 6, selector: (a) => a.actaKey ?? JSON.stringify(a.fields) }),
        fc.boolean(),
        (actas, final) => {
          const bytes = csvFor(actas, { final }).bytes;
          const { summary, rows } = pandasStyle(bytes);
          // The verifier's own recomputation (V09) over the same bytes.
          const parsed = readResultsCsv(bytes);
          assert.ok(parsed.ok);
          const verifierRows = contestRows(parsed.value, CONTEST);
          const verifierCounts = newCounts(verifierRows.voteColumns.length);
          for (const row of parsed.value.rows) addRow(verifierCounts, verifierRows, row);
          verifierCounts.esperadas = 5;
          const verifierAggregates = aggregatesOf(verifierCounts, final);
          const counted = rows.filter((r) => r['CONTABILIZADA'] === '1');
          const capturadas = rows.filter((r) => r['CONTABILIZADA'] !== '2').length;
          const ln = counted.reduce((s, r) => s + Number(r['LISTA_NOMINAL']), 0);
          const cCs = counted.reduce((s, r) => s + Number(r['TOTAL_VOTOS_CALCULADO']), 0);
          const sCs = counted
            .filter((r) => r['TIPO_CASILLA'] !== 'S')
            .reduce((s, r) => s + Number(r['TOTAL_VOTOS_CALCULADO']), 0);
          const truncated = (n: number, d: number) =>
            d === 0 ? '0.0000' : (Number((BigInt(n) * 1_000_000n) / BigInt(d)) / 10_000).toFixed(4);
          return (
            summary['ACTAS_CAPTURADAS'] === String(capturadas) &&
            summary['ACTAS_FUERA_CATALOGO'] === String(rows.length - capturadas) &&
            summary['ACTAS_CONTABILIZADAS'] === String(counted.length) &&
            summary['LISTA_NOMINAL_ACTAS_CONTABILIZADAS'] === String(ln) &&
            summary['TOTAL_VOTOS_C_CS'] === String(cCs) &&
            summary['TOTAL_VOTOS_S_CS'] === String(sCs) &&
            summary['PORCENTAJE_ACTAS_CAPTURADAS'] === truncated(capturadas, 5) &&
            summary['PORCENTAJE_ACTAS_INCONSISTENCIAS'] === truncated(rows.filter(inconsistent).length, 5) &&
            verifierAggregates.join(',') === parsed.value.aggregateValues.join(',') &&
            summary['PORCENTAJE_PARTICIPACION_CIUDADANA'] === truncated(final ? cCs : sCs, ln)
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  test("each casilla's byte range holds exactly its rows, both delimiters", () => {
    const actas = [
      ...SAMPLE,
      published(ESPECIAL, fields(ESPECIAL, [10, 20, 5, 1]), { tipoActa: '02' }),
      published(EXTRAORDINARIA, fields(EXTRAORDINARIA, [7, 'sin_dato', 0, 2])),
    ];
    for (const legacy of [false, true]) {
      const csv = csvFor(actas, { legacy });
      const keys = [...csv.casillaRanges.keys()].sort();
      assert.deepEqual(keys, [BASICA.key, CONTIGUA.key, ESPECIAL.key, EXTRAORDINARIA.key].sort());
      for (const [key, [offset, length]] of csv.casillaRanges) {
        const text = csv.bytes.subarray(offset, offset + length).toString('utf8');
        const rows = csv.bytes.subarray(csv.firstRowOffset).toString('utf8').split('\r').slice(0, -1);
        assert.equal(rows.length, csv.rowCount);
        const expected = rows.filter((row) => row.startsWith(`'${key}`));
        assert.equal(text, expected.map((row) => `${row}\r`).join(''), key);
      }
      assert.equal(csv.casillaRanges.get(ESPECIAL.key)![1] > 0, true);
    }
  });

  test('catalog text that a spreadsheet would run is defused', () => {
    assert.equal(safeText('=HYPERLINK("x")'), '\'=HYPERLINK("x")');
    assert.equal(safeText('+52'), "'+52");
    assert.equal(safeText('@SUM'), "'@SUM");
    assert.equal(safeText('-'), '-');
    assert.equal(safeText('JESÚS MARÍA'), 'JESÚS MARÍA');
  });

  test('the legacy 2018/2021 variant is pipe-delimited with the old names', () => {
    const text = csvFor(SAMPLE, { legacy: true }).bytes.toString('utf8');
    const header = text.split('\r')[6]!;
    assert.ok(header.startsWith('CLAVE_CASILLA|CLAVE_ACTA|ID_ESTADO|ESTADO|'));
    assert.ok(header.includes('|NO_REGISTRADOS|NULOS|'));
    assert.ok(header.includes('|SHA|'));
  });

  test('the same input gives byte-identical cuts and zips', async () => {
    const input = {
      election: ELECTION,
      catalog: CATALOG,
      catalogCsv: Buffer.from('catalog'),
      electionJson: Buffer.from('{}'),
      actas: new Map([[CONTEST.id, SAMPLE]]),
      cutTime: CUT_TIME,
      sequence: 1,
      final: false,
      journal: { size: 0, rootHash: Buffer.alloc(32), checkpointNote: 'n', consistencyProof: [] },
      previous: null,
      signer: testSigner('openprep.TEST2024.simulacro'),
    };
    const a = await buildCut(input);
    const b = await buildCut({ ...input, actas: new Map([[CONTEST.id, [...SAMPLE].reverse()]]) });
    assert.equal(a.manifestSha256, b.manifestSha256);
    assert.deepEqual(a.zip, b.zip);
    assert.deepEqual([...a.files.keys()].sort(), [...b.files.keys()].sort());
    assert.match(a.files.get('LEEME.txt')!.toString('utf8'), /\*\*\* SIMULACRO \*\*\*/);
    assert.match(a.files.get('json/DIP_FED/nacional.json')!.toString('utf8'), /"mode":"simulacro"/);
  });
});
