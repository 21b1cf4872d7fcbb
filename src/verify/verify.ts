/**
 * The verifier: numbered checks over a published cut, documented in docs/verification.md so
 * that anyone can write a second one. It shares no code with the cut builder (src/publish/);
 * it reads only what a member of the public can download.
 */
import { createHash, hash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { z } from 'zod';
import { parseCatalogCsv } from '../catalog/csv_import.ts';
import type { Observation } from '../domain/acta.ts';
import type { Catalog } from '../domain/catalog.ts';
import { expectedContabilizada, parseObservaciones, votesCap } from '../domain/classification.ts';
import type { Contest, ElectionDefinition } from '../domain/election.ts';
import { parseActaKey } from '../domain/keys.ts';
import { formatCutLine } from '../domain/local_time.ts';
import { formatPercent, truncatedPercent } from '../domain/percent.ts';
import { openCheckpoint } from '../journal/checkpoint.ts';
import { CompactRange, verifyConsistency } from '../journal/merkle.ts';
import { openNote, parseVerifierKey, type VerifierKey } from '../journal/note.ts';
import { parseElectionDefinition } from '../domain/election_definition.ts';
import { type ParsedResultsCsv, readResultsCsv, splitCells } from './csv_reader.ts';
import { type CutSource, openCutSource } from './cut_source.ts';
import { readZipEntries, safeRelativePath } from '../platform/zip.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly cut: string;
  readonly checks: readonly CheckResult[];
}

export interface VerifyOptions {
  readonly cut: string;
  readonly publicKey: string;
  readonly previous?: string;
  readonly images?: string;
  readonly catalog?: string;
  readonly expectMode?: 'live' | 'simulacro';
}

export const CHECK_TITLES = {
  V01: 'manifest signature',
  V02: 'drill or live mode',
  V03: 'manifest well-formed',
  V04: 'file sizes and hashes',
  V05: 'journal checkpoint',
  V06: 'acta Merkle roots',
  V07: 'results CSV layout',
  V08: 'acta rows follow the PREP rules',
  V09: 'CSV header aggregates',
  V10: 'site JSON aggregates',
  V11: 'catalog and election definition',
  V12: 'consistency with the previous cut',
  V13: 'acta image hashes',
  V14: 'zip contents',
} as const;
export type CheckId = keyof typeof CHECK_TITLES;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const manifestSchema = z.strictObject({
  format: z.literal('openprep-cut/1'),
  election: z.strictObject({
    id: z.string().min(1),
    name: z.string(),
    year: z.number().int(),
    mode: z.enum(['simulacro', 'live']),
  }),
  cut: z.strictObject({
    id: z.string().regex(/^[0-9]{8}_[0-9]{4}$/),
    sequence: z.number().int().min(1),
    final: z.boolean(),
    time: z.string(),
    timeUtc: z.string(),
  }),
  previous: z
    .strictObject({ id: z.string(), journalSize: z.number().int().min(0), manifestSha256: hex64 })
    .nullable(),
  journal: z.strictObject({
    size: z.number().int().min(0),
    rootHash: z.string(),
    checkpoint: z.string(),
    consistencyProof: z.array(z.string()),
  }),
  catalog: z.strictObject({
    path: z.string(),
    sha256: hex64,
    electionPath: z.string(),
    electionSha256: hex64,
  }),
  contests: z.array(
    z.strictObject({
      id: z.string(),
      csv: z.string(),
      actaRows: z.number().int().min(0),
      actaMerkleRoot: hex64,
    }),
  ),
  files: z.array(z.strictObject({ path: z.string(), bytes: z.number().int().min(0), sha256: hex64 })),
});
export type Manifest = z.infer<typeof manifestSchema>;

