/**
 * `node tools/reader_samples.ts [--seed 2] [--count 80] [--out docs/samples/reader]`: what the acta
 * reader gets wrong, as images (docs/reader.md, "What it gets wrong"). Renders the reader
 * evaluation's actas (src/sim/reader_evaluate.ts: test handwriting, the model never saw it),
 * reads them, and writes a crop of every box read wrong — confident ones first — beside the value
 * written and the value read, with `table.md` listing them. The same seed gives the same files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { CONFIDENT, readActa } from '../src/reader/acta.ts';
import type { PageImage } from '../src/reader/box.ts';
import { loadDigitModel } from '../src/reader/load_model.ts';
import { renderRealisticPage } from '../src/sim/acta_images/realistic/page.ts';
import { evaluationContent } from '../src/sim/reader_evaluate.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '2' },
    count: { type: 'string', default: '80' },
    out: { type: 'string', default: 'docs/samples/reader' },
    listed: { type: 'string', default: '16' },
  },
});
const seed = Number(values.seed);
const count = Number(values.count);
const listed = Number(values.listed);
if (![seed, count, listed].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write('reader_samples: --seed, --count and --listed are positive integers\n');
  process.exit(2);
}
const loaded = loadDigitModel();
if (!loaded.ok) throw new Error(loaded.message);

interface Wrong {
  readonly acta: number;
  readonly box: string;
  readonly written: string;
  readonly read: string;
  readonly confidence: number;
  readonly png: Buffer;
}
const wrong: Wrong[] = [];
let boxes = 0;
for (let acta = 0; acta < count; acta++) {
  const page = await renderRealisticPage(evaluationContent(seed, acta), {
    seed: `${seed}:${acta}`,
    digitSplit: 'test',
  });
  if (!page.ok) throw new Error(page.message);
  const { pixels, layout } = page.value;
  const image: PageImage = { ...pixels, channels: 3 };
  const readings = readActa(image, layout.boxes, loaded.value.model);
  for (const box of layout.boxes) {
    boxes++;
    const reading = readings[box.key]!;
    const written = page.value.boxes[box.key]!;
    if (reading.value === written) continue;
    const png = await sharp(Buffer.from(pixels.data), {
      raw: { width: pixels.width, height: pixels.height, channels: 3 },
    })
      .extract({ left: box.x - 8, top: box.y - 8, width: box.width + 16, height: box.height + 16 })
      .png({ compressionLevel: 9 })
      .toBuffer();
    wrong.push({
      acta,
      box: box.key,
      written: String(written),
      read: String(reading.value),
      confidence: reading.confidence,
      png,
    });
  }
}
// Confident mistakes first (what assist would risk), then the rest by confidence.
wrong.sort((a, b) => b.confidence - a.confidence || a.acta - b.acta);
const shown = wrong.slice(0, listed);
mkdirSync(values.out, { recursive: true });
const rows = shown.map((w, i) => {
  const file = `wrong-${String(i + 1).padStart(2, '0')}.png`;
  writeFileSync(path.join(values.out, file), w.png);
  const confident = w.confidence >= CONFIDENT ? ' **(confident)**' : '';
  return `| ![acta ${w.acta}, ${w.box}](${file}) | ${w.written} | ${w.read} | ${w.confidence.toFixed(4)}${confident} | ${w.acta} · \`${w.box}\` |`;
});
const confidentWrong = wrong.filter((w) => w.confidence >= CONFIDENT).length;
writeFileSync(
  path.join(values.out, 'table.md'),
  [
    `# What the acta reader gets wrong (seed ${seed}, ${count} actas, test handwriting)`,
    '',
    `Made by \`node tools/reader_samples.ts --seed ${seed} --count ${count}\`: of ${boxes} boxes, ${wrong.length} read wrong, ${confidentWrong} of them at or above \`CONFIDENT\` (${CONFIDENT}). The ${shown.length} read wrong with the highest confidence, confident ones first:`,
    '',
    '| box | written | read | confidence | acta · box |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
process.stdout.write(
  `${JSON.stringify({ seed, actas: count, boxes, wrong: wrong.length, confident_wrong: confidentWrong, listed: shown.length })}\n`,
);
