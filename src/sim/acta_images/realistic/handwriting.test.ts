import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { createRandom } from '../../random.ts';
import {
  describeSampleId,
  digitSample,
  digitSampleCount,
  loadDigits,
  pickPen,
  splitOfPosition,
  writeValue,
} from './handwriting.ts';
import type { RgbPixels } from './types.ts';

const loaded = loadDigits();
if (!loaded.ok) throw new Error(loaded.message);
const digits = loaded.value;

test('the mnist package gives about 10,000 samples of 28 × 28', () => {
  const total = digits.byDigit.reduce((sum, samples) => sum + samples.length, 0);
  assert.ok(total >= 9_900 && total <= 10_100, `${total}`);
  assert.equal(digits.byDigit[0]![0]!.length, 784);
});

test('the split is disjoint, covers every sample and is stable', () => {
  for (let digit = 0; digit < 10; digit++) {
    const seen = new Map<number, string>();
    for (const split of ['train', 'test'] as const)
      for (let i = 0; i < digitSampleCount(digits, split, digit); i++) {
        const sample = digitSample(split, digit, i, digits);
        assert.ok(sample.ok);
        assert.equal(seen.has(sample.value.id), false, `sample ${sample.value.id} in both splits`);
        seen.set(sample.value.id, split);
        assert.equal(describeSampleId(sample.value.id).split, split);
        assert.equal(describeSampleId(sample.value.id).digit, digit);
      }
    assert.equal(seen.size, digits.byDigit[digit]!.length);
  }
  // Fixed by position: every fifth sample of a digit's file is held out for evaluation.
  assert.equal((digitSample('test', 3, 0, digits) as { value: { id: number } }).value.id, 30_004);
  assert.equal((digitSample('train', 3, 4, digits) as { value: { id: number } }).value.id, 30_005);
  assert.equal(splitOfPosition(9), 'test');
  assert.equal(splitOfPosition(10), 'train');
  const train = digits.byDigit.reduce((sum, _, d) => sum + digitSampleCount(digits, 'train', d), 0);
  const held = digits.byDigit.reduce((sum, _, d) => sum + digitSampleCount(digits, 'test', d), 0);
  assert.ok(held > 1_900 && train > 7_900, `${train} train, ${held} test`);
});

test('a sample out of its split is an error value', () => {
  const beyond = digitSample('test', 1, digitSampleCount(digits, 'test', 1), digits);
  assert.equal(beyond.ok, false);
  assert.equal(!beyond.ok && beyond.code, 'no_such_sample');
  assert.equal(digitSample('train', 1, -1, digits).ok, false);
});

test('without the mnist package the loader returns an error value, never throws', () => {
  const missing = loadDigits('/nonexistent/mnist/src/digits');
  assert.equal(missing.ok, false);
  assert.equal(!missing.ok && missing.code, 'mnist_missing');
  assert.match(!missing.ok ? missing.message : '', /mnist/);
  const dir = mkdtempSync(path.join(tmpdir(), 'mnist-'));
  for (let d = 0; d < 10; d++)
    writeFileSync(path.join(dir, `${d}.json`), d === 7 ? '{"data": [1, 2' : '{"data":[]}');
  const broken = loadDigits(dir);
  assert.equal(!broken.ok && broken.code, 'mnist_unreadable');
});

const blank = (): RgbPixels => ({ data: new Uint8Array(600 * 100 * 3).fill(245), width: 600, height: 100 });
const box = { x: 100, y: 20, width: 420, height: 60 };

test('a number is written with one sample of its split per digit, inside its box', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 999 }),
      fc.constantFrom('train', 'test'),
      fc.integer(),
      (value, split, seed) => {
        const page = blank();
        const used = writeValue(
          page,
          box,
          value,
          split,
          digits,
          pickPen(createRandom(seed)),
          createRandom(seed),
        );
        assert.deepEqual(
          used.map((id) => describeSampleId(id).digit),
          [...String(value)].map(Number),
        );
        assert.ok(used.every((id) => describeSampleId(id).split === split));
        let inked = 0;
        let outside = 0;
        for (let y = 0; y < page.height; y++)
          for (let x = 0; x < page.width; x++)
            if (page.data[(y * page.width + x) * 3]! < 160) {
              inked++;
              if (x < box.x - 4 || x >= box.x + box.width + 4 || y < box.y - 8 || y >= box.y + box.height + 8)
                outside++;
            }
        assert.ok(inked > 60, `only ${inked} inked pixels`);
        assert.ok(outside <= inked * 0.02, `${outside} of ${inked} inked pixels outside the box`);
      },
    ),
    { numRuns: 40 },
  );
});

test('Sin dato leaves the box empty; an illegible box is written over and crossed out', () => {
  const empty = blank();
  assert.deepEqual(
    writeValue(empty, box, 'sin_dato', 'test', digits, pickPen(createRandom(1)), createRandom(1)),
    [],
  );
  assert.ok(empty.data.every((v) => v === 245));
  const scribbled = blank();
  const used = writeValue(
    scribbled,
    box,
    'ilegible',
    'test',
    digits,
    pickPen(createRandom(2)),
    createRandom(2),
  );
  assert.ok(used.length >= 3);
  assert.ok(scribbled.data.some((v) => v < 150));
});
