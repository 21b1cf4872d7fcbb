/**
 * The casilla catalog CSV: streaming, all-or-nothing import and the canonical export.
 *
 * Import either returns a whole validated `Catalog` or every problem it found (capped), each
 * naming its line and column; nothing partial ever escapes. It streams: a 2 GB file of garbage
 * is rejected after reading a little of it (byte and row caps, a record-size cap, an error cap).
 * Accepted columns, aliases and rules: docs/catalog.md.
 */
import { pipeline } from 'node:stream/promises';
import { CsvError, type Info, parse } from 'csv-parse';
import {
  type Casilla,
  type Catalog,
  compareCasillas,
  type Distrito,
  type Entidad,
  type Ubicacion,
} from '../domain/catalog.ts';
import type { TipoCasilla } from '../domain/keys.ts';
import { formatCasillaKey } from '../domain/keys.ts';
import type { Err, Ok } from '../domain/result.ts';
import { err, ok } from '../domain/result.ts';
import {
  blankLinesProblem,
  type ByteGuard,
  chunksOf,
  guardBytes,
  MAX_CONSECUTIVE_BLANK_LINES,
} from './byte_guard.ts';
import {
  CATALOG_COLUMNS,
  type CatalogColumn,
  type ColumnMap,
  memo,
  parseDigits,
  parseTipoLabel,
  parseUbicacionText,
  nameProblem,
  readHeader,
  type TipoParse,
} from './csv_columns.ts';
import { type CatalogProblem, type CatalogProblemKind, type Collector, fatal, report } from './problems.ts';

export { MAX_BYTES_WITHOUT_RECORD, MAX_CONSECUTIVE_BLANK_LINES } from './byte_guard.ts';
export { catalogSha256, catalogToCsv } from './csv_export.ts';
export {
  CATALOG_COLUMN_ALIASES,
  CATALOG_COLUMNS,
  type CatalogColumn,
  MAX_NAME_LENGTH,
  OPTIONAL_CATALOG_COLUMNS,
} from './csv_columns.ts';
export type { CatalogProblem, CatalogProblemKind } from './problems.ts';

export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
export const DEFAULT_MAX_ROWS = 1_000_000;
export const DEFAULT_MAX_ERRORS = 100;
/** A catalog line is ~100 characters; anything this long means a wrong file or a missing line break. */
export const MAX_RECORD_CHARS = 64 * 1024;

export const LIMITS = {
  entidad: [1, 32],
  distrito: [1, 99],
  seccion: [1, 9_999],
  id: [1, 99],
  extension: [0, 99],
  listaNominal: [0, 5_000],
  representantes: [0, 999],
  boletasAprobadas: [0, 10_000],
} as const satisfies Record<string, readonly [number, number]>;

export interface CatalogImportOptions {
  readonly maxBytes?: number;
  readonly maxRows?: number;
  /** Stop after this many problems (the report then says it was truncated). */
  readonly maxErrors?: number;
}

export type CatalogImportFailure = Err<'catalog-invalid'> & {
  /** Sorted by line. */
  readonly problems: readonly CatalogProblem[];
  /** Reading stopped early (too many problems, or a problem that makes the rest unreadable). */
  readonly truncated: boolean;
};
export type CatalogImportResult = Ok<Catalog> | CatalogImportFailure;

interface Seen<T> {
  readonly value: T;
  readonly line: number;
}

interface RowState {
  readonly collector: Collector;
  readonly columns: ColumnMap;
  readonly casillas: Casilla[];
  readonly entidades: Map<number, Seen<string>>;
  readonly distritos: Map<number, Seen<string>>; // entidad * 100 + distrito
  readonly secciones: Map<number, Seen<number>>; // entidad * 10_000 + sección -> distrito
  readonly keys: Map<number, number>; // numeric casilla key -> line
  readonly parseTipo: (text: string) => TipoParse | null;
  readonly parseUbicacion: (text: string) => Ubicacion | null;
}

class RowReader {
  readonly #state: RowState;
  readonly #fields: readonly string[];
  readonly #line: number;
  failed = false;

