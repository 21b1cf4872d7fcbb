/**
 * Builds one cut in memory: every file of docs/publication-format.md, the signed manifest and
 * the zip. A pure function of its input (no clock, no randomness): the same snapshot,
 * catalog, definition and cut time give byte-identical files.
 */
import process from 'node:process';
import { Worker } from 'node:worker_threads';
import type { PublishedActa } from '../domain/acta.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { formatCutId, formatIsoLocal } from '../domain/local_time.ts';
import { tabulate } from '../domain/tabulation.ts';
import { type AnyNoteSigner, signNoteBy } from '../journal/note.ts';
import { candidaturasCsv } from './candidaturas_csv.ts';
import {
  type ContestPack,
  type ContestPackTask,
  CutPacker,
  type CutTask,
  type OuterZipTask,
} from './cut_tasks.ts';
import {
  changesJson,
  contestChanges,
  type EarlierCut,
  earlierCuts,
  type HistoryAggregates,
  historyAggregates,
  historyJson,
} from './history_json.ts';
import { READER_JSON, type ReaderReport, readerJson } from './reader_json.ts';
import { leeme } from './leeme.ts';
import { aggregateValues, LINE_END, resultsCsv } from './results_csv.ts';
import { cutIndexJson, siteJson } from './site_json.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { stableJson } from '../platform/web/canonical_json.ts';

export const CUT_FORMAT = 'openprep-cut/1';

/** The release a cut names: the version and SHA-256 of its `release-manifest.json`. */
export interface CutRelease {
  readonly version: string;
  readonly sha256: string;
}

export interface CutInput {
  readonly election: ElectionDefinition;
  readonly catalog: Catalog;
  readonly catalogCsv: Buffer;
  readonly electionJson: Buffer;
  readonly actas: ReadonlyMap<string, readonly PublishedActa[]>;
  readonly cutTime: number;
  readonly sequence: number;
  readonly final: boolean;
  readonly journal: {
    readonly size: number;
    readonly rootHash: Buffer;
    readonly checkpointNote: string;
    readonly consistencyProof: readonly Buffer[];
  };
  readonly previous: {
    readonly id: string;
    readonly journalSize: number;
    readonly manifestSha256: string;
  } | null;
  /**
   * The previous cut's history file and CSVs, from which this cut's `json/historial.json` and
   * `json/cambios.json` are made; required when `previous` is not null.
   */
  readonly earlier?: EarlierCut;
  readonly signer: AnyNoteSigner;
  /**
   * The release that builds this cut (`manifest.json`'s `release`; docs/trust.md, "The running
   * code, attested"): its version and SHA-256, or null in a development checkout (the default).
   * An input like any other, so a cut stays a pure function of what it is given.
   */
  readonly release?: CutRelease | null;
  readonly legacyCsv?: boolean;
  /** Where contests are packed; by default a worker thread from WORKER_ROWS acta rows on. */
  readonly packIn?: 'thread' | 'worker';
  /** Told how long each timed part took (bench/history.ts); without it nothing is timed. */
  readonly timer?: CutTimer;
  /** The acta reader's figures (json/reader.json); without them the file says no model read. */
  readonly reader?: ReaderReport | null;
}

/**
 * The parts of a publication a benchmark times: reading and checking the previous cut before
 * building (`previous-read`, the publisher), reading each previous CSV again while building
 * (`previous-csv`) and comparing it with the new one (`changes`), building the whole cut
 * (`build`) and writing it (`write`). Each is reported with its wall time and the CPU time of
 * the thread that ran it (the build's packing worker not included); parts reported several
 * times (once per contest) add up.
 */
export type CutPart = 'previous-read' | 'previous-csv' | 'changes' | 'build' | 'write';
export type CutTimer = (part: CutPart, wallMs: number, threadCpuMs: number) => void;

const UNTIMED = () => {};

/** Starts timing `part`; the returned function reports it. Free when there is no timer. */
export function startTimer(timer: CutTimer | undefined, part: CutPart): () => void {
  if (timer === undefined) return UNTIMED;
  const began = performance.now();
  const cpu = process.threadCpuUsage();
  return () => {
    const used = process.threadCpuUsage(cpu);
    timer(part, performance.now() - began, (used.user + used.system) / 1000);
  };
}

export interface BuiltCut {
  readonly cutId: string;
  /** Every file of the cut folder by relative path, including manifest.json and manifest.sig (not the zip). */
  readonly files: Map<string, Buffer>;
  readonly manifestSha256: string;
  readonly zipName: string;
  readonly zip: Buffer;
}

