/**
 * Training the digit model, deterministically from a seed: the same samples and seed give the
 * same weights, bit for bit, on any machine running the same Node (a 32-bit integer PRNG, a fixed
 * sample order, plain float32 arithmetic in a fixed order).
 *
 * Each pass shows every sample once, most of them distorted the way a digit written into an acta's
 * box and photographed comes out: slanted, turned, stretched, and drawn with a finer or heavier pen
 * (the realistic renderer's smoothstep of the grey levels), then normalised exactly as a digit cut
 * from a box is (digit_image.ts). Pure: the caller brings the samples.
 */
import { normaliseDigit, SIDE } from './digit_image.ts';
import { CLASSES, classify, type DenseLayer, type DigitModel, INPUTS } from './model.ts';

export interface TrainingSample {
  readonly digit: number;
  /** 28 × 28 grey levels, 0 paper … 255 ink (as the mnist package's samples). */
  readonly ink: Uint8Array;
}

/** A digit already cut from a box and normalised (digit_image.ts), as the reader will meet it. */
export interface CutDigit {
  readonly digit: number;
  readonly input: Float32Array;
}

export interface TrainingOptions {
  readonly seed: number;
  readonly epochs: number;
  readonly hidden: readonly number[];
  readonly learningRate?: number;
  /** Share of presentations shown undistorted. */
  readonly plainShare?: number;
  /** Called after each pass (progress). */
  readonly onEpoch?: (epoch: number, loss: number) => void;
}

