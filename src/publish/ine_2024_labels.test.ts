/**
 * Issue 16: every label we publish where INE 2024 has one, pinned byte for byte. Readers filter
 * on the exact text (INE's own QA of PRES_2024.csv kept rows whose OBSERVACIONES was
 * `Excede Lista Nominal`, `Sin dato`, …), so a changed capital or a decomposed accent breaks
 * them silently. The expected texts are written here, not imported: accented letters as escapes
 * (U+00ED, U+00E1), so an editor that normalizes this file cannot make the test agree with a
 * wrong byte. Sources: ../shared/docs/domain.md ("Aggregates", "The results CSV") and
 * ../shared/research/prep-domain.md §2.4–§3.3.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Observation, PublishedActa } from '../domain/acta.ts';
import { observationLabel } from '../domain/classification.ts';
import { tabulate } from '../domain/tabulation.ts';
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
import { leeme } from './leeme.ts';
import { resultsCsv } from './results_csv.ts';

const bytesOf = (text: string): string => Buffer.from(text, 'utf8').toString('hex');
const sameBytes = (actual: string | undefined, expected: string, what: string): void =>
  assert.equal(
    bytesOf(actual ?? '<missing>'),
    bytesOf(expected),
    `${what}: "${actual}" is not "${expected}"`,
  );

/** OBSERVACIONES texts as INE 2024 writes them (the QA list of PRES_2024.csv, the LEEME). */
const INE_OBSERVACIONES: Readonly<Record<Exclude<Observation, 'SIN_ACTA'>, string>> = {
  EXCEDE_LISTA_NOMINAL: 'Excede Lista Nominal',
  ILEGIBLE: 'Ilegible',
  SIN_DATO: 'Sin dato',
  TODOS_ILEGIBLES: 'Todos los campos ilegibles',
  TODOS_VACIOS: 'Todos los campos vac\u00edos',
  // Not in INE's QA list (it is no inconsistency); spelled as in the LEEME's category table.
  FUERA_DE_CATALOGO: 'Fuera de cat\u00e1logo',
};

/** `Sin acta` as the LEEME and the IFE/INE files spell it, with the LEEME's reason after it. */
const INE_SIN_ACTA = {
  PAQUETE_NO_ENTREGADO: 'Sin acta (paquete no entregado)',
  CASILLA_NO_INSTALADA: 'Sin acta (casilla no instalada)',
  SIN_SOBRE: 'Sin acta (sin sobre)',
  CONTINGENCIA_URNA_ELECTRONICA: 'Sin acta (contingencia en urna electr\u00f3nica)',
} as const;

const INE_AGGREGATES_LINE =
  'ACTAS_ESPERADAS,ACTAS_REGISTRADAS,ACTAS_FUERA_CATALOGO,ACTAS_CAPTURADAS,PORCENTAJE_ACTAS_CAPTURADAS,' +
  'ACTAS_CONTABILIZADAS,PORCENTAJE_ACTAS_CONTABILIZADAS,PORCENTAJE_ACTAS_INCONSISTENCIAS,' +
  'ACTAS_NO_CONTABILIZADAS,LISTA_NOMINAL_ACTAS_CONTABILIZADAS,TOTAL_VOTOS_C_CS,TOTAL_VOTOS_S_CS,' +
  'PORCENTAJE_PARTICIPACION_CIUDADANA';

const INE_LEADING_COLUMNS =
  'CLAVE_CASILLA,CLAVE_ACTA,ID_ENTIDAD,ENTIDAD,ID_DISTRITO_FEDERAL,DISTRITO_FEDERAL,SECCION,ID_CASILLA,' +
  'TIPO_CASILLA,EXT_CONTIGUA,UBICACION_CASILLA,TIPO_ACTA,TOTAL_BOLETAS_SOBRANTES,TOTAL_PERSONAS_VOTARON,' +
  'TOTAL_REP_PARTIDO_CI_VOTARON,TOTAL_VOTOS_SACADOS';
const INE_TRAILING_COLUMNS =
  'TOTAL_VOTOS_ASENTADO,TOTAL_VOTOS_CALCULADO,LISTA_NOMINAL,REPRESENTANTES_PP_CI,OBSERVACIONES,' +
  'CONTABILIZADA,MECANISMOS_TRASLADO,CODIGO_INTEGRIDAD,FECHA_HORA_ACOPIO,FECHA_HORA_CAPTURA,' +
  'FECHA_HORA_VERIFICACION,ORIGEN,DIGITALIZACION,TIPO_DOCUMENTO,COTEJADA';

