/**
 * `npm run bench -- images [count]`: the quality gate with its QR reading, per image, on one
 * core — libvips limited to one thread (`sharp.concurrency(1)`), images judged one after
 * another — on `count` scanner pages (PNG, 200 dpi; default 100) and as many phone shots
 * (JPEG), rendered first from the state-scale catalog without defects (rendering is timed
 * separately). `ms_per_image` is the scanner figure (the target: under 50 ms);
 * `cpu_ms_per_image` counts every thread of the process. Baseline in the same run: decoding
 * the same PNGs to their grey pixels, at full size, and nothing else; and the gate's own decode
 * to its working size (`decode_to_working_size_ms`), the part of the gate that is libvips.
 */
import process from 'node:process';
import sharp from 'sharp';
import { renderActaSet } from '../src/sim/acta_images/acta_set.ts';
import { assessActaImage, decodeToWorkingSize } from '../src/gate/quality_gate.ts';
import { defaultThresholds } from '../src/gate/quality_config.ts';
import { generateCatalog } from '../src/sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../src/sim/default_election.ts';
import { createProgress } from '../src/cli/progress.ts';

const count = Number(process.argv[2] ?? 100);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: npm run bench -- images [count]\n');
  process.exit(2);
}
const catalog = generateCatalog({ scale: 'state', seed: 1 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });

async function render(phoneShare: number) {
  const images: { bytes: Buffer; key: string }[] = [];
  const progress = createProgress(process.stderr, {
    label: `images: render ${phoneShare === 0 ? 'scanner' : 'phone'}`,
    unit: 'actas',
    total: count,
  });
  const started = performance.now();
  for await (const acta of renderActaSet({
    catalog,
    election,
    count,
    seed: 1,
    phoneShare,
    defectiveShare: 0,
  })) {
    images.push({ bytes: acta.png, key: acta.truth.actaKey });
    progress.update(images.length);
  }
  const msPerRender = (performance.now() - started) / count;
  progress.finish();
  return { images, msPerRender };
}

const scanner = await render(0);
const phone = await render(1);

sharp.concurrency(1);
sharp.cache(false);

async function time(images: readonly { bytes: Buffer; key: string }[]) {
  // Warm-up: the JIT and libvips' first calls.
  for (const image of images.slice(0, 20)) await assessActaImage(image.bytes, { claimedKey: image.key });
  const cpu = process.cpuUsage();
  const started = performance.now();
  let accepted = 0;
  for (const image of images) {
    const report = await assessActaImage(image.bytes, { claimedKey: image.key });
    if (report.verdict === 'accept') accepted++;
  }
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    ms: wall / images.length,
    cpuMs: (used.user + used.system) / 1000 / images.length,
    accepted,
  };
}

const gateScanner = await time(scanner.images);
const gatePhone = await time(phone.images);

const decodeStarted = performance.now();
for (const image of scanner.images) await sharp(image.bytes).toColourspace('b-w').raw().toBuffer();
const decodeMs = (performance.now() - decodeStarted) / count;

// The gate's own decode, to the working size (quality_gate.ts): the rest of ms_per_image is the
// measurements, the QR reading and glue, in JavaScript.
const workingStarted = performance.now();
for (const image of scanner.images) await decodeToWorkingSize(image.bytes, defaultThresholds.maxPixels);
const workingMs = (performance.now() - workingStarted) / count;

const round = (n: number) => Math.round(n * 10) / 10;
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'images',
    images: count,
    ms_per_image: round(gateScanner.ms),
    cpu_ms_per_image: round(gateScanner.cpuMs),
    scanner_accepted: gateScanner.accepted,
    phone_ms_per_image: round(gatePhone.ms),
    phone_cpu_ms_per_image: round(gatePhone.cpuMs),
    phone_accepted: gatePhone.accepted,
    baseline_png_decode_ms: round(decodeMs),
    decode_to_working_size_ms: round(workingMs),
    ratio_to_decode: round(gateScanner.ms / decodeMs),
    render_ms_per_scanner_page: round(scanner.msPerRender),
    render_ms_per_phone_shot: round(phone.msPerRender),
    node: process.version,
  })}\n`,
);
