/**
 * The night so far, inside each cut (docs/publication-format.md, "The history of the night"):
 * `json/historial.json` lists every cut published up to this one with its headline figures, and
 * `json/cambios.json` lists the actas added and the actas whose values changed since the
 * previous cut. Both are files of the cut, so the signed manifest covers them and a cut
 * folder still never changes; the history grows by one entry a cut, read from the previous
 * cut's own file.
 */
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { formatIsoLocal } from '../domain/local_time.ts';
import { AGGREGATE_NAMES } from '../domain/results_layout.ts';
import type { CasillaRange } from './results_csv.ts';

/** The aggregates each history entry carries per contest, in this order. */
export const HISTORY_AGGREGATES = [
  'ACTAS_ESPERADAS',
  'ACTAS_CONTABILIZADAS',
  'PORCENTAJE_ACTAS_CONTABILIZADAS',
  'PORCENTAJE_PARTICIPACION_CIUDADANA',
] as const;

/** Cells a later cut rewrites without the acta's values changing (as V12 reads them). */
const NOT_VALUES = new Set(['FECHA_HORA_CAPTURA', 'FECHA_HORA_VERIFICACION', 'COTEJADA']);

export type HistoryAggregates = readonly [number, number, string, string];

export interface HistoryCut {
  readonly id: string;
  readonly sequence: number;
  readonly time: string;
  readonly final: boolean;
  readonly manifestSha256: string | null;
  readonly aggregates: readonly HistoryAggregates[];
}

/** What a cut after another needs of it: its history file, its manifest's hash and its CSVs. */
export interface EarlierCut {
  readonly history: Buffer;
  readonly manifestSha256: string;
  readonly csv: (name: string) => Promise<Buffer | null>;
}

/** A history entry's aggregates of one contest, from the 13 values of its CSV line 5. */
export function historyAggregates(values: readonly string[]): HistoryAggregates {
  const at = (name: string) => {
    const value = values[AGGREGATE_NAMES.indexOf(name)];
    if (value === undefined) throw new Error(`no aggregate ${name}`);
    return value;
  };
  return [
    Number(at('ACTAS_ESPERADAS')),
    Number(at('ACTAS_CONTABILIZADAS')),
    at('PORCENTAJE_ACTAS_CONTABILIZADAS'),
    at('PORCENTAJE_PARTICIPACION_CIUDADANA'),
  ];
}

/**
 * The cuts before this one, from the previous cut's `json/historial.json`: its entries, the
 * last (the previous cut itself) now with its manifest's hash. A file that is not the format's
 * is an error naming it: the publisher refuses to build a history it cannot extend.
 */
export function earlierCuts(
  previousId: string,
  earlier: EarlierCut,
  contests: readonly string[],
): HistoryCut[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(earlier.history.toString('utf8'));
  } catch {
    throw new Error(`the previous cut ${previousId}'s json/historial.json is not JSON`);
  }
  const file = parsed as { contests?: unknown; cuts?: unknown };
  if (JSON.stringify(file.contests) !== JSON.stringify(contests) || !Array.isArray(file.cuts))
    throw new Error(`the previous cut ${previousId}'s json/historial.json is not this election's history`);
  const cuts = file.cuts as HistoryCut[];
  const last = cuts.at(-1);
  if (last === undefined || last.id !== previousId || last.manifestSha256 !== null)
    throw new Error(`the previous cut ${previousId}'s json/historial.json does not end with that cut`);
  return [...cuts.slice(0, -1), { ...last, manifestSha256: earlier.manifestSha256 }];
}

export function historyJson(input: {
  readonly election: ElectionDefinition;
  readonly earlier: readonly HistoryCut[];
  readonly cutId: string;
  readonly sequence: number;
  readonly cutTime: number;
  readonly final: boolean;
  readonly aggregates: readonly HistoryAggregates[];
}): Buffer {
  const { election } = input;
  const cuts: HistoryCut[] = [
    ...input.earlier,
    {
      id: input.cutId,
      sequence: input.sequence,
      time: formatIsoLocal(input.cutTime, election.utcOffsetMinutes),
      final: input.final,
      manifestSha256: null,
      aggregates: input.aggregates,
    },
  ];
  const value = {
    contests: election.contests.map((c) => c.id),
    aggregateNames: HISTORY_AGGREGATES,
    // Fields in a fixed order, whatever order the previous file had them in.
    cuts: cuts.map((c) => ({
      id: c.id,
      sequence: c.sequence,
      time: c.time,
      final: c.final,
      manifestSha256: c.manifestSha256,
      aggregates: c.aggregates.map((a) => [a[0], a[1], a[2], a[3]]),
    })),
  };
  return Buffer.from(`${JSON.stringify(value)}\n`);
}

const QUOTE = 0x22;
const CR = 0x0d;

/**
 * Where the next quote of a CSV is, remembered across the records of one scan: quotes are rare
 * (a few hundred in a national CSV of 50 MB), so a search per record would run on to the next
 * quote each time and read most of the file again and again. `at` is the first quote at or
 * after `from` (-1: none).
 */
interface QuoteCursor {
  from: number;
  at: number;
}

/** The quotes in [start, end). */
function quotesIn(bytes: Buffer, start: number, end: number, cursor: QuoteCursor): number {
  if (start < cursor.from || (cursor.at !== -1 && cursor.at < start)) {
    cursor.from = start;
    cursor.at = bytes.indexOf(QUOTE, start);
  }
  let n = 0;
  while (cursor.at !== -1 && cursor.at < end) {
    n++;
    cursor.from = cursor.at + 1;
    cursor.at = bytes.indexOf(QUOTE, cursor.from);
  }
  return n;
}

