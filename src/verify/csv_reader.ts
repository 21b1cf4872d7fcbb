/**
 * Reads a published results CSV: the header block and the acta rows, with each row's raw text
 * (the Merkle leaves). Written for verification: every deviation from the published layout is
 * reported, never guessed around. The verifier's own reading of the format, deliberately
 * independent of the builder in src/publish/ (only the column names come from domain/).
 */
import { err, ok, type Result } from '../domain/result.ts';
import { type ParsedResultsCsv, splitCells } from './core/csv_cells.ts';

export { type ParsedResultsCsv, splitCells };

/** Splits on `\r`, re-joining a line whose quotes are unbalanced (a quoted line break). */
function lines(text: string): string[] {
  const parts = text.split('\r');
  const out: string[] = [];
  let pending: string | null = null;
  for (const part of parts) {
    const joined: string = pending === null ? part : `${pending}\r${part}`;
    let quotes = 0;
    for (let i = joined.indexOf('"'); i >= 0; i = joined.indexOf('"', i + 1)) quotes++;
    if (quotes % 2 === 1) pending = joined;
    else {
      out.push(joined);
      pending = null;
    }
  }
  if (pending !== null) out.push(pending);
  return out;
}

/**
 * With `keepCells: false` the acta rows are left unsplit (`rows` is empty): the caller splits
 * each one as it goes, which keeps a national file's cells out of memory.
 */
export function readResultsCsv(
  bytes: Buffer,
  delimiter = ',',
  options: { readonly keepCells?: boolean } = {},
): Result<ParsedResultsCsv, 'bad-layout'> {
  if (bytes[0] !== 0xef || bytes[1] !== 0xbb || bytes[2] !== 0xbf)
    return err('bad-layout', 'the file does not start with a UTF-8 byte-order mark');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(3));
  } catch {
    return err('bad-layout', 'the file is not valid UTF-8');
  }
  if (text.includes('\n')) return err('bad-layout', 'lines must end in \\r alone, found \\n');
  if (!text.endsWith('\r')) return err('bad-layout', 'the last line does not end in \\r');
  const all = lines(text.slice(0, -1));
  if (all.length < 7) return err('bad-layout', `the header block needs 7 lines, found ${all.length}`);
  if (all[2] !== '' || all[5] !== '') return err('bad-layout', 'lines 3 and 6 must be blank');
  const cellsOf = (line: string, n: number): Result<string[], 'bad-layout'> => {
    const cells = splitCells(line, delimiter);
    return cells.ok ? cells : err('bad-layout', `line ${n}: ${cells.message}`);
  };
  const title = cellsOf(all[0]!, 1);
  if (!title.ok) return title;
  const names = cellsOf(all[3]!, 4);
  const values = cellsOf(all[4]!, 5);
  const header = cellsOf(all[6]!, 7);
  if (!names.ok) return names;
  if (!values.ok) return values;
  if (!header.ok) return header;
  const rawRows = all.slice(7);
  const rows: string[][] = [];
  for (let i = 0; options.keepCells !== false && i < rawRows.length; i++) {
    const cells = cellsOf(rawRows[i]!, i + 8);
    if (!cells.ok) return cells;
    if (cells.value.length !== header.value.length)
      return err(
        'bad-layout',
        `line ${i + 8}: ${cells.value.length} cells, the header has ${header.value.length}`,
      );
    rows.push(cells.value);
  }
  return ok({
    title: title.value.join(delimiter),
    cutLine: all[1]!,
    aggregateNames: names.value,
    aggregateValues: values.value,
    header: header.value,
    rawRows,
    firstRowOffset: 3 + Buffer.byteLength(all.slice(0, 7).join('\r'), 'utf8') + 1,
    rows,
  });
}
