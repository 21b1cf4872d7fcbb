/**
 * `npm run bench -- history`: two consecutive national cuts published the way `openprep cut`
 * publishes them (`publishCut`), the second continuing from the first's folder as written:
 * before building, the publisher checks the first cut's manifest.json, json/historial.json and
 * every contest CSV against their SHA-256; while building, each contest reads its previous CSV
 * again (checked again) and compares it with the new one for json/cambios.json. Prints one
 * JSON object: both cuts' times, the second's time spent on the previous cut (reading and
 * checking it, reading each CSV again, the comparison and cambios.json), peak memory per cut,
 * and the sizes of the previous CSVs and of both cambios.json files.
 *
 * The night: the national catalog (170,648 casillas) and every acta esperada (~513,000)
 * captured and verified. The first cut has 98 % of them (every 50th of each contest is still
 * missing); the second has all, and every 100th acta of the first is corrected in cotejo (one
 * more vote in the first vote column with a number, and its TOTAL_VOTOS_ASENTADO; COTEJADA 2).
 *
 * What the publisher reads from the center's store is handed in from memory here: the snapshot
 * (what the national bench reads from SQLite) and a small journal (OPENPREP_BENCH_JOURNAL
 * leaves, 10,000 by default): the tree over the journal the publisher rebuilds for each cut is
 * not what this measures. The cut folders, the checkpoint signer's state and the cut's files
 * are real, on disk.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { catalogToCsv } from '../src/catalog/csv_import.ts';
import type { PublishedActa } from '../src/domain/acta.ts';
import { classifyActa } from '../src/domain/classification.ts';
import type { ElectionDefinition } from '../src/domain/election.ts';
import { encodeEntry, type JournalEntry } from '../src/journal/entries.ts';
import type { CheckpointRow, CutRow, JournalPort, JournalTx } from '../src/journal/journal_port.ts';
import { hashLeaf, hashLeafText, MerkleTree } from '../src/journal/merkle.ts';
import { CheckpointSigner } from '../src/journal/signer.ts';
import type { CutPart } from '../src/publish/cut_builder.ts';
import { type PublishedCut, publishCut } from '../src/publish/publisher.ts';
import type { PublicationSnapshot } from '../src/publish/snapshot_port.ts';
import { CATALOG_SCALES, type CatalogScale, generateCatalog } from '../src/sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../src/sim/default_election.ts';
import { publishedActas } from '../src/sim/published_actas.ts';
import { createRandom } from '../src/sim/random.ts';

const JOURNAL_LEAVES = Number(process.env['OPENPREP_BENCH_JOURNAL'] ?? 10_000);
/** OPENPREP_BENCH_SCALE=state (or tiny): a quick run of the same steps on a smaller catalog. */
const SCALE = process.env['OPENPREP_BENCH_SCALE'] ?? 'national';
if (!(CATALOG_SCALES as readonly string[]).includes(SCALE))
  throw new Error(`OPENPREP_BENCH_SCALE must be one of ${CATALOG_SCALES.join(', ')}`);

function seconds(milliseconds: number): number {
  return Math.round(milliseconds / 10) / 100;
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}

/** Peak RSS overall, and since the last `reset` (the 50 ms sampler's view of one phase). */
let peakRss = 0;
let phasePeak = 0;
const sampler = setInterval(() => {
  const now = rssMb();
  peakRss = Math.max(peakRss, now);
  phasePeak = Math.max(phasePeak, now);
}, 50);
function phasePeakMb(): number {
  const peak = Math.max(phasePeak, rssMb());
  phasePeak = 0;
  return peak;
}

/** The journal port from memory: leaf hashes, a tree extended as they come, checkpoints and cuts. */
class MemoryJournal implements JournalPort {
  readonly #leaves: Buffer[] = [];
  readonly #tree = new MerkleTree([]);
  readonly #checkpoints: CheckpointRow[] = [];
  readonly #cuts: CutRow[] = [];

  append(leaves: Buffer[]): void {
    this.#leaves.push(...leaves);
    this.#tree.append(leaves);
  }