/**
 * Where the record of a CSV written with `\r` line ends and RFC 4180 quoting that starts at
 * `start` ends (its line end, or `to`): a quoted cell may hold a `\r`, so a record ends at a
 * `\r` after an even number of quotes.
 */
function recordEnd(bytes: Buffer, start: number, to: number, cursor: QuoteCursor): number {
  let end = bytes.indexOf(CR, start);
  if (end < 0 || end > to) end = to;
  let quotes = quotesIn(bytes, start, end, cursor);
  while (quotes % 2 === 1 && end < to) {
    const next = bytes.indexOf(CR, end + 1);
    const stop = next < 0 || next > to ? to : next;
    quotes += quotesIn(bytes, end, stop, cursor);
    end = stop;
  }
  return end;
}

/** One record's cells (RFC 4180: a quoted cell's `""` is one quote). */
function cells(text: string, delimiter: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      out.push(cell);
      cell = '';
    } else cell += c;
  }
  out.push(cell);
  return out;
}

/**
 * CLAVE_ACTA without its `'`, from the first two cells of the row in [start, end) (never
 * quoted); null for fuera de catálogo. Found by hand: both delimiters are a few bytes in.
 */
function actaKey(bytes: Buffer, start: number, end: number, delimiter: number): string | null {
  let first = start;
  while (first < end && bytes[first] !== delimiter) first++;
  let second = first + 1;
  while (second < end && bytes[second] !== delimiter) second++;
  if (second >= end || bytes[first + 1] !== APOSTROPHE) return null;
  return bytes.toString('utf8', first + 2, second);
}

const APOSTROPHE = 0x27;

/** The acta rows of a previous cut's results CSV (from line 8) by CLAVE_ACTA, as byte ranges; fuera de catálogo rows left out. */
function previousRows(csv: Buffer, delimiter: number): Map<string, readonly [number, number]> {
  const rows = new Map<string, readonly [number, number]>();
  const cursor: QuoteCursor = { from: 0, at: csv.indexOf(QUOTE) };
  let line = 0;
  for (let start = 0; start < csv.length; ) {
    const end = recordEnd(csv, start, csv.length, cursor);
    if (++line > 7) {
      const key = actaKey(csv, start, end, delimiter);
      if (key !== null) rows.set(key, [start, end]);
    }
    start = end + 1;
  }
  return rows;
}

export type AddedActa = readonly [acta: string, entidad: number, distrito: number, cotejada: number];
export type ChangedActa = readonly [
  acta: string,
  entidad: number,
  distrito: number,
  cotejada: number,
  columns: readonly string[],
];

/**
 * One contest's entry of `json/cambios.json`: its catalog actas (in publication order) whose
 * CLAVE_ACTA the previous cut's CSV did not have, and those it had with another value in any
 * cell but the capture and verification times and COTEJADA, naming those cells' columns.
 */
export function contestChanges(input: {
  readonly contest: string;
  readonly catalog: Catalog;
  readonly csv: Buffer;
  readonly header: readonly string[];
  readonly casillaRanges: ReadonlyMap<string, CasillaRange>;
  readonly previousCsv: Buffer | null;
  readonly legacy: boolean;
}): { id: string; added: AddedActa[]; changed: ChangedActa[] } {
  const delimiter = input.legacy ? '|' : ',';
  const code = delimiter.charCodeAt(0);
  const { csv, previousCsv } = input;
  const before = previousCsv === null ? new Map<string, never>() : previousRows(previousCsv, code);
  const added: AddedActa[] = [];
  const changed: ChangedActa[] = [];
  const cursor: QuoteCursor = { from: 0, at: csv.indexOf(QUOTE) };
  for (const casilla of input.catalog.casillas) {
    const range = input.casillaRanges.get(casilla.key);
    if (range === undefined || range[1] === 0) continue;
    const to = range[0] + range[1];
    for (let start = range[0]; start < to; ) {
      const end = recordEnd(csv, start, to, cursor);
      const rowStart = start;
      start = end + 1;
      const key = actaKey(csv, rowStart, end, code);
      if (key === null) continue;
      let last = end - 1;
      while (last > rowStart && csv[last] !== code) last--;
      const cotejada = Number(csv.toString('latin1', last + 1, end));
      const previous = before.get(key);
      if (previous === undefined || previousCsv === null) {
        added.push([key, casilla.entidad, casilla.distrito, cotejada]);
        continue;
      }
      const [from, until] = previous;
      if (until - from === end - rowStart && csv.compare(previousCsv, from, until, rowStart, end) === 0)
        continue;
      const now = cells(csv.toString('utf8', rowStart, end), delimiter);
      const then = cells(previousCsv.toString('utf8', from, until), delimiter);
      const columns = input.header.filter((name, i) => !NOT_VALUES.has(name) && now[i] !== then[i]);
      if (columns.length > 0) changed.push([key, casilla.entidad, casilla.distrito, cotejada, columns]);
    }
  }
  return { id: input.contest, added, changed };
}

export function changesJson(input: {
  readonly cutId: string;
  readonly previous: string | null;
  readonly contests: readonly ReturnType<typeof contestChanges>[];
}): Buffer {
  const value = {
    cut: input.cutId,
    previous: input.previous,
    contests: input.contests.map((c) => ({ id: c.id, added: c.added, changed: c.changed })),
  };
  return Buffer.from(`${JSON.stringify(value)}\n`);
}
