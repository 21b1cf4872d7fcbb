/**
 * One worker of the gate's evaluation (evaluate.ts): renders its share of the labelled set (the
 * images at positions worker, worker + workers, …), judges each as a device would send it, and
 * posts one record per image. The realistic set (`settings.realistic`) the same way.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { actasEsperadas } from '../../domain/actas_esperadas.ts';
import { generateCatalog } from '../catalog_generator.ts';
import { defaultElectionDefinition } from '../default_election.ts';
import { createRandom } from '../random.ts';
import { renderActaSet } from './acta_set.ts';
import type { EvaluationSettings, JudgedImage, JudgedRealistic } from './evaluate.ts';
import { renderRealisticSet } from './realistic/realistic_set.ts';
import { assessActaImage } from '../../gate/quality_gate.ts';

const { settings, worker, workers } = workerData as {
  settings: EvaluationSettings;
  worker: number;
  workers: number;
};
if (parentPort === null) throw new Error('evaluate_worker.ts runs as a worker thread');
const port = parentPort;

const catalog = generateCatalog({ scale: 'state', seed: settings.seed });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
// The set's keys in order: an image sent under a wrong key claims its neighbour's.
const keys: string[] = [];
for (const contest of election.contests)
  for (const esperada of actasEsperadas(catalog, contest)) {
    if (keys.length >= settings.count) break;
    keys.push(esperada.actaKey);
  }

/** The key an image is sent under: its own, or (a share of the time) its neighbour's. */
function claimFor(index: number, actaKey: string): string {
  const wrong = createRandom(`claim:${settings.seed}:${index}`).chance(settings.wrongClaimShare);
  return wrong ? keys[(index + 1) % keys.length]! : actaKey;
}

if (settings.realistic !== undefined) {
  for await (const image of renderRealisticSet({
    catalog,
    election,
    count: settings.count,
    seed: settings.seed,
    digitSplit: settings.realistic.digitSplit,
    select: (index) => index % workers === worker,
  })) {
    const claimedKey = claimFor(image.index, image.truth.actaKey);
    const started = performance.now();
    const report = await assessActaImage(image.bytes, { claimedKey, thresholds: settings.thresholds });
    const t = image.truth;
    const record: JudgedRealistic = {
      index: image.index,
      actaKey: t.actaKey,
      claimedKey,
      style: t.style,
      format: image.format,
      condition: t.condition,
      severity: t.severity,
      readable: t.readable,
      nearThreshold: t.nearThreshold,
      labelVisible: t.labelVisible,
      expectedReasons: t.expectedReasons,
      verdict: report.verdict,
      reasons: report.reasons.map((r) => r.code),
      qr: report.qr,
      measures: report.measures,
      ms: performance.now() - started,
    };
    port.postMessage(record);
  }
} else
  for await (const acta of renderActaSet({
    catalog,
    election,
    count: settings.count,
    seed: settings.seed,
    phoneShare: settings.phoneShare,
    defectiveShare: settings.defectiveShare,
    select: (index) => index % workers === worker,
  })) {
    const claimedKey = claimFor(acta.index, acta.truth.actaKey);
    const started = performance.now();
    const report = await assessActaImage(acta.png, { claimedKey, thresholds: settings.thresholds });
    const record: JudgedImage = {
      index: acta.index,
      actaKey: acta.truth.actaKey,
      claimedKey,
      style: acta.truth.style,
      defects: acta.truth.defects,
      verdict: report.verdict,
      reasons: report.reasons.map((r) => r.code),
      qr: report.qr,
      measures: report.measures,
      ms: performance.now() - started,
    };
    port.postMessage(record);
  }
