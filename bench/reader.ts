/**
 * `npm run bench -- reader [actas]`: the acta reader (src/reader/) on one core — every box of
 * realistic pages written with the mnist TEST split, read one after another on the main thread
 * (the reader is plain JavaScript arithmetic: one core). Rendering the pages is not timed; loading
 * the model is reported apart. Then what the center's shadow reader does with each acta
 * (src/reading/read_image.ts): the page as a JPEG file, decoded by sharp, straightened by its
 * registration marks, every box read (`image_ms_per_acta`, on one thread as one worker runs it).
 */
import os from 'node:os';
import process from 'node:process';
import sharp from 'sharp';
import { readActa } from '../src/reader/acta.ts';
import type { PageImage } from '../src/reader/box.ts';
import { loadDigitModel } from '../src/reader/load_model.ts';
import { readImage } from '../src/reading/read_image.ts';
import { renderRealisticPage } from '../src/sim/acta_images/realistic/page.ts';
import { evaluationContent } from '../src/sim/reader_evaluate.ts';

const count = Number(process.argv[2] ?? 20);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: npm run bench -- reader [actas]\n');
  process.exit(2);
}
sharp.concurrency(1);
const loadStarted = performance.now();
const loaded = loadDigitModel();
const loadMs = performance.now() - loadStarted;
if (!loaded.ok) {
  process.stderr.write(`${loaded.message}\n`);
  process.exit(1);
}
const pages: { image: PageImage; boxes: Parameters<typeof readActa>[1]; jpeg: Buffer }[] = [];
for (let index = 0; index < count; index++) {
  const page = await renderRealisticPage(evaluationContent(9, index), {
    seed: `bench:${index}`,
    digitSplit: 'test',
  });
  if (!page.ok) {
    process.stderr.write(`${page.message}\n`);
    process.exit(1);
  }
  const { data, width, height } = page.value.pixels;
  const jpeg = await sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  pages.push({ image: { ...page.value.pixels, channels: 3 }, boxes: page.value.layout.boxes, jpeg });
}
// Warm-up: one pass, so the timed passes measure compiled code.
for (const page of pages) readActa(page.image, page.boxes, loaded.value.model);
const times: number[] = [];
let boxes = 0;
const cpuStart = process.cpuUsage();
for (let pass = 0; pass < 3; pass++)
  for (const page of pages) {
    const t = performance.now();
    readActa(page.image, page.boxes, loaded.value.model);
    times.push(performance.now() - t);
    boxes += page.boxes.length;
  }
const cpu = process.cpuUsage(cpuStart);
times.sort((a, b) => a - b);
// The center's whole read of an image file, as one reader worker does it.
const keysOf = (page: (typeof pages)[number]) => page.boxes.map((b) => b.key);
// Warm-up again: the grey page takes other branches than the RGB one above.
for (const page of pages) await readImage(page.jpeg, keysOf(page), loaded.value.model);
const imageTimes: number[] = [];
let failures = 0;
const imageCpuStart = process.cpuUsage();
for (const page of pages) {
  const t = performance.now();
  const read = await readImage(page.jpeg, keysOf(page), loaded.value.model);
  imageTimes.push(performance.now() - t);
  if (read.failure !== null) failures++;
}
const imageCpu = process.cpuUsage(imageCpuStart);
const total = times.reduce((s, t) => s + t, 0);
const round = (n: number) => Math.round(n * 1000) / 1000;
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'reader',
    machine: `${os.cpus().length} cores, node ${process.version}`,
    actas: times.length,
    boxes,
    ms_per_box: round(total / boxes),
    ms_per_acta: round(total / times.length),
    p90_ms_per_acta: round(times[Math.floor(times.length * 0.9)]!),
    cpu_ms_per_acta: round((cpu.user + cpu.system) / 1000 / times.length),
    model_load_ms: round(loadMs),
    image_ms_per_acta: round(imageTimes.reduce((a, b) => a + b, 0) / imageTimes.length),
    image_cpu_ms_per_acta: round((imageCpu.user + imageCpu.system) / 1000 / imageTimes.length),
    image_read_failures: failures,
  })}\n`,
);