export function catalogFileNames(electionId: string): { catalog: string; election: string } {
  return { catalog: `CATALOGO_CASILLAS_${electionId}.csv`, election: `ELECCION_${electionId}.json` };
}

/** Below this many acta rows in a cut, a worker's start-up would cost more than it saves. */
const WORKER_ROWS = 20_000;

/** Runs cut tasks: here, or on the second core in one worker thread for the whole build. */
interface Packer {
  contest(task: ContestPackTask): Promise<ContestPack>;
  outerZip(task: OuterZipTask): Promise<Buffer>;
  close(): void;
}

function inThreadPacker(): Packer {
  const packer = new CutPacker();
  return {
    contest: (task) => packer.contest(task),
    outerZip: (task) => packer.outerZip(task),
    close: () => {},
  };
}

function workerPacker(): Packer {
  const worker = new Worker(new URL('./cut_worker.ts', import.meta.url));
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  const fail = (error: Error) => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.on('message', (message: { id: number; ok: boolean; result?: unknown; error?: string }) => {
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.ok) waiting?.resolve(message.result);
    else waiting?.reject(new Error(`cut worker: ${message.error}`));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`cut worker exited with code ${code}`)));
  const run = (task: CutTask): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, task });
    });
  // Buffers come back from the worker as plain Uint8Arrays.
  const buffer = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return {
    contest: async (task) => (await run(task)) as ContestPack,
    outerZip: async (task) => buffer((await run(task)) as Uint8Array),
    close: () => void worker.terminate(),
  };
}

export async function buildCut(input: CutInput): Promise<BuiltCut> {
  let totalRows = 0;
  for (const actas of input.actas.values()) totalRows += actas.length;
  const useWorker = input.packIn === undefined ? totalRows >= WORKER_ROWS : input.packIn === 'worker';
  const packer = useWorker ? workerPacker() : inThreadPacker();
  const done = startTimer(input.timer, 'build');
  try {
    return await build(input, packer);
  } finally {
    packer.close();
    done();
  }
}

