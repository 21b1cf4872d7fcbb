/**
 * One worker of the realistic samples (samples.ts): renders, judges and shrinks the shots it is
 * given, one message each, with the pages made once.
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { pageMaker, renderSample, type SampleJob } from './samples.ts';

if (parentPort === null) throw new Error('samples_worker.ts runs as a worker thread');
const port = parentPort;
// Two workers on two cores: libvips' own threads would only fight them.
sharp.concurrency(1);
const pages = pageMaker();
port.on('message', async ({ index, job }: { index: number; job: SampleJob }) => {
  port.postMessage(await renderSample(job, index, pages));
});
