/**
 * `openprep reader evaluate`: the acta reader scored on realistic actas (src/sim/reader_evaluate.ts),
 * one JSON object on stdout (docs/reader.md).
 */
import process from 'node:process';
import { CONFIDENT } from '../reader/acta.ts';
import { loadDigitModel } from '../reader/load_model.ts';
import { readSet, scoreReadings } from '../sim/reader_evaluate.ts';
import { parseCommandArgs } from './args.ts';
import { readerEvaluate } from './commands.ts';
import { createProgress } from './progress.ts';

export async function runReaderEvaluate(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, readerEvaluate.options);
  if (!parsed.ok) {
    process.stderr.write(`openprep reader evaluate: ${parsed.message}\n`);
    return 2;
  }
  const options = parsed.value.options;
  const loaded = loadDigitModel();
  if (!loaded.ok) {
    process.stderr.write(`openprep reader evaluate: ${loaded.message}\n`);
    return 1;
  }
  const started = performance.now();
  const shown = createProgress(process.stderr, {
    label: 'reader evaluate',
    unit: 'actas read',
    total: options.count,
  });
  const set = await readSet(
    { count: options.count, seed: options.seed, split: options.split },
    loaded.value.model,
    (done) => shown.update(done),
  );
  shown.finish();
  const threshold = options.threshold ?? CONFIDENT;
  process.stdout.write(
    `${JSON.stringify({
      command: 'reader evaluate',
      seed: options.seed,
      digit_split: options.split,
      digits_from_other_split: set.foreignDigits,
      model: {
        seed: loaded.value.provenance.seed,
        training_sha256: loaded.value.provenance.training_sha256,
        mnist_test_accuracy: loaded.value.provenance.test_accuracy,
      },
      ...scoreReadings(set.outcomes, threshold),
      ms_per_box: Math.round((set.ms / Math.max(1, set.boxes)) * 1000) / 1000,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    })}\n`,
  );
  return set.foreignDigits === 0 ? 0 : 1;
}
