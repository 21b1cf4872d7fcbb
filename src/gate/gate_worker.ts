/** One worker of the quality gate pool (gate_pool.ts): judges the images it is sent (the pool sends at most two at a time). */
import { parentPort } from 'node:worker_threads';
import { assessActaImage } from './quality_gate.ts';

if (parentPort === null) throw new Error('gate_worker.ts runs as a worker thread');
const port = parentPort;
port.on('message', async (message: { id: number; bytes: Uint8Array<ArrayBuffer>; claimedKey?: string }) => {
  try {
    const report = await assessActaImage(
      message.bytes,
      message.claimedKey === undefined ? {} : { claimedKey: message.claimedKey },
    );
    // Every reading of the image is finished: its memory goes back to the pool, to be reused.
    port.postMessage({ id: message.id, report, bytes: message.bytes }, [message.bytes.buffer]);
  } catch (error) {
    // Not given back: a reading begun beside the one that threw may still be under way.
    port.postMessage({ id: message.id, error: (error as Error).message });
  }
});
