/**
 * A casilla's acta rows as the site fetches them: a byte range of the contest CSV (each row
 * ends in `\r`, RFC 4180 quoting only where a field holds a comma, a quote or a line break).
 */
import { err, ok, type Result } from '../domain/result.ts';

export type ActaRow = Readonly<Record<string, string>>;

/** Splits CSV text into records; a quoted field may hold commas, quotes ("") and line breaks. */
export function parseCsvRecords(text: string): Result<string[][], 'malformed'> {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else {
        quoted = false;
        const next = text[i + 1];
        if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n')
          return err('malformed', `a quote closes in the middle of a field at character ${i}`);
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      started = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
      started = true;
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      started = false;
    } else {
      field += c;
      started = true;
    }
  }
  if (quoted) return err('malformed', 'a quoted field never closes');
  if (started || field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return ok(records);
}

/** The rows of one casilla, each keyed by the table header; every row must have its width. */
export function parseActaRows(bytes: Uint8Array, header: readonly string[]): Result<ActaRow[], 'malformed'> {
  const records = parseCsvRecords(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
  if (!records.ok) return records;
  const rows: ActaRow[] = [];
  for (const [index, record] of records.value.entries()) {
    if (record.length !== header.length)
      return err('malformed', `row ${index + 1} has ${record.length} fields, the header ${header.length}`);
    rows.push(Object.fromEntries(header.map((name, column) => [name, record[column] ?? ''])));
  }
  return ok(rows);
}
