/**
 * The conformance corpus (conformance/, read conformance/README.md): the two consecutive cuts of
 * a tiny seeded night, which must pass, and tampered cuts, which must fail naming the checks of
 * docs/verification.md — including tamperings by the key holder, who re-hashes every file,
 * recomputes the acta Merkle roots, re-signs the manifest with the election key and rebuilds
 * the zip, so that only a semantic check can catch them. Any second verifier tests itself
 * against it; tools/conformance.test.ts holds `openprep verify` to it.
 *
 * Each case's expected failing checks are written by hand in the table below, from the spec,
 * never taken from running the verifier: a corpus that records whatever the verifier says
 * could never catch the verifier being wrong.
 *
 * The same bytes on every run: a seeded night, a fixed test key (the corpus ships only its
 * public half), zips dated 1980-01-01. `npm run conformance` rewrites conformance/ (all but
 * README.md); the test regenerates it and compares byte for byte.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { catalogToCsv } from '../src/catalog/csv_import.ts';
import type { PublishedActa } from '../src/domain/acta.ts';
import type { Catalog } from '../src/domain/catalog.ts';
import { classifyActa } from '../src/domain/classification.ts';
import type { ElectionDefinition } from '../src/domain/election.ts';
import { serializeElectionDefinition } from '../src/domain/election_definition.ts';
import type { ActaFields } from '../src/domain/values.ts';
import { signCheckpoint } from '../src/journal/checkpoint.ts';
import { keyNameFor, verifierKeyText } from '../src/journal/keys.ts';
import { hashLeaf, hashLeafText, MerkleTree } from '../src/journal/merkle.ts';
import { type NoteSigner, signNote } from '../src/journal/note.ts';
import { testSigner } from '../src/journal/test_keys.ts';
import { stableJson } from '../src/platform/web/canonical_json.ts';
import { zipFiles } from '../src/platform/zip.ts';
import { buildCut, type CutInput, catalogFileNames, earlierFromBuilt } from '../src/publish/cut_builder.ts';
import { publicImageName } from '../src/publish/public_images.ts';
import { generateCatalog } from '../src/sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../src/sim/default_election.ts';
import { publishedActas } from '../src/sim/published_actas.ts';
import { createRandom } from '../src/sim/random.ts';
import type { CheckId } from '../src/verify/core/report.ts';

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
const HOUR = 3600 * 1000;

/** A cut as published: its folder's files by relative path (manifest.json and .sig included) and its zip. */
export interface Cut {
  readonly id: string;
  readonly files: ReadonlyMap<string, Buffer>;
  readonly zip: Buffer;
}

/** The night every case starts from. */
export interface Night {
  readonly election: ElectionDefinition;
  readonly catalog: Catalog;
  readonly catalogCsv: Buffer;
  readonly electionJson: Buffer;
  readonly signer: NoteSigner;
  readonly first: Cut;
  readonly second: Cut;
  /** Each cut's snapshot (an acta unchanged between them is the same object in both). */
  readonly firstActas: ReadonlyMap<string, readonly PublishedActa[]>;
  readonly secondActas: ReadonlyMap<string, readonly PublishedActa[]>;
  readonly buildSecond: (change: {
    readonly actas?: ReadonlyMap<string, readonly PublishedActa[]>;
    readonly catalog?: Catalog;
  }) => Promise<Cut>;
  /** Stand-in acta images (their bytes are a short text), by SHA-256. */
  readonly images: ReadonlyMap<string, Buffer>;
  /** The fuera de catálogo row's image hash, and the casilla none of whose actas is ever published. */
  readonly fueraImage: string;
  readonly quietCasilla: string;
}

/** The relative paths the case table uses (from a case folder, cases/<name>/). */
const KEY = '../../keys/openprep.PEF2024.simulacro.pub';
const OTHER_KEY = '../../keys/otra-clave.PEF2024.simulacro.pub';
const NIGHT = '../../night';

// ---------------------------------------------------------------------------------------------
// The night: a tiny catalog, the default 2024 definition, two cuts twelve hours apart.

