/**
 * Publishes one cut of a center's data folder in its own process, as `openprep cut` does, at
 * the simulated time given (a benchmark's clock), and prints its id and time.
 */
import process from 'node:process';
import { openCenter } from '../src/center/node.ts';
import { publishCut } from '../src/publish/publisher.ts';

const [root, cutTime, final] = process.argv.slice(2);
const node = await openCenter({ root: root!, clock: () => Number(cutTime) });
if (!node.ok) throw new Error(node.message);
const cut = await publishCut(node.value, {
  cutTime: Number(cutTime),
  ...(final === 'final' ? { final: true } : {}),
});
await node.value.close();
if (!cut.ok) throw new Error(cut.message);
process.stdout.write(
  `${JSON.stringify({ id: cut.value.id, seconds: cut.value.seconds, folder: cut.value.folder })}\n`,
);
