/**
 * V12: the previous cut. Its manifest must verify with the same key; the journal's link and
 * consistency proof are the core's journal room; the catalog and the election definition are
 * the previous cut's (they never change during a night); and no published acta disappears,
 * while a changed row carries a logged correction (COTEJADA 2 or 3) — fuera de catálogo rows
 * included, known by what they publish since they have no CLAVE_ACTA.
 */
import type { PublishedRows } from './contest.ts';
import { splitCells } from './core/csv_cells.ts';
import {
  CHANGES_FILE,
  checkContestChanges,
  checkHistoryExtends,
  expectedChanges,
  publishedChanges,
} from './core/history.ts';
import { checkExtends } from './core/journal.ts';
import { loadManifest, type Manifest } from './core/manifest.ts';
import type { ReadFile, VerifierCrypto } from './core/ports.ts';
import { Checks } from './core/report.ts';
import { readResultsCsv } from './csv_reader.ts';
import { openCutSource } from './cut_source.ts';
import { nodeConsistency } from './node_crypto.ts';

/** Cells a later cut may change without a correction: when the acta was captured and verified, and its cotejo. */
const MAY_CHANGE = ['FECHA_HORA_CAPTURA', 'FECHA_HORA_VERIFICACION', 'COTEJADA'];

/**
 * What identifies a fuera de catálogo row across cuts, from its published cells: the key it
 * claims, as the builder writes it (entidad, sección, tipo, id, extensión and TIPO_ACTA; the
 * distrito is `-`, the catalog placing no casilla there), and CODIGO_INTEGRIDAD, the image of
 * record — which the center never replaces (a later image of the same acta is an additional
 * one), so the pair stays the same from cut to cut. Two rows could share it (the same image
 * claimed twice with an unreadable key): they are matched as a multiset.
 */
const FUERA_DE_CATALOGO_IDENTITY = [
  'ID_ENTIDAD',
  'ID_DISTRITO_FEDERAL',
  'SECCION',
  'TIPO_CASILLA',
  'ID_CASILLA',
  'EXT_CONTIGUA',
  'TIPO_ACTA',
  'CODIGO_INTEGRIDAD',
] as const;