export async function buildNight(): Promise<Night> {
  const catalog = generateCatalog({ scale: 'tiny', seed: 23 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const signer = testSigner(keyNameFor(election.id, election.mode), 'openprep conformance: the election key');
  const catalogCsv = Buffer.from(catalogToCsv(catalog));
  const electionJson = Buffer.from(serializeElectionDefinition(election));
  const start = Date.parse(election.publicationStart);
  const firstTime = start + 12 * HOUR;
  const secondTime = start + 24 * HOUR;
  const quiet = catalog.casillas.findLast((c) => c.tipo !== 'S')!; // a special casilla has no lista nominal
  const images = new Map<string, Buffer>();
  const image = (text: string): string => {
    images.set(sha256(text), Buffer.from(text));
    return sha256(text);
  };

  const all = publishedActas({ catalog, election, random: createRandom('conformance'), missing: 1 / 7 });
  const inFirst = (a: PublishedActa) => a.verifiedAt !== null && a.verifiedAt <= firstTime;
  const secondActas = new Map<string, PublishedActa[]>();
  const firstActas = new Map<string, PublishedActa[]>();
  const corrections = new Map<PublishedActa, PublishedActa>();
  let fueraImage = '';
  for (const contest of election.contests) {
    // No acta of the quiet casilla is ever published: the catalog case changes it unseen by any row.
    const rows = (all.get(contest.id) ?? []).filter((a) => a.casilla?.key !== quiet.key);
    if (contest.id === 'PRES') {
      const early = rows.filter(inFirst);
      if (early.length < 5) throw new Error('the night has too few early PRES actas');
      const [fueraBase, sinActa, corrected, accepted, illegible] = early as [
        PublishedActa,
        PublishedActa,
        PublishedActa,
        PublishedActa,
        PublishedActa,
      ];
      const reclassify = (a: PublishedActa, fields: ActaFields | null): PublishedActa => ({
        ...a,
        fields,
        classification: classifyActa({
          casilla: a.casilla,
          contest,
          fields,
          sinActaReason: fields === null ? 'CASILLA_NO_INSTALADA' : null,
        }),
      });
      // A fuera de catálogo row: an acta whose key names no casilla of the catalog.
      fueraImage = image('fuera de catálogo 019999B010001');
      const fuera: PublishedActa = {
        ...reclassify({ ...fueraBase, casilla: null }, fueraBase.fields),
        actaKey: null,
        identification: {
          ...fueraBase.identification,
          claimedKey: '019999B010001',
          seccion: 9999,
          tipo: 'B',
          id: 1,
          extension: 0,
        },
        submission: { ...fueraBase.submission!, imageSha256: fueraImage },
      };
      rows.push(fuera);
      // Sin acta: no image, no votes.
      const sin = {
        ...reclassify(sinActa, null),
        submission: null,
        capturedAt: null,
        verifiedAt: null,
      };
      rows.splice(rows.indexOf(sinActa), 1, sin);
      // One value unreadable: Ilegible, still counted.
      const votes = { ...illegible.fields!.votes };
      const column = Object.keys(votes)[1]!;
      votes[column] = 'ilegible';
      rows.splice(rows.indexOf(illegible), 1, reclassify(illegible, { ...illegible.fields!, votes }));
      // Published in the first cut, then corrected in cotejo (COTEJADA 2) or accepted (1) by the second.
      const pan = corrected.fields!.votes.PAN;
      if (typeof pan !== 'number') throw new Error('the corrected acta has no PAN votes');
      const fixed = reclassify(corrected, {
        ...corrected.fields!,
        votes: { ...corrected.fields!.votes, PAN: pan + 1 },
        totalAsentado: (corrected.fields!.totalAsentado as number) + 1,
      });
      corrections.set(corrected, { ...fixed, cotejada: 2 });
      corrections.set(accepted, { ...accepted, cotejada: 1 });
    }
    // The sim's image hash is the SHA-256 of the acta key: that text is the stand-in image.
    for (const a of rows)
      if (a.submission !== null && a.actaKey !== null && images.get(a.submission.imageSha256) === undefined) {
        if (a.submission.imageSha256 !== image(a.actaKey)) throw new Error(`${a.actaKey}: no stand-in image`);
      }
    firstActas.set(
      contest.id,
      rows.filter((a) => a.casilla === null || a.fields === null || inFirst(a)),
    );
    secondActas.set(
      contest.id,
      rows.map((a) => corrections.get(a) ?? a),
    );
  }

  // A journal of 40 entries: the first cut is signed at 25, the second at 40.
  const tree = new MerkleTree(Array.from({ length: 40 }, (_, i) => hashLeafText(`conformance entry ${i}`)));
  const journal = (size: number, previousSize: number | null): CutInput['journal'] => ({
    size,
    rootHash: tree.root(size),
    checkpointNote: signCheckpoint({ origin: `${signer.name}/log`, size, rootHash: tree.root(size) }, signer),
    consistencyProof: previousSize === null ? [] : tree.consistencyProof(previousSize, size),
  });
  const base = { election, catalog, catalogCsv, electionJson, signer, packIn: 'thread' as const };
  const asCut = (built: Awaited<ReturnType<typeof buildCut>>): Cut => ({
    id: built.cutId,
    files: built.files,
    zip: built.zip,
  });
  const firstBuilt = await buildCut({
    ...base,
    actas: firstActas,
    cutTime: firstTime,
    sequence: 1,
    final: false,
    journal: journal(25, null),
    previous: null,
  });
  const buildSecond: Night['buildSecond'] = async (change) => {
    const changedCatalog = change.catalog ?? catalog;
    return asCut(
      await buildCut({
        ...base,
        catalog: changedCatalog,
        catalogCsv: Buffer.from(catalogToCsv(changedCatalog)),
        actas: change.actas ?? secondActas,
        cutTime: secondTime,
        sequence: 2,
        final: true,
        journal: journal(40, 25),
        previous: { id: firstBuilt.cutId, journalSize: 25, manifestSha256: firstBuilt.manifestSha256 },
        earlier: earlierFromBuilt(firstBuilt),
      }),
    );
  };
  const second = await buildSecond({});
  return {
    election,
    catalog,
    catalogCsv,
    electionJson,
    signer,
    first: asCut(firstBuilt),
    second,
    firstActas,
    secondActas,
    buildSecond,
    images,
    fueraImage,
    quietCasilla: quiet.key,
  };
}

// ---------------------------------------------------------------------------------------------
// The key holder's tools: edit a results CSV, then re-hash, re-root, re-sign and re-zip.

/** A results CSV split into its 7 header lines and its acta rows' cells (quoted cells kept whole). */
interface ResultsCsv {
  readonly head: string[];
  readonly columns: readonly string[];
  rows: string[][];
}

function splitCells(line: string): string[] {
  const cells: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ',' && !quoted) {
      cells.push(line.slice(start, i));
      start = i + 1;
    }
  }
  cells.push(line.slice(start));
  return cells;
}

