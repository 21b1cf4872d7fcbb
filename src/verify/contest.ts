/**
 * V06–V10 for one contest, in one pass over its CSV: each row is split once and handed to the
 * rooms of the core (layout, rules, totals), while its bytes are folded into the acta Merkle
 * range with node:crypto's synchronous SHA-256. Runs on the verifier's thread or in a worker
 * (contest_worker.ts); rows are never all split at once (a national contest would cost ~0.5 GB).
 */
import { hash } from 'node:crypto';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { FIRST_ROW_LINE } from '../domain/results_layout.ts';
import { CompactRange } from '../journal/merkle.ts';
import { splitCells } from './core/csv_cells.ts';
import { checkTitleMode, contestRows, layoutChecker } from './core/csv_layout.ts';
import { checkActaRoot, checkActaRowCount } from './core/journal.ts';
import type { Manifest } from './core/manifest.ts';
import type { Checks } from './core/report.ts';
import {
  addRow,
  checkHeader,
  esperadasByCasilla,
  newCounts,
  type RowTotals,
  rulesChecker,
} from './core/rules.ts';
import { checkJson } from './core/site_json.ts';
import { readResultsCsv } from './csv_reader.ts';
import type { CutSource } from './cut_source.ts';
import { siteShapeCheck } from './schemas.ts';

/**
 * What the later checks keep of a contest: its title and header (V15), each acta's row text by
 * CLAVE_ACTA and the fuera de catálogo rows, which have no CLAVE_ACTA (V12).
 */
export interface PublishedRows {
  readonly title: string;
  readonly header: readonly string[];
  readonly byKey: ReadonlyMap<string, string>;
  readonly fueraDeCatalogo: readonly string[];
}

export interface ContestInput {
  readonly manifest: Manifest;
  readonly election: ElectionDefinition | null;
  readonly catalog: Catalog | null;
  readonly mode: 'simulacro' | 'live';
  /** What the later checks need from each contest: its rows by acta key (V12), its image hashes (V13). */
  readonly keep: { readonly rows: boolean; readonly imageHashes: boolean };
}

export interface ContestOutcome {
  readonly published: PublishedRows | null;
  readonly hashes: readonly string[];
}

/** V06–V10 for one contest: its CSV, and in folder mode its site JSON. */
export async function verifyContest(
  input: ContestInput & {
    readonly source: CutSource;
    readonly entry: Manifest['contests'][number];
    readonly checks: Checks;
  },
): Promise<ContestOutcome> {
  const { source, entry, manifest, election, catalog, mode, checks, keep } = input;
  const bytes = await source.read(entry.csv);
  if (bytes === null) {
    checks.fail('V07', `${entry.csv} is missing`);
    return { published: null, hashes: [] };
  }
  // Rows are split one at a time in the single pass below: keeping every parsed cell of a
  // national contest would cost ~0.5 GB.
  const csv = readResultsCsv(bytes, ',', { keepCells: false });
  if (!csv.ok) {
    checks.fail('V07', `${entry.csv}: ${csv.message}`);
    return { published: null, hashes: [] };
  }
  // V06 is checked after the pass below, which folds each row's leaf into this range.
  const tree = new CompactRange();
  checkActaRowCount(checks, entry, csv.value.rawRows.length);
  const contest = election?.contests.find((c) => c.id === entry.id) ?? null;
  const rows = contestRows(csv.value, contest);
  const voteColumns = rows.voteColumns;
  const col = rows.col;
  checkTitleMode(checks, entry.csv, csv.value, mode);
  const layout = layoutChecker(checks, entry.csv, rows, manifest, election);
  const rules = rulesChecker(checks, entry.csv, rows, catalog);
  const totals: RowTotals = {
    national: newCounts(voteColumns.length),
    byCasilla: new Map(),
    rangeByCasilla: new Map(),
  };
  let offset = csv.value.firstRowOffset;
  let previousKey: string | null = null;
  let leaf = Buffer.alloc(4096); // [0x00, row bytes…]
  const hashAt = col('CODIGO_INTEGRIDAD');
  const claveAt = col('CLAVE_ACTA');
  const byKey = new Map<string, string>();
  const fueraDeCatalogo: string[] = [];
  const hashes = new Set<string>();
  const rawRows = csv.value.rawRows;
  const width = csv.value.header.length;
  for (let i = 0; i < rawRows.length; i++) {
    const raw = rawRows[i]!;
    const rowOffset = offset;
    const rowLength = Buffer.byteLength(raw, 'utf8') + 1;
    offset += rowLength;
    // The leaf is SHA-256(0x00 ‖ row bytes), hashed from the file's own bytes (no re-encoding).
    if (leaf.length < rowLength) leaf = Buffer.alloc(rowLength * 2);
    bytes.copy(leaf, 1, rowOffset, rowOffset + rowLength - 1);
    tree.append(hash('sha256', leaf.subarray(0, rowLength), 'buffer'));
    const cells = splitCells(raw, ',');
    if (!cells.ok) {
      checks.fail('V07', `${entry.csv} line ${i + FIRST_ROW_LINE}: ${cells.message}`);
      continue;
    }
    const row = cells.value;
    if (row.length !== width) {
      checks.fail(
        'V07',
        `${entry.csv} line ${i + FIRST_ROW_LINE}: ${row.length} cells, the header has ${width}`,
      );
      continue;
    }
    layout(row, i);
    rules(row, i);
    addRow(totals.national, rows, row);
    const clave = row[rows.at.clave]!;
    if (clave !== '-') {
      const key = clave.slice(1);
      let counts = totals.byCasilla.get(key);
      if (counts === undefined) {
        counts = newCounts(voteColumns.length);
        totals.byCasilla.set(key, counts);
      }
      addRow(counts, rows, row);
      const range = totals.rangeByCasilla.get(key);
      if (range === undefined) totals.rangeByCasilla.set(key, [rowOffset, rowLength]);
      else if (previousKey === key && range[1] >= 0) range[1] += rowLength;
      else range[1] = -1;
    }
    previousKey = clave === '-' ? null : clave.slice(1);
    if (keep.imageHashes) {
      const hash = row[hashAt]!;
      if (hash !== '-') hashes.add(hash);
    }
    if (keep.rows) {
      if (row[claveAt] !== '-') byKey.set(row[claveAt]!, raw);
      else fueraDeCatalogo.push(raw);
    }
  }
  checkActaRoot(checks, entry, tree.root().toString('hex'));
  // Once per contest, for the header (V09) and every JSON level (V10).
  const esperadas = catalog !== null && contest !== null ? esperadasByCasilla(catalog, contest) : null;
  checkHeader(checks, entry.csv, rows, manifest.cut.final, esperadas, totals.national);
  if (source.kind === 'folder' && catalog !== null)
    await checkJson(
      checks,
      (p) => source.read(p),
      entry,
      rows,
      catalog,
      esperadas,
      manifest.cut.final,
      totals,
      siteShapeCheck,
    );
  return {
    published: { title: csv.value.title, header: csv.value.header, byKey, fueraDeCatalogo },
    hashes: [...hashes],
  };
}
