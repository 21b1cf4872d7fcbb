/** The problems a catalog import reports, and how they are collected. */

export type CatalogProblemKind =
  | 'empty-file'
  | 'not-utf8'
  | 'malformed-csv'
  | 'line-too-long'
  | 'too-large'
  | 'too-many-rows'
  | 'missing-column'
  | 'unknown-column'
  | 'duplicate-column'
  | 'field-count'
  | 'missing-value'
  | 'bad-number'
  | 'out-of-range'
  | 'bad-tipo-casilla'
  | 'tipo-conflict'
  | 'bad-ubicacion'
  | 'bad-name'
  | 'special-lista-nominal'
  | 'special-boletas'
  | 'duplicate-casilla'
  | 'entidad-name-conflict'
  | 'distrito-name-conflict'
  | 'seccion-distrito-conflict'
  | 'distrito-numbering'
  | 'no-casillas';

export interface CatalogProblem {
  /** Line of the file (1 = first line; a record spanning lines reports its last). 0: the file as a whole. */
  readonly line: number;
  /** The column as named in the file's header; null when the problem is not about one column. */
  readonly column: string | null;
  readonly kind: CatalogProblemKind;
  readonly reason: string;
}

export interface Collector {
  readonly problems: CatalogProblem[];
  readonly maxErrors: number;
  /** Stop reading: a fatal problem, or the error cap. */
  stopped: boolean;
  truncated: boolean;
}

export function report(collector: Collector, problem: CatalogProblem): void {
  if (collector.problems.length < collector.maxErrors) collector.problems.push(problem);
  if (collector.problems.length >= collector.maxErrors) {
    collector.stopped = true;
    collector.truncated = true;
  }
}

/** A problem after which the rest of the file cannot be read meaningfully. */
export function fatal(collector: Collector, problem: CatalogProblem): void {
  if (collector.stopped) return;
  collector.problems.push(problem);
  collector.stopped = true;
  collector.truncated = true;
}

export function hex(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}
