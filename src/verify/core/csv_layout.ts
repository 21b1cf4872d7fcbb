/**
 * The CSV layout room (V07): the header block (cut line, the 13 aggregate names, the fixed
 * columns of the 2024 layout, the vote columns and title of the election definition) and, row
 * by row, the keys against the identification columns, publication order and the timestamps.
 * The layout's names come from src/domain/results_layout.ts, the format's vocabulary; the
 * reading of the rows is the verifier's own, independent of the builder in src/publish/.
 */
import type { Contest, ElectionDefinition } from '../../domain/election.ts';
import { parseActaKey } from '../../domain/keys.ts';
import { formatCutLine } from '../../domain/local_time.ts';
import {
  AGGREGATE_NAMES,
  FIRST_ROW_LINE,
  FIXED_LEADING_COLUMNS,
  FIXED_TRAILING_COLUMNS,
  SIMULACRO_TITLE_PREFIX,
} from '../../domain/results_layout.ts';
import type { ParsedResultsCsv, Row } from './csv_cells.ts';
import { cutUtcOffsetMinutes, type Manifest } from './manifest.ts';
import type { Failures } from './report.ts';

export interface ContestRows {
  readonly contest: Contest | null;
  readonly csv: ParsedResultsCsv;
  readonly col: (name: string) => number;
  readonly voteColumns: readonly string[];
  /** Positions of the vote columns, and of the cells every row check reads, computed once per file. */
  readonly voteIndexes: readonly number[];
  readonly at: {
    readonly clave: number;
    readonly contabilizada: number;
    readonly observaciones: number;
    readonly listaNominal: number;
    readonly calculado: number;
    readonly tipoCasilla: number;
  };
}

/** A contest's parsed CSV with the positions every row check reads, computed once per file. */
export function contestRows(csv: ParsedResultsCsv, contest: Contest | null): ContestRows {
  const index = new Map(csv.header.map((name, i) => [name, i]));
  const voteColumns = csv.header.slice(
    FIXED_LEADING_COLUMNS.length,
    csv.header.length - FIXED_TRAILING_COLUMNS.length,
  );
  const col = (name: string) => index.get(name) ?? -1;
  return {
    contest,
    csv,
    col,
    voteColumns,
    voteIndexes: voteColumns.map(col),
    at: {
      clave: col('CLAVE_CASILLA'),
      contabilizada: col('CONTABILIZADA'),
      observaciones: col('OBSERVACIONES'),
      listaNominal: col('LISTA_NOMINAL'),
      calculado: col('TOTAL_VOTOS_CALCULADO'),
      tipoCasilla: col('TIPO_CASILLA'),
    },
  };
}

/** V02's per-file half: a drill's titles start with SIMULACRO, a live election's do not. */
export function checkTitleMode(
  checks: Failures,
  file: string,
  csv: ParsedResultsCsv,
  mode: 'simulacro' | 'live',
): void {
  if ((mode === 'simulacro') !== csv.title.startsWith(SIMULACRO_TITLE_PREFIX))
    checks.fail('V02', `${file}: the title line does not match the mode`);
}

/**
 * The closed value sets of docs/publication-format.md's cells table, checked on every row
 * (fuera de catálogo rows included). Whether a `-` is allowed on a given row (sin acta) is
 * V08's, which knows the row's observations.
 */
const CELL_DOMAINS: readonly (readonly [string, ReadonlySet<string>])[] = [
  ['MECANISMOS_TRASLADO', new Set(['D', 'F', 'I', '-'])],
  ['ORIGEN', new Set(['CASILLA', 'CATD', '-'])],
  ['DIGITALIZACION', new Set(['Móvil', 'Escáner', '-'])],
  [
    'TIPO_DOCUMENTO',
    new Set(['Acta PREP', 'Copia PE', 'Acta Consejo', 'Acta Consejo S', 'Copia RPPCI', '-']),
  ],
  ['COTEJADA', new Set(['0', '1', '2', '3'])],
];

