/**
 * Reads one handwritten box of an acta straightened to the form (its pixels are the form's, as
 * src/domain/acta_form.ts lays them out): the box's inner area binarised (Otsu inside the box,
 * never lighter than the paper allows), the printed box lines removed, the ink cut into connected
 * components, broken strokes merged and touching digits split by width, each digit normalised as
 * MNIST was and classified. The answer is a number, `ilegible` (a crossed-out scribble, too many
 * marks, a mark no digit looks like) or `sin_dato` (no ink), with a confidence in 0..1.
 *
 * Pure: no I/O; the caller brings the pixels and the model.
 */
import type { Rect } from '../domain/acta_form.ts';
import { normaliseDigit } from './digit_image.ts';
import { CLASSES, classify, type DigitModel } from './model.ts';

/** Decoded 8-bit pixels, 1 (grey) or 3 (RGB) channels, row-major. */
export interface PageImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

export type BoxValue = number | 'ilegible' | 'sin_dato';

export interface DigitReading {
  readonly digit: number;
  readonly probability: number;
  /** Its place in the box's pixels. */
  readonly x: number;
  readonly width: number;
}

export interface BoxReading {
  readonly value: BoxValue;
  /** How sure the reader is of `value`: the product of the digits' probabilities for a number. */
  readonly confidence: number;
  readonly digits: readonly DigitReading[];
  /** Why a box reads `ilegible` (for people looking at the reader's mistakes). */
  readonly reason?: 'scribble' | 'too_many_marks' | 'not_a_digit';
}

/** The box line is 2 px wide on the box's edge: stay clear of it. */
const INSET = 3;
/** A value has at most this many digits (no casilla counts past 9,999). */
const MAX_DIGITS = 4;
/** Ink this much darker than the paper at least; fainter is paper grain, guilloche or a box line. */
const MIN_CONTRAST = 60;
/** Fainter ink that joins dark ink belongs to the same stroke. */
const WEAK_CONTRAST = 30;

interface Component {
  x0: number;
  y0: number;
  x1: number; // exclusive
  y1: number; // exclusive
  area: number;
  labels: number[];
}

function greyAt(image: PageImage, x: number, y: number): number {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return 255;
  const i = (y * image.width + x) * image.channels;
  if (image.channels === 1) return image.data[i]!;
  // Luma (BT.601): blue ballpoint and black both come out dark; the form's light colours do not.
  return (image.data[i]! * 299 + image.data[i + 1]! * 587 + image.data[i + 2]! * 114) / 1000;
}

