/**
 * A results CSV as the verifier reads it: the parsed header block and the raw acta rows, and
 * the splitting of one line into cells (RFC 4180 quotes). The verifier's own reading of the
 * format, independent of the builder in src/publish/; the bytes are read by
 * src/verify/csv_reader.ts. Also the one cell reader every row check uses.
 */
import { err, ok, type Result } from '../../domain/result.ts';

export type Row = readonly string[];

export interface ParsedResultsCsv {
  readonly title: string;
  readonly cutLine: string;
  readonly aggregateNames: readonly string[];
  readonly aggregateValues: readonly string[];
  readonly header: readonly string[];
  /** Raw row text, without the line terminator. */
  readonly rawRows: readonly string[];
  /** Byte offset of the first acta row in the file (after the BOM and the 7 header lines). */
  readonly firstRowOffset: number;
  readonly rows: readonly (readonly string[])[];
}

/** Splits one line into cells (RFC 4180 quotes). */
export function splitCells(line: string, delimiter: string): Result<string[], 'bad-quoting'> {
  if (!line.includes('"')) return ok(line.split(delimiter));
  const cells: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const next = line.indexOf('"', i);
        if (next < 0) return err('bad-quoting', 'unterminated quoted cell');
        cell += line.slice(i, next);
        if (line[next + 1] === '"') {
          cell += '"';
          i = next + 2;
        } else {
          i = next + 1;
          break;
        }
      }
      cells.push(cell);
      if (i === line.length) break;
      if (line[i] !== delimiter) return err('bad-quoting', 'text after a closing quote');
      i++;
      if (i === line.length) cells.push('');
    } else {
      const next = line.indexOf(delimiter, i);
      if (next < 0) {
        cells.push(line.slice(i));
        break;
      }
      cells.push(line.slice(i, next));
      i = next + 1;
      if (i === line.length) cells.push('');
    }
  }
  return ok(cells);
}

/** A non-negative integer without leading zeros, or null. A loop, not a regex: it runs on every cell. */
export function numberCell(cell: string): number | null {
  const n = cell.length;
  if (n === 0 || n > 15 || (n > 1 && cell.charCodeAt(0) === 48)) return null;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = cell.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    value = value * 10 + d;
  }
  return value;
}
