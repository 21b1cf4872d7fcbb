/**
 * The digit model: a small multilayer perceptron (784 → hidden ReLU layers → 10, softmax) over
 * the normalised 28 × 28 digit (digit_image.ts), in plain Float32Array arithmetic so it runs in
 * Node on one CPU core with nothing to install or download.
 *
 * Its file (src/reader/model/digits.json) carries the weights as base64 little-endian float32
 * and how they were made: the seed, the split rule, the SHA-256 of the training data and the
 * accuracy measured on the held-out test split. Parsing returns an error value, never throws.
 */
import { err, ok, type Result } from '../domain/result.ts';

export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** outputs × inputs, row-major (one row per output unit). */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

export interface DigitModel {
  readonly layers: readonly DenseLayer[];
}

/** How a model file says it was made (kept with the weights, checked by the tests). */
export interface ModelProvenance {
  readonly seed: number;
  /** SHA-256 of all the training data: the mnist train samples, then the digits cut from train pages. */
  readonly training_sha256: string;
  /** SHA-256 of the mnist train samples alone (quick to check: no page to render). */
  readonly mnist_train_sha256: string;
  readonly split_rule: string;
  readonly training_samples: number;
  /** Realistic pages written with the train split whose boxes gave digits cut by the reader itself. */
  readonly training_pages: number;
  readonly cut_digits: number;
  readonly epochs: number;
  readonly test_samples: number;
  readonly test_accuracy: number;
}

export interface ModelFile {
  readonly format: 'openprep-digit-mlp-1';
  readonly provenance: ModelProvenance;
  readonly layers: readonly { inputs: number; outputs: number; weights: string; bias: string }[];
}

export type ModelErrorCode = 'model_unreadable';

export const INPUTS = 28 * 28;
export const CLASSES = 10;

function toBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return Buffer.from(bytes).toString('base64');
}

function fromBase64(text: string, length: number): Float32Array | null {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== length * 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function serialiseModel(model: DigitModel, provenance: ModelProvenance): string {
  const file: ModelFile = {
    format: 'openprep-digit-mlp-1',
    provenance,
    layers: model.layers.map((l) => ({
      inputs: l.inputs,
      outputs: l.outputs,
      weights: toBase64(l.weights),
      bias: toBase64(l.bias),
    })),
  };
  return `${JSON.stringify(file, null, 1)}\n`;
}

export function parseModel(
  text: string,
): Result<{ model: DigitModel; provenance: ModelProvenance }, ModelErrorCode> {
  let file: Partial<ModelFile>;
  try {
    file = JSON.parse(text) as Partial<ModelFile>;
  } catch {
    return err('model_unreadable', 'the digit model is not JSON');
  }
  if (file.format !== 'openprep-digit-mlp-1' || !Array.isArray(file.layers) || file.provenance === undefined)
    return err('model_unreadable', 'the digit model is not an openprep-digit-mlp-1 file');
  const layers: DenseLayer[] = [];
  let width = INPUTS;
  for (const layer of file.layers) {
    if (layer.inputs !== width || !Number.isInteger(layer.outputs) || layer.outputs < 1)
      return err('model_unreadable', 'the digit model’s layers do not chain');
    const weights = fromBase64(layer.weights, layer.inputs * layer.outputs);
    const bias = fromBase64(layer.bias, layer.outputs);
    if (weights === null || bias === null)
      return err('model_unreadable', 'the digit model’s weights have the wrong size');
    layers.push({ inputs: layer.inputs, outputs: layer.outputs, weights, bias });
    width = layer.outputs;
  }
  if (width !== CLASSES) return err('model_unreadable', 'the digit model does not end in 10 classes');
  return ok({ model: { layers }, provenance: file.provenance });
}

/** The ten class probabilities for one normalised digit (28 × 28, 0..1). */
export function classify(model: DigitModel, input: Float32Array): Float32Array {
  let activation = input;
  const last = model.layers.length - 1;
  model.layers.forEach((layer, index) => {
    // Most of a digit's field and many ReLU outputs are zero: sum over the others only.
    const live: number[] = [];
    for (let i = 0; i < layer.inputs; i++) if (activation[i] !== 0) live.push(i);
    const out = new Float32Array(layer.outputs);
    for (let o = 0; o < layer.outputs; o++) {
      let sum = layer.bias[o]!;
      const row = o * layer.inputs;
      for (const i of live) sum += layer.weights[row + i]! * activation[i]!;
      out[o] = index < last && sum < 0 ? 0 : sum;
    }
    activation = out;
  });
  return softmax(activation);
}

export function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}