  async journalHead() {
    return { size: this.#leaves.length, rootHash: this.#tree.root() };
  }
  async journalLeafHashes(start: number, end: number) {
    return this.#leaves.slice(start, end);
  }
  async journalEntries(): Promise<Buffer[]> {
    throw new Error('the bench keeps leaf hashes only');
  }
  async checkpoints() {
    return [...this.#checkpoints];
  }
  async latestCheckpoint() {
    return this.#checkpoints.at(-1) ?? null;
  }
  async cuts() {
    return [...this.#cuts];
  }
  async checkpointOfSize(size: number) {
    return this.#checkpoints.find((c) => c.size === size) ?? null;
  }
  async cosignatures() {
    return [];
  }
  async transaction<T>(work: (tx: JournalTx) => Promise<T>): Promise<T> {
    return work({
      appendJournal: async (entry: JournalEntry) => {
        this.append([hashLeaf(encodeEntry(entry))]);
        return this.#leaves.length - 1;
      },
      addCheckpoint: async (checkpoint) => void this.#checkpoints.push(checkpoint),
      addCut: async (cut) => void this.#cuts.push(cut),
      addCosignature: async () => {},
    });
  }
}

/** The acta corrected in cotejo: one more vote in its first numbered column and in its total. */
function corrected(acta: PublishedActa, election: ElectionDefinition): PublishedActa {
  const fields = acta.fields;
  if (fields === null || typeof fields.totalAsentado !== 'number') return acta;
  const column = Object.keys(fields.votes).find((id) => typeof fields.votes[id] === 'number');
  if (column === undefined) return acta;
  const contest = election.contests.find((c) => c.id === acta.contest);
  if (contest === undefined) throw new Error(`no contest ${acta.contest}`);
  const fixed = {
    ...fields,
    votes: { ...fields.votes, [column]: (fields.votes[column] as number) + 1 },
    totalAsentado: fields.totalAsentado + 1,
  };
  return {
    ...acta,
    fields: fixed,
    classification: classifyActa({ casilla: acta.casilla, contest, fields: fixed, sinActaReason: null }),
    cotejada: 2,
  };
}

const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-history-'));
try {
  const catalog = generateCatalog({ scale: SCALE as CatalogScale, seed: 1 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const all = publishedActas({ catalog, election, random: createRandom('bench-history'), source: 'bench' });
  const firstActas = new Map<string, PublishedActa[]>();
  const secondActas = new Map<string, PublishedActa[]>();
  let firstCount = 0;
  let secondCount = 0;
  for (const [contest, rows] of all) {
    firstActas.set(
      contest,
      rows.filter((_, i) => i % 50 !== 49),
    );
    secondActas.set(
      contest,
      rows.map((acta, i) => (i % 50 !== 49 && i % 100 === 0 ? corrected(acta, election) : acta)),
    );
    firstCount += firstActas.get(contest)!.length;
    secondCount += rows.length;
  }
  all.clear();

  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = { name: `openprep.${election.id}.${election.mode}`, privateKey };
  const checkpointSigner = await CheckpointSigner.open({
    signer,
    origin: `${signer.name}/log`,
    stateFile: path.join(work, 'checkpoint-signer.json'),
  });
  if (!checkpointSigner.ok) throw new Error(checkpointSigner.message);
  const journal = new MemoryJournal();
  let grown = 0;
  const grow = (count: number) =>
    journal.append(Array.from({ length: count }, () => hashLeafText(`entry ${grown++}`)));
  grow(JOURNAL_LEAVES);

  let snapshot: Map<string, PublishedActa[]> = firstActas;
  const start = Date.parse(election.publicationStart);
  const node = {
    publication: {
      election,
      catalog,
      catalogCsv: catalogToCsv(catalog),
      closesAt: start + 24 * 3_600_000,
      intakeClosed: async () => false,
      closeIntake: async () => {
        throw new Error('no cut of this bench is final');
      },
      snapshot: async (): Promise<PublicationSnapshot> => ({
        head: await journal.journalHead(),
        actas: snapshot,
      }),
    },
    journal,
    signer,
    checkpointSigner: checkpointSigner.value,
    paths: { cuts: path.join(work, 'cuts') },
  };

  const publish = async (cutTime: number) => {
    const parts = new Map<CutPart, { wall: number; cpu: number }>();
    globalThis.gc?.();
    phasePeakMb();
    const began = performance.now();
    const cpu = process.cpuUsage();
    const threadCpu = process.threadCpuUsage();
    const cut = await publishCut(node, {
      cutTime,
      final: false,
      timer: (part, wall, cpu) => {
        const sum = parts.get(part) ?? { wall: 0, cpu: 0 };
        parts.set(part, { wall: sum.wall + wall, cpu: sum.cpu + cpu });
      },
    });
    const total = performance.now() - began;
    const used = process.cpuUsage(cpu);
    const usedHere = process.threadCpuUsage(threadCpu);
    if (!cut.ok) throw new Error(`publishCut: ${cut.message}`);
    return {
      cut: cut.value,
      total,
      cpu: (used.user + used.system) / 1000,
      threadCpu: (usedHere.user + usedHere.system) / 1000,
      parts,
      peakRssMb: phasePeakMb(),
    };
  };
  const fileBytes = async (cut: PublishedCut, name: string) => (await stat(path.join(cut.folder, name))).size;

  const first = await publish(start + 20 * 3_600_000);
  grow(JOURNAL_LEAVES / 10);
  snapshot = secondActas;
  const second = await publish(start + 20 * 3_600_000 + 4 * 60_000);

  const csvNames = election.contests.map((c) => `${c.id}_${election.year}.csv`);
  const previousCsvBytes: Record<string, number> = {};
  for (const name of csvNames) previousCsvBytes[name] = await fileBytes(first.cut, name);
  const changes = JSON.parse(
    await readFile(path.join(second.cut.folder, 'json', 'cambios.json'), 'utf8'),
  ) as {
    previous: string | null;
    contests: { id: string; added: unknown[]; changed: unknown[] }[];
  };
  if (changes.previous !== first.cut.id) throw new Error('the second cut does not follow the first');

  clearInterval(sampler);
  peakRss = Math.max(peakRss, rssMb(), Math.round(process.resourceUsage().maxRSS / 1024));
  const wall = (run: typeof first, name: CutPart) => seconds(run.parts.get(name)?.wall ?? 0);
  const cpu = (run: typeof first, name: CutPart) => seconds(run.parts.get(name)?.cpu ?? 0);
  const onPrevious = (key: 'wall' | 'cpu') =>
    (['previous-read', 'previous-csv', 'changes'] as const).reduce(
      (sum, name) => sum + (second.parts.get(name)?.[key] ?? 0),
      0,
    );
  const cutFigures = (run: typeof first, prefix: string) => ({
    [`${prefix}_seconds`]: seconds(run.total),
    [`${prefix}_cpu_seconds`]: seconds(run.cpu),
    [`${prefix}_main_thread_cpu_seconds`]: seconds(run.threadCpu),
    [`${prefix}_build_seconds`]: wall(run, 'build'),
    [`${prefix}_write_seconds`]: wall(run, 'write'),
    [`${prefix}_previous_read_seconds`]: wall(run, 'previous-read'),
    [`${prefix}_previous_read_cpu_seconds`]: cpu(run, 'previous-read'),
    [`${prefix}_previous_csv_seconds`]: wall(run, 'previous-csv'),
    [`${prefix}_previous_csv_cpu_seconds`]: cpu(run, 'previous-csv'),
    [`${prefix}_changes_seconds`]: wall(run, 'changes'),
    [`${prefix}_changes_cpu_seconds`]: cpu(run, 'changes'),
  });
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'history',
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      load_average_1min: Math.round(os.loadavg()[0]! * 10) / 10,
      scale: SCALE,
      casillas: catalog.casillas.length,
      journal_leaves: JOURNAL_LEAVES,
      first_cut_actas: firstCount,
      second_cut_actas: secondCount,
      ...cutFigures(first, 'first_cut'),
      ...cutFigures(second, 'second_cut'),
      // What the second cut spends on the previous one: reading and checking it before the
      // build, each CSV read again, and the comparison with cambios.json (main thread).
      second_cut_on_previous_seconds: seconds(onPrevious('wall')),
      second_cut_on_previous_share: Math.round((onPrevious('wall') / second.total) * 1000) / 1000,
      second_cut_on_previous_cpu_seconds: seconds(onPrevious('cpu')),
      second_cut_on_previous_cpu_share: Math.round((onPrevious('cpu') / second.cpu) * 1000) / 1000,
      previous_csv_bytes: previousCsvBytes,
      first_cambios_json_bytes: await fileBytes(first.cut, 'json/cambios.json'),
      second_cambios_json_bytes: await fileBytes(second.cut, 'json/cambios.json'),
      second_cambios: Object.fromEntries(
        changes.contests.map((c) => [c.id, { added: c.added.length, changed: c.changed.length }]),
      ),
      first_cut_peak_rss_mb: first.peakRssMb,
      second_cut_peak_rss_mb: second.peakRssMb,
      peak_rss_mb: peakRss,
    })}\n`,
  );
} finally {
  clearInterval(sampler);
  await rm(work, { recursive: true, force: true });
}
