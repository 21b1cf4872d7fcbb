/**
 * V12: the previous cut. Its manifest must verify with the same key; the journal's link and
 * consistency proof are the core's journal room; and no published acta disappears, while a
 * changed row carries a logged correction (COTEJADA 2 or 3).
 */
import type { PublishedRows } from './contest.ts';
import { splitCells } from './core/csv_cells.ts';
import { checkExtends } from './core/journal.ts';
import { loadManifest, type Manifest } from './core/manifest.ts';
import type { VerifierCrypto } from './core/ports.ts';
import { Checks } from './core/report.ts';
import { readResultsCsv } from './csv_reader.ts';
import { openCutSource } from './cut_source.ts';
import { nodeConsistency } from './node_crypto.ts';

export async function checkPrevious(
  checks: Checks,
  previousLocation: string,
  crypto: VerifierCrypto,
  manifest: Manifest,
  current: ReadonlyMap<string, PublishedRows>,
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
  // No published acta disappears; changed values carry a logged correction (COTEJADA 2 or 3).
  for (const entry of previous.contests) {
    const now = current.get(entry.id);
    const bytes = await opened.value.read(entry.csv);
    if (now === undefined || bytes === null) continue;
    const before = readResultsCsv(bytes);
    if (!before.ok) {
      checks.fail('V12', `previous ${entry.csv}: ${before.message}`);
      continue;
    }
    const col = (name: string) => before.value.header.indexOf(name);
    const nowCol = (name: string) => now.header.indexOf(name);
    const valueColumns = before.value.header.filter(
      (name) => !['FECHA_HORA_CAPTURA', 'FECHA_HORA_VERIFICACION', 'COTEJADA'].includes(name),
    );
    before.value.rows.forEach((row, i) => {
      const k = row[col('CLAVE_ACTA')]!;
      if (k === '-') return;
      const laterText = now.byKey.get(k);
      if (laterText === undefined) {
        checks.fail('V12', `${entry.id} ${k} was published and is gone`);
        return;
      }
      if (laterText === before.value.rawRows[i]) return;
      const later = splitCells(laterText, ',');
      if (!later.ok) return;
      const changed = valueColumns.some((name) => row[col(name)] !== later.value[nowCol(name)]);
      const cotejada = later.value[nowCol('COTEJADA')];
      if (changed && cotejada !== '2' && cotejada !== '3')
        checks.fail('V12', `${entry.id} ${k} changed without a logged correction (COTEJADA ${cotejada})`);
    });
  }
}
