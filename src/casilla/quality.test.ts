import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { assessQuality, greyOfRgba } from './quality.ts';

/** A sheet-like grey image: light paper, dark table lines and digit-like strokes. */
function sheet(width: number, height: number, seed = 1): Uint8Array {
  const grey = new Uint8Array(width * height).fill(225);
  let state = seed;
  const rand = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
  for (let y = 40; y < height; y += 40) for (let x = 0; x < width; x++) grey[y * width + x] = 30;
  for (let k = 0; k < 400; k++) {
    const x0 = Math.floor(rand() * (width - 12));
    const y0 = Math.floor(rand() * (height - 20));
    for (let d = 0; d < 16; d++) grey[(y0 + d) * width + x0 + Math.floor(d / 3)] = 20;
  }
  return grey;
}

function boxBlur(grey: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const out = new Uint8Array(grey.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -radius; dy <= radius; dy++)
        for (let dx = -radius; dx <= radius; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
          sum += grey[yy * width + xx]!;
          n++;
        }
      out[y * width + x] = sum / n;
    }
  return out;
}

const W = 640;
const H = 800;

describe('phone quality check', () => {
  test('a sharp, well-lit sheet is accepted', () => {
    const verdict = assessQuality(sheet(W, H), W, H);
    assert.ok(verdict.accepted, JSON.stringify(verdict));
  });

  test('blurred, dark, overexposed and small photos are refused with advice in Spanish', () => {
    const blurred = assessQuality(boxBlur(sheet(W, H), W, H, 3), W, H);
    assert.deepEqual(blurred.problems, ['blurred']);
    assert.match(blurred.advice[0]!, /^borrosa: sostenga el teléfono firme/);
    const dark = assessQuality(
      sheet(W, H).map((g) => g * 0.2),
      W,
      H,
    );
    assert.ok(dark.problems.includes('too-dark'), JSON.stringify(dark));
    const glare = assessQuality(
      sheet(W, H).map((g) => Math.min(255, g * 1.3)),
      W,
      H,
    );
    assert.ok(glare.problems.includes('overexposed'), JSON.stringify(glare));
    const small = assessQuality(sheet(200, 300), 200, 300);
    assert.deepEqual(small.problems, ['too-small']);
  });

  test('blurring never makes a photo sharper (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 3 }), (seed, radius) => {
        const grey = sheet(160, 160, seed);
        const before = assessQuality(grey, 160, 160).measures.sharpness;
        const after = assessQuality(boxBlur(grey, 160, 160, radius), 160, 160).measures.sharpness;
        return after < before;
      }),
      { numRuns: 40 },
    );
  });

  test('RGBA to grey uses the BT.601 weights', () => {
    assert.deepEqual(
      [...greyOfRgba(new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 0]))],
      [76, 149, 29, 255],
    );
  });
});