  constructor(state: RowState, fields: readonly string[], line: number) {
    this.#state = state;
    this.#fields = fields;
    this.#line = line;
  }

  problem(column: CatalogColumn | null, kind: CatalogProblemKind, reason: string): void {
    this.failed = true;
    report(this.#state.collector, {
      line: this.#line,
      column: column === null ? null : this.#state.columns.label[column],
      kind,
      reason,
    });
  }

  /** The trimmed cell; '' when the optional column is absent. */
  text(column: CatalogColumn): string {
    const position = this.#state.columns.index[column];
    if (position === -1) return '';
    const raw = this.#fields[position] ?? '';
    const first = raw.charCodeAt(0);
    const last = raw.charCodeAt(raw.length - 1);
    return first === 0x20 || last === 0x20 || first === 0x09 || last === 0x09 ? raw.trim() : raw;
  }

  /** An integer cell within `limits`; `fallback` when empty (null: required). */
  int(
    column: CatalogColumn,
    limits: readonly [number, number],
    fallback: number | null = null,
  ): number | null {
    const text = this.text(column);
    if (text === '') {
      if (fallback !== null) return fallback;
      this.problem(column, 'missing-value', `${this.#label(column)} is empty`);
      return null;
    }
    return this.#checkInt(column, text, limits);
  }

  /** An integer cell that may be stated by the TIPO_CASILLA label instead; both given must agree. */
  intOrLabel(column: CatalogColumn, limits: readonly [number, number], stated: number | null): number | null {
    const text = this.text(column);
    if (text === '') {
      if (stated !== null) return this.#inRange(column, stated, limits);
      this.problem(column, 'missing-value', `${this.#label(column)} is empty`);
      return null;
    }
    const value = this.#checkInt(column, text, limits);
    if (value !== null && stated !== null && value !== stated) {
      this.problem(
        column,
        'tipo-conflict',
        `${this.#label(column)} is ${value} but TIPO_CASILLA "${this.text('TIPO_CASILLA')}" says ${stated}`,
      );
      return null;
    }
    return value;
  }

  name(column: CatalogColumn): string | null {
    const text = this.text(column).trim();
    const problem = nameProblem(text);
    if (problem === null) return text;
    this.problem(column, text === '' ? 'missing-value' : 'bad-name', `${this.#label(column)} ${problem}`);
    return null;
  }

  #label(column: CatalogColumn): string {
    return this.#state.columns.label[column];
  }

  #checkInt(column: CatalogColumn, text: string, limits: readonly [number, number]): number | null {
    const value = parseDigits(text);
    if (value === null) {
      this.problem(column, 'bad-number', `${this.#label(column)} "${text}" is not a whole number`);
      return null;
    }
    return this.#inRange(column, value, limits);
  }

  #inRange(column: CatalogColumn, value: number, [min, max]: readonly [number, number]): number | null {
    if (value >= min && value <= max) return value;
    this.problem(column, 'out-of-range', `${this.#label(column)} ${value} is not in ${min}..${max}`);
    return null;
  }
}

const TIPO_INDEX: Readonly<Record<TipoCasilla, number>> = { B: 0, C: 1, E: 2, S: 3 };

/** A sección lies in one distrito, and a casilla key appears once. */
function checkConsistency(state: RowState, reader: RowReader, row: Casilla, line: number): void {
  const seccionId = row.entidad * 10_000 + row.seccion;
  const seccion = state.secciones.get(seccionId);
  if (seccion === undefined) state.secciones.set(seccionId, { value: row.distrito, line });
  else if (seccion.value !== row.distrito)
    reader.problem(
      'ID_DISTRITO_FEDERAL',
      'seccion-distrito-conflict',
      `sección ${row.seccion} of entidad ${row.entidad} is in distrito ${row.distrito} here but in distrito ${seccion.value} on line ${seccion.line}`,
    );
  // A numeric key hashes much faster than the 11-character string over 170k rows.
  const keyNumber =
    row.entidad * 1e9 + row.seccion * 1e5 + TIPO_INDEX[row.tipo] * 1e4 + row.id * 100 + row.extension;
  const previous = state.keys.get(keyNumber);
  if (previous === undefined) state.keys.set(keyNumber, line);
  else
    reader.problem(
      null,
      'duplicate-casilla',
      `casilla ${row.key} (sección ${row.seccion}, ${row.tipo} ${row.id}, extensión ${row.extension}) is also on line ${previous}`,
    );
}

