import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAGE, pageHeight } from '../domain/acta_form.ts';
import { sampleActaContent } from '../sim/acta_images/acta_set.ts';
import { renderRealisticPage } from '../sim/acta_images/realistic/page.ts';
import { readActa } from './acta.ts';
import type { PageImage } from './box.ts';
import { loadDigitModel } from './load_model.ts';
import { homography, type Point, project, straighten } from './straighten.ts';

const loaded = loadDigitModel();
if (!loaded.ok) throw new Error(loaded.message);
const content = sampleActaContent();
const height = pageHeight(content.boxes.length);
const rendered = await renderRealisticPage(content, { seed: 21, digitSplit: 'test' });
if (!rendered.ok) throw new Error(rendered.message);
const page: PageImage = { ...rendered.value.pixels, channels: 3 };

/** The page photographed: its corners moved to `quad` on a wooden-grey canvas (a perspective warp). */
function photograph(quad: readonly Point[], width: number, h: number): PageImage {
  const corners = [
    { x: 0, y: 0 },
    { x: PAGE.width, y: 0 },
    { x: PAGE.width, y: height },
    { x: 0, y: height },
  ];
  const back = homography(quad, corners);
  const data = new Uint8Array(width * h * 3).fill(120);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < width; x++) {
      const p = project(back, x + 0.5, y + 0.5);
      const sx = Math.floor(p.x);
      const sy = Math.floor(p.y);
      if (sx < 0 || sy < 0 || sx >= page.width || sy >= page.height) continue;
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = page.data[(sy * page.width + sx) * 3 + c]!;
    }
  return { data, width, height: h, channels: 3 };
}

test('a homography takes its four points where it was told', () => {
  const from = [
    { x: 0, y: 0 },
    { x: 10, y: 0 },
    { x: 10, y: 10 },
    { x: 0, y: 10 },
  ];
  const to = [
    { x: 3, y: 1 },
    { x: 14, y: 2 },
    { x: 12, y: 13 },
    { x: 1, y: 11 },
  ];
  const h = homography(from, to);
  from.forEach((p, k) => {
    const q = project(h, p.x, p.y);
    assert.ok(Math.abs(q.x - to[k]!.x) < 1e-9 && Math.abs(q.y - to[k]!.y) < 1e-9);
  });
});

test('a page shot in perspective is straightened by its registration marks and reads as the flat page does', () => {
  const flat = readActa(page, rendered.value.layout.boxes, loaded.value.model);
  const quad = [
    { x: 70, y: 60 },
    { x: 1700, y: 95 },
    { x: 1745, y: 2215 },
    { x: 40, y: 2260 },
  ];
  const photo = photograph(quad, 1800, 2320);
  const straight = straighten(photo, height);
  assert.ok(straight.ok);
  const read = readActa(straight.value, rendered.value.layout.boxes, loaded.value.model);
  const right = (r: typeof flat) =>
    rendered.value.layout.boxes.filter((b) => r[b.key]?.value === rendered.value.boxes[b.key]).length;
  assert.ok(right(flat) >= 9, `${right(flat)} right on the flat page`);
  assert.ok(right(read) >= right(flat) - 1, `${right(read)} straightened, ${right(flat)} flat`);
  assert.equal(read['vote:NULOS']?.value, 'sin_dato');
});

test('an image without registration marks is refused with a reason', () => {
  const blank: PageImage = {
    data: new Uint8Array(400 * 500).fill(240),
    width: 400,
    height: 500,
    channels: 1,
  };
  const straight = straighten(blank, height);
  assert.equal(straight.ok, false);
});