function otsu(histogram: Uint32Array, total: number): number {
  let sum = 0;
  for (let t = 0; t < 256; t++) sum += t * histogram[t]!;
  let sumB = 0;
  let weightB = 0;
  let best = 0;
  let threshold = 128;
  for (let t = 0; t < 256; t++) {
    weightB += histogram[t]!;
    if (weightB === 0) continue;
    const weightF = total - weightB;
    if (weightF === 0) break;
    sumB += t * histogram[t]!;
    const meanB = sumB / weightB;
    const meanF = (sum - sumB) / weightF;
    const between = weightB * weightF * (meanB - meanF) ** 2;
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  return threshold;
}

function percentile(histogram: Uint32Array, total: number, share: number): number {
  let seen = 0;
  for (let t = 0; t < 256; t++) {
    seen += histogram[t]!;
    if (seen >= total * share) return t;
  }
  return 255;
}

/** What the box holds before any digit is named: nothing, a scribble, or digits ready for the model. */
export type Segmentation =
  | { readonly kind: 'empty'; readonly confidence: number }
  | { readonly kind: 'ilegible'; readonly confidence: number; readonly reason: BoxReading['reason'] }
  | {
      readonly kind: 'digits';
      readonly digits: readonly DigitPiece[];
    };

/** A piece of ink cut from a box, normalised for the model, and the same joined with the next piece when they may be one digit. */
export interface DigitPiece {
  readonly input: Float32Array;
  readonly x: number;
  readonly width: number;
  readonly joinedWithNext: Float32Array | null;
}

/** Reads the box at `rect` of `image`. */
export function readBox(image: PageImage, rect: Rect, model: DigitModel): BoxReading {
  const found = segmentBox(image, rect);
  if (found.kind === 'empty') return { value: 'sin_dato', confidence: found.confidence, digits: [] };
  if (found.kind === 'ilegible')
    return { value: 'ilegible', confidence: found.confidence, digits: [], reason: found.reason };
  const name = (input: Float32Array) => {
    const probabilities = classify(model, input);
    let best = 0;
    for (let k = 1; k < CLASSES; k++) if (probabilities[k]! > probabilities[best]!) best = k;
    return { digit: best, probability: probabilities[best]! };
  };
  // The most probable reading: each piece a digit, or two neighbouring pieces one digit.
  const pieces = found.digits;
  const single = pieces.map((p) => name(p.input));
  const joined = pieces.map((p) => (p.joinedWithNext === null ? null : name(p.joinedWithNext)));
  // `total` sums every way of cutting, so best / total is how sure the cut itself is.
  const best: { score: number; from: number; total: number }[] = [{ score: 1, from: -1, total: 1 }];
  for (let i = 1; i <= pieces.length; i++) {
    let score = best[i - 1]!.score * single[i - 1]!.probability;
    let total = best[i - 1]!.total * single[i - 1]!.probability;
    let from = i - 1;
    const pair = i >= 2 ? joined[i - 2] : null;
    if (pair !== null && pair !== undefined) {
      total += best[i - 2]!.total * pair.probability;
      if (best[i - 2]!.score * pair.probability > score) {
        score = best[i - 2]!.score * pair.probability;
        from = i - 2;
      }
    }
    best.push({ score, from, total });
  }
  const end = best[pieces.length]!;
  const digits: DigitReading[] = [];
  for (let i = pieces.length; i > 0; i = best[i]!.from) {
    const from = best[i]!.from;
    const first = pieces[from]!;
    const last = pieces[i - 1]!;
    const named = i - from === 2 ? joined[from]! : single[from]!;
    digits.unshift({ ...named, x: first.x, width: last.x + last.width - first.x });
  }
  let value = 0;
  let confidence = 1;
  for (const d of digits) {
    value = value * 10 + d.digit;
    confidence *= d.probability;
  }
  if (end.total > 0) confidence *= end.score / end.total;
  // Nobody writes a count with a leading zero: a first digit read as 0 is more likely misread.
  if (digits.length > 1 && digits[0]!.digit === 0) confidence *= 0.1;
  return { value, confidence, digits };
}

/** Cuts the box at `rect` of `image` into digits, each normalised for the model. */
export function segmentBox(image: PageImage, rect: Rect): Segmentation {
  const x0 = Math.round(rect.x) + INSET;
  const y0 = Math.round(rect.y) + INSET;
  const width = Math.max(1, Math.round(rect.width) - 2 * INSET);
  const height = Math.max(1, Math.round(rect.height) - 2 * INSET);
  const grey = new Float32Array(width * height);
  const histogram = new Uint32Array(256);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const g = greyAt(image, x0 + x, y0 + y);
      grey[y * width + x] = g;
      histogram[Math.min(255, Math.max(0, Math.round(g)))]!++;
    }
  const total = width * height;
  const paper = percentile(histogram, total, 0.6);
  const threshold = Math.min(otsu(histogram, total), paper - MIN_CONTRAST);
  const ink = new Uint8Array(total);
  let inked = 0;
  // Hysteresis: a digit starts from clearly dark ink (2) and grows over fainter ink (1), so a fine
  // pen's thin joints do not break one digit into several.
  const weak = paper - WEAK_CONTRAST;
  for (let i = 0; i < total; i++)
    if (grey[i]! < threshold) {
      ink[i] = 2;
      inked++;
    } else if (grey[i]! < weak) ink[i] = 1;
  // Printed lines crossing the box (a rule, a box edge a little off after straightening): a row or
  // column inked almost end to end is print, not handwriting.
  for (let y = 0; y < height; y++) {
    let n = 0;
    for (let x = 0; x < width; x++) n += ink[y * width + x]! > 0 ? 1 : 0;
    if (n > width * 0.7) for (let x = 0; x < width; x++) ink[y * width + x] = 0;
  }
  for (let x = 0; x < width; x++) {
    let n = 0;
    for (let y = 0; y < height; y++) n += ink[y * width + x]! > 0 ? 1 : 0;
    if (n > height * 0.85) for (let y = 0; y < height; y++) ink[y * width + x] = 0;
  }
  if (inked === 0) return { kind: 'empty', confidence: 1 };

  const labels = new Int32Array(total).fill(-1);
  const found: Component[] = [];
  const stack: number[] = [];
  for (let start = 0; start < total; start++) {
    if (ink[start] !== 2 || labels[start] !== -1) continue;
    const id = found.length;
    const c: Component = { x0: width, y0: height, x1: 0, y1: 0, area: 0, labels: [id] };
    labels[start] = id;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      const px = p % width;
      const py = (p - px) / width;
      c.area++;
      if (px < c.x0) c.x0 = px;
      if (py < c.y0) c.y0 = py;
      if (px + 1 > c.x1) c.x1 = px + 1;
      if (py + 1 > c.y1) c.y1 = py + 1;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = px + dx;
          const ny = py + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const q = ny * width + nx;
          if (ink[q]! > 0 && labels[q] === -1) {
            labels[q] = id;
            stack.push(q);
          }
        }
    }
    found.push(c);
  }
  // Specks (paper fibre, a dot of ink) are not digits.
  let parts = found.filter((c) => c.area >= 12 && c.y1 - c.y0 >= 5);
  if (parts.length === 0) return { kind: 'empty', confidence: 0.9 };
  const tallest = Math.max(...parts.map((c) => c.y1 - c.y0));
  // A piece standing within another's columns (a stroke inside a 0, a 4's arm) is part of it.
  parts.sort((a, b) => a.x0 - b.x0);
  const merged: Component[] = [];
  for (const c of parts) {
    const last = merged.at(-1);
    if (last !== undefined) {
      const overlap = Math.min(last.x1, c.x1) - Math.max(last.x0, c.x0);
      const narrower = Math.min(last.x1 - last.x0, c.x1 - c.x0);
      if (overlap > narrower * 0.8) {
        last.x0 = Math.min(last.x0, c.x0);
        last.y0 = Math.min(last.y0, c.y0);
        last.x1 = Math.max(last.x1, c.x1);
        last.y1 = Math.max(last.y1, c.y1);
        last.area += c.area;
        last.labels.push(...c.labels);
        continue;
      }
    }
    merged.push({ ...c, labels: [...c.labels] });
  }
  // A short piece (a 5's flag come loose, a 7's bar) belongs to the nearest digit beside it; a
  // short piece with no digit near is a stray mark.
  parts = [];
  const short = (c: Component) => c.y1 - c.y0 < tallest * 0.72;
  const full = merged.filter((c) => !short(c));
  for (const c of merged) {
    if (!short(c) || full.length === 0) {
      parts.push(c);
      continue;
    }
    let nearest: Component | undefined;
    let distance = Infinity;
    for (const f of full) {
      const gap = Math.max(0, Math.max(f.x0, c.x0) - Math.min(f.x1, c.x1));
      if (gap < distance) {
        distance = gap;
        nearest = f;
      }
    }
    if (nearest !== undefined && distance <= tallest * 0.25) {
      nearest.x0 = Math.min(nearest.x0, c.x0);
      nearest.y0 = Math.min(nearest.y0, c.y0);
      nearest.x1 = Math.max(nearest.x1, c.x1);
      nearest.y1 = Math.max(nearest.y1, c.y1);
      nearest.area += c.area;
      nearest.labels.push(...c.labels);
    } else if (c.area >= 60) parts.push(c);
  }
  parts.sort((a, b) => a.x0 - b.x0);
  if (parts.some((c) => c.x1 - c.x0 > tallest * 2.2))
    return { kind: 'ilegible', confidence: 0.9, reason: 'scribble' };

  // Touching digits: a component much wider than a digit is cut at its thinnest columns.
  const pieces: { x0: number; x1: number; y0: number; y1: number; labels: number[] }[] = [];
  for (const c of parts) {
    const w = c.x1 - c.x0;
    const h = c.y1 - c.y0;
    // Only one stroke is cut: a digit with a loose flag merged in is wide but is one digit.
    const count =
      c.labels.length === 1 && w > Math.max(h, tallest) * 1.6
        ? Math.min(MAX_DIGITS, Math.max(2, Math.round(w / (tallest * 0.62))))
        : 1;
    if (count === 1) {
      pieces.push(c);
      continue;
    }
    const profile = new Float32Array(w);
    for (let y = c.y0; y < c.y1; y++)
      for (let x = c.x0; x < c.x1; x++) {
        const l = labels[y * width + x]!;
        if (l >= 0 && c.labels.includes(l)) profile[x - c.x0]!++;
      }
    let from = 0;
    for (let k = 1; k < count; k++) {
      const aim = Math.round((w * k) / count);
      const reach = Math.round(w / count / 3);
      let cut = aim;
      for (let x = Math.max(from + 2, aim - reach); x <= Math.min(w - 2, aim + reach); x++)
        if (profile[x]! < profile[cut]!) cut = x;
      pieces.push({ ...c, x0: c.x0 + from, x1: c.x0 + cut });
      from = cut;
    }
    pieces.push({ ...c, x0: c.x0 + from });
  }
  if (pieces.length > MAX_DIGITS) return { kind: 'ilegible', confidence: 0.6, reason: 'too_many_marks' };

  // The ink's darkness, so a digit keeps its soft edges as MNIST's do.
  const inkLevel = Math.min(threshold, percentile(histogram, total, Math.min(0.5, (inked / total) * 0.3)));
  const span = Math.max(1, paper - inkLevel);
  type Piece = (typeof pieces)[number];
  const inputOf = (p: Piece): Float32Array => {
    // One pixel of margin for the anti-aliased edge; only this digit's ink and unlabelled edge pixels.
    const px0 = Math.max(0, p.x0 - 1);
    const py0 = Math.max(0, p.y0 - 1);
    const pw = Math.min(width, p.x1 + 1) - px0;
    const ph = Math.min(height, p.y1 + 1) - py0;
    const patch = new Float32Array(pw * ph);
    for (let y = 0; y < ph; y++)
      for (let x = 0; x < pw; x++) {
        const sx = px0 + x;
        const sy = py0 + y;
        if (sx < p.x0 - 1 || sx > p.x1) continue;
        const i = sy * width + sx;
        const l = labels[i]!;
        if (l >= 0 ? !p.labels.includes(l) : !nearInk(labels, width, height, sx, sy, p.labels)) continue;
        patch[y * pw + x] = Math.min(1, Math.max(0, (paper - grey[i]!) / span));
      }
    return normaliseDigit({ ink: patch, width: pw, height: ph });
  };
  const digits: DigitPiece[] = pieces.map((p, k) => {
    const next = pieces[k + 1];
    // A digit drawn in two strokes with a gap (a 4's bar, a 9's tail) comes out as two pieces
    // close together: the pair is offered whole too, and the model's probabilities choose.
    const joined =
      next !== undefined &&
      next.x0 - p.x1 <= tallest * 0.15 &&
      Math.min(p.x1 - p.x0, next.x1 - next.x0) < tallest * 0.4 &&
      Math.max(p.x1, next.x1) - Math.min(p.x0, next.x0) <= tallest * 1.2
        ? inputOf({
            x0: Math.min(p.x0, next.x0),
            x1: Math.max(p.x1, next.x1),
            y0: Math.min(p.y0, next.y0),
            y1: Math.max(p.y1, next.y1),
            labels: [...p.labels, ...next.labels],
          })
        : null;
    return { input: inputOf(p), x: x0 + p.x0, width: p.x1 - p.x0, joinedWithNext: joined };
  });
  return { kind: 'digits', digits };
}

function nearInk(
  labels: Int32Array,
  width: number,
  height: number,
  x: number,
  y: number,
  own: readonly number[],
): boolean {
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx;
      const ny = y + dy;
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      const l = labels[ny * width + nx]!;
      if (l >= 0 && own.includes(l)) return true;
    }
  return false;
}