/** One acta for every observation, published as a DIP_FED CSV. */
const ACTAS: PublishedActa[] = [
  published(BASICA, fields(BASICA, [600, 'ilegible', 'sin_dato', 1, 4])),
  published(CONTIGUA, fields(CONTIGUA, ['ilegible', 'ilegible', 'ilegible', 'ilegible', 'ilegible'])),
  published(EXTRAORDINARIA, fields(EXTRAORDINARIA, ['sin_dato', 'sin_dato', 'sin_dato', 'sin_dato'])),
  published(ESPECIAL, null, { sinActaReason: 'CONTINGENCIA_URNA_ELECTRONICA' }),
  published(null, fields(BASICA, [1, 2, 3, 4, 5]), { claimedKey: '019999B990003' }),
];

function publishedLines(): string[] {
  const tabulation = tabulate({ contest: CONTEST, catalog: CATALOG, actas: ACTAS, final: false });
  const csv = resultsCsv({
    election: ELECTION,
    contest: CONTEST,
    catalog: CATALOG,
    actas: ACTAS,
    tabulation,
    cutTime: Date.parse('2024-06-03T03:05:00.000Z'),
  });
  return csv.bytes.toString('utf8').slice(1).split('\r');
}

/** The items of the OBSERVACIONES list on a CSV line, in order. */
const itemsOf = (line: string): string[] =>
  [...line.matchAll(/\['([^\]]*)'\]/g)].flatMap((m) => m[1]!.split("', '"));

describe('INE 2024 labels, byte for byte (issue 16)', () => {
  test('each OBSERVACIONES text', () => {
    for (const [observation, text] of Object.entries(INE_OBSERVACIONES))
      sameBytes(observationLabel(observation as Observation, null), text, observation);
    for (const [reason, text] of Object.entries(INE_SIN_ACTA))
      sameBytes(observationLabel('SIN_ACTA', reason as keyof typeof INE_SIN_ACTA), text, reason);
  });

  test('the OBSERVACIONES cells of a published CSV, and the Ilegible / Sin dato vote cells', () => {
    const rows = publishedLines().slice(7, 12);
    const o = INE_OBSERVACIONES;
    const expected = [
      [o.EXCEDE_LISTA_NOMINAL, o.ILEGIBLE, o.SIN_DATO],
      [o.TODOS_ILEGIBLES, o.ILEGIBLE],
      [o.TODOS_VACIOS, o.SIN_DATO],
      [INE_SIN_ACTA.CONTINGENCIA_URNA_ELECTRONICA],
      [o.FUERA_DE_CATALOGO],
    ];
    expected.forEach((items, i) => {
      const found = itemsOf(rows[i]!);
      assert.equal(found.length, items.length, rows[i]);
      items.forEach((item, j) => {
        sameBytes(found[j], item, `row ${i + 8}`);
      });
    });
    const cells = rows[0]!.split(',');
    assert.ok(cells.includes('Ilegible') && cells.includes('Sin dato'), rows[0]);
  });

  test('the header block: title, cut line, blank, the 13 aggregate names, values, blank, the fixed columns', () => {
    const lines = publishedLines();
    sameBytes(lines[0], 'SIMULACRO - DIPUTACIONES FEDERALES', 'line 1, a drill');
    sameBytes(lines[1], '02/06/2024 21:05 (UTC-6)', 'line 2');
    sameBytes(lines[2], '', 'line 3');
    sameBytes(lines[3], INE_AGGREGATES_LINE, 'line 4');
    assert.match(
      lines[4]!,
      /^([0-9]+,){4}[0-9]+\.[0-9]{4},[0-9]+,([0-9]+\.[0-9]{4},){2}([0-9]+,){4}[0-9]+\.[0-9]{4}$/,
    );
    sameBytes(lines[5], '', 'line 6');
    const votes = CONTEST.columns.map((c) => c.id).join(',');
    sameBytes(lines[6], `${INE_LEADING_COLUMNS},${votes},${INE_TRAILING_COLUMNS}`, 'line 7');
    assert.ok(votes.endsWith(',NO_REGISTRADAS,NULOS'), votes);
  });

  test('the LEEME names every OBSERVACIONES text and the inconsistency rule as INE does', () => {
    const text = leeme(ELECTION, '20240603_0800', Date.parse('2024-06-03T14:00:00.000Z')).toString('utf8');
    for (const label of Object.values(INE_OBSERVACIONES))
      assert.ok(text.includes(label), `the LEEME lacks "${label}"`);
    assert.ok(text.includes('Sin acta (paquete no entregado | casilla no instalada | sin sobre |'));
    assert.ok(!text.includes('Excede lista nominal'), 'the pre-2024 spelling');
    assert.match(
      text,
      /PORCENTAJE_ACTAS_INCONSISTENCIAS {2}actas capturadas con inconsistencias \/ esperadas × 100: las que tienen\n {6}Excede Lista Nominal, Ilegible, Sin dato, Todos los campos ilegibles o Todos los campos vacíos en\n {6}OBSERVACIONES; Sin acta y Fuera de catálogo no son inconsistencias/,
    );
  });
});
