import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { createRandom } from '../../random.ts';
import { sampleActaContent } from '../acta_set.ts';
import { GRADED_CONDITIONS, stylesOf } from './conditions.ts';
import { boxStats, labelStats, labelVisible, photographRealistic, planScene, readability } from './scene.ts';
import { renderCheckedRealisticPage } from './page.ts';
import type { RealisticPage } from './types.ts';

let page: RealisticPage;
before(async () => {
  page = await renderCheckedRealisticPage(sampleActaContent(), {
    seed: 1,
    label: 'present',
    document: 'acta',
    digitSplit: 'test',
  });
});

test('a clean phone shot: an 8–12 MP JPEG with the sheet in the frame, readable, the same bytes for the same seed', async () => {
  const shot = await photographRealistic(page, {
    style: 'phone',
    condition: 'clean',
    severity: null,
    seed: 3,
  });
  assert.equal(shot.format, 'jpeg');
  const meta = await sharp(shot.bytes).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.ok(meta.width! * meta.height! >= 7.9e6 && meta.width! * meta.height! <= 12.1e6);
  assert.equal(shot.truth.readable, true, shot.truth.failures.join('; '));
  assert.equal(shot.truth.severity, null);
  for (const [x, y] of shot.truth.corners) assert.ok(x > 0 && y > 0 && x < meta.width! && y < meta.height!);
  assert.ok(shot.truth.dpi > 200 && shot.truth.dpi < 400, String(shot.truth.dpi));
  // The paper is paper and the table is not: the sheet's middle is brighter than the frame's corner.
  const { data, info } = await sharp(shot.bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
  const [tl, , br] = shot.truth.corners;
  const mid = Math.round((tl![1] + br![1]) / 2) * info.width + Math.round((tl![0] + br![0]) / 2);
  assert.ok(data[mid]! > 150, String(data[mid]));
  const again = await photographRealistic(page, {
    style: 'phone',
    condition: 'clean',
    severity: null,
    seed: 3,
  });
  assert.ok(again.bytes.equals(shot.bytes));
});

test('a scanner at 30 dpi: a PNG or JPEG at that resolution, labelled unreadable for its pixels per mm', async () => {
  const shot = await photographRealistic(page, {
    style: 'scanner',
    condition: 'low_resolution',
    severity: 5,
    seed: 1,
  });
  assert.ok(Math.abs(shot.truth.dpi - 30) <= 1, String(shot.truth.dpi));
  assert.equal(shot.truth.readable, false);
  assert.match(shot.truth.failures[0]!, /px\/mm/);
  assert.deepEqual(shot.truth.expectedReasons, ['low_resolution']);
  // 30 dpi sits two steps past 90 dpi, the last readable one: not near the threshold.
  assert.equal(shot.truth.nearThreshold, false);
});

test('every graded condition: readable at severity 1, and unreadable at 5 for most scenes', async () => {
  const stats = boxStats(page);
  for (const condition of GRADED_CONDITIONS)
    for (const style of stylesOf(condition)) {
      let unreadableAtFive = 0;
      for (let seed = 0; seed < 8; seed++) {
        const random = createRandom(`test:${seed}`);
        const mild = readability(page, planScene(page, { style, condition, severity: 1 }, random), stats);
        assert.equal(mild.readable, true, `${condition} ${style} 1: ${mild.failures.join('; ')}`);
        const worst = readability(page, planScene(page, { style, condition, severity: 5 }, random), stats);
        if (!worst.readable) unreadableAtFive++;
      }
      // A JPEG's damage is measured on the drawn image (below); a torn-off corner far from the
      // boxes leaves them readable — honest labels, so not every scene at 5 is unreadable.
      if (condition === 'heavy_jpeg') continue;
      assert.ok(
        unreadableAtFive >= (condition === 'cut_corner' ? 2 : 6),
        `${condition} ${style}: ${unreadableAtFive}/8`,
      );
    }
});

test('a glare blob over a box makes it unreadable; the same blob over the header does not', () => {
  const stats = boxStats(page);
  const random = createRandom('glare');
  const plan = planScene(page, { style: 'phone', condition: 'glare', severity: 3 }, random);
  const over = readability(page, plan, stats);
  assert.equal(over.readable, false);
  assert.match(over.failures[0]!, /contrast/);
  const [x, y] = [plan.width / 2, plan.height * 0.02];
  const away = readability(page, { ...plan, glare: plan.glare.map((g) => ({ ...g, x, y })) }, stats);
  assert.equal(away.readable, true, away.failures.join('; '));
});

test('another document is never readable as an acta', async () => {
  const other = await renderCheckedRealisticPage(sampleActaContent(), {
    seed: 1,
    label: 'present',
    document: 'other',
    digitSplit: 'test',
  });
  const plan = planScene(
    other,
    { style: 'scanner', condition: 'wrong_document', severity: null },
    createRandom('x'),
  );
  assert.equal(readability(other, plan, boxStats(other)).readable, false);
});

test('the label torn off with the top right corner: the boxes still read, the label does not', () => {
  const stats = boxStats(page);
  const label = labelStats(page);
  const plan = planScene(
    page,
    { style: 'scanner', condition: 'clean', severity: null },
    createRandom('label'),
  );
  assert.equal(labelVisible(page, plan, label), true);
  const torn = { ...plan, cutCorner: { corner: 1 as const, legPx: 60 * 7.874 } };
  assert.equal(labelVisible(page, torn, label), false);
  assert.equal(readability(page, torn, stats).readable, true);
});