function checkName(
  map: Map<number, Seen<string>>,
  key: number,
  name: string,
  line: number,
): Seen<string> | null {
  const seen = map.get(key);
  if (seen === undefined) {
    map.set(key, { value: name, line });
    return null;
  }
  return seen.value === name ? null : seen;
}

function readRow(state: RowState, fields: readonly string[], line: number): void {
  const { columns } = state;
  if (fields.length !== columns.width) {
    report(state.collector, {
      line,
      column: null,
      kind: 'field-count',
      reason: `expected ${columns.width} fields (as in the header) but found ${fields.length}`,
    });
    return;
  }
  const r = new RowReader(state, fields, line);
  const entidad = r.int('ID_ENTIDAD', LIMITS.entidad);
  const entidadName = r.name('ENTIDAD');
  const distrito = r.int('ID_DISTRITO_FEDERAL', LIMITS.distrito);
  const distritoName = r.name('DISTRITO_FEDERAL');
  const seccion = r.int('SECCION', LIMITS.seccion);
  const tipoText = r.text('TIPO_CASILLA');
  const tipo = tipoText === '' ? null : state.parseTipo(tipoText);
  if (tipoText === '') r.problem('TIPO_CASILLA', 'missing-value', `${columns.label.TIPO_CASILLA} is empty`);
  else if (tipo === null)
    r.problem(
      'TIPO_CASILLA',
      'bad-tipo-casilla',
      `TIPO_CASILLA "${tipoText}" is not B, C, E, S or an INE label (BÁSICA, CONTIGUA n, EXTRAORDINARIA n, EXTRAORDINARIA n CONTIGUA m, ESPECIAL n)`,
    );
  const id = r.intOrLabel('ID_CASILLA', LIMITS.id, tipo?.id ?? null);
  const extension = r.intOrLabel('EXT_CONTIGUA', LIMITS.extension, tipo?.extension ?? null);
  const ubicacionText = r.text('UBICACION_CASILLA');
  const ubicacion = ubicacionText === '' ? null : state.parseUbicacion(ubicacionText);
  if (ubicacionText === '')
    r.problem('UBICACION_CASILLA', 'missing-value', `${columns.label.UBICACION_CASILLA} is empty`);
  else if (ubicacion === null)
    r.problem(
      'UBICACION_CASILLA',
      'bad-ubicacion',
      `UBICACION_CASILLA "${ubicacionText}" is not 1, 2, URBANA or NO URBANA`,
    );
  const listaNominal = r.int('LISTA_NOMINAL', LIMITS.listaNominal);
  const representantes = r.int('REPRESENTANTES_PP_CI', LIMITS.representantes, 0);
  const boletasAprobadas = r.int('BOLETAS_APROBADAS', LIMITS.boletasAprobadas, 0);
  if (tipo?.tipo === 'S') {
    if (listaNominal !== null && listaNominal !== 0)
      r.problem(
        'LISTA_NOMINAL',
        'special-lista-nominal',
        `a special casilla (S) has no lista nominal: ${columns.label.LISTA_NOMINAL} must be 0, not ${listaNominal}`,
      );
    if (boletasAprobadas === 0)
      r.problem(
        'BOLETAS_APROBADAS',
        'special-boletas',
        `a special casilla (S) needs its approved ballots: ${columns.label.BOLETAS_APROBADAS} must be more than 0`,
      );
  }
  if (entidad !== null && entidadName !== null) {
    const seen = checkName(state.entidades, entidad, entidadName, line);
    if (seen !== null)
      r.problem(
        'ENTIDAD',
        'entidad-name-conflict',
        `entidad ${entidad} is named "${entidadName}" here but "${seen.value}" on line ${seen.line}`,
      );
  }
  if (entidad !== null && distrito !== null && distritoName !== null) {
    const seen = checkName(state.distritos, entidad * 100 + distrito, distritoName, line);
    if (seen !== null)
      r.problem(
        'DISTRITO_FEDERAL',
        'distrito-name-conflict',
        `distrito ${distrito} of entidad ${entidad} is named "${distritoName}" here but "${seen.value}" on line ${seen.line}`,
      );
  }
  if (
    entidad === null ||
    distrito === null ||
    seccion === null ||
    tipo === null ||
    id === null ||
    extension === null ||
    ubicacion === null ||
    listaNominal === null ||
    representantes === null ||
    boletasAprobadas === null
  )
    return;
  const key = formatCasillaKey({ entidad, seccion, tipo: tipo.tipo, id, extension });
  if (!key.ok) throw new Error(`validated casilla has a bad key: ${key.message}`);
  const casilla: Casilla = {
    key: key.value,
    entidad,
    distrito,
    seccion,
    tipo: tipo.tipo,
    id,
    extension,
    ubicacion,
    listaNominal,
    representantes,
    boletasAprobadas,
  };
  checkConsistency(state, r, casilla, line);
  if (!r.failed) state.casillas.push(casilla);
}

