/**
 * Computes the acta Merkle root of one contest's CSV rows on another core while the cut
 * builder goes on with the next contest.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hashLeafText, rootFromLeafHashes } from '../journal/merkle.ts';

const rows = workerData as readonly string[];
parentPort!.postMessage(rootFromLeafHashes(rows.map(hashLeafText)).toString('hex'));