const TIMESTAMP_DAY = /^([0-9]{2})\/([0-9]{2})\/([0-9]{4})$/;

/** `DD/MM/YYYY` naming a real calendar day. */
function isCalendarDay(text: string): boolean {
  const m = TIMESTAMP_DAY.exec(text);
  if (m === null) return false;
  const day = Number(m[1]);
  const month = Number(m[2]);
  const year = Number(m[3]);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
}

/** The two decimal digits at `at`, or -1. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const units = text.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : -1;
}

/**
 * The days seen, judged once each: a national CSV has ~1.5 million timestamps over a handful of
 * days, so the calendar is consulted a handful of times (bounded, whatever the file holds).
 */
const calendarDays = new Map<string, boolean>();

/** `DD/MM/YYYY HH:MM:SS` naming a moment that exists: a real calendar day, 00–23 h, 00–59 min and s. */
export function isTimestamp(cell: string): boolean {
  if (
    cell.length !== 19 ||
    cell.charCodeAt(10) !== 32 ||
    cell.charCodeAt(13) !== 58 ||
    cell.charCodeAt(16) !== 58
  )
    return false;
  const hour = twoDigits(cell, 11);
  const minute = twoDigits(cell, 14);
  const second = twoDigits(cell, 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const day = cell.slice(0, 10);
  let real = calendarDays.get(day);
  if (real === undefined) {
    real = isCalendarDay(day);
    if (calendarDays.size < 4096) calendarDays.set(day, real);
  }
  return real;
}

/** Checks the header block now and returns the per-row half of V07. */
export function layoutChecker(
  checks: Failures,
  file: string,
  rows: ContestRows,
  manifest: Manifest,
  election: ElectionDefinition | null,
): (row: Row, i: number) => void {
  const csv = rows.csv;
  // The definition's offset; without it, the one cut.time states (V03 checked they name one instant).
  const offset = election?.utcOffsetMinutes ?? cutUtcOffsetMinutes(manifest) ?? -360;
  const expectedCut = formatCutLine(Date.parse(manifest.cut.timeUtc), offset);
  if (csv.cutLine !== expectedCut)
    checks.fail('V07', `${file}: cut line "${csv.cutLine}", expected "${expectedCut}"`);
  if (csv.aggregateNames.join(',') !== AGGREGATE_NAMES.join(','))
    checks.fail('V07', `${file}: the 13 aggregate names are not the INE ones in order`);
  if (csv.aggregateValues.length !== 13) checks.fail('V07', `${file}: line 5 does not hold 13 values`);
  const header = csv.header;
  if (
    header.slice(0, FIXED_LEADING_COLUMNS.length).join(',') !== FIXED_LEADING_COLUMNS.join(',') ||
    header.slice(-FIXED_TRAILING_COLUMNS.length).join(',') !== FIXED_TRAILING_COLUMNS.join(',')
  )
    checks.fail('V07', `${file}: the table header's fixed columns are not the 2024 layout`);
  if (rows.contest !== null) {
    const expected = rows.contest.columns.map((c) => c.id).join(',');
    if (rows.voteColumns.join(',') !== expected)
      checks.fail(
        'V07',
        `${file}: vote columns ${rows.voteColumns.join(',')} differ from the election definition`,
      );
    const title =
      election?.mode === 'simulacro' ? `${SIMULACRO_TITLE_PREFIX}${rows.contest.title}` : rows.contest.title;
    if (csv.title !== title) checks.fail('V07', `${file}: title "${csv.title}", expected "${title}"`);
  }
  // Keys agree with the identification columns; order is publication order.
  let previousKey = '';
  let fueraSeen = false;
  // Column positions once, not per row.
  const timeColumns = ['FECHA_HORA_ACOPIO', 'FECHA_HORA_CAPTURA', 'FECHA_HORA_VERIFICACION'].map(
    (column) => [column, rows.col(column)] as const,
  );
  const atClaveActa = rows.col('CLAVE_ACTA');
  const atContabilizada = rows.col('CONTABILIZADA');
  const atExtContigua = rows.col('EXT_CONTIGUA');
  const atIdCasilla = rows.col('ID_CASILLA');
  const atIdDistritoFederal = rows.col('ID_DISTRITO_FEDERAL');
  const atIdEntidad = rows.col('ID_ENTIDAD');
  const atSeccion = rows.col('SECCION');
  const atTipoActa = rows.col('TIPO_ACTA');
  const atTipoCasilla = rows.col('TIPO_CASILLA');
  const domains = CELL_DOMAINS.map(([column, values]) => [column, rows.col(column), values] as const);
  const atUbicacion = rows.col('UBICACION_CASILLA');
  return (row, i) => {
    const line = i + FIRST_ROW_LINE;
    const clave = row[rows.at.clave]!;
    const claveActa = row[atClaveActa]!;
    // Every row's cells in their documented domains; a fuera de catálogo row may lack what
    // only the catalog gives (the casilla's place, its distrito).
    for (const [column, at, values] of domains) {
      const cell = row[at]!;
      if (!values.has(cell))
        checks.fail('V07', `${file} line ${line}: ${column} "${cell}" is not one of its values`);
    }
    for (const [column, at] of timeColumns) {
      const cell = row[at]!;
      if (cell !== '-' && !isTimestamp(cell))
        checks.fail('V07', `${file} line ${line}: ${column} "${cell}" is not a real DD/MM/YYYY HH:MM:SS`);
    }
    const ubicacion = row[atUbicacion]!;
    if (ubicacion !== '1' && ubicacion !== '2' && !(clave === '-' && ubicacion === '-'))
      checks.fail('V07', `${file} line ${line}: UBICACION_CASILLA "${ubicacion}" is not 1 or 2`);
    const distrito = row[atIdDistritoFederal]!;
    if (!/^[0-9]{3}$/.test(distrito) && !(clave === '-' && distrito === '-'))
      checks.fail('V07', `${file} line ${line}: ID_DISTRITO_FEDERAL "${distrito}" is not 3 digits`);
    if (clave === '-') {
      fueraSeen = true;
      if (row[atContabilizada] !== '2')
        checks.fail('V07', `${file} line ${line}: a row without key must be fuera de catálogo`);
      return;
    }
    if (fueraSeen) checks.fail('V07', `${file} line ${line}: a catalog row after fuera de catálogo rows`);
    const parsed = parseActaKey(claveActa);
    if (
      !clave.startsWith("'") ||
      !claveActa.startsWith("'") ||
      !parsed.ok ||
      `'${parsed.value.casillaKey}` !== clave
    ) {
      checks.fail(
        'V07',
        `${file} line ${line}: CLAVE_CASILLA ${clave} / CLAVE_ACTA ${claveActa} malformed or disagree`,
      );
      return;
    }
    const p = parsed.value;
    const agrees =
      row[atIdEntidad] === String(p.entidad) &&
      row[atSeccion] === String(p.seccion).padStart(4, '0') &&
      row[atTipoCasilla] === p.tipo &&
      row[atIdCasilla] === String(p.id).padStart(2, '0') &&
      row[atExtContigua] === String(p.extension).padStart(2, '0') &&
      row[atTipoActa] === p.tipoActa;
    if (!agrees)
      checks.fail('V07', `${file} line ${line}: identification columns disagree with ${claveActa}`);
    const sortKey = [
      String(p.entidad).padStart(2, '0'),
      row[atIdDistritoFederal],
      String(p.seccion).padStart(4, '0'),
      'BCES'.indexOf(p.tipo),
      String(p.id).padStart(2, '0'),
      String(p.extension).padStart(2, '0'),
      p.tipoActa,
    ].join('|');
    if (sortKey <= previousKey) checks.fail('V07', `${file} line ${line}: rows out of publication order`);
    previousKey = sortKey;
  };
}