/** Distritos of each entidad must be numbered 1..n without gaps. */
function checkDistritoNumbering(state: RowState): void {
  const byEntidad = new Map<number, Map<number, number>>();
  for (const [key, seen] of state.distritos) {
    const entidad = Math.floor(key / 100);
    let ids = byEntidad.get(entidad);
    if (ids === undefined) {
      ids = new Map();
      byEntidad.set(entidad, ids);
    }
    ids.set(key % 100, seen.line);
  }
  for (const [entidad, ids] of [...byEntidad].sort((a, b) => a[0] - b[0])) {
    const highest = Math.max(...ids.keys());
    for (let d = 1; d < highest; d++) {
      if (ids.has(d)) continue;
      report(state.collector, {
        line: ids.get(highest) ?? 0,
        column: state.columns.label.ID_DISTRITO_FEDERAL,
        kind: 'distrito-numbering',
        reason: `entidad ${entidad} has distrito ${highest} but no distrito ${d}; the distritos of an entidad are numbered 1..n without gaps`,
      });
      if (state.collector.stopped) return;
    }
  }
}

function buildCatalog(state: RowState): Catalog {
  const entidades: Entidad[] = [...state.entidades]
    .sort((a, b) => a[0] - b[0])
    .map(([id, seen]) => ({ id, name: seen.value }));
  const distritos: Distrito[] = [...state.distritos]
    .sort((a, b) => a[0] - b[0])
    .map(([key, seen]) => ({ entidad: Math.floor(key / 100), id: key % 100, name: seen.value }));
  const casillas = state.casillas.sort(compareCasillas);
  return { entidades, distritos, casillas };
}

// ---------------------------------------------------------------------------------------------
// Driver

interface ParsedRecord {
  readonly record: string[];
  readonly info: Info;
}

function isBlank(fields: readonly string[]): boolean {
  for (const field of fields) if (field.trim() !== '') return false;
  return true;
}

interface RecordSink {
  readonly collector: Collector;
  readonly maxRows: number;
  rows: RowState | null;
  rowCount: number;
  blankRun: number;
  lastLine: number;
}

function onRecord(sink: RecordSink, fields: string[], line: number): void {
  const { collector } = sink;
  sink.lastLine = line;
  if (isBlank(fields)) {
    // Rows of spaces or empty cells (empty lines are counted by the byte guard).
    if (++sink.blankRun > MAX_CONSECUTIVE_BLANK_LINES) fatal(collector, blankLinesProblem(line));
    return;
  }
  sink.blankRun = 0;
  if (sink.rows === null) {
    const columns = readHeader(fields, line, collector);
    if (columns === null) {
      collector.stopped = true; // rows cannot be read without their columns
      return;
    }
    sink.rows = {
      collector,
      columns,
      casillas: [],
      entidades: new Map(),
      distritos: new Map(),
      secciones: new Map(),
      keys: new Map(),
      parseTipo: memo(parseTipoLabel),
      parseUbicacion: memo(parseUbicacionText),
    };
    return;
  }
  if (++sink.rowCount > sink.maxRows) {
    fatal(collector, {
      line,
      column: null,
      kind: 'too-many-rows',
      reason: `more than ${sink.maxRows} casillas; reading stopped`,
    });
    return;
  }
  readRow(sink.rows, fields, line);
}

