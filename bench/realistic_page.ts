/**
 * `npm run bench -- realistic-page [count]`: the realistic renderer's page (printed form, real
 * handwritten digits, signatures, stamp, QR label; src/sim/acta_images/realistic/page.ts) on one
 * core — libvips limited to one thread (`sharp.concurrency(1)`), pages drawn one after another.
 * The warm-up (loading the mnist digits once, drawing the reused paper sheets) is reported apart
 * from `ms_per_page` (the target: ≤ 300 ms).
 */
import os from 'node:os';
import process from 'node:process';
import sharp from 'sharp';
import { sampleActaContent } from '../src/sim/acta_images/acta_set.ts';
import { renderRealisticPage } from '../src/sim/acta_images/realistic/page.ts';

const count = Number(process.argv[2] ?? 30);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: npm run bench -- realistic-page [count]\n');
  process.exit(2);
}
sharp.concurrency(1);
const content = sampleActaContent();
const started = performance.now();
// Warm-up: every paper sheet of this page height, and the digits.
for (let seed = 0; seed < 40; seed++) {
  const page = await renderRealisticPage(content, { seed: `warm:${seed}`, digitSplit: 'test' });
  if (!page.ok) {
    process.stderr.write(`${page.message}\n`);
    process.exit(1);
  }
}
const warmUp = performance.now() - started;
const times: number[] = [];
const cpuStart = process.cpuUsage();
for (let seed = 0; seed < count; seed++) {
  const t = performance.now();
  await renderRealisticPage(content, {
    seed,
    digitSplit: 'test',
    label: seed % 10 === 0 ? 'damaged' : 'present',
    document: seed % 17 === 0 ? 'other' : 'acta',
  });
  times.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpuStart);
times.sort((a, b) => a - b);
const round = (n: number) => Math.round(n * 10) / 10;
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'realistic-page',
    machine: `${os.cpus().length} cores, node ${process.version}`,
    pages: count,
    ms_per_page: round(times.reduce((s, t) => s + t, 0) / count),
    median_ms: round(times[Math.floor(count / 2)]!),
    p90_ms: round(times[Math.floor(count * 0.9)]!),
    cpu_ms_per_page: round((cpu.user + cpu.system) / 1000 / count),
    warm_up_ms: round(warmUp),
  })}\n`,
);
