/**
 * `npm run bench -- core`: the national cut. Generates the national catalog (170,648 casillas),
 * makes every acta esperada (~513,000) captured and verified, builds and writes the full signed
 * cut (3 CSVs, ~1,000 JSON files, manifest, zip), then verifies it with `openprep verify`'s
 * engine. Prints one JSON object.
 *
 * Baseline measured in the same run: writing and fsyncing the same bytes (what any cut of
 * this size costs at minimum on this disk), so the ratio says how much is our own work.
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { catalogToCsv } from '../src/catalog/csv_import.ts';
import { formatCutId, formatIsoLocal } from '../src/domain/local_time.ts';
import { formatVerifierKey } from '../src/journal/note.ts';
import { CompactRange, hashLeafText } from '../src/journal/merkle.ts';
import { formatCheckpointBody } from '../src/journal/checkpoint.ts';
import { signNote } from '../src/journal/note.ts';
import { buildCut } from '../src/publish/cut_builder.ts';
import type { EarlierCut } from '../src/publish/history_json.ts';
import type { ElectionDefinition } from '../src/domain/election.ts';
import { writeCut } from '../src/publish/cut_writer.ts';
import { generateCatalog } from '../src/sim/catalog_generator.ts';
import { serializeElectionDefinition } from '../src/domain/election_definition.ts';
import { defaultElectionDefinition } from '../src/sim/default_election.ts';
import { publishedActas } from '../src/sim/published_actas.ts';
import { createRandom } from '../src/sim/random.ts';

function seconds(start: number): number {
  return Math.round((performance.now() - start) / 10) / 100;
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, rssMb());
}, 50);

/** OPENPREP_BENCH_TRACE=1: each phase's end and the memory then, on stderr. */
function trace(phase: string): void {
  if (process.env['OPENPREP_BENCH_TRACE'] === undefined) return;
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1048576);
  process.stderr.write(
    `${phase}: rss ${mb(rss)} MB (peak so far ${Math.max(peakRss, mb(process.resourceUsage().maxRSS * 1024))}), heap ${mb(heapUsed)}, external ${mb(external)}, array buffers ${mb(arrayBuffers)}\n`,
  );
}

