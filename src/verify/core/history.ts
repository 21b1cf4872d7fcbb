/**
 * The history of the night inside a cut (docs/publication-format.md, "The history of the
 * night"): `json/historial.json` and `json/cambios.json`. On the cut alone (V10) the history
 * must end with this very cut, its figures those of the cut's own nacional files, and the entry
 * before it the manifest's previous cut with that manifest's hash; the changes must name this
 * cut and its previous one. With the previous cut (V12) both are recomputed: the history is the
 * previous one plus this cut, and the changes are what the two CSVs differ by.
 * The verifier's own reading of the format, independent of src/publish/.
 */
import { splitCells } from './csv_cells.ts';
import type { Manifest } from './manifest.ts';
import { type ReadFile, utf8 } from './ports.ts';
import type { Failures } from './report.ts';

export const HISTORY_FILE = 'json/historial.json';
export const CHANGES_FILE = 'json/cambios.json';

const HISTORY_AGGREGATES = [
  'ACTAS_ESPERADAS',
  'ACTAS_CONTABILIZADAS',
  'PORCENTAJE_ACTAS_CONTABILIZADAS',
  'PORCENTAJE_PARTICIPACION_CIUDADANA',
];

/** Cells that change from cut to cut without the acta's values changing. */
const NOT_VALUES = new Set(['FECHA_HORA_CAPTURA', 'FECHA_HORA_VERIFICACION', 'COTEJADA']);

interface HistoryCut {
  readonly id: unknown;
  readonly sequence: unknown;
  readonly time: unknown;
  readonly final: unknown;
  readonly manifestSha256: unknown;
  readonly aggregates: unknown;
}