function csvErrorProblem(error: CsvError): CatalogProblem {
  const line = typeof error['lines'] === 'number' ? error['lines'] : 0;
  if (error.code === 'CSV_MAX_RECORD_SIZE')
    return {
      line,
      column: null,
      kind: 'line-too-long',
      reason: `a record longer than ${MAX_RECORD_CHARS} characters (a wrong file, or line breaks missing); reading stopped`,
    };
  return { line, column: null, kind: 'malformed-csv', reason: `${error.message}; reading stopped` };
}

function summarize(problems: readonly CatalogProblem[], truncated: boolean): string {
  const shown = problems
    .slice(0, 3)
    .map((p) => `line ${p.line}${p.column === null ? '' : `, ${p.column}`}: ${p.reason}`)
    .join(' | ');
  const more = truncated ? ' (reading stopped; there may be more)' : '';
  return `catalog rejected, nothing imported: ${problems.length} problem${problems.length === 1 ? '' : 's'}${more}. ${shown}`;
}

/**
 * Reads a catalog CSV (UTF-8, optional BOM, comma-separated, header row first). Returns the
 * whole validated catalog, or every problem found (up to `maxErrors`) and no catalog at all.
 * Errors of the input stream itself (e.g. a failing disk) are thrown.
 */
export async function parseCatalogCsv(
  input: Buffer | AsyncIterable<Buffer>,
  options: CatalogImportOptions = {},
): Promise<CatalogImportResult> {
  const collector: Collector = {
    problems: [],
    maxErrors: Math.max(1, options.maxErrors ?? DEFAULT_MAX_ERRORS),
    stopped: false,
    truncated: false,
  };
  const guard: ByteGuard = {
    collector,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    bytes: 0,
    line: 1,
    lastNewline: -1,
    lastByte: -1,
    blankRun: 0,
    carry: new Uint8Array(0),
    recordBytes: 0,
  };
  const sink: RecordSink = {
    collector,
    maxRows: options.maxRows ?? DEFAULT_MAX_ROWS,
    rows: null,
    rowCount: 0,
    blankRun: 0,
    lastLine: 0,
  };
  const source = Buffer.isBuffer(input) ? chunksOf(input) : input;
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    max_record_size: MAX_RECORD_CHARS,
  });
  try {
    await pipeline(guardBytes(source, guard), parser, async (records: AsyncIterable<ParsedRecord>) => {
      for await (const { record, info } of records) {
        if (collector.stopped) return;
        guard.recordBytes = info.bytes;
        onRecord(sink, record, info.lines);
        if (collector.stopped) return;
      }
    });
  } catch (error) {
    // Our own early stop aborts the pipeline; only a parse error that came first is a problem.
    if (!collector.stopped) {
      if (!(error instanceof CsvError)) throw error;
      fatal(collector, csvErrorProblem(error));
    }
  }
  if (!collector.stopped) finish(sink);
  if (collector.problems.length > 0 || sink.rows === null) {
    const problems = [...collector.problems].sort((a, b) => a.line - b.line);
    return {
      ...err('catalog-invalid', summarize(problems, collector.truncated)),
      problems,
      truncated: collector.truncated,
    };
  }
  return ok(buildCatalog(sink.rows));
}

function finish(sink: RecordSink): void {
  const { collector } = sink;
  if (sink.rows === null) {
    report(collector, {
      line: 0,
      column: null,
      kind: 'empty-file',
      reason: `the file is empty; expected a header row: ${CATALOG_COLUMNS.join(',')}`,
    });
    return;
  }
  if (sink.rowCount === 0) {
    report(collector, {
      line: sink.lastLine,
      column: null,
      kind: 'no-casillas',
      reason: 'the file has a header but no casillas',
    });
    return;
  }
  checkDistritoNumbering(sink.rows);
}