const AGGREGATE_NAMES = [
  'ACTAS_ESPERADAS',
  'ACTAS_REGISTRADAS',
  'ACTAS_FUERA_CATALOGO',
  'ACTAS_CAPTURADAS',
  'PORCENTAJE_ACTAS_CAPTURADAS',
  'ACTAS_CONTABILIZADAS',
  'PORCENTAJE_ACTAS_CONTABILIZADAS',
  'PORCENTAJE_ACTAS_INCONSISTENCIAS',
  'ACTAS_NO_CONTABILIZADAS',
  'LISTA_NOMINAL_ACTAS_CONTABILIZADAS',
  'TOTAL_VOTOS_C_CS',
  'TOTAL_VOTOS_S_CS',
  'PORCENTAJE_PARTICIPACION_CIUDADANA',
];
const LEADING = [
  'CLAVE_CASILLA',
  'CLAVE_ACTA',
  'ID_ENTIDAD',
  'ENTIDAD',
  'ID_DISTRITO_FEDERAL',
  'DISTRITO_FEDERAL',
  'SECCION',
  'ID_CASILLA',
  'TIPO_CASILLA',
  'EXT_CONTIGUA',
  'UBICACION_CASILLA',
  'TIPO_ACTA',
  'TOTAL_BOLETAS_SOBRANTES',
  'TOTAL_PERSONAS_VOTARON',
  'TOTAL_REP_PARTIDO_CI_VOTARON',
  'TOTAL_VOTOS_SACADOS',
];
const TRAILING = [
  'TOTAL_VOTOS_ASENTADO',
  'TOTAL_VOTOS_CALCULADO',
  'LISTA_NOMINAL',
  'REPRESENTANTES_PP_CI',
  'OBSERVACIONES',
  'CONTABILIZADA',
  'MECANISMOS_TRASLADO',
  'CODIGO_INTEGRIDAD',
  'FECHA_HORA_ACOPIO',
  'FECHA_HORA_CAPTURA',
  'FECHA_HORA_VERIFICACION',
  'ORIGEN',
  'DIGITALIZACION',
  'TIPO_DOCUMENTO',
  'COTEJADA',
];

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export class Checks {
  readonly results = new Map<CheckId, CheckResult>();
  readonly #failures = new Map<CheckId, string[]>();

  /** Every failure recorded so far, to carry them across a worker boundary. */
  failures(): [CheckId, string][] {
    return [...this.#failures].flatMap(([id, details]) => details.map((d): [CheckId, string] => [id, d]));
  }

  fail(id: CheckId, detail: string): void {
    const list = this.#failures.get(id) ?? [];
    list.push(detail);
    this.#failures.set(id, list);
  }

  failed(id: CheckId): boolean {
    return (this.#failures.get(id)?.length ?? 0) > 0;
  }

  finish(id: CheckId, passDetail: string): void {
    const failures = this.#failures.get(id);
    if (failures !== undefined && failures.length > 0) {
      const shown = failures.slice(0, 5).join('; ');
      const more = failures.length > 5 ? ` (and ${failures.length - 5} more)` : '';
      this.results.set(id, { id, title: CHECK_TITLES[id], status: 'fail', detail: shown + more });
    } else this.results.set(id, { id, title: CHECK_TITLES[id], status: 'pass', detail: passDetail });
  }

  skip(id: CheckId, detail: string): void {
    this.results.set(id, { id, title: CHECK_TITLES[id], status: 'skip', detail });
  }

  report(cut: string): VerifyReport {
    const checks = (Object.keys(CHECK_TITLES) as CheckId[]).map(
      (id) =>
        this.results.get(id) ?? {
          id,
          title: CHECK_TITLES[id],
          status: 'skip' as const,
          detail: 'not reached',
        },
    );
    return { ok: checks.every((c) => c.status !== 'fail'), cut, checks };
  }
}

interface LoadedCut {
  readonly source: CutSource;
  readonly manifestBytes: Buffer;
  readonly manifest: Manifest;
}

type Row = readonly string[];

/** What the cross-cut checks keep of a contest: its header and each acta's row text by CLAVE_ACTA. */
interface PublishedRows {
  readonly header: readonly string[];
  readonly byKey: ReadonlyMap<string, string>;
}

interface ContestRows {
  readonly contest: Contest | null;
  readonly csv: ParsedResultsCsv;
  readonly col: (name: string) => number;
  readonly voteColumns: readonly string[];
  /** Positions of the vote columns, and of the cells every row check reads, computed once per file. */
  readonly voteIndexes: readonly number[];
  readonly at: {
    readonly clave: number;
    readonly contabilizada: number;
    readonly observaciones: number;
    readonly listaNominal: number;
    readonly calculado: number;
    readonly tipoCasilla: number;
  };
}

/** Loads and checks the signature of a cut's manifest (V01, V03). */
async function loadManifest(
  source: CutSource,
  key: VerifierKey,
  checks: Checks | null,
): Promise<Result<LoadedCut>> {
  const manifestBytes = await source.read('manifest.json');
  const signature = await source.read('manifest.sig');
  if (manifestBytes === null || signature === null)
    return { error: 'manifest.json or manifest.sig is missing' };
  const note = openNote(signature.toString('utf8'), [key]);
  if (!note.ok) {
    checks?.fail('V01', `manifest.sig: ${note.message}`);
  } else {
    const lines = note.value.body.split('\n');
    if (lines[0] !== `${key.name}/cut`)
      checks?.fail('V01', `signed origin is "${lines[0]}", expected "${key.name}/cut"`);
    if (lines[2] !== `sha256 ${sha256(manifestBytes)}`)
      checks?.fail('V01', 'the signed SHA-256 is not the SHA-256 of manifest.json');
  }
  let json: unknown;
  try {
    json = JSON.parse(manifestBytes.toString('utf8'));
  } catch (error) {
    return { error: `manifest.json is not JSON: ${(error as Error).message}` };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    return {
      error: `manifest.json: ${parsed.error.issues[0]?.message} at ${parsed.error.issues[0]?.path.join('.')}`,
    };
  if (note.ok && note.value.body.split('\n')[1] !== parsed.data.cut.id)
    checks?.fail(
      'V01',
      `the signature names cut ${note.value.body.split('\n')[1]}, the manifest ${parsed.data.cut.id}`,
    );
  return { value: { source, manifestBytes, manifest: parsed.data } };
}

type Result<T> = { value: T; error?: undefined } | { error: string; value?: undefined };

/** A non-negative integer without leading zeros, or null. A loop, not a regex: it runs on every cell. */
function numberCell(cell: string): number | null {
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

/** Esperadas of a contest by casilla key, from the catalog and the election definition. */
function esperadasByCasilla(catalog: Catalog, contest: Contest): Map<string, number> {
  const out = new Map<string, number>();
  const byTipo = new Map<string, number>();
  for (const casilla of catalog.casillas) {
    let count = byTipo.get(casilla.tipo);
    if (count === undefined) {
      count = contest.actaTypes.filter((t) => t.casillaTypes.includes(casilla.tipo)).length;
      byTipo.set(casilla.tipo, count);
    }
    out.set(casilla.key, count);
  }
  return out;
}

interface Counts {
  esperadas: number;
  fuera: number;
  capturadas: number;
  contabilizadas: number;
  inconsistentes: number;
  ln: number;
  cCs: number;
  sCs: number;
  votes: number[]; // by position among the CSV's vote columns
}

/** Adds everything but esperadas (which come from the catalog, not the rows). */
function addCounts(total: Counts, c: Counts): void {
  total.fuera += c.fuera;
  total.capturadas += c.capturadas;
  total.contabilizadas += c.contabilizadas;
  total.inconsistentes += c.inconsistentes;
  total.ln += c.ln;
  total.cCs += c.cCs;
  total.sCs += c.sCs;
  for (let i = 0; i < c.votes.length; i++) total.votes[i] = (total.votes[i] ?? 0) + c.votes[i]!;
}

function newCounts(columns = 0): Counts {
  return {
    esperadas: 0,
    fuera: 0,
    capturadas: 0,
    contabilizadas: 0,
    inconsistentes: 0,
    ln: 0,
    cCs: 0,
    sCs: 0,
    votes: new Array<number>(columns).fill(0),
  };
}

function aggregatesOf(c: Counts, final: boolean): string[] {
  return [
    String(c.esperadas),
    String(c.capturadas + c.fuera),
    String(c.fuera),
    String(c.capturadas),
    formatPercent(truncatedPercent(c.capturadas, c.esperadas)),
    String(c.contabilizadas),
    formatPercent(truncatedPercent(c.contabilizadas, c.esperadas)),
    formatPercent(truncatedPercent(c.inconsistentes, c.esperadas)),
    String(c.capturadas - c.contabilizadas),
    String(c.ln),
    String(c.cCs),
    String(c.sCs),
    formatPercent(truncatedPercent(final ? c.cCs : c.sCs, c.ln)),
  ];
}

/** What one pass over a contest's rows accumulates for V09 and V10. */
interface RowTotals {
  readonly national: Counts;
  readonly byCasilla: Map<string, Counts>;
  /** Where each casilla's rows lie in the CSV: [byte offset, byte length]; length -1 if they are not contiguous. */
  readonly rangeByCasilla: Map<string, [number, number]>;
}

function addRow(counts: Counts, rows: ContestRows, row: Row): void {
  const at = rows.at;
  const contabilizada = row[at.contabilizada];
  if (contabilizada === '2') {
    counts.fuera++;
    return;
  }
  counts.capturadas++;
  if (row[at.observaciones] !== '-') counts.inconsistentes++;
  if (contabilizada !== '1') return;
  counts.contabilizadas++;
  counts.ln += numberCell(row[at.listaNominal]!) ?? 0;
  const total = numberCell(row[at.calculado]!) ?? 0;
  counts.cCs += total;
  if (row[at.tipoCasilla] !== 'S') counts.sCs += total;
  const indexes = rows.voteIndexes;
  for (let i = 0; i < indexes.length; i++) {
    const v = numberCell(row[indexes[i]!]!);
    if (v !== null) counts.votes[i] = (counts.votes[i] ?? 0) + v;
  }
}

export async function verifyCut(options: VerifyOptions): Promise<VerifyReport> {
  const checks = new Checks();
  const key = parseVerifierKey(options.publicKey);
  if (!key.ok) {
    checks.fail('V01', `the given public key: ${key.message}`);
    checks.finish('V01', '');
    return checks.report(options.cut);
  }
  const opened = await openCutSource(options.cut);
  if (!opened.ok) {
    checks.fail(opened.code === 'bad-zip' ? 'V14' : 'V03', opened.message);
    checks.finish(opened.code === 'bad-zip' ? 'V14' : 'V03', '');
    return checks.report(options.cut);
  }
  const source = opened.value;
  const loaded = await loadManifest(source, key.value, checks);
  checks.finish('V01', `signed by ${key.value.name}`);
  if (loaded.error !== undefined) {
    checks.fail('V03', loaded.error);
    checks.finish('V03', '');
    return checks.report(options.cut);
  }
  const { manifest, manifestBytes } = loaded.value;
  // V03: well-formed, published exactly as sorted-key JSON.
  const canonical = `${JSON.stringify(sortKeys(JSON.parse(manifestBytes.toString('utf8'))), null, 2)}\n`;
  if (canonical !== manifestBytes.toString('utf8'))
    checks.fail('V03', 'manifest.json is not sorted-key, 2-space JSON');
  const paths = manifest.files.map((f) => f.path);
  if (paths.some((p, i) => i > 0 && paths[i - 1]! >= p))
    checks.fail('V03', 'files are not sorted by path, or repeat');
  checks.finish('V03', `${manifest.files.length} files, cut ${manifest.cut.id} #${manifest.cut.sequence}`);

  // V05: the journal checkpoint.
  const checkpoint = openCheckpoint(manifest.journal.checkpoint, [key.value]);
  if (!checkpoint.ok) checks.fail('V05', `checkpoint: ${checkpoint.message}`);
  else {
    if (checkpoint.value.origin !== `${key.value.name}/log`)
      checks.fail('V05', `checkpoint origin "${checkpoint.value.origin}" is not "${key.value.name}/log"`);
    if (checkpoint.value.size !== manifest.journal.size)
      checks.fail('V05', 'checkpoint size differs from the manifest');
    if (checkpoint.value.rootHash.toString('base64') !== manifest.journal.rootHash)
      checks.fail('V05', 'checkpoint root differs from the manifest');
  }
  checks.finish('V05', `journal of ${manifest.journal.size} entries, root ${manifest.journal.rootHash}`);

  // V11: the catalog and the election definition this cut names.
  let catalog: Catalog | null = null;
  let election: ElectionDefinition | null = null;
  const catalogBase =
    options.catalog !== undefined ? options.catalog : source.kind === 'folder' ? source.location : null;
  if (catalogBase === null)
    checks.skip('V11', 'a zip alone carries no catalog: pass --catalog <cuts>/catalogo');
  else {
    const resolve = (p: string) =>
      options.catalog !== undefined
        ? path.join(options.catalog, path.basename(p))
        : path.join(catalogBase, p);
    try {
      const catalogBytes = await readFile(resolve(manifest.catalog.path));
      const electionBytes = await readFile(resolve(manifest.catalog.electionPath));
      if (sha256(catalogBytes) !== manifest.catalog.sha256) checks.fail('V11', 'the catalog SHA-256 differs');
      if (sha256(electionBytes) !== manifest.catalog.electionSha256)
        checks.fail('V11', 'the election definition SHA-256 differs');
      const parsedCatalog = await parseCatalogCsv(catalogBytes);
      if (!parsedCatalog.ok) checks.fail('V11', `catalog: ${parsedCatalog.message}`);
      else {
        catalog = parsedCatalog.value;
        const parsedElection = parseElectionDefinition(JSON.parse(electionBytes.toString('utf8')), {
          catalog,
        });
        if (!parsedElection.ok) checks.fail('V11', `election definition: ${parsedElection.message}`);
        else election = parsedElection.value;
      }
    } catch (error) {
      checks.fail('V11', `cannot read the catalog: ${(error as Error).message}`);
    }
    if (checks.failed('V11')) {
      catalog = null;
      election = null;
    }
    checks.finish(
      'V11',
      `${catalog?.casillas.length ?? 0} casillas, ${election?.contests.length ?? 0} contests`,
    );
  }

  // V02: the mode agrees everywhere.
  const keyMode = key.value.name.split('.').at(-1);
  const mode = manifest.election.mode;
  if (keyMode !== mode) checks.fail('V02', `the key is for "${keyMode}", the manifest says "${mode}"`);
  if (options.expectMode !== undefined && mode !== options.expectMode)
    checks.fail('V02', `this cut is a ${mode} cut, not ${options.expectMode}`);
  if (election !== null && election.mode !== mode)
    checks.fail('V02', 'the election definition has another mode');
  const leeme = await source.read('LEEME.txt');
  if (leeme !== null && leeme.toString('utf8').includes('*** SIMULACRO ***') !== (mode === 'simulacro'))
    checks.fail('V02', 'LEEME.txt does not match the mode');

  // V06–V09, per contest.
  const published = new Map<string, PublishedRows>();
  const imageHashes = new Set<string>();
  const contestInput: ContestInput = {
    manifest,
    election,
    catalog,
    mode,
    keep: { rows: options.previous !== undefined, imageHashes: options.images !== undefined },
  };
  // Contests are shared out: for big cuts a worker thread starts on them at once, while this
  // thread hashes every file and streams the zip, then takes contests too.
  const queue = new ContestQueue(manifest.contests.length);
  const results: ContestVerdict[] = new Array(manifest.contests.length);
  const bigCut = manifest.contests.reduce((sum, c) => sum + c.actaRows, 0) >= WORKER_THRESHOLD_ROWS;
  const workersDone =
    source.kind === 'folder' && bigCut && manifest.contests.length > 1
      ? Promise.all(
          Array.from({ length: Math.max(1, availableParallelism() - 1) }, () =>
            runContestsInWorker(queue, results, source.location, contestInput),
          ),
        )
      : Promise.resolve([]);
  // V04: every listed file with its size and hash; nothing unlisted.
  let hashed = 0;
  for (const file of manifest.files) {
    if (!safeRelativePath(file.path)) {
      checks.fail('V04', `unsafe path ${JSON.stringify(file.path)}`);
      continue;
    }
    const data = await source.read(file.path);
    if (data === null) {
      if (source.kind === 'zip' && file.path.startsWith('json/')) continue;
      checks.fail('V04', `${file.path} is missing`);
      continue;
    }
    hashed++;
    if (data.length !== file.bytes)
      checks.fail('V04', `${file.path}: ${data.length} bytes, manifest says ${file.bytes}`);
    else if (sha256(data) !== file.sha256)
      checks.fail('V04', `${file.path}: SHA-256 differs from the manifest`);
  }
  const listed = new Set([...paths, 'manifest.json', 'manifest.sig']);
  for (const present of await source.list())
    if (!listed.has(present)) checks.fail('V04', `${present} is in the cut but not in the manifest`);
  checks.finish(
    'V04',
    `${hashed} files match${source.kind === 'zip' ? ' (json/ is published beside the zip, not in it)' : ''}`,
  );

  // V14: the zip.
  if (source.kind === 'zip') {
    for (const problem of source.problems) checks.fail('V14', problem);
    checks.finish('V14', 'entries safe, inner zips agree with the manifest');
  } else {
    // The zip published in the folder must carry exactly the signed manifest and the files it lists.
    const zipName = `${manifest.cut.id}_PREP.zip`;
    const zipPath = path.join(source.location, zipName);
    const listedHashes = new Map(manifest.files.map((f) => [f.path, f.sha256]));
    const signature = (await source.read('manifest.sig')) ?? Buffer.alloc(0);
    const seen = new Set<string>();
    // Streamed: each entry is checked as it is inflated and dropped, so the zip costs little memory.
    const outer = await readZipEntries(await readFile(zipPath), async (name, data) => {
      seen.add(name);
      if (name === 'manifest.json') {
        if (!data.equals(manifestBytes))
          checks.fail('V14', `${zipName}: its manifest.json differs from the folder's`);
      } else if (name === 'manifest.sig') {
        if (!data.equals(signature))
          checks.fail('V14', `${zipName}: its manifest.sig differs from the folder's`);
      } else if (/^[0-9]{8}_[0-9]{4}_PREP_[A-Z0-9_]+\.zip$/.test(name)) {
        const inner = await readZipEntries(data, (innerName, innerData) => {
          if (listedHashes.get(innerName) !== sha256(innerData))
            checks.fail('V14', `${zipName}: ${name}/${innerName} is not the file the manifest lists`);
        });
        if (!inner.ok) checks.fail('V14', `${zipName}: ${name}: ${inner.message}`);
      } else checks.fail('V14', `${zipName}: unexpected entry ${name}`);
    }).catch((error: Error) => ({ ok: false as const, message: error.message }));
    if (!outer.ok) checks.fail('V14', `${zipName}: ${outer.message}`);
    for (const required of ['manifest.json', 'manifest.sig'])
      if (!seen.has(required)) checks.fail('V14', `${zipName}: ${required} is missing`);
    checks.finish('V14', `${zipName} carries the signed manifest and the listed files`);
  }

  await Promise.all([workersDone, runContestsHere(queue, results, source, contestInput)]);
  for (const [i, outcome] of results.entries()) {
    for (const [id, detail] of outcome.failures) checks.fail(id, detail);
    if (outcome.published !== null) published.set(manifest.contests[i]!.id, outcome.published);
    for (const hash of outcome.hashes) imageHashes.add(hash);
  }
  checks.finish('V02', `${mode}${options.expectMode !== undefined ? `, as expected` : ''}`);
  checks.finish('V06', `${manifest.contests.length} contests`);
  checks.finish('V07', 'INE 2024 layout');
  checks.finish('V08', 'every row');
  checks.finish(
    'V09',
    catalog !== null ? 'recomputed, esperadas from the catalog' : 'recomputed, esperadas as published',
  );

  // V10 ran per contest above, while its rows were parsed; the site's index of the cut here.
  if (source.kind !== 'zip' && catalog !== null) {
    const index = await source.read('json/index.json');
    const expected = {
      election: {
        id: manifest.election.id,
        name: manifest.election.name,
        mode: manifest.election.mode,
        year: manifest.election.year,
      },
      cut: { id: manifest.cut.id, time: manifest.cut.time, final: manifest.cut.final },
      contests: manifest.contests.map((c) => ({
        id: c.id,
        title: election?.contests.find((e) => e.id === c.id)?.title ?? null,
        csv: c.csv,
      })),
    };
    if (index === null) checks.fail('V10', 'json/index.json is missing');
    else if (index.toString('utf8') !== `${JSON.stringify(expected)}\n`)
      checks.fail('V10', "json/index.json does not state the manifest's election, cut and contests");
  }
  if (source.kind === 'zip') checks.skip('V10', 'the zip does not carry the site JSON');
  else if (catalog === null) checks.skip('V10', 'needs the catalog');
  else checks.finish('V10', 'every JSON aggregate recomputed from the CSV');

  // V12: the previous cut.
  if (options.previous === undefined) checks.skip('V12', 'no --previous cut given');
  else {
    await checkPrevious(checks, options.previous, key.value, manifest, published);
    checks.finish('V12', `extends ${manifest.previous?.id ?? '-'}`);
  }

  // V13: the images.
  if (options.images === undefined) checks.skip('V13', 'no --images folder given');
  else {
    const count = await checkImages(checks, options.images, imageHashes);
    checks.finish('V13', `${count} images match their CODIGO_INTEGRIDAD`);
  }

  return checks.report(options.cut);
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
  if (csv.value.rawRows.length !== entry.actaRows)
    checks.fail('V06', `${entry.id}: ${csv.value.rawRows.length} rows, manifest says ${entry.actaRows}`);
  const contest = election?.contests.find((c) => c.id === entry.id) ?? null;
  const index = new Map(csv.value.header.map((name, i) => [name, i]));
  const voteColumns = csv.value.header.slice(LEADING.length, csv.value.header.length - TRAILING.length);
  const col = (name: string) => index.get(name) ?? -1;
  const rows: ContestRows = {
    contest,
    csv: csv.value,
    col,
    voteColumns,
    voteIndexes: voteColumns.map(col),
    at: {
      clave: col('CLAVE_CASILLA'),
      contabilizada: col('CONTABILIZADA'),
      observaciones: col('OBSERVACIONES'),
      listaNominal: col('LISTA_NOMINAL'),
      calculado: col('TOTAL_VOTOS_CALCULADO'),
      tipoCasilla: col('TIPO_CASILLA'),
    },
  };
  const title = csv.value.title;
  if ((mode === 'simulacro') !== title.startsWith('SIMULACRO - '))
    checks.fail('V02', `${entry.csv}: the title line does not match the mode`);
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
      checks.fail('V07', `${entry.csv} line ${i + 8}: ${cells.message}`);
      continue;
    }
    const row = cells.value;
    if (row.length !== width) {
      checks.fail('V07', `${entry.csv} line ${i + 8}: ${row.length} cells, the header has ${width}`);
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
    if (keep.rows && row[claveAt] !== '-') byKey.set(row[claveAt]!, raw);
  }
  if (tree.root().toString('hex') !== entry.actaMerkleRoot)
    checks.fail('V06', `${entry.id}: Merkle root differs`);
  // Once per contest, for the header (V09) and every JSON level (V10).
  const esperadas = catalog !== null && contest !== null ? esperadasByCasilla(catalog, contest) : null;
  checkHeader(checks, entry.csv, rows, manifest.cut.final, esperadas, totals.national);
  if (source.kind === 'folder' && catalog !== null)
    await checkJson(checks, source, entry, rows, catalog, esperadas, manifest.cut.final, totals);
  return { published: { header: csv.value.header, byKey }, hashes: [...hashes] };
}

/** Below this many acta rows a worker's start-up costs more than it saves. */
const WORKER_THRESHOLD_ROWS = 50_000;

type ContestVerdict = ContestOutcome & { readonly failures: readonly [CheckId, string][] };

/**
 * Hands out contest indexes to whoever is free: worker threads or the verifier's own thread.
 * The counter is in shared memory so a worker takes its next contest itself, without waiting
 * for this thread (busy with a contest of its own) to answer a message.
 */
export class ContestQueue {
  readonly #next: Int32Array;
  readonly #count: number;

  constructor(count: number, shared = new SharedArrayBuffer(4)) {
    this.#next = new Int32Array(shared);
    this.#count = count;
  }

  get shared(): SharedArrayBuffer {
    return this.#next.buffer as SharedArrayBuffer;
  }

  take(): number | null {
    const index = Atomics.add(this.#next, 0, 1);
    return index < this.#count ? index : null;
  }
}

export type WorkerMessage =
  | { readonly kind: 'verdict'; readonly index: number; readonly verdict: ContestVerdict }
  | { readonly kind: 'done' };

async function runContestsHere(
  queue: ContestQueue,
  results: ContestVerdict[],
  source: CutSource,
  input: ContestInput,
): Promise<void> {
  for (let index = queue.take(); index !== null; index = queue.take()) {
    const checks = new Checks();
    const outcome = await verifyContest({ ...input, source, entry: input.manifest.contests[index]!, checks });
    results[index] = { ...outcome, failures: checks.failures() };
  }
}

/** A worker thread takes contests from the queue until it is empty; the catalog is sent to it once. */
function runContestsInWorker(
  queue: ContestQueue,
  results: ContestVerdict[],
  location: string,
  input: ContestInput,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./contest_worker.ts', import.meta.url), {
      workerData: { ...input, location, queue: queue.shared },
    });
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'verdict') results[message.index] = message.verdict;
      else {
        resolve();
        void worker.terminate();
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`contest worker exited with ${code}`)));
  });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  return value;
}

