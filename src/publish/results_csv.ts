/**
 * The results CSV in the INE 2024 layout (docs/publication-format.md): BOM, `\r` line ends,
 * title, cut time, the 13 aggregates, then one row per registered acta. Scripts written for
 * the 2024 files must read ours unchanged. Strings are assembled in arrays and joined once:
 * a national contest is ~170,000 rows.
 */
import type { DocumentType, PublishedActa } from '../domain/acta.ts';
import type { Casilla, Catalog } from '../domain/catalog.ts';
import { formatObservaciones } from '../domain/classification.ts';
import type { Contest, ElectionDefinition } from '../domain/election.ts';
import { formatActaTimestamp, formatCutLine } from '../domain/local_time.ts';
import { formatPercent, type Percent4 } from '../domain/percent.ts';
import { AGGREGATE_HEADERS, PERCENT_AGGREGATES, type Tabulation } from '../domain/tabulation_types.ts';
import {
  AGGREGATE_NAMES,
  LEGACY_NAMES,
  LINE_END,
  SIMULACRO_TITLE_PREFIX,
  tableHeaderOf,
} from '../domain/results_layout.ts';
import type { CapturedValue } from '../domain/values.ts';

export { LINE_END };
const BOM = '\uFEFF';

const DOCUMENT_LABELS: Readonly<Record<DocumentType, string>> = {
  ACTA_PREP: 'Acta PREP',
  COPIA_PE: 'Copia PE',
  ACTA_CONSEJO: 'Acta Consejo',
  ACTA_CONSEJO_S: 'Acta Consejo S',
  COPIA_RPPCI: 'Copia RPPCI',
};

export function tableHeader(contest: Contest): string[] {
  return tableHeaderOf(contest.columns.map((c) => c.id));
}

/** RFC 4180 quoting only where needed, like pandas' QUOTE_MINIMAL. */
function quote(cell: string, delimiter: string): string {
  if (cell.includes(delimiter) || cell.includes('"') || cell.includes('\n') || cell.includes('\r'))
    return `"${cell.replaceAll('"', '""')}"`;
  return cell;
}

/** Text from the catalog: a leading = + - @ TAB CR or NUL would make a spreadsheet run it (ASVS 1.2.10). */
export function safeText(text: string): string {
  if (text !== '-' && /^[=+\-@\t\r\0]/.test(text)) return `'${text}`;
  return text;
}

function value(v: CapturedValue | undefined): string {
  if (v === undefined) return '-';
  if (v === 'ilegible') return 'Ilegible';
  if (v === 'sin_dato') return 'Sin dato';
  return String(v);
}

function pad(n: number | null, width: number): string {
  return n === null ? '-' : String(n).padStart(width, '0');
}

export function titleLine(election: ElectionDefinition, contest: Contest): string {
  return election.mode === 'simulacro' ? `${SIMULACRO_TITLE_PREFIX}${contest.title}` : contest.title;
}

export function aggregateValues(tabulation: Tabulation): string[] {
  const aggregates = tabulation.national.aggregates;
  return AGGREGATE_HEADERS.map(([, field]) =>
    PERCENT_AGGREGATES.has(field) ? formatPercent(aggregates[field] as Percent4) : String(aggregates[field]),
  );
}

/** Publication order: catalog order, then TIPO_ACTA; fuera de catálogo last by claimed key. */
export function sortForPublication(actas: readonly PublishedActa[], catalog: Catalog): PublishedActa[] {
  const position = new Map(catalog.casillas.map((c, i) => [c.key as string, i]));
  const inCatalog = actas.filter((a) => a.casilla !== null);
  const outside = actas.filter((a) => a.casilla === null);
  inCatalog.sort(
    (a, b) =>
      position.get(a.casilla!.key)! - position.get(b.casilla!.key)! ||
      ((a.tipoActa ?? '') < (b.tipoActa ?? '') ? -1 : (a.tipoActa ?? '') > (b.tipoActa ?? '') ? 1 : 0),
  );
  outside.sort((a, b) =>
    a.identification.claimedKey < b.identification.claimedKey
      ? -1
      : a.identification.claimedKey > b.identification.claimedKey
        ? 1
        : 0,
  );
  return [...inCatalog, ...outside];
}

/**
 * ID_ENTIDAD … UBICACION_CASILLA of a catalog casilla, comma-separated: the same in every
 * contest and every cut, so made once per casilla (catalog casillas are immutable and live
 * as long as the catalog).
 */
const PLACE_CELLS = new WeakMap<Casilla, string>();

export interface ResultsCsv {
  readonly bytes: Buffer;
  /** How many acta rows (the leaves of the acta Merkle tree) the file holds. */
  readonly rowCount: number;
  readonly header: readonly string[];
  /**
   * Where each in-catalog casilla's rows lie in `bytes`, by CLAVE_CASILLA: [byte offset, byte
   * length], line ends included. A casilla's rows are contiguous (publication order), so the
   * site can fetch one casilla with an HTTP Range request instead of the whole CSV.
   */
  readonly casillaRanges: ReadonlyMap<string, CasillaRange>;
}

export type CasillaRange = readonly [offset: number, length: number];

export interface ResultsCsvLayout {
  /** Byte offset of the first acta row. */
  readonly firstRowOffset: number;
  /** Each acta row's byte length, line end included, in file order. */
  readonly rowByteLengths: Uint32Array;
}