/** mulberry32: a 32-bit generator whose sequence is exact integer arithmetic everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CANVAS = 56;

/** One distorted rendering of `sample`, normalised: slant, turn, stretch and pen weight drawn from `random`. */
export function distort(sample: Uint8Array, random: () => number, out?: Float32Array): Float32Array {
  const slant = (random() - 0.5) * 0.7;
  const turn = (random() - 0.5) * 0.3;
  const stretch = 0.8 + random() * 0.4;
  const fineness = 0.05 + random() * 0.4;
  const cos = Math.cos(turn);
  const sin = Math.sin(turn);
  const ink = new Float32Array(CANVAS * CANVAS);
  const c = CANVAS / 2;
  for (let y = 0; y < CANVAS; y++)
    for (let x = 0; x < CANVAS; x++) {
      // The canvas is the sample at twice its size: unturn, unslant, unstretch, into the sample's grid.
      const dx = (x + 0.5 - c) / 2;
      const dy = (y + 0.5 - c) / 2;
      const ux = cos * dx + sin * dy;
      const uy = -sin * dx + cos * dy;
      const sx = (ux + slant * uy) / stretch + SIDE / 2 - 0.5;
      const sy = uy + SIDE / 2 - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const at = (px: number, py: number) =>
        px < 0 || py < 0 || px >= SIDE || py >= SIDE ? 0 : sample[py * SIDE + px]! / 255;
      const g =
        (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
        (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
      const t = Math.min(1, Math.max(0, (g - fineness) / 0.5));
      ink[y * CANVAS + x] = t * t * (3 - 2 * t);
    }
  return normaliseDigit({ ink, width: CANVAS, height: CANVAS }, out);
}

/** The sample as it is, normalised as a box's digit would be. */
export function plain(sample: Uint8Array, out?: Float32Array): Float32Array {
  const ink = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < ink.length; i++) ink[i] = sample[i]! / 255;
  return normaliseDigit({ ink, width: SIDE, height: SIDE }, out);
}

function initialLayer(inputs: number, outputs: number, random: () => number): DenseLayer {
  // He-uniform for ReLU: limit √(6 / fan-in).
  const limit = Math.sqrt(6 / inputs);
  const weights = new Float32Array(inputs * outputs);
  for (let i = 0; i < weights.length; i++) weights[i] = (random() * 2 - 1) * limit;
  return { inputs, outputs, weights, bias: new Float32Array(outputs) };
}

/** Trains a model on `samples` (plain SGD, one sample at a time, the rate decaying per pass). */
export function trainModel(
  samples: readonly TrainingSample[],
  options: TrainingOptions,
  cut: readonly CutDigit[] = [],
): DigitModel {
  const random = seededRandom(options.seed);
  const sizes = [INPUTS, ...options.hidden, CLASSES];
  const layers: DenseLayer[] = [];
  for (let k = 1; k < sizes.length; k++) layers.push(initialLayer(sizes[k - 1]!, sizes[k]!, random));
  const activations = sizes.map((n) => new Float32Array(n));
  const deltas = sizes.map((n) => new Float32Array(n));
  const order = Array.from({ length: samples.length + cut.length }, (_, i) => i);
  const baseRate = options.learningRate ?? 0.02;
  const plainShare = options.plainShare ?? 0.25;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    // Fisher–Yates with the seeded generator: the order is part of what the seed fixes.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const rate = baseRate / (1 + epoch * 0.3);
    let loss = 0;
    for (const index of order) {
      const input = activations[0]!;
      const sample = samples[index];
      let digit: number;
      if (sample !== undefined) {
        digit = sample.digit;
        if (random() < plainShare) plain(sample.ink, input);
        else distort(sample.ink, random, input);
      } else {
        const piece = cut[index - samples.length]!;
        digit = piece.digit;
        input.set(piece.input);
      }
      // Forward.
      for (let k = 0; k < layers.length; k++) {
        const layer = layers[k]!;
        const a = activations[k]!;
        const z = activations[k + 1]!;
        for (let o = 0; o < layer.outputs; o++) {
          let sum = layer.bias[o]!;
          const row = o * layer.inputs;
          for (let i = 0; i < layer.inputs; i++) sum += layer.weights[row + i]! * a[i]!;
          z[o] = k < layers.length - 1 && sum < 0 ? 0 : sum;
        }
      }
      const logits = activations[layers.length]!;
      let max = -Infinity;
      for (const v of logits) if (v > max) max = v;
      let total = 0;
      for (let o = 0; o < CLASSES; o++) total += Math.exp(logits[o]! - max);
      const top = deltas[layers.length]!;
      for (let o = 0; o < CLASSES; o++) top[o] = Math.exp(logits[o]! - max) / total - (o === digit ? 1 : 0);
      loss -= Math.log(Math.max(1e-12, top[digit]! + 1));
      // Backward, updating each layer once its delta below is known.
      for (let k = layers.length - 1; k >= 0; k--) {
        const layer = layers[k]!;
        const a = activations[k]!;
        const delta = deltas[k + 1]!;
        const below = deltas[k]!;
        if (k > 0) {
          below.fill(0);
          for (let o = 0; o < layer.outputs; o++) {
            const d = delta[o]!;
            if (d === 0) continue;
            const row = o * layer.inputs;
            for (let i = 0; i < layer.inputs; i++) below[i] = below[i]! + layer.weights[row + i]! * d;
          }
          for (let i = 0; i < layer.inputs; i++) if (a[i]! <= 0) below[i] = 0;
        }
        for (let o = 0; o < layer.outputs; o++) {
          const step = rate * delta[o]!;
          if (step === 0) continue;
          const row = o * layer.inputs;
          for (let i = 0; i < layer.inputs; i++) {
            const v = a[i]!;
            if (v !== 0) layer.weights[row + i] = layer.weights[row + i]! - step * v;
          }
          layer.bias[o] = layer.bias[o]! - step;
        }
      }
    }
    options.onEpoch?.(epoch + 1, loss / order.length);
  }
  return { layers };
}

/** The share of `samples` the model classifies right, each shown as it is (normalised, undistorted). */
export function accuracy(model: DigitModel, samples: readonly TrainingSample[]): number {
  if (samples.length === 0) return 0;
  let right = 0;
  for (const sample of samples) {
    const p = classify(model, plain(sample.ink));
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (p[c]! > p[best]!) best = c;
    if (best === sample.digit) right++;
  }
  return right / samples.length;
}