function parse(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** V10: the two files against the manifest and the cut's own nacional files. */
export async function checkHistoryFiles(checks: Failures, read: ReadFile, manifest: Manifest): Promise<void> {
  const contests = manifest.contests.map((c) => c.id);
  const historyBytes = await read(HISTORY_FILE);
  const history = historyBytes === null ? undefined : parse(historyBytes);
  if (historyBytes === null) checks.fail('V10', `${HISTORY_FILE} is missing`);
  else if (!isObject(history) || !Array.isArray(history['cuts']))
    checks.fail('V10', `${HISTORY_FILE} is not the history's JSON`);
  else {
    if (JSON.stringify(history['contests']) !== JSON.stringify(contests))
      checks.fail('V10', `${HISTORY_FILE}: contests are not the manifest's`);
    if (JSON.stringify(history['aggregateNames']) !== JSON.stringify(HISTORY_AGGREGATES))
      checks.fail('V10', `${HISTORY_FILE}: aggregateNames are not the format's`);
    const cuts = history['cuts'] as HistoryCut[];
    cuts.forEach((cut, i) => {
      if (!isObject(cut) || cut.sequence !== i + 1)
        checks.fail('V10', `${HISTORY_FILE}: entry ${i + 1} does not have sequence ${i + 1}`);
      else if (i > 0 && !(String(cuts[i - 1]?.id) < String(cut.id)))
        checks.fail('V10', `${HISTORY_FILE}: cut ${String(cut.id)} is not after the one before it`);
    });
    const last = cuts.at(-1);
    const own = manifest.cut;
    if (last === undefined || last.id !== own.id || last.sequence !== own.sequence)
      checks.fail('V10', `${HISTORY_FILE} does not end with this cut, ${own.id} (sequence ${own.sequence})`);
    else {
      if (last.time !== own.time || last.final !== own.final || last.manifestSha256 !== null)
        checks.fail(
          'V10',
          `${HISTORY_FILE}: this cut's time, final or manifestSha256 (null) is not the manifest's`,
        );
      await checkOwnFigures(checks, read, contests, last.aggregates);
    }
    if (cuts.slice(0, -1).some((cut) => isObject(cut) && cut.final === true))
      checks.fail('V10', `${HISTORY_FILE}: a cut before the last is final`);
    const before = cuts.at(-2);
    if (manifest.previous === null && cuts.length !== 1)
      checks.fail('V10', `${HISTORY_FILE}: the first cut's history lists other cuts`);
    if (
      manifest.previous !== null &&
      (before === undefined ||
        before.id !== manifest.previous.id ||
        before.manifestSha256 !== manifest.previous.manifestSha256)
    )
      checks.fail(
        'V10',
        `${HISTORY_FILE}: the cut before this one is not the manifest's previous cut ${manifest.previous.id} with its manifest's SHA-256`,
      );
  }

  const changesBytes = await read(CHANGES_FILE);
  const changes = changesBytes === null ? undefined : parse(changesBytes);
  if (changesBytes === null) checks.fail('V10', `${CHANGES_FILE} is missing`);
  else if (!isObject(changes) || !Array.isArray(changes['contests']))
    checks.fail('V10', `${CHANGES_FILE} is not the changes' JSON`);
  else {
    if (changes['cut'] !== manifest.cut.id || changes['previous'] !== (manifest.previous?.id ?? null))
      checks.fail('V10', `${CHANGES_FILE} does not name this cut and the manifest's previous cut`);
    const ids = (changes['contests'] as unknown[]).map((c) => (isObject(c) ? c['id'] : null));
    if (JSON.stringify(ids) !== JSON.stringify(contests))
      checks.fail('V10', `${CHANGES_FILE}: contests are not the manifest's`);
  }
}

/** This cut's history entry has, per contest, the four figures of its nacional file. */
async function checkOwnFigures(
  checks: Failures,
  read: ReadFile,
  contests: readonly string[],
  aggregates: unknown,
): Promise<void> {
  for (const [i, contest] of contests.entries()) {
    const file = `json/${contest}/nacional.json`;
    const bytes = await read(file);
    const nacional = bytes === null ? undefined : parse(bytes);
    // A missing or malformed nacional file is V10's failure already.
    if (!isObject(nacional) || !isObject(nacional['aggregates'])) continue;
    const published = nacional['aggregates'];
    const expected = HISTORY_AGGREGATES.map((name) => published[name]);
    const listed = Array.isArray(aggregates) ? aggregates[i] : undefined;
    if (JSON.stringify(listed) !== JSON.stringify(expected))
      checks.fail('V10', `${HISTORY_FILE}: this cut's ${contest} figures are not those of ${file}`);
  }
}

/** V12: this cut's history is the previous cut's, its last entry given its manifest's hash, plus this cut. */
export async function checkHistoryExtends(
  checks: Failures,
  read: ReadFile,
  readPrevious: ReadFile,
  previousManifestSha256: string,
): Promise<void> {
  const nowBytes = await read(HISTORY_FILE);
  const beforeBytes = await readPrevious(HISTORY_FILE);
  if (nowBytes === null) return; // V10 says it is missing
  if (beforeBytes === null) {
    checks.fail('V12', `the previous cut has no ${HISTORY_FILE}`);
    return;
  }
  const now = parse(nowBytes);
  const before = parse(beforeBytes);
  if (!isObject(now) || !isObject(before) || !Array.isArray(now['cuts']) || !Array.isArray(before['cuts'])) {
    checks.fail('V12', `${HISTORY_FILE} of this cut or the previous one is not the history's JSON`);
    return;
  }
  const earlier = [...(before['cuts'] as Record<string, unknown>[])];
  const last = earlier.pop();
  if (last !== undefined) earlier.push({ ...last, manifestSha256: previousManifestSha256 });
  const canonical = (cuts: readonly unknown[]) => JSON.stringify(cuts);
  if (canonical((now['cuts'] as unknown[]).slice(0, -1)) !== canonical(earlier))
    checks.fail(
      'V12',
      `${HISTORY_FILE}: the cuts before this one are not the previous cut's history (with its manifest's SHA-256)`,
    );
}

type Added = [string, number, number, number];
type Changed = [string, number, number, number, string[]];

/** The rows of one contest's CSV the changes are recomputed from. */
export interface ContestRowsForChanges {
  readonly header: readonly string[];
  /** Catalog rows by CLAVE_ACTA (with its `'`), in file order, as their raw text. */
  readonly byKey: ReadonlyMap<string, string>;
}

/**
 * V12: one contest's entry of json/cambios.json recomputed from the previous cut's CSV rows and
 * this cut's: added are this cut's catalog actas the previous CSV lacks, changed those whose
 * cells differ in any column but FECHA_HORA_CAPTURA, FECHA_HORA_VERIFICACION and COTEJADA.
 */
export function expectedChanges(
  before: ContestRowsForChanges,
  now: ContestRowsForChanges,
): { added: Added[]; changed: Changed[] } {
  const at = (name: string) => now.header.indexOf(name);
  const beforeAt = (name: string) => before.header.indexOf(name);
  const added: Added[] = [];
  const changed: Changed[] = [];
  for (const [key, raw] of now.byKey) {
    const cells = splitCells(raw, ',');
    if (!cells.ok) continue; // V07 names the row
    const row = cells.value;
    const identity = (): [string, number, number, number] => [
      key.replace(/^'/, ''),
      Number(row[at('ID_ENTIDAD')]),
      Number(row[at('ID_DISTRITO_FEDERAL')]),
      Number(row[at('COTEJADA')]),
    ];
    const previous = before.byKey.get(key);
    if (previous === undefined) {
      added.push(identity());
      continue;
    }
    if (previous === raw) continue;
    const then = splitCells(previous, ',');
    if (!then.ok) continue;
    const columns = now.header.filter(
      (name) => !NOT_VALUES.has(name) && row[at(name)] !== then.value[beforeAt(name)],
    );
    if (columns.length > 0) changed.push([...identity(), columns]);
  }
  return { added, changed };
}

/** V12: compares a contest's published changes with the recomputed ones, naming the first difference. */
export function checkContestChanges(
  checks: Failures,
  contest: string,
  published: unknown,
  expected: { added: Added[]; changed: Changed[] },
): void {
  const entry = isObject(published) ? published : {};
  for (const kind of ['added', 'changed'] as const) {
    const listed = Array.isArray(entry[kind]) ? (entry[kind] as unknown[]) : [];
    const wanted = expected[kind] as unknown[];
    const first = Math.max(listed.length, wanted.length);
    for (let i = 0; i < first; i++) {
      if (JSON.stringify(listed[i]) === JSON.stringify(wanted[i])) continue;
      const name = (value: unknown) => (Array.isArray(value) ? String(value[0]) : 'nothing');
      checks.fail(
        'V12',
        `${CHANGES_FILE} ${contest} ${kind}: entry ${i + 1} is ${name(listed[i])}, the two CSVs give ${name(wanted[i])} (${listed.length} listed, ${wanted.length} recomputed)`,
      );
      break;
    }
  }
}

/** The published changes of one contest, or undefined when the file holds none. */
export function publishedChanges(bytes: Uint8Array | null, contest: string): unknown {
  if (bytes === null) return undefined;
  const changes = parse(bytes);
  if (!isObject(changes) || !Array.isArray(changes['contests'])) return undefined;
  return (changes['contests'] as unknown[]).find((c) => isObject(c) && c['id'] === contest);
}