const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-core-'));
try {
  const t0 = performance.now();
  const catalog = generateCatalog({ scale: 'national', seed: 1 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const catalogSeconds = seconds(t0);

  // Every acta esperada captured and verified, with realistic values and observations.
  const t1 = performance.now();
  const start = Date.parse(election.publicationStart);
  const actas = publishedActas({ catalog, election, random: createRandom('bench-core'), source: 'bench' });
  let actaCount = 0;
  for (const rows of actas.values()) actaCount += rows.length;
  const actasSeconds = seconds(t1);
  trace('actas generated');

  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyName = `openprep.${election.id}.${election.mode}`;
  const rawPublic = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const verifierKey = formatVerifierKey(keyName, rawPublic);
  await writeFile(path.join(work, 'key.pub'), `${verifierKey}\n`);
  // A journal of about four entries per acta; only its head matters to the cut, so it is
  // accumulated in a compact range rather than kept.
  const journal = new CompactRange();
  for (let i = 0; i < actaCount * 4; i++) journal.append(hashLeafText(String(i)));
  const rootHash = journal.root();
  const checkpointNote = signNote(
    formatCheckpointBody({ origin: `${keyName}/log`, size: journal.size, rootHash }),
    { name: keyName, privateKey },
  );
  const catalogCsv = Buffer.from(catalogToCsv(catalog));
  const electionJson = Buffer.from(serializeElectionDefinition(election));
  const cutTime = start + 24 * 3600 * 1000;

  globalThis.gc?.();
  trace('journal and keys ready');
  // OPENPREP_BENCH_HISTORY=N (bench/site.ts sets 300): the cut is the Nth of its night, its
  // json/historial.json listing N cuts, the N - 1 before it made up every 4 minutes from the start of publication.
  const historyLength = Number(process.env['OPENPREP_BENCH_HISTORY'] ?? 1);
  const night = historyLength > 1 ? madeUpNight(historyLength - 1, start, election) : null;
  const t2 = performance.now();
  const cut = await buildCut({
    election,
    catalog,
    catalogCsv,
    electionJson,
    actas,
    cutTime,
    sequence: historyLength,
    final: true,
    journal: { size: journal.size, rootHash, checkpointNote, consistencyProof: [] },
    previous: night?.previous ?? null,
    ...(night === null ? {} : { earlier: night.earlier }),
    signer: { name: keyName, privateKey },
  });
  const buildSeconds = seconds(t2);
  trace('cut built');
  const t3 = performance.now();
  const written = await writeCut({
    cutsRoot: path.join(work, 'cuts'),
    cut,
    electionId: election.id,
    catalogCsv,
    electionJson,
    cutTime: formatIsoLocal(cutTime, election.utcOffsetMinutes),
    signer: { name: keyName, privateKey },
  });
  if (!written.ok) throw new Error(`writeCut: ${written.message}`);
  const writeSeconds = seconds(t3);
  trace('cut written');
  const cutBytes = [...cut.files.values()].reduce((sum, file) => sum + file.length, 0) + cut.zip.length;

  // Physical baseline: the same number of bytes written and fsynced, one file.
  const t4 = performance.now();
  const baselineFile = await open(path.join(work, 'baseline.bin'), 'w');
  for (const file of cut.files.values()) await baselineFile.write(file);
  await baselineFile.write(cut.zip);
  await baselineFile.sync();
  await baselineFile.close();
  const baselineSeconds = seconds(t4);
  trace('baseline written');

  // Let go of the snapshot and the built files first: the verifier is measured as it runs for
  // anyone checking a cut, in its own process on an otherwise quiet machine.
  const cutId = cut.cutId;
  actas.clear();
  cut.files.clear();
  globalThis.gc?.();
  // The verifier runs in its own process, as `openprep verify` does for anyone checking a cut.
  const child = spawnSync(
    process.execPath,
    [path.join(import.meta.dirname, 'verify_child.ts'), path.join(work, 'cuts', cutId), verifierKey],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const verified = JSON.parse(child.stdout) as {
    seconds: number;
    ok: boolean;
    failed: string[];
    peakRssMb: number;
  };
  const verifySeconds = verified.seconds;
  const report = { ok: verified.ok, checks: verified.failed.map((id) => ({ id, status: 'fail' })) };

  clearInterval(sampler);
  peakRss = Math.max(peakRss, rssMb(), Math.round(process.resourceUsage().maxRSS / 1024));
  const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'core',
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      casillas: catalog.casillas.length,
      actas: actaCount,
      catalog_generate_seconds: catalogSeconds,
      actas_generate_seconds: actasSeconds,
      national_cut_build_seconds: buildSeconds,
      national_cut_write_seconds: writeSeconds,
      national_cut_seconds: Math.round((buildSeconds + writeSeconds) * 100) / 100,
      cut_bytes: cutBytes,
      baseline_write_fsync_seconds: baselineSeconds,
      cut_to_baseline_ratio:
        Math.round(((buildSeconds + writeSeconds) / Math.max(baselineSeconds, 0.01)) * 10) / 10,
      verify_seconds: verifySeconds,
      verify_ok: report.ok,
      verify_failed_checks: failed,
      peak_rss_mb: peakRss,
      verify_peak_rss_mb: verified.peakRssMb,
    })}\n`,
  );
} finally {
  clearInterval(sampler);
  // OPENPREP_BENCH_KEEP=1 keeps the national cut for profiling the verifier on its own.
  if (process.env['OPENPREP_BENCH_KEEP'] === '1') process.stderr.write(`kept ${work}\n`);
  else await rm(work, { recursive: true, force: true });
}

/**
 * A night of `count` earlier cuts for the history file only (their folders are not written):
 * the previous cut's history as it would be, and an empty CSV for each contest, so that every
 * acta of this cut is listed as added (as in a first cut).
 */
function madeUpNight(
  count: number,
  start: number,
  election: ElectionDefinition,
): { previous: { id: string; journalSize: number; manifestSha256: string }; earlier: EarlierCut } {
  const cuts = Array.from({ length: count }, (_, i) => {
    const time = start + i * 4 * 60_000;
    const share = (i + 1) / (count + 1);
    return {
      id: formatCutId(time, election.utcOffsetMinutes),
      sequence: i + 1,
      time: formatIsoLocal(time, election.utcOffsetMinutes),
      final: false,
      manifestSha256: i === count - 1 ? null : createHash('sha256').update(`cut ${i}`).digest('hex'),
      aggregates: election.contests.map(() => [
        170_000,
        Math.floor(170_000 * share),
        (share * 100).toFixed(4),
        (share * 61).toFixed(4),
      ]),
    };
  });
  const history = Buffer.from(
    `${JSON.stringify({
      contests: election.contests.map((c) => c.id),
      aggregateNames: [
        'ACTAS_ESPERADAS',
        'ACTAS_CONTABILIZADAS',
        'PORCENTAJE_ACTAS_CONTABILIZADAS',
        'PORCENTAJE_PARTICIPACION_CIUDADANA',
      ],
      cuts,
    })}\n`,
  );
  const manifestSha256 = createHash('sha256').update('the previous cut').digest('hex');
  return {
    previous: { id: cuts.at(-1)!.id, journalSize: 0, manifestSha256 },
    earlier: { history, manifestSha256, csv: async () => Buffer.from('\r\r\r\r\r\r\r') },
  };
}