export async function checkPrevious(
  checks: Checks,
  previousLocation: string,
  crypto: VerifierCrypto,
  manifest: Manifest,
  current: ReadonlyMap<string, PublishedRows>,
  read: ReadFile,
): Promise<void> {
  const opened = await openCutSource(previousLocation);
  if (!opened.ok) {
    checks.fail('V12', `previous cut: ${opened.message}`);
    return;
  }
  const previousChecks = new Checks();
  const loaded = await loadManifest((p) => opened.value.read(p), crypto, previousChecks);
  previousChecks.finish('V01', '');
  if (loaded.error !== undefined || previousChecks.failed('V01')) {
    checks.fail(
      'V12',
      `the previous cut's manifest does not verify with this key${loaded.error ? `: ${loaded.error}` : ''}`,
    );
    return;
  }
  const previous = loaded.value.manifest;
  const previousSha256 = await crypto.sha256Hex(loaded.value.manifestBytes);
  if (!checkExtends(checks, manifest, previous, previousSha256, nodeConsistency)) return;
  checkSameElection(checks, manifest, previous);
  // The history of the night and the changes since the previous cut, recomputed from it.
  await checkHistoryExtends(checks, read, (p) => opened.value.read(p), previousSha256);
  const changes = await read(CHANGES_FILE);
  // No published acta disappears; changed values carry a logged correction (COTEJADA 2 or 3).
  const contestIds = new Set(manifest.contests.map((c) => c.id));
  for (const entry of previous.contests) {
    if (!contestIds.has(entry.id)) {
      checks.fail('V12', `contest ${entry.id} was published and is gone from this cut`);
      continue;
    }
    const now = current.get(entry.id);
    // This cut's CSV did not parse: V07 says so, and there is nothing to compare with.
    if (now === undefined) continue;
    const bytes = await opened.value.read(entry.csv);
    if (bytes === null) {
      checks.fail('V12', `previous ${entry.csv} is missing`);
      continue;
    }
    const before = readResultsCsv(bytes);
    if (!before.ok) {
      checks.fail('V12', `previous ${entry.csv}: ${before.message}`);
      continue;
    }
    const col = (name: string) => before.value.header.indexOf(name);
    const beforeByKey = new Map<string, string>();
    before.value.rows.forEach((row, i) => {
      const key = row[col('CLAVE_ACTA')];
      if (key !== undefined && key !== '-') beforeByKey.set(key, before.value.rawRows[i]!);
    });
    // A zip carries no json/ (and a folder without the file fails V10): nothing to compare.
    if (changes !== null)
      checkContestChanges(
        checks,
        entry.id,
        publishedChanges(changes, entry.id),
        expectedChanges({ header: before.value.header, byKey: beforeByKey }, now),
      );
    const nowCol = (name: string) => now.header.indexOf(name);
    const valueColumns = before.value.header.filter((name) => !MAY_CHANGE.includes(name));
    /** The later row of a published one, same identity: unchanged, or changed with a logged correction. */
    const compare = (label: string, row: readonly string[], laterText: string) => {
      const later = splitCells(laterText, ',');
      if (!later.ok) return;
      const changed = valueColumns.some((name) => row[col(name)] !== later.value[nowCol(name)]);
      const cotejada = later.value[nowCol('COTEJADA')];
      if (changed && cotejada !== '2' && cotejada !== '3')
        checks.fail('V12', `${entry.id} ${label} changed without a logged correction (COTEJADA ${cotejada})`);
    };
    const outside = new Map<string, { row: readonly string[]; raw: string }[]>();
    before.value.rows.forEach((row, i) => {
      const raw = before.value.rawRows[i]!;
      const k = row[col('CLAVE_ACTA')]!;
      if (k === '-') {
        const identity = fueraDeCatalogoIdentity(row, col);
        outside.set(identity, [...(outside.get(identity) ?? []), { row, raw }]);
        return;
      }
      const laterText = now.byKey.get(k);
      if (laterText === undefined) {
        checks.fail('V12', `${entry.id} ${k} was published and is gone`);
        return;
      }
      if (laterText !== raw) compare(k, row, laterText);
    });
    if (outside.size === 0) continue;
    // This cut's fuera de catálogo rows by the same identity, each matched to one previous row.
    const laterOutside = new Map<string, string[]>();
    for (const raw of now.fueraDeCatalogo) {
      const cells = splitCells(raw, ',');
      if (!cells.ok) continue;
      const identity = fueraDeCatalogoIdentity(cells.value, nowCol);
      laterOutside.set(identity, [...(laterOutside.get(identity) ?? []), raw]);
    }
    for (const [identity, rows] of outside) {
      const later = laterOutside.get(identity) ?? [];
      // Unchanged rows first, so a changed duplicate is compared with what is left.
      const changed = rows.filter(({ raw }) => {
        const same = later.indexOf(raw);
        if (same < 0) return true;
        later.splice(same, 1);
        return false;
      });
      const label = fueraDeCatalogoLabel(rows[0]!.row, col);
      for (const { row } of changed) {
        const laterText = later.shift();
        if (laterText === undefined) checks.fail('V12', `${entry.id} ${label} was published and is gone`);
        else compare(label, row, laterText);
      }
    }
  }
}

/** The catalog and the election definition never change during a night (docs/publication-format.md). */
function checkSameElection(checks: Checks, manifest: Manifest, previous: Manifest): void {
  const now = manifest.catalog;
  const before = previous.catalog;
  if (now.sha256 !== before.sha256)
    checks.fail('V12', 'the catalog changed since the previous cut: it never changes during a night');
  if (now.electionSha256 !== before.electionSha256)
    checks.fail(
      'V12',
      'the election definition changed since the previous cut: it never changes during a night',
    );
  if (now.path !== before.path || now.electionPath !== before.electionPath)
    checks.fail('V12', "the catalog's files are not where the previous cut named them");
  const election = (m: Manifest) =>
    JSON.stringify([m.election.id, m.election.name, m.election.year, m.election.mode]);
  if (election(manifest) !== election(previous))
    checks.fail('V12', "the election's id, name, year or mode differs from the previous cut's");
}

function fueraDeCatalogoIdentity(row: readonly string[], col: (name: string) => number): string {
  return JSON.stringify(FUERA_DE_CATALOGO_IDENTITY.map((name) => row[col(name)] ?? null));
}

/** `fuera de catálogo acta 1 - 9000 B 01 00 02 with image <hash>`: the claimed key's cells and the image. */
function fueraDeCatalogoLabel(row: readonly string[], col: (name: string) => number): string {
  const cells = FUERA_DE_CATALOGO_IDENTITY.map((name) => row[col(name)] ?? '');
  return `fuera de catálogo acta ${cells.slice(0, -1).join(' ')} with image ${cells.at(-1)}`;
}
