import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { boxRect } from '../domain/acta_form.ts';
import { renderRealisticPage } from '../sim/acta_images/realistic/page.ts';
import { digitSample, digitSampleCount, loadDigits } from '../sim/acta_images/realistic/handwriting.ts';
import { HIDDEN, splitSamples, trainingHash } from '../../tools/train_reader.ts';
import { readActa } from './acta.ts';
import { type PageImage, readBox } from './box.ts';
import { loadDigitModel, MODEL_FILE } from './load_model.ts';
import { CLASSES, classify, parseModel, serialiseModel } from './model.ts';
import { plain, trainModel } from './train.ts';

const loaded = loadDigitModel();
if (!loaded.ok) throw new Error(loaded.message);
const { model, provenance } = loaded.value;

test('the committed model is small, says how it was made, and its mnist data hash matches the train split', () => {
  assert.equal(provenance.mnist_train_sha256, trainingHash(splitSamples('train')));
  assert.match(provenance.training_sha256, /^[0-9a-f]{64}$/);
  assert.ok(provenance.cut_digits > 0 && provenance.training_pages > 0);
  assert.equal(provenance.training_samples, splitSamples('train').length);
  assert.match(provenance.split_rule, /≡ 4 mod 5 is test/);
  assert.deepEqual(
    model.layers.map((l) => l.outputs),
    [...HIDDEN, CLASSES],
  );
  assert.ok(provenance.test_accuracy >= 0.95);
  assert.ok(statSync(MODEL_FILE).size <= 5 * 1024 * 1024);
});

test('it names the right digit for most mnist TEST samples, which it never saw', () => {
  const set = loadDigits();
  if (!set.ok) throw new Error(set.message);
  let right = 0;
  let seen = 0;
  for (let digit = 0; digit < 10; digit++)
    for (let k = 0; k < 20; k++) {
      const index = (k * 37) % digitSampleCount(set.value, 'test', digit);
      const sample = digitSample('test', digit, index, set.value);
      if (!sample.ok) throw new Error(sample.message);
      const p = classify(model, plain(sample.value.ink));
      let best = 0;
      for (let c = 1; c < CLASSES; c++) if (p[c]! > p[best]!) best = c;
      if (best === digit) right++;
      seen++;
    }
  assert.equal(seen, 200);
  assert.ok(right / seen >= 0.95, `${right} of ${seen}`);
});

test('a damaged model file is an error value', () => {
  assert.equal(parseModel('{').ok, false);
  assert.equal(parseModel(JSON.stringify({ format: 'openprep-digit-mlp-1', layers: [] })).ok, false);
});

/** A white page in the form's pixels with `write` drawing ink in it. */
function blankPage(): { image: PageImage; data: Uint8Array } {
  const width = 1700;
  const height = 2200;
  const data = new Uint8Array(width * height).fill(245);
  return { image: { data, width, height, channels: 1 }, data };
}

test('an empty box reads sin_dato, confidently', () => {
  const { image } = blankPage();
  const reading = readBox(image, boxRect(3), model);
  assert.equal(reading.value, 'sin_dato');
  assert.ok(reading.confidence >= 0.99);
});

test('a number composed of three mnist test digits is cut into three digits and read', () => {
  const { image, data } = blankPage();
  const box = boxRect(2);
  const digits = [3, 0, 7];
  const set = loadDigits();
  if (!set.ok) throw new Error(set.message);
  digits.forEach((digit, k) => {
    const sample = digitSample('test', digit, 5, set.value);
    if (!sample.ok) throw new Error(sample.message);
    // Twice MNIST's size, side by side, as a pen writes them in the box.
    const left = box.x + 200 + k * 60;
    const top = box.y + 2;
    for (let y = 0; y < 56; y++)
      for (let x = 0; x < 56; x++) {
        const ink = sample.value.ink[Math.floor(y / 2) * 28 + Math.floor(x / 2)]!;
        const i = (top + y) * image.width + left + x;
        data[i] = Math.min(data[i]!, 245 - Math.round((ink * 215) / 255));
      }
  });
  const reading = readBox(image, box, model);
  assert.equal(reading.digits.length, 3);
  assert.equal(reading.value, 307);
});

test('on a realistic page written with test digits, most boxes read right, and an empty box reads sin_dato', async () => {
  const content = (await import('../sim/acta_images/acta_set.ts')).sampleActaContent();
  const page = await renderRealisticPage(content, { seed: 11, digitSplit: 'test' });
  if (!page.ok) throw new Error(page.message);
  const readings = readActa({ ...page.value.pixels, channels: 3 }, page.value.layout.boxes, model);
  assert.equal(readings['vote:NULOS']?.value, 'sin_dato');
  const right = page.value.layout.boxes.filter((b) => readings[b.key]?.value === page.value.boxes[b.key]);
  assert.ok(right.length >= 9, `${right.length} of ${page.value.layout.boxes.length}`);
});

test('training is reproducible from its seed, and another seed gives other weights', () => {
  const samples = splitSamples('train').filter((_, i) => i % 200 === 0);
  const options = { epochs: 1, hidden: [16] };
  const a = trainModel(samples, { ...options, seed: 5 });
  const b = trainModel(samples, { ...options, seed: 5 });
  const c = trainModel(samples, { ...options, seed: 6 });
  const file = (m: typeof a) => serialiseModel(m, { ...provenance, seed: 0 });
  assert.equal(file(a), file(b));
  assert.notEqual(file(a), file(c));
  const back = parseModel(file(a));
  assert.ok(back.ok);
  assert.deepEqual(back.value.model.layers[0]?.weights, a.layers[0]?.weights);
});
