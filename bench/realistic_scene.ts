/**
 * `npm run bench -- realistic-scene [count]`: the realistic scene's time per image on one core
 * (libvips limited to one thread), from a page already made: `count` phone shots (8–12 MP JPEG)
 * and as many scanner pages (150–300 dpi), clean, each with its own seed, after a warm-up. The
 * page itself (page.ts, or the synthetic adapter until then) is timed apart. Target: ≤ 800 ms
 * per image on one core.
 */
import process from 'node:process';
import sharp from 'sharp';
import { sampleActaContent } from '../src/sim/acta_images/acta_set.ts';
import { photographRealistic } from '../src/sim/acta_images/realistic/scene.ts';
import { renderCheckedRealisticPage } from '../src/sim/acta_images/realistic/page.ts';

const count = Number(process.argv[2] ?? 10);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: npm run bench -- realistic-scene [count]\n');
  process.exit(2);
}
sharp.concurrency(1);
sharp.cache(false);

const pageStarted = performance.now();
const page = await renderCheckedRealisticPage(sampleActaContent(), {
  seed: 1,
  label: 'present',
  document: 'acta',
  digitSplit: 'test',
});
const pageMs = performance.now() - pageStarted;

async function time(style: 'phone' | 'scanner') {
  await photographRealistic(page, { style, condition: 'clean', severity: null, seed: 'warm-up' });
  const ms: number[] = [];
  let megapixels = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const shot = await photographRealistic(page, { style, condition: 'clean', severity: null, seed: i });
    ms.push(performance.now() - started);
    megapixels += (shot.width * shot.height) / 1e6;
  }
  const used = process.cpuUsage(cpu);
  ms.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    ms_per_image: round(ms.reduce((a, b) => a + b, 0) / count),
    // CPU time of every thread: on a shared machine, closer to what one free core would take.
    cpu_ms_per_image: round((used.user + used.system) / 1000 / count),
    ms_median: round(ms[ms.length >> 1]!),
    ms_max: round(ms[ms.length - 1]!),
    megapixels_mean: round(megapixels / count),
  };
}

const phone = await time('phone');
const scanner = await time('scanner');
process.stdout.write(
  `${JSON.stringify({ benchmark: 'realistic-scene', count, page_ms: Math.round(pageMs), phone, scanner, target_ms: 800 })}\n`,
);