/** Checks the header block now and returns the per-row half of V07. */
function layoutChecker(
  checks: Checks,
  file: string,
  rows: ContestRows,
  manifest: Manifest,
  election: ElectionDefinition | null,
): (row: Row, i: number) => void {
  const csv = rows.csv;
  const offset = election?.utcOffsetMinutes ?? -360;
  const expectedCut = formatCutLine(Date.parse(manifest.cut.timeUtc), offset);
  if (csv.cutLine !== expectedCut)
    checks.fail('V07', `${file}: cut line "${csv.cutLine}", expected "${expectedCut}"`);
  if (csv.aggregateNames.join(',') !== AGGREGATE_NAMES.join(','))
    checks.fail('V07', `${file}: the 13 aggregate names are not the INE ones in order`);
  if (csv.aggregateValues.length !== 13) checks.fail('V07', `${file}: line 5 does not hold 13 values`);
  const header = csv.header;
  if (
    header.slice(0, LEADING.length).join(',') !== LEADING.join(',') ||
    header.slice(-TRAILING.length).join(',') !== TRAILING.join(',')
  )
    checks.fail('V07', `${file}: the table header's fixed columns are not the 2024 layout`);
  if (rows.contest !== null) {
    const expected = rows.contest.columns.map((c) => c.id).join(',');
    if (rows.voteColumns.join(',') !== expected)
      checks.fail(
        'V07',
        `${file}: vote columns ${rows.voteColumns.join(',')} differ from the election definition`,
      );
    const title = election?.mode === 'simulacro' ? `SIMULACRO - ${rows.contest.title}` : rows.contest.title;
    if (csv.title !== title) checks.fail('V07', `${file}: title "${csv.title}", expected "${title}"`);
  }
  // Keys agree with the identification columns; order is publication order.
  let previousKey = '';
  let fueraSeen = false;
  // Column positions once, not per row.
  const timeColumns = ['FECHA_HORA_ACOPIO', 'FECHA_HORA_CAPTURA', 'FECHA_HORA_VERIFICACION'].map(
    (column) => [column, rows.col(column)] as const,
  );
  const atClaveActa = rows.col('CLAVE_ACTA');
  const atContabilizada = rows.col('CONTABILIZADA');
  const atExtContigua = rows.col('EXT_CONTIGUA');
  const atIdCasilla = rows.col('ID_CASILLA');
  const atIdDistritoFederal = rows.col('ID_DISTRITO_FEDERAL');
  const atIdEntidad = rows.col('ID_ENTIDAD');
  const atSeccion = rows.col('SECCION');
  const atTipoActa = rows.col('TIPO_ACTA');
  const atTipoCasilla = rows.col('TIPO_CASILLA');
  return (row, i) => {
    const line = i + 8;
    const clave = row[rows.at.clave]!;
    const claveActa = row[atClaveActa]!;
    if (clave === '-') {
      fueraSeen = true;
      if (row[atContabilizada] !== '2')
        checks.fail('V07', `${file} line ${line}: a row without key must be fuera de catálogo`);
      return;
    }
    if (fueraSeen) checks.fail('V07', `${file} line ${line}: a catalog row after fuera de catálogo rows`);
    const parsed = parseActaKey(claveActa);
    if (!clave.startsWith("'") || !parsed.ok || `'${parsed.value.casillaKey}` !== clave) {
      checks.fail(
        'V07',
        `${file} line ${line}: CLAVE_CASILLA ${clave} / CLAVE_ACTA ${claveActa} malformed or disagree`,
      );
      return;
    }
    const p = parsed.value;
    const agrees =
      row[atIdEntidad] === String(p.entidad) &&
      row[atSeccion] === String(p.seccion).padStart(4, '0') &&
      row[atTipoCasilla] === p.tipo &&
      row[atIdCasilla] === String(p.id).padStart(2, '0') &&
      row[atExtContigua] === String(p.extension).padStart(2, '0') &&
      row[atTipoActa] === p.tipoActa;
    if (!agrees)
      checks.fail('V07', `${file} line ${line}: identification columns disagree with ${claveActa}`);
    const sortKey = [
      String(p.entidad).padStart(2, '0'),
      row[atIdDistritoFederal],
      String(p.seccion).padStart(4, '0'),
      'BCES'.indexOf(p.tipo),
      String(p.id).padStart(2, '0'),
      String(p.extension).padStart(2, '0'),
      p.tipoActa,
    ].join('|');
    if (sortKey <= previousKey) checks.fail('V07', `${file} line ${line}: rows out of publication order`);
    previousKey = sortKey;
    for (const [column, at] of timeColumns) {
      const cell = row[at]!;
      if (cell !== '-' && !/^[0-3][0-9]\/[01][0-9]\/[0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$/.test(cell))
        checks.fail('V07', `${file} line ${line}: ${column} "${cell}" is not DD/MM/YYYY HH:MM:SS`);
    }
  };
}

/** V08 for one row at a time. */
function rulesChecker(
  checks: Checks,
  file: string,
  rows: ContestRows,
  catalog: Catalog | null,
): (row: Row, i: number) => void {
  const casillas = new Map((catalog?.casillas ?? []).map((c) => [c.key as string, c]));
  // Column positions once, not per row.
  const atContabilizada = rows.col('CONTABILIZADA');
  const atListaNominal = rows.col('LISTA_NOMINAL');
  const atObservaciones = rows.col('OBSERVACIONES');
  const atRepresentantesPpCi = rows.col('REPRESENTANTES_PP_CI');
  const atTipoCasilla = rows.col('TIPO_CASILLA');
  const atTotalVotosCalculado = rows.col('TOTAL_VOTOS_CALCULADO');
  return (row, i) => {
    const line = i + 8;
    const where = `${file} line ${line}`;
    let total = 0;
    let values = 0;
    let illegible = 0;
    let empty = 0;
    let dashes = 0;
    for (let v = 0; v < rows.voteIndexes.length; v++) {
      const cell = row[rows.voteIndexes[v]!]!;
      if (numberCell(cell) === null && cell !== '-' && cell !== 'Ilegible' && cell !== 'Sin dato') {
        checks.fail('V08', `${where}: ${rows.voteColumns[v]} holds "${cell}"`);
        return;
      }
      if (cell === '-') dashes++;
      else {
        values++;
        if (cell === 'Ilegible') illegible++;
        else if (cell === 'Sin dato') empty++;
        else total += Number(cell);
      }
    }
    const observaciones = parseObservaciones(row[atObservaciones]!);
    if (!observaciones.ok) {
      checks.fail('V08', `${where}: ${observaciones.message}`);
      return;
    }
    const given = observaciones.value.observations;
    const clave = row[rows.at.clave]!;
    const expected = new Set<Observation>();
    if (clave === '-') expected.add('FUERA_DE_CATALOGO');
    const sinActa = given.includes('SIN_ACTA');
    const calculated = row[atTotalVotosCalculado]!;
    if (sinActa) {
      expected.add('SIN_ACTA');
      if (values > 0 || calculated !== '-') checks.fail('V08', `${where}: a sin acta row holds votes`);
    } else {
      if (calculated !== String(total))
        checks.fail(
          'V08',
          `${where}: TOTAL_VOTOS_CALCULADO ${calculated} is not the sum of the votes (${total})`,
        );
      if (illegible > 0) expected.add('ILEGIBLE');
      if (empty > 0) expected.add('SIN_DATO');
      if (values > 0 && illegible + empty === values) {
        if (illegible > 0) expected.add('TODOS_ILEGIBLES');
        if (empty > 0) expected.add('TODOS_VACIOS');
      }
      if (clave !== '-') {
        const ln = numberCell(row[atListaNominal]!);
        const reps = numberCell(row[atRepresentantesPpCi]!);
        const special = row[atTipoCasilla] === 'S';
        const casilla = casillas.get(clave.slice(1));
        if (ln === null || reps === null)
          checks.fail('V08', `${where}: LISTA_NOMINAL or REPRESENTANTES_PP_CI missing`);
        else if (!special && total > ln + reps) expected.add('EXCEDE_LISTA_NOMINAL');
        else if (special && casilla !== undefined && total > votesCap(casilla))
          expected.add('EXCEDE_LISTA_NOMINAL');
        else if (special && casilla === undefined && given.includes('EXCEDE_LISTA_NOMINAL'))
          expected.add('EXCEDE_LISTA_NOMINAL');
        if (
          casilla !== undefined &&
          (String(casilla.listaNominal) !== row[atListaNominal] ||
            String(casilla.representantes) !== row[atRepresentantesPpCi])
        )
          checks.fail('V08', `${where}: LISTA_NOMINAL or REPRESENTANTES_PP_CI differ from the catalog`);
        if (catalog !== null && casilla === undefined)
          checks.fail('V08', `${where}: ${clave} is not in the catalog`);
      }
    }
    void dashes;
    const expectedList = [...expected];
    const same = given.length === expectedList.length && given.every((o) => expected.has(o));
    if (!same)
      checks.fail(
        'V08',
        `${where}: OBSERVACIONES ${given.join('+') || '-'}, the rules give ${expectedList.join('+') || '-'}`,
      );
    const contabilizada = row[atContabilizada];
    if (contabilizada !== String(expectedContabilizada(given)))
      checks.fail('V08', `${where}: CONTABILIZADA ${contabilizada} does not follow from its observations`);
  };
}

function checkHeader(
  checks: Checks,
  file: string,
  rows: ContestRows,
  final: boolean,
  esperadas: ReadonlyMap<string, number> | null,
  fromRows: Counts,
): void {
  const counts: Counts = { ...fromRows, esperadas: 0 };
  if (esperadas !== null) {
    for (const n of esperadas.values()) counts.esperadas += n;
  } else counts.esperadas = numberCell(rows.csv.aggregateValues[0] ?? '') ?? 0;
  const expected = aggregatesOf(counts, final);
  expected.forEach((value, i) => {
    if (rows.csv.aggregateValues[i] !== value)
      checks.fail(
        'V09',
        `${file}: ${AGGREGATE_NAMES[i]} is ${rows.csv.aggregateValues[i]}, the rows give ${value}`,
      );
  });
}

async function checkJson(
  checks: Checks,
  source: CutSource,
  entry: Manifest['contests'][number],
  rows: ContestRows,
  catalog: Catalog,
  esperadas: ReadonlyMap<string, number> | null,
  final: boolean,
  fromRows: RowTotals,
): Promise<void> {
  if (rows.contest === null || esperadas === null) return;
  const contestId = entry.id;
  const { byCasilla, rangeByCasilla } = fromRows;
  const contest = rows.contest;
  const position = new Map(rows.voteColumns.map((id, i) => [id, i]));
  const national: Counts = { ...fromRows.national, esperadas: 0 };
  const sum = (keys: Iterable<string>): Counts => {
    const total = newCounts(rows.voteColumns.length);
    for (const key of keys) {
      total.esperadas += esperadas.get(key) ?? 0;
      const c = byCasilla.get(key);
      if (c !== undefined) addCounts(total, c);
    }
    return total;
  };
  /** Larger units from smaller ones: each casilla is summed once, into its sección. */
  const merge = (parts: Iterable<Counts>): Counts => {
    const total = newCounts(rows.voteColumns.length);
    for (const part of parts) {
      total.esperadas += part.esperadas;
      addCounts(total, part);
    }
    return total;
  };
  for (const n of esperadas.values()) national.esperadas += n;
  const compare = (where: string, level: { aggregates?: unknown; votes?: unknown }, counts: Counts): void => {
    const expected = aggregatesOf(counts, final);
    const got = level.aggregates as Record<string, unknown> | undefined;
    AGGREGATE_NAMES.forEach((name, i) => {
      const value = got?.[name];
      if (String(value) !== expected[i])
        checks.fail('V10', `${where}: ${name} is ${String(value)}, the CSV gives ${expected[i]}`);
    });
    const votes = level.votes as { column: string; votes: number; percent: string }[] | undefined;
    for (const column of contest.columns) {
      const entry = votes?.find((v) => v.column === column.id);
      const v = counts.votes[position.get(column.id) ?? -1] ?? 0;
      if (
        entry === undefined ||
        entry.votes !== v ||
        entry.percent !== formatPercent(truncatedPercent(v, counts.cCs))
      )
        checks.fail('V10', `${where}: votes of ${column.id} differ from the CSV`);
    }
  };
  const readJson = async (relative: string): Promise<Record<string, unknown> | null> => {
    const data = await source.read(`json/${contestId}/${relative}`);
    if (data === null) {
      checks.fail('V10', `json/${contestId}/${relative} is missing`);
      return null;
    }
    try {
      return JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    } catch {
      checks.fail('V10', `json/${contestId}/${relative} is not JSON`);
      return null;
    }
  };
  const nacional = await readJson('nacional.json');
  if (nacional !== null) compare(`${contestId} nacional`, nacional, national);
  // Casilla keys by distrito and sección, in catalog order.
  const byDistrito = new Map<string, Map<number, string[]>>();
  for (const casilla of catalog.casillas) {
    const key = `${String(casilla.entidad).padStart(2, '0')}-${String(casilla.distrito).padStart(3, '0')}`;
    let secciones = byDistrito.get(key);
    if (secciones === undefined) {
      secciones = new Map();
      byDistrito.set(key, secciones);
    }
    const list = secciones.get(casilla.seccion);
    if (list === undefined) secciones.set(casilla.seccion, [casilla.key]);
    else list.push(casilla.key);
  }
  const seccionCounts = new Map<string, Map<number, Counts>>();
  const distritoCounts = new Map<string, Counts>();
  for (const [key, secciones] of byDistrito) {
    const counts = new Map([...secciones].map(([seccion, keys]) => [seccion, sum(keys)] as const));
    seccionCounts.set(key, counts);
    distritoCounts.set(key, merge(counts.values()));
  }
  for (const entidad of catalog.entidades) {
    const file = await readJson(`entidad/${String(entidad.id).padStart(2, '0')}.json`);
    const distritos = catalog.distritos
      .filter((d) => d.entidad === entidad.id)
      .map((d) =>
        distritoCounts.get(`${String(d.entidad).padStart(2, '0')}-${String(d.id).padStart(3, '0')}`),
      )
      .filter((c) => c !== undefined);
    if (file !== null) compare(`${contestId} entidad ${entidad.id}`, file, merge(distritos));
  }
  for (const distrito of catalog.distritos) {
    const key = `${String(distrito.entidad).padStart(2, '0')}-${String(distrito.id).padStart(3, '0')}`;
    const file = await readJson(`distrito/${key}.json`);
    if (file === null) continue;
    compare(
      `${contestId} distrito ${key}`,
      file,
      distritoCounts.get(key) ?? newCounts(rows.voteColumns.length),
    );
    if (JSON.stringify(file['actaHeader']) !== JSON.stringify(rows.csv.header))
      checks.fail('V10', `${contestId} distrito ${key}: actaHeader differs from the CSV header`);
    if (file['actaCsv'] !== entry.csv)
      checks.fail('V10', `${contestId} distrito ${key}: actaCsv is not ${entry.csv}`);
    const bySeccion = byDistrito.get(key) ?? new Map<number, string[]>();
    const countsBySeccion = seccionCounts.get(key) ?? new Map<number, Counts>();
    const secciones =
      (file['secciones'] as
        | {
            seccion: number;
            aggregates: unknown[];
            votes: number[];
            casillas: unknown[];
          }[]
        | undefined) ?? [];
    if (secciones.length !== bySeccion.size)
      checks.fail('V10', `${contestId} distrito ${key}: secciones differ from the catalog`);
    for (const seccion of secciones) {
      const keys = bySeccion.get(seccion.seccion) ?? [];
      const counts = countsBySeccion.get(seccion.seccion) ?? newCounts(rows.voteColumns.length);
      const expected = aggregatesOf(counts, final);
      if (JSON.stringify((seccion.aggregates ?? []).map(String)) !== JSON.stringify(expected))
        checks.fail(
          'V10',
          `${contestId} sección ${distrito.entidad}-${seccion.seccion}: aggregates differ from the CSV`,
        );
      const votes = contest.columns.map((c) => counts.votes[position.get(c.id) ?? -1] ?? 0);
      if (JSON.stringify(seccion.votes) !== JSON.stringify(votes))
        checks.fail(
          'V10',
          `${contestId} sección ${distrito.entidad}-${seccion.seccion}: votes differ from the CSV`,
        );
      const listed = Array.isArray(seccion.casillas) ? seccion.casillas : [];
      if (listed.length !== keys.length)
        checks.fail(
          'V10',
          `${contestId} sección ${distrito.entidad}-${seccion.seccion}: casillas differ from the catalog`,
        );
      listed.forEach((casilla, i) => {
        const expectedKey = keys[i];
        if (expectedKey === undefined) return;
        if (!Array.isArray(casilla) || casilla[0] !== expectedKey) {
          checks.fail(
            'V10',
            `${contestId} sección ${distrito.entidad}-${seccion.seccion}: casilla ${i + 1} is not ${expectedKey} of the catalog`,
          );
          return;
        }
        const range = rangeByCasilla.get(expectedKey) ?? [0, 0];
        if (range[1] < 0)
          checks.fail(
            'V10',
            `${contestId} casilla ${expectedKey}: its acta rows are not contiguous in the CSV`,
          );
        else if (casilla.length !== 3 || casilla[1] !== range[0] || casilla[2] !== range[1])
          checks.fail(
            'V10',
            `${contestId} casilla ${expectedKey}: byte range [${String(casilla[1])}, ${String(casilla[2])}] is not its rows in the CSV, [${range[0]}, ${range[1]}]`,
          );
      });
    }
  }
}

async function checkPrevious(
  checks: Checks,
  previousLocation: string,
  key: VerifierKey,
  manifest: Manifest,
  current: ReadonlyMap<string, PublishedRows>,
): Promise<void> {
  const opened = await openCutSource(previousLocation);
  if (!opened.ok) {
    checks.fail('V12', `previous cut: ${opened.message}`);
    return;
  }
  const previousChecks = new Checks();
  const loaded = await loadManifest(opened.value, key, previousChecks);
  previousChecks.finish('V01', '');
  if (loaded.error !== undefined || previousChecks.failed('V01')) {
    checks.fail(
      'V12',
      `the previous cut's manifest does not verify with this key${loaded.error ? `: ${loaded.error}` : ''}`,
    );
    return;
  }
  const previous = loaded.value.manifest;
  const link = manifest.previous;
  if (link === null) {
    checks.fail('V12', 'this cut names no previous cut');
    return;
  }
  if (link.id !== previous.cut.id) checks.fail('V12', `this cut follows ${link.id}, not ${previous.cut.id}`);
  if (link.manifestSha256 !== sha256(loaded.value.manifestBytes))
    checks.fail('V12', "the previous manifest's SHA-256 differs from the one this cut names");
  if (link.journalSize !== previous.journal.size) checks.fail('V12', 'previous journal size differs');
  if (manifest.cut.sequence <= previous.cut.sequence)
    checks.fail('V12', 'the cut sequence does not increase');
  if (Date.parse(manifest.cut.timeUtc) <= Date.parse(previous.cut.timeUtc))
    checks.fail('V12', 'the cut time goes backwards');
  if (manifest.journal.size < previous.journal.size) checks.fail('V12', 'the journal shrank: a rollback');
  const consistent = verifyConsistency({
    oldSize: previous.journal.size,
    newSize: manifest.journal.size,
    oldRoot: Buffer.from(previous.journal.rootHash, 'base64'),
    newRoot: Buffer.from(manifest.journal.rootHash, 'base64'),
    proof: manifest.journal.consistencyProof.map((h) => Buffer.from(h, 'base64')),
  });
  if (!consistent)
    checks.fail('V12', 'the journal is not an extension of the previous one: history was rewritten');
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

async function checkImages(checks: Checks, folder: string, hashes: ReadonlySet<string>): Promise<number> {
  const available = new Map<string, string>();
  const scan = async (dir: string, depth: number): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 4) await scan(full, depth + 1);
      else if (entry.isFile()) {
        const stem = entry.name.split('.')[0]!;
        const rel = path.relative(folder, full).split(path.sep).join('');
        const candidate = /^[0-9a-f]{64}$/.test(stem) ? stem : rel.replace(/^sha256/, '').split('.')[0]!;
        if (/^[0-9a-f]{64}$/.test(candidate)) available.set(candidate, full);
      }
    }
  };
  try {
    await scan(folder, 0);
  } catch (error) {
    checks.fail('V13', `cannot read ${folder}: ${(error as Error).message}`);
    return 0;
  }
  let count = 0;
  for (const hash of hashes) {
    const file = available.get(hash);
    if (file === undefined) {
      checks.fail('V13', `missing image ${hash}`);
      continue;
    }
    if (sha256(await readFile(file)) !== hash)
      checks.fail('V13', `image ${path.basename(file)} does not hash to its name`);
    else count++;
  }
  return count;
}

export function formatReport(report: VerifyReport): string {
  const lines = report.checks.map(
    (check) =>
      `${check.id} ${check.status.toUpperCase().padEnd(4)} ${check.title}${check.detail ? `: ${check.detail}` : ''}`,
  );
  const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
  lines.push(failed.length === 0 ? `OK ${report.cut}` : `FAILED ${failed.join(', ')} ${report.cut}`);
  return `${lines.join('\n')}\n`;
}