function readResultsCsv(bytes: Buffer): ResultsCsv {
  const lines = bytes.toString('utf8').split('\r');
  if (lines.pop() !== '') throw new Error('a results CSV ends with \\r');
  const head = lines.slice(0, 7);
  return { head, columns: splitCells(head[6]!), rows: lines.slice(7).map(splitCells) };
}

function writeResultsCsv(csv: ResultsCsv): Buffer {
  return Buffer.from(`${[...csv.head, ...csv.rows.map((r) => r.join(','))].join('\r')}\r`);
}

/** Each casilla's rows in a results CSV: `[offset, length]` in bytes, the BOM and line ends counted. */
function casillaRanges(bytes: Buffer): Map<string, [number, number]> {
  const csv = readResultsCsv(bytes);
  const key = column(csv, 'CLAVE_CASILLA');
  const ranges = new Map<string, [number, number]>();
  let at = csv.head.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
  for (const row of csv.rows) {
    const length = Buffer.byteLength(row.join(',')) + 1;
    const casilla = row[key]!.replace(/^'/, '');
    const range = ranges.get(casilla);
    if (range === undefined) ranges.set(casilla, [at, length]);
    else range[1] += length;
    at += length;
  }
  return ranges;
}

/** The index of a column, or a loud failure (the corpus must never silently edit nothing). */
function column(csv: ResultsCsv, name: string): number {
  const at = csv.columns.indexOf(name);
  if (at < 0) throw new Error(`no column ${name}`);
  return at;
}

/** The first row for which `test` holds, or a loud failure. */
function rowWhere(csv: ResultsCsv, test: (cell: (name: string) => string) => boolean): string[] {
  const row = csv.rows.find((r) => test((name) => r[column(csv, name)]!));
  if (row === undefined) throw new Error('no row fits this tampering');
  return row;
}

const counted = (cell: (name: string) => string) =>
  cell('CONTABILIZADA') === '1' && cell('OBSERVACIONES') === '-' && cell('CLAVE_CASILLA') !== '-';

/**
 * Publishes edited files as the holder of the election key would: every listed file re-hashed,
 * every contest's rows re-counted and re-rooted, the manifest re-serialized and re-signed, the
 * zip rebuilt. Applied to an untouched cut it gives back the builder's bytes (checked).
 */
async function resign(
  cut: Cut,
  signer: NoteSigner,
  edit: {
    readonly files?: (files: Map<string, Buffer>) => void;
  },
): Promise<Cut> {
  const files = new Map(cut.files);
  edit.files?.(files);
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as ManifestShape;
  for (const contest of manifest.contests) {
    const csv = files.get(contest.csv)!;
    // The site's distrito files name each casilla's byte range in the CSV: moved with the rows.
    const ranges = casillaRanges(csv);
    for (const [name, data] of files) {
      if (!name.startsWith(`json/${contest.id}/distrito/`)) continue;
      const distrito = JSON.parse(data.toString('utf8')) as {
        secciones: { casillas: [string, number, number][] }[];
      };
      for (const seccion of distrito.secciones)
        for (const entry of seccion.casillas) [entry[1], entry[2]] = ranges.get(entry[0]) ?? [0, 0];
      files.set(name, Buffer.from(`${JSON.stringify(distrito)}\n`));
    }
    const rows = readResultsCsv(csv).rows;
    contest.actaRows = rows.length;
    contest.actaMerkleRoot =
      rows.length === 0
        ? sha256('')
        : new MerkleTree(rows.map((r) => hashLeaf(Buffer.from(r.join(','))))).root().toString('hex');
  }
  for (const listed of manifest.files) {
    const data = files.get(listed.path)!;
    listed.bytes = data.length;
    listed.sha256 = sha256(data);
  }
  const manifestBytes = Buffer.from(stableJson(manifest));
  const signature = Buffer.from(
    signNote(`${signer.name}/cut\n${manifest.cut.id}\nsha256 ${sha256(manifestBytes)}\n`, signer),
  );
  files.set('manifest.json', manifestBytes);
  files.set('manifest.sig', signature);
  const contestZips: [string, Buffer][] = [];
  for (const contest of manifest.contests) {
    const candidaturas = contest.csv.replace(/_([0-9]{4})\.csv$/, '_CANDIDATURAS_$1.csv');
    contestZips.push([
      `${manifest.cut.id}_PREP_${contest.id}.zip`,
      await zipFiles([
        [contest.csv, files.get(contest.csv)!],
        [candidaturas, files.get(candidaturas)!],
        ['LEEME.txt', files.get('LEEME.txt')!],
      ]),
    ]);
  }
  const zip = await zipFiles(
    [...contestZips, ['manifest.json', manifestBytes], ['manifest.sig', signature]],
    { compress: false },
  );
  return { id: cut.id, files, zip };
}

/** What the key holder edits in a manifest (the rest is carried through as parsed). */
interface ManifestShape {
  cut: { id: string; sequence: number };
  contests: { id: string; csv: string; actaRows: number; actaMerkleRoot: string }[];
  files: { path: string; bytes: number; sha256: string }[];
}

/** Edits one contest's results CSV (the key holder then re-signs). */
const editCsv =
  (name: string, edit: (csv: ResultsCsv) => void) =>
  (files: Map<string, Buffer>): void => {
    const csv = readResultsCsv(files.get(name)!);
    edit(csv);
    files.set(name, writeResultsCsv(csv));
  };

/** Edits a site JSON file, re-serialized as the builder writes it (`JSON.stringify` and a newline). */
const editJson =
  (name: string, edit: (value: Record<string, unknown>) => void) =>
  (files: Map<string, Buffer>): void => {
    const value = JSON.parse(files.get(name)!.toString('utf8')) as Record<string, unknown>;
    edit(value);
    files.set(name, Buffer.from(`${JSON.stringify(value)}\n`));
  };

/** The zip's entries re-dated: every local and central header's DOS date set to `dosDate`. */
function redateZipEntry(zip: Buffer, entryName: string, dosDate: number): Buffer {
  const out = Buffer.from(zip);
  let changed = 0;
  for (let at = 0; at + 46 <= out.length; at++) {
    const signature = out.readUInt32LE(at);
    if (signature === 0x04034b50) {
      const nameLength = out.readUInt16LE(at + 26);
      if (out.toString('utf8', at + 30, at + 30 + nameLength) === entryName) {
        out.writeUInt16LE(dosDate, at + 12);
        changed++;
      }
    } else if (signature === 0x02014b50) {
      const nameLength = out.readUInt16LE(at + 28);
      if (out.toString('utf8', at + 46, at + 46 + nameLength) === entryName) {
        out.writeUInt16LE(dosDate, at + 14);
        changed++;
      }
    }
  }
  if (changed !== 2) throw new Error(`${entryName}: ${changed} headers re-dated, not 2`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// What a case puts beside its case.json.

type Files = Map<string, Buffer>;

/** A cuts root under `cuts/`: the catalog folder and the cut's folder with its zip (or parts of it). */
function cutsRoot(
  night: Night,
  cut: Cut,
  options: { readonly zip?: 'in-folder' | 'alone' | 'none'; readonly catalogCsv?: Buffer } = {},
): Files {
  const out: Files = new Map();
  const names = catalogFileNames(night.election.id);
  out.set(`cuts/catalogo/${names.catalog}`, options.catalogCsv ?? night.catalogCsv);
  out.set(`cuts/catalogo/${names.election}`, night.electionJson);
  const zip = options.zip ?? 'in-folder';
  if (zip !== 'alone') for (const [name, data] of cut.files) out.set(`cuts/${cut.id}/${name}`, data);
  if (zip === 'in-folder') out.set(`cuts/${cut.id}/${cut.id}_PREP.zip`, cut.zip);
  if (zip === 'alone') out.set(`cuts/${cut.id}_PREP.zip`, cut.zip);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The cases. `failing` is written by hand from docs/verification.md.

export interface ConformanceCase {
  readonly name: string;
  readonly description: string;
  /** What was changed, byte by byte, against the night's honest cut. */
  readonly changed: string;
  /** Whether the key holder re-signed the tampering (so V01 and V04 pass). */
  readonly resigned: boolean;
  /** The arguments of `verify`, paths relative to the case folder. */
  readonly args: (night: Night) => string[];
  readonly expected: { readonly ok: boolean; readonly failing: readonly CheckId[] };
  /** The files beside case.json (none: the case runs on the night's cuts). */
  readonly files?: (night: Night) => Promise<Files> | Files;
  /** The item of issue 23's first list this case was written for (what the verifier once missed). */
  readonly issueItem?: string;
}

const folder = (n: Night) => `cuts/${n.first.id}`;
const second = (n: Night) => `cuts/${n.second.id}`;
const previous = (n: Night) => ['--previous', `${NIGHT}/${n.first.id}`];

export const CASES: readonly ConformanceCase[] = [
  {
    name: 'pass-first-folder',
    description: 'The first cut of the night, as published: a folder with its zip.',
    changed: 'nothing',
    resigned: false,
    args: (n) => [`${NIGHT}/${n.first.id}`, '--key', KEY],
    expected: { ok: true, failing: [] },
  },
  {
    name: 'pass-second-folder-previous-images',
    description:
      'The second (final) cut, checked against the first and the acta images: one acta corrected in cotejo ' +
      '(COTEJADA 2, a vote changed), one accepted (COTEJADA 1), a fuera de catálogo row, a sin acta row, an ' +
      'Ilegible cell. Every check runs.',
    changed: 'nothing',
    resigned: false,
    args: (n) => [
      `${NIGHT}/${n.second.id}`,
      '--key',
      KEY,
      ...previous(n),
      '--images',
      `${NIGHT}/imagenes`,
      '--mode',
      'simulacro',
    ],
    expected: { ok: true, failing: [] },
  },
  {
    name: 'pass-first-zip',
    description: "The first cut's zip on its own, with the catalog folder.",
    changed: 'nothing',
    resigned: false,
    args: (n) => [
      `${NIGHT}/${n.first.id}/${n.first.id}_PREP.zip`,
      '--key',
      KEY,
      '--catalog',
      `${NIGHT}/catalogo`,
    ],
    expected: { ok: true, failing: [] },
  },
  {
    name: 'pass-second-zip-previous-zip',
    description: "The second cut's zip, checked against the first cut's zip.",
    changed: 'nothing',
    resigned: false,
    args: (n) => [
      `${NIGHT}/${n.second.id}/${n.second.id}_PREP.zip`,
      '--key',
      KEY,
      '--catalog',
      `${NIGHT}/catalogo`,
      '--previous',
      `${NIGHT}/${n.first.id}/${n.first.id}_PREP.zip`,
    ],
    expected: { ok: true, failing: [] },
  },
  {
    name: 'drill-as-live',
    description: 'A simulacro cut checked as a live one: a drill never verifies as live.',
    changed: 'nothing; verified with --mode live',
    resigned: false,
    args: (n) => [`${NIGHT}/${n.first.id}`, '--key', KEY, '--mode', 'live'],
    expected: { ok: false, failing: ['V02'] },
  },
  {
    name: 'wrong-key',
    description:
      'The first cut checked with another key of the same name: neither the manifest nor the checkpoint verifies.',
    changed: 'nothing; verified with keys/otra-clave.PEF2024.simulacro.pub',
    resigned: false,
    args: (n) => [`${NIGHT}/${n.first.id}`, '--key', OTHER_KEY],
    expected: { ok: false, failing: ['V01', 'V05'] },
  },
  {
    name: 'manifest-byte-changed',
    description: 'One byte of manifest.json changed, not re-signed.',
    changed:
      'manifest.json: "sequence": 1 became "sequence": 7 (the zip keeps the signed manifest; json/historial.json still says 1, which V10 sees)',
    resigned: false,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V01', 'V10', 'V14'] },
    files: (n) => {
      const files = new Map(n.first.files);
      const text = files.get('manifest.json')!.toString('utf8');
      if (!text.includes('"sequence": 1,')) throw new Error('no sequence 1 in the manifest');
      files.set('manifest.json', Buffer.from(text.replace('"sequence": 1,', '"sequence": 7,')));
      return cutsRoot(n, { ...n.first, files });
    },
  },
  {
    name: 'file-changed-not-resigned',
    description: 'A listed file changed after signing.',
    changed: 'LEEME.txt: the heading ARCHIVOS became aRCHIVOS in the folder (the zip keeps the signed one)',
    resigned: false,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V04'] },
    files: (n) => {
      const files = new Map(n.first.files);
      const leeme = Buffer.from(files.get('LEEME.txt')!);
      const at = leeme.indexOf('ARCHIVOS');
      if (at < 0) throw new Error('no "ARCHIVOS" in LEEME.txt');
      leeme[at] = 'a'.charCodeAt(0);
      files.set('LEEME.txt', leeme);
      return cutsRoot(n, { ...n.first, files });
    },
  },
  {
    name: 'csv-vote-changed-resigned',
    description:
      "A vote of a counted acta raised by one and re-signed: the row's TOTAL_VOTOS_CALCULADO no longer adds up, " +
      "and the site JSON's votes are not the CSV's.",
    changed:
      'PRES_2024.csv: PAN of the first counted acta without observations +1; manifest re-hashed, re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V08', 'V10'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            const row = rowWhere(csv, counted);
            row[column(csv, 'PAN')] = String(Number(row[column(csv, 'PAN')]) + 1);
          }),
        }),
      ),
  },
  {
    name: 'csv-vote-and-total-changed-resigned',
    description:
      'A vote and its TOTAL_VOTOS_CALCULADO raised by one and re-signed: the row is consistent, the header ' +
      'aggregates and the site JSON are not.',
    changed:
      'PRES_2024.csv: PAN and TOTAL_VOTOS_CALCULADO of the first counted acta without observations +1; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V09', 'V10'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            const row = rowWhere(csv, counted);
            for (const name of ['PAN', 'TOTAL_VOTOS_CALCULADO'])
              row[column(csv, name)] = String(Number(row[column(csv, name)]) + 1);
          }),
        }),
      ),
  },
  {
    name: 'csv-row-removed-resigned',
    description: 'A counted acta row removed and re-signed (row count and Merkle root recomputed).',
    changed: 'PRES_2024.csv: the first counted acta without observations removed; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V09', 'V10'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            csv.rows.splice(csv.rows.indexOf(rowWhere(csv, counted)), 1);
          }),
        }),
      ),
  },
  {
    name: 'inconsistencias-count-sin-acta-resigned',
    description:
      "PORCENTAJE_ACTAS_INCONSISTENCIAS recomputed by INE's 2024 generator's rule (every captured row " +
      "with observations, so the sin acta row too) instead of the LEEME's (Excede Lista Nominal, Ilegible, " +
      'Sin dato, Todos los campos ilegibles / vacíos) and re-signed.',
    changed:
      'PRES_2024.csv: line 5 PORCENTAJE_ACTAS_INCONSISTENCIAS 2.5000 (the Ilegible row) became 5.0000 ' +
      '(the Ilegible and the sin acta rows, of 40 esperadas); re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V09'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            const values = csv.head[4]!.split(',');
            if (values[7] !== '2.5000' || values[0] !== '40')
              throw new Error(`unexpected aggregates line ${csv.head[4]}`);
            values[7] = '5.0000';
            csv.head[4] = values.join(',');
          }),
        }),
      ),
  },
  {
    name: 'site-json-total-changed-resigned',
    description: "The national site JSON's first column's votes raised by one and re-signed.",
    changed: 'json/PRES/nacional.json: votes[0].votes +1; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V10'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editJson('json/PRES/nacional.json', (json) => {
            (json.votes as { votes: number }[])[0]!.votes += 1;
          }),
        }),
      ),
  },
  {
    name: 'site-json-candidatura-swapped-resigned',
    description:
      "The national site JSON's two leading candidaturas swapped their votes (the column votes untouched) and " +
      're-signed: each candidatura is its columns plus its coalition combinations, from the CSV and the definition.',
    changed: 'json/PRES/nacional.json: candidaturas[0].votes and candidaturas[1].votes exchanged; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V10'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editJson('json/PRES/nacional.json', (json) => {
            const [a, b] = json.candidaturas as { votes: number }[];
            if (a === undefined || b === undefined || a.votes === b.votes)
              throw new Error('the night has no two candidaturas with different votes');
            [a.votes, b.votes] = [b.votes, a.votes];
          }),
        }),
      ),
  },
  {
    name: 'manifest-extra-field-resigned',
    description:
      'A field the format does not have added to the manifest and re-signed: manifest.json must match ' +
      'docs/schemas/manifest.schema.json, whose objects admit no other field.',
    changed: 'manifest.json: "note": "x" added to "cut"; re-serialized, re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V03'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editJson('manifest.json', (json) => {
            (json.cut as Record<string, unknown>).note = 'x';
          }),
        }),
      ),
  },
  {
    name: 'site-json-count-as-text-resigned',
    description:
      'A count of the national site JSON published as text, its value unchanged, and re-signed: the site JSON must ' +
      'match docs/schemas/site.schema.json, where counts are JSON numbers.',
    changed:
      'json/PRES/nacional.json: aggregates.ACTAS_ESPERADAS became the same number as a string; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V10'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editJson('json/PRES/nacional.json', (json) => {
            const aggregates = json.aggregates as Record<string, unknown>;
            aggregates.ACTAS_ESPERADAS = String(aggregates.ACTAS_ESPERADAS);
          }),
        }),
      ),
  },
  {
    name: 'csv-header-line-changed-resigned',
    description: "The CSV's cut time (line 2) moved one hour and re-signed.",
    changed: 'SEN_2024.csv: line 2 "03/06/2024 08:00 (UTC-6)" became "03/06/2024 09:00 (UTC-6)"; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V07'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('SEN_2024.csv', (csv) => {
            const moved = csv.head[1]!.replace(
              / ([0-9]{2}):00 /,
              (_, h: string) => ` ${String(Number(h) + 1).padStart(2, '0')}:00 `,
            );
            if (moved === csv.head[1]) throw new Error(`unexpected cut time line ${csv.head[1]}`);
            csv.head[1] = moved;
          }),
        }),
      ),
  },
  {
    name: 'csv-rows-swapped-resigned',
    description:
      'Two acta rows of different casillas swapped and re-signed, checked as a zip (no site JSON).',
    changed: 'PRES_2024.csv: the first two acta rows swapped; re-signed; only the zip is published',
    resigned: true,
    args: (n) => [`cuts/${n.first.id}_PREP.zip`, '--key', KEY, '--catalog', 'cuts/catalogo'],
    expected: { ok: false, failing: ['V07'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            const [a, b] = csv.rows;
            csv.rows.splice(0, 2, b!, a!);
          }),
        }),
        { zip: 'alone' },
      ),
  },
  {
    name: 'image-hash-changed-resigned',
    description:
      "A counted acta's CODIGO_INTEGRIDAD replaced by the hash of another image and re-signed: with the images, " +
      'no image has that hash.',
    changed: 'PRES_2024.csv: CODIGO_INTEGRIDAD of the first counted acta = sha256("otra imagen"); re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY, '--images', `${NIGHT}/imagenes`],
    expected: { ok: false, failing: ['V13'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            rowWhere(csv, counted)[column(csv, 'CODIGO_INTEGRIDAD')] = sha256('otra imagen');
          }),
        }),
      ),
  },
  {
    name: 'previous-row-altered',
    description:
      'The key holder rebuilds the second cut from a snapshot in which an acta published in the first cut has ' +
      'one more PAN vote, without a logged correction (COTEJADA 0). Every file is consistent and signed; only ' +
      'the previous cut shows the change.',
    changed:
      'the second cut: PAN +1 (and its totals) in an acta of the first cut, COTEJADA 0; built and signed',
    resigned: true,
    args: (n) => [second(n), '--key', KEY, ...previous(n)],
    expected: { ok: false, failing: ['V12'] },
    files: async (n) => {
      const actas = new Map(n.secondActas);
      const pres = [...(actas.get('PRES') ?? [])];
      const contest = n.election.contests.find((c) => c.id === 'PRES')!;
      const published = n.firstActas.get('PRES') ?? [];
      const at = pres.findIndex(
        (a) =>
          published.includes(a) &&
          a.casilla !== null &&
          a.cotejada === 0 &&
          a.classification.contabilizada === 1 &&
          a.classification.observations.length === 0,
      );
      const acta = pres[at]!;
      const fields = {
        ...acta.fields!,
        votes: { ...acta.fields!.votes, PAN: (acta.fields!.votes.PAN as number) + 1 },
      };
      pres[at] = {
        ...acta,
        fields: { ...fields, totalAsentado: (fields.totalAsentado as number) + 1 },
        classification: classifyActa({ casilla: acta.casilla, contest, fields, sinActaReason: null }),
      };
      actas.set('PRES', pres);
      return cutsRoot(n, await n.buildSecond({ actas }));
    },
  },

  // Issue 23's first list: what `openprep verify` accepted or crashed on.
  {
    name: 'missing-prep-zip',
    description: 'A cut folder without its <cut>_PREP.zip: a numbered failure, never a crash.',
    changed: 'the first cut folder, its zip deleted',
    resigned: false,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V14'] },
    files: (n) => cutsRoot(n, n.first, { zip: 'none' }),
    issueItem: '1: a cut folder without its _PREP.zip crashes the verifier',
  },
  {
    name: 'fuera-row-removed-next-cut',
    description:
      'The key holder rebuilds the second cut without the fuera de catálogo row the first cut published.',
    changed: 'the second cut: the fuera de catálogo row (claimed 019999B010001) left out; built and signed',
    resigned: true,
    args: (n) => [second(n), '--key', KEY, ...previous(n)],
    expected: { ok: false, failing: ['V12'] },
    files: async (n) => {
      const actas = new Map(n.secondActas);
      actas.set(
        'PRES',
        (actas.get('PRES') ?? []).filter((a) => a.casilla !== null),
      );
      return cutsRoot(n, await n.buildSecond({ actas }));
    },
    issueItem: '2: fuera de catálogo rows are ignored by V12',
  },
  {
    name: 'fuera-row-altered-next-cut',
    description:
      'The key holder rebuilds the second cut with one more PAN vote in the fuera de catálogo row the first cut ' +
      'published, without a logged correction (COTEJADA 0).',
    changed:
      'the second cut: PAN +1 in the fuera de catálogo row (same claimed key and image); built and signed',
    resigned: true,
    args: (n) => [second(n), '--key', KEY, ...previous(n)],
    expected: { ok: false, failing: ['V12'] },
    files: async (n) => {
      const actas = new Map(n.secondActas);
      const contest = n.election.contests.find((c) => c.id === 'PRES')!;
      actas.set(
        'PRES',
        (actas.get('PRES') ?? []).map((a) => {
          if (a.casilla !== null) return a;
          const fields = {
            ...a.fields!,
            votes: { ...a.fields!.votes, PAN: (a.fields!.votes.PAN as number) + 1 },
          };
          return {
            ...a,
            fields,
            classification: classifyActa({ casilla: null, contest, fields, sinActaReason: null }),
          };
        }),
      );
      return cutsRoot(n, await n.buildSecond({ actas }));
    },
    issueItem: '2: fuera de catálogo rows are ignored by V12',
  },
  {
    name: 'dash-in-on-ballot-vote-cell-resigned',
    description:
      "A vote cell on the acta's ballot written `-` and re-signed. Its value was 0, so no total changes: only the " +
      'rule that `-` marks a column not on that ballot catches it.',
    changed: 'PRES_2024.csv: NO_REGISTRADAS "0" became "-" in the first counted acta with 0 there; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V08'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            rowWhere(csv, (c) => counted(c) && c('NO_REGISTRADAS') === '0')[column(csv, 'NO_REGISTRADAS')] =
              '-';
          }),
        }),
      ),
    issueItem: '3: a vote cell on the ballot can be `-`',
  },
  {
    name: 'codigo-integridad-dash-counted-resigned',
    description:
      "A counted acta's CODIGO_INTEGRIDAD written `-` and re-signed: only sin acta rows may lack it.",
    changed: 'PRES_2024.csv: CODIGO_INTEGRIDAD of the first counted acta became "-"; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V08'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            rowWhere(csv, counted)[column(csv, 'CODIGO_INTEGRIDAD')] = '-';
          }),
        }),
      ),
    issueItem: '4: CODIGO_INTEGRIDAD can be `-` on a counted acta',
  },
  {
    name: 'catalog-changed-between-cuts',
    description:
      'The key holder builds the second cut against a catalog whose lista nominal of one casilla (with no acta ' +
      'published) is one higher, and publishes that catalog beside it. The cut matches its own catalog; only the ' +
      "previous cut's catalog hash shows the change.",
    changed:
      'catalogo/CATALOGO_CASILLAS_PEF2024.csv: LISTA_NOMINAL of the quiet casilla +1; the second cut built on it and signed',
    resigned: true,
    args: (n) => [second(n), '--key', KEY, ...previous(n)],
    expected: { ok: false, failing: ['V12'] },
    files: async (n) => {
      const catalog: Catalog = {
        ...n.catalog,
        casillas: n.catalog.casillas.map((c) =>
          c.key === n.quietCasilla ? { ...c, listaNominal: c.listaNominal + 1 } : c,
        ),
      };
      return cutsRoot(n, await n.buildSecond({ catalog }), {
        catalogCsv: Buffer.from(catalogToCsv(catalog)),
      });
    },
    issueItem: '5: a change to the catalog between cuts is not noticed',
  },
  {
    name: 'changes-acta-corrected-left-out-resigned',
    description:
      "The second cut's json/cambios.json without the PRES acta corrected in cotejo, re-signed. On its own the " +
      'file is well formed; recomputed from the two CSVs (V12) the correction is missing.',
    changed: 'second cut json/cambios.json: PRES "changed" emptied; re-signed',
    resigned: true,
    args: (n) => [second(n), '--key', KEY, ...previous(n)],
    expected: { ok: false, failing: ['V12'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.second, n.signer, {
          files: (files) => {
            const changes = JSON.parse(files.get('json/cambios.json')!.toString('utf8')) as {
              contests: { id: string; changed: unknown[] }[];
            };
            const pres = changes.contests.find((c) => c.id === 'PRES');
            if (pres === undefined || pres.changed.length === 0) throw new Error('no PRES acta corrected');
            pres.changed = [];
            files.set('json/cambios.json', Buffer.from(`${JSON.stringify(changes)}\n`));
          },
        }),
      ),
  },
  {
    name: 'cotejada-9-resigned',
    description: 'A COTEJADA cell outside its domain (0–3) and re-signed.',
    changed: 'PRES_2024.csv: COTEJADA of the first counted acta became "9"; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V07'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            rowWhere(csv, counted)[column(csv, 'COTEJADA')] = '9';
          }),
        }),
      ),
    issueItem: '6: values outside their documented domains pass (COTEJADA 9)',
  },
  {
    name: 'date-31-02-resigned',
    description: 'A timestamp that names no day (31 February) and re-signed.',
    changed:
      'PRES_2024.csv: FECHA_HORA_ACOPIO of the first counted acta became "31/02/2024 10:00:00"; re-signed',
    resigned: true,
    args: (n) => [folder(n), '--key', KEY],
    expected: { ok: false, failing: ['V07'] },
    files: async (n) =>
      cutsRoot(
        n,
        await resign(n.first, n.signer, {
          files: editCsv('PRES_2024.csv', (csv) => {
            rowWhere(csv, counted)[column(csv, 'FECHA_HORA_ACOPIO')] = '31/02/2024 10:00:00';
          }),
        }),
      ),
    issueItem: '6: values outside their documented domains pass (a date 31/02)',
  },
  {
    name: 'zip-entry-not-1980',
    description:
      'A zip entry dated 2024-06-02 instead of 1980-01-01 (the bytes inside unchanged), checked as a zip.',
    changed: "<cut>_PREP.zip: manifest.json's DOS date in its local and central headers became 2024-06-02",
    resigned: false,
    args: (n) => [`cuts/${n.first.id}_PREP.zip`, '--key', KEY, '--catalog', 'cuts/catalogo'],
    expected: { ok: false, failing: ['V14'] },
    files: (n) =>
      cutsRoot(
        n,
        {
          ...n.first,
          zip: redateZipEntry(n.first.zip, 'manifest.json', ((2024 - 1980) << 9) | (6 << 5) | 2),
        },
        { zip: 'alone' },
      ),
    issueItem: '6: values outside their documented domains pass (zip entries not dated 1980-01-01)',
  },
];

