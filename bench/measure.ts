/**
 * `npm run bench -- measure [count]`: the quality gate's measurements alone (src/gate/measure.ts,
 * pure JavaScript: the light's surface and its normalisation, the sheet, its corners and
 * registration marks, exposure, glare, shadow, sharpness at 100 dpi), on one core, on `count`
 * scanner pages and as many phone shots (default 20 each) already decoded to the gate's working
 * size (1,000 px on the longer side), each measured 20 times after a warm-up. PREP Casilla runs
 * the same code in the browser; the budget is 10 ms per image.
 */
import process from 'node:process';
import { decodeToWorkingSize } from '../src/gate/quality_gate.ts';
import { defaultThresholds } from '../src/gate/quality_config.ts';
import { measure } from '../src/gate/measure.ts';
import { renderActaSet } from '../src/sim/acta_images/acta_set.ts';
import { generateCatalog } from '../src/sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../src/sim/default_election.ts';

const count = Number(process.argv[2] ?? 20);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: npm run bench -- measure [count]\n');
  process.exit(2);
}
const catalog = generateCatalog({ scale: 'state', seed: 1 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });

async function decoded(phoneShare: number) {
  const images: { data: Uint8Array; width: number; height: number }[] = [];
  for await (const acta of renderActaSet({
    catalog,
    election,
    count,
    seed: 1,
    phoneShare,
    defectiveShare: 0,
  })) {
    const { data, info } = await decodeToWorkingSize(acta.png, defaultThresholds.maxPixels);
    images.push({ data: new Uint8Array(data), width: info.width, height: info.height });
  }
  return images;
}

function time(images: readonly { data: Uint8Array; width: number; height: number }[]) {
  for (const image of images) for (let i = 0; i < 5; i++) measure(image);
  const repeats = 20;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const image of images) for (let i = 0; i < repeats; i++) measure(image);
  const used = process.cpuUsage(cpu);
  const runs = images.length * repeats;
  // CPU time too: on a shared machine the wall clock counts the other processes' turns.
  return { ms: (performance.now() - started) / runs, cpuMs: (used.user + used.system) / 1000 / runs };
}

const scanner = await decoded(0);
const phone = await decoded(1);
const timedScanner = time(scanner);
const timedPhone = time(phone);
const round = (n: number) => Math.round(n * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'measure',
    images: count,
    working_size: `${scanner[0]!.width}×${scanner[0]!.height}`,
    measure_ms_scanner: round(timedScanner.ms),
    measure_cpu_ms_scanner: round(timedScanner.cpuMs),
    measure_ms_phone: round(timedPhone.ms),
    measure_cpu_ms_phone: round(timedPhone.cpuMs),
    node: process.version,
  })}\n`,
);