async function build(input: CutInput, packer: Packer): Promise<BuiltCut> {
  const { election, catalog } = input;
  const cutId = formatCutId(input.cutTime, election.utcOffsetMinutes);
  const files = new Map<string, Buffer>();
  const contests: { id: string; csv: string; actaRows: number; actaMerkleRoot: string }[] = [];
  // Each contest is packed (Merkle root, zip) while the next one is rendered.
  const packs: Promise<ContestPack>[] = [];
  const contestZips: string[] = [];
  const leemeFile = leeme(election, cutId, input.cutTime);
  files.set('LEEME.txt', leemeFile);
  const earlier = input.previous === null ? null : (input.earlier ?? null);
  if (input.previous !== null && earlier === null)
    throw new Error(`cut ${cutId} follows ${input.previous.id}: its history needs that cut's files`);
  const history: HistoryAggregates[] = [];
  const changes: ReturnType<typeof contestChanges>[] = [];

  for (const contest of election.contests) {
    const actas = input.actas.get(contest.id) ?? [];
    const tabulation = tabulate({ contest, catalog, actas, final: input.final });
    const csv = resultsCsv({
      election,
      contest,
      catalog,
      actas,
      tabulation,
      cutTime: input.cutTime,
      legacy: input.legacyCsv,
    });
    const csvName = `${contest.id}_${election.year}.csv`;
    const candidatesName = `${contest.id}_CANDIDATURAS_${election.year}.csv`;
    const candidates = candidaturasCsv(election, contest);
    files.set(csvName, csv.bytes);
    files.set(candidatesName, candidates);
    history.push(historyAggregates(aggregateValues(tabulation)));
    const readDone = startTimer(input.timer, 'previous-csv');
    const previousCsv = earlier === null ? null : await earlier.csv(csvName);
    readDone();
    if (earlier !== null && previousCsv === null)
      throw new Error(`the previous cut ${input.previous?.id} has no ${csvName}`);
    const changesDone = startTimer(input.timer, 'changes');
    changes.push(
      contestChanges({
        contest: contest.id,
        catalog,
        csv: csv.bytes,
        header: csv.header,
        casillaRanges: csv.casillaRanges,
        previousCsv,
        legacy: input.legacyCsv === true,
      }),
    );
    changesDone();
    const zipName = `${cutId}_PREP_${contest.id}.zip`;
    contestZips.push(zipName);
    packs.push(
      packer.contest({
        kind: 'contest',
        zipName,
        csvName,
        csv: csv.bytes,
        firstRowOffset: csv.firstRowOffset,
        rowByteLengths: csv.rowByteLengths,
        lineEndBytes: Buffer.byteLength(LINE_END),
        companions: [
          [candidatesName, candidates],
          ['LEEME.txt', leemeFile],
        ],
      }),
    );
    contests.push({ id: contest.id, csv: csvName, actaRows: csv.rowCount, actaMerkleRoot: '' });
    for (const [path, data] of siteJson({
      election,
      contest,
      catalog,
      tabulation,
      cutId,
      cutTime: input.cutTime,
      csvName,
      header: csv.header,
      casillaRanges: csv.casillaRanges,
    }))
      files.set(path, data);
  }

  files.set(
    'json/index.json',
    cutIndexJson({
      election,
      cutId,
      cutTime: input.cutTime,
      final: input.final,
      contests: election.contests.map((c, i) => ({ id: c.id, title: c.title, csv: contests[i]!.csv })),
    }),
  );
  files.set(
    'json/historial.json',
    historyJson({
      election,
      earlier:
        earlier === null || input.previous === null
          ? []
          : earlierCuts(
              input.previous.id,
              earlier,
              election.contests.map((c) => c.id),
            ),
      cutId,
      sequence: input.sequence,
      cutTime: input.cutTime,
      final: input.final,
      aggregates: history,
    }),
  );
  files.set(READER_JSON, readerJson({ cutId, report: input.reader ?? null }));
  const changesFileDone = startTimer(input.timer, 'changes');
  files.set(
    'json/cambios.json',
    changesJson({ cutId, previous: input.previous?.id ?? null, contests: changes }),
  );
  changesFileDone();
  const packed = await Promise.all(packs);
  contests.forEach((contest, i) => {
    contest.actaMerkleRoot = packed[i]!.actaMerkleRoot;
  });
  const names = catalogFileNames(election.id);
  const listed = [...files.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const manifest = {
    format: CUT_FORMAT,
    election: { id: election.id, name: election.name, year: election.year, mode: election.mode },
    cut: {
      id: cutId,
      sequence: input.sequence,
      final: input.final,
      time: formatIsoLocal(input.cutTime, election.utcOffsetMinutes),
      timeUtc: new Date(input.cutTime).toISOString(),
    },
    previous: input.previous,
    release:
      input.release === undefined || input.release === null
        ? null
        : { version: input.release.version, sha256: input.release.sha256 },
    journal: {
      size: input.journal.size,
      rootHash: input.journal.rootHash.toString('base64'),
      checkpoint: input.journal.checkpointNote,
      consistencyProof: input.journal.consistencyProof.map((h) => h.toString('base64')),
    },
    catalog: {
      path: `../catalogo/${names.catalog}`,
      sha256: sha256Hex(input.catalogCsv),
      electionPath: `../catalogo/${names.election}`,
      electionSha256: sha256Hex(input.electionJson),
    },
    contests,
    files: listed.map((path) => ({
      path,
      bytes: files.get(path)!.length,
      sha256: sha256Hex(files.get(path)!),
    })),
  };
  const manifestBytes = Buffer.from(stableJson(manifest), 'utf8');
  const manifestSha256 = sha256Hex(manifestBytes);
  const signature = Buffer.from(
    await signNoteBy(`${input.signer.name}/cut\n${cutId}\nsha256 ${manifestSha256}\n`, input.signer),
    'utf8',
  );
  files.set('manifest.json', manifestBytes);
  files.set('manifest.sig', signature);

  const zip = await packer.outerZip({
    kind: 'outer-zip',
    contestZips,
    others: [
      ['manifest.json', manifestBytes],
      ['manifest.sig', signature],
    ],
  });
  return { cutId, files, manifestSha256, zipName: `${cutId}_PREP.zip`, zip };
}

/** What the next cut needs of a cut built in memory (tests, the conformance corpus, benches). */
export function earlierFromBuilt(cut: BuiltCut): EarlierCut {
  const history = cut.files.get('json/historial.json');
  if (history === undefined) throw new Error(`cut ${cut.cutId} has no json/historial.json`);
  return {
    history,
    manifestSha256: cut.manifestSha256,
    csv: async (name) => cut.files.get(name) ?? null,
  };
}