// ---------------------------------------------------------------------------------------------
// Writing the corpus.

/** What case.json holds: the case as a second verifier reads it. */
export interface CaseFile {
  readonly name: string;
  readonly description: string;
  readonly changed: string;
  readonly resigned: boolean;
  readonly args: readonly string[];
  readonly expected: { readonly ok: boolean; readonly failing: readonly string[] };
}

/** Every file of the corpus (README.md aside), by path relative to conformance/. */
export async function corpusFiles(): Promise<Map<string, Buffer>> {
  const night = await buildNight();
  const out = new Map<string, Buffer>();
  out.set('keys/openprep.PEF2024.simulacro.pub', Buffer.from(`${verifierKeyText(night.signer)}\n`));
  const impostor = testSigner(night.signer.name, 'openprep conformance: not the election key');
  out.set('keys/otra-clave.PEF2024.simulacro.pub', Buffer.from(`${verifierKeyText(impostor)}\n`));
  const names = catalogFileNames(night.election.id);
  out.set(`night/catalogo/${names.catalog}`, night.catalogCsv);
  out.set(`night/catalogo/${names.election}`, night.electionJson);
  for (const cut of [night.first, night.second]) {
    for (const [name, data] of cut.files) out.set(`night/${cut.id}/${name}`, data);
    out.set(`night/${cut.id}/${cut.id}_PREP.zip`, cut.zip);
  }
  for (const [hash, data] of night.images) out.set(`night/${publicImageName(hash)}`, data);

  // The key holder's re-signing, applied to an untouched cut, must give back the builder's bytes:
  // otherwise a re-signed case could fail for the tool's sake, not the tampering's.
  for (const cut of [night.first, night.second]) {
    const again = await resign(cut, night.signer, {});
    const same =
      again.zip.equals(cut.zip) &&
      again.files.size === cut.files.size &&
      [...cut.files].every(([name, data]) => again.files.get(name)?.equals(data) === true);
    if (!same) throw new Error(`re-signing ${cut.id} unchanged does not reproduce it`);
  }

  const seen = new Set<string>();
  for (const c of CASES) {
    if (seen.has(c.name)) throw new Error(`two cases named ${c.name}`);
    seen.add(c.name);
    const file: CaseFile = {
      name: c.name,
      description: c.description,
      changed: c.changed,
      resigned: c.resigned,
      args: c.args(night),
      expected: { ok: c.expected.ok, failing: [...c.expected.failing].sort() },
    };
    out.set(`cases/${c.name}/case.json`, Buffer.from(`${JSON.stringify(file, null, 2)}\n`));
    if (c.files !== undefined)
      for (const [name, data] of await c.files(night)) out.set(`cases/${c.name}/${name}`, data);
  }
  return out;
}

/** The folders of conformance/ the generator owns (README.md is written by hand). */
export const GENERATED = ['keys', 'night', 'cases'] as const;

export async function writeCorpus(root: string): Promise<number> {
  const files = await corpusFiles();
  for (const part of GENERATED) await rm(path.join(root, part), { recursive: true, force: true });
  for (const [name, data] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const target = path.join(root, ...name.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
  }
  return files.size;
}

if (import.meta.main) {
  const root = process.argv[2] ?? path.join(import.meta.dirname, '..', 'conformance');
  const count = await writeCorpus(root);
  process.stdout.write(`conformance: ${count} files written to ${root} (${CASES.length} cases)\n`);
}
