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

/**
 * The records of a CSV written with `\r` line ends and RFC 4180 quoting, as byte ranges
 * (without the line end): a quoted cell may hold a `\r`, so a record ends at a `\r` after an
 * even number of quotes.
 */
function* records(bytes: Buffer, from: number, to: number): Generator<[number, number]> {
  let start = from;
  while (start < to) {
    let end = bytes.indexOf(0x0d, start);
    if (end < 0 || end > to) end = to;
    let quotes = countQuotes(bytes, start, end);
    while (quotes % 2 === 1 && end < to) {
      const next = bytes.indexOf(0x0d, end + 1);
      const stop = next < 0 || next > to ? to : next;
      quotes += countQuotes(bytes, end, stop);
      end = stop;
    }
    yield [start, end];
    start = end + 1;
  }
}

function countQuotes(bytes: Buffer, from: number, to: number): number {
  let n = 0;
  for (let at = bytes.indexOf(QUOTE, from); at >= 0 && at < to; at = bytes.indexOf(QUOTE, at + 1)) n++;
  return n;
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

/** CLAVE_ACTA without its `'`, from a row's first two cells (never quoted); null for fuera de catálogo. */
function actaKey(row: Buffer, delimiter: number): string | null {
  const first = row.indexOf(delimiter);
  const second = row.indexOf(delimiter, first + 1);
  if (first < 0 || second < 0) return null;
  const key = row.toString('utf8', first + 1, second);
  return key.startsWith("'") ? key.slice(1) : null;
}

/** The acta rows of a previous cut's results CSV (from line 8) by CLAVE_ACTA; fuera de catálogo rows left out. */
function previousRows(csv: Buffer, delimiter: number): Map<string, Buffer> {
  const rows = new Map<string, Buffer>();
  let line = 0;
  for (const [start, end] of records(csv, 0, csv.length)) {
    if (++line <= 7) continue;
    const row = csv.subarray(start, end);
    const key = actaKey(row, delimiter);
    if (key !== null) rows.set(key, row);
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
  const before =
    input.previousCsv === null ? new Map<string, Buffer>() : previousRows(input.previousCsv, code);
  const added: AddedActa[] = [];
  const changed: ChangedActa[] = [];
  const { csv } = input;
  for (const casilla of input.catalog.casillas) {
    const range = input.casillaRanges.get(casilla.key);
    if (range === undefined || range[1] === 0) continue;
    for (const [start, end] of records(csv, range[0], range[0] + range[1])) {
      const row = csv.subarray(start, end);
      const key = actaKey(row, code);
      if (key === null) continue;
      const cotejada = Number(row.toString('utf8', row.lastIndexOf(code) + 1));
      const previous = before.get(key);
      if (previous === undefined) {
        added.push([key, casilla.entidad, casilla.distrito, cotejada]);
        continue;
      }
      if (previous.equals(row)) continue;
      const now = cells(row.toString('utf8'), delimiter);
      const then = cells(previous.toString('utf8'), delimiter);
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