export function resultsCsv(input: {
  readonly election: ElectionDefinition;
  readonly contest: Contest;
  readonly catalog: Catalog;
  readonly actas: readonly PublishedActa[];
  readonly tabulation: Tabulation;
  readonly cutTime: number;
  readonly legacy?: boolean;
}): ResultsCsv & ResultsCsvLayout {
  const { election, contest, catalog } = input;
  const delimiter = input.legacy === true ? '|' : ',';
  const offset = election.utcOffsetMinutes;
  const entidadNames = new Map(catalog.entidades.map((e) => [e.id, quote(safeText(e.name), delimiter)]));
  const distritoNames = new Map(
    catalog.distritos.map((d) => [`${d.entidad}-${d.id}`, quote(safeText(d.name), delimiter)]),
  );
  const rename = (name: string): string => (input.legacy === true ? (LEGACY_NAMES[name] ?? name) : name);
  const time = (ms: number | null): string => (ms === null ? '-' : formatActaTimestamp(ms, offset));

  const lines = [
    quote(titleLine(election, contest), delimiter),
    formatCutLine(input.cutTime, offset),
    '',
    AGGREGATE_NAMES.join(delimiter),
    aggregateValues(input.tabulation).join(delimiter),
    '',
    tableHeader(contest).map(rename).join(delimiter),
  ];
  // Each row goes to bytes as soon as it is made: ~170,000 row strings kept until the end would
  // outlive the young generation and load the major collector.
  const out = new ChunkedBytes();
  const firstRowOffset = out.write(`${BOM}${lines.join(LINE_END)}${LINE_END}`);
  const casillaRanges = new Map<string, [number, number]>();
  const lengths: number[] = [];
  let at = firstRowOffset;
  for (const acta of sortForPublication(input.actas, catalog)) {
    const casilla = acta.casilla;
    const id = acta.identification;
    const fields = acta.fields;
    const c = acta.classification;
    const submission = acta.submission;
    let place = casilla !== null && delimiter === ',' ? PLACE_CELLS.get(casilla) : undefined;
    if (place === undefined) {
      const entidad = casilla?.entidad ?? id.entidad;
      const distrito = casilla?.distrito ?? id.distrito;
      place = [
        entidad === null ? '-' : String(entidad),
        entidad === null ? '-' : (entidadNames.get(entidad) ?? '-'),
        pad(distrito, 3),
        entidad === null || distrito === null ? '-' : (distritoNames.get(`${entidad}-${distrito}`) ?? '-'),
        pad(casilla?.seccion ?? id.seccion, 4),
        pad(casilla?.id ?? id.id, 2),
        casilla?.tipo ?? id.tipo ?? '-',
        pad(casilla?.extension ?? id.extension, 2),
        casilla === null ? '-' : casilla.ubicacion === 'URBANA' ? '1' : '2',
      ].join(delimiter);
      if (casilla !== null && delimiter === ',') PLACE_CELLS.set(casilla, place);
    }
    const cells: string[] = [
      casilla !== null ? `'${casilla.key}` : '-',
      casilla !== null && acta.actaKey !== null ? `'${acta.actaKey}` : '-',
      place,
      acta.tipoActa ?? '-',
      value(fields?.boletasSobrantes),
      value(fields?.personasVotaron),
      value(fields?.representantesVotaron),
      value(fields?.votosSacados),
    ];
    for (const column of contest.columns) cells.push(value(fields?.votes[column.id]));
    cells.push(
      value(fields?.totalAsentado),
      c.computedTotal === null ? '-' : String(c.computedTotal),
      casilla === null ? '-' : String(casilla.listaNominal),
      casilla === null ? '-' : String(casilla.representantes),
      quote(formatObservaciones(c), delimiter),
      String(c.contabilizada),
      submission?.transfer ?? '-',
      submission?.imageSha256 ?? '-',
      time(submission?.acopioAt ?? null),
      time(acta.capturedAt),
      time(acta.verifiedAt),
      submission?.origin ?? '-',
      submission === null ? '-' : submission.digitization === 'MOVIL' ? 'Móvil' : 'Escáner',
      submission === null ? '-' : DOCUMENT_LABELS[submission.documentType],
      String(acta.cotejada),
    );
    // Only the text cells above can hold a delimiter or a quote; they are quoted where built.
    const row = cells.join(delimiter);
    const length = out.write(row) + out.write(LINE_END);
    lengths.push(length);
    if (casilla !== null) {
      const range = casillaRanges.get(casilla.key);
      if (range === undefined) casillaRanges.set(casilla.key, [at, length]);
      else range[1] += length;
    }
    at += length;
  }
  return {
    // In shared memory: a large cut hands the file to its worker thread without a copy.
    bytes: out.toShared(),
    rowCount: lengths.length,
    header: tableHeader(contest),
    casillaRanges,
    firstRowOffset,
    rowByteLengths: Uint32Array.from(lengths),
  };
}

/** UTF-8 text appended into 1 MiB blocks, joined once at the end. */
class ChunkedBytes {
  static readonly BLOCK = 1 << 20;
  readonly #full: Buffer[] = [];
  #block = Buffer.allocUnsafe(ChunkedBytes.BLOCK);
  #used = 0;
  #total = 0;

  /** Appends `text` and returns its length in bytes. */
  write(text: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.#used + text.length * 3 > this.#block.length) {
      this.#full.push(this.#block.subarray(0, this.#used));
      this.#block = Buffer.allocUnsafe(Math.max(ChunkedBytes.BLOCK, text.length * 3));
      this.#used = 0;
    }
    const written = this.#block.write(text, this.#used, 'utf8');
    this.#used += written;
    this.#total += written;
    return written;
  }

  toShared(): Buffer {
    const bytes = Buffer.from(new SharedArrayBuffer(this.#total));
    let at = 0;
    for (const block of [...this.#full, this.#block.subarray(0, this.#used)]) {
      bytes.set(block, at);
      at += block.length;
    }
    return bytes;
  }
}
