/** One worker of the reader pool (reader_pool.ts): reads the acta images it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { loadDigitModel } from '../reader/load_model.ts';
import { readImage } from './read_image.ts';

if (parentPort === null) throw new Error('reader_worker.ts runs as a worker thread');
const port = parentPort;
const loaded = loadDigitModel();
port.on('message', async (message: { id: number; bytes: Uint8Array; keys: string[] }) => {
  if (!loaded.ok) {
    port.postMessage({ id: message.id, error: loaded.message });
    return;
  }
  try {
    const result = await readImage(message.bytes, message.keys, loaded.value.model);
    port.postMessage({ id: message.id, result });
  } catch (error) {
    port.postMessage({ id: message.id, error: (error as Error).message });
  }
});
