/**
 * Worker thread of a large cut build: packs each contest (Merkle root + zip) and the outer zip
 * on the second core while the builder's thread renders the next contest's CSV and JSON.
 */
import { parentPort } from 'node:worker_threads';
import { CutPacker, type CutTask } from './cut_tasks.ts';

const packer = new CutPacker();

parentPort!.on('message', (message: { id: number; task: CutTask }) => {
  const { id, task } = message;
  packer.run(task).then(
    (result) => {
      // A zip that owns its whole ArrayBuffer moves to the builder's thread instead of being copied.
      const owned =
        result instanceof Uint8Array &&
        result.byteOffset === 0 &&
        result.byteLength === result.buffer.byteLength;
      parentPort!.postMessage({ id, ok: true, result }, owned ? [result.buffer as ArrayBuffer] : []);
    },
    (error: unknown) => parentPort!.postMessage({ id, ok: false, error: String(error) }),
  );
});
