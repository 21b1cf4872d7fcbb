/**
 * A worker thread that verifies one contest of a cut folder (V06–V10), so the contests of a
 * national cut are checked on every core. It reads the files itself; only the verdicts and
 * the small cross-cut data come back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openCutSource } from './cut_source.ts';
import { Checks, type ContestInput, type Manifest, verifyContest } from './verify.ts';

const data = workerData as ContestInput & {
  readonly location: string;
  readonly entry: Manifest['contests'][number];
};
const source = await openCutSource(data.location);
if (!source.ok) throw new Error(source.message);
const checks = new Checks();
const outcome = await verifyContest({ ...data, source: source.value, checks });
parentPort!.postMessage({ ...outcome, failures: checks.failures() });
