/**
 * A worker thread that verifies contests of a cut folder (V06–V10), so the contests of a
 * national cut are checked on every core. It is given the cut, the catalog and the shared
 * contest queue once, takes contests until none is left, and sends back only the verdicts
 * and the small cross-cut data.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ContestInput } from './contest.ts';
import { ContestQueue, contestVerdict, type WorkerMessage } from './contest_queue.ts';
import { openCutSource } from './cut_source.ts';

const data = workerData as ContestInput & { readonly location: string; readonly queue: SharedArrayBuffer };
const source = await openCutSource(data.location);
if (!source.ok) throw new Error(source.message);
const queue = new ContestQueue(data.manifest.contests.length, data.queue);
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
for (let index = queue.take(); index !== null; index = queue.take())
  post({ kind: 'verdict', index, verdict: await contestVerdict(data, source.value, index) });
post({ kind: 'done' });
