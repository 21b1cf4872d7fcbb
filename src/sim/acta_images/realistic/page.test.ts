import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boxRect, PAGE, pageHeight, QR_LABEL, registrationMarks } from '../../../domain/acta_form.ts';
import { jsQR } from '../../../gate/qr_label.ts';
import { sampleActaContent } from '../acta_set.ts';
import { describeSampleId } from './handwriting.ts';
import { renderCheckedRealisticPage, renderRealisticPage } from './page.ts';
import type { RealisticPage } from './types.ts';

const content = sampleActaContent();

const render = (options: Parameters<typeof renderRealisticPage>[1]) =>
  renderCheckedRealisticPage(content, options);

/** The QR label read by jsQR at full resolution, from the label's place on the form. */
function readLabel(page: RealisticPage): string | null {
  const { x, y, width, height } = {
    x: QR_LABEL.x - 20,
    y: QR_LABEL.y - 20,
    width: QR_LABEL.width + 40,
    height: QR_LABEL.height + 40,
  };
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let row = 0; row < height; row++)
    for (let col = 0; col < width; col++) {
      const from = ((y + row) * page.pixels.width + x + col) * 3;
      const to = (row * width + col) * 4;
      rgba[to] = page.pixels.data[from]!;
      rgba[to + 1] = page.pixels.data[from + 1]!;
      rgba[to + 2] = page.pixels.data[from + 2]!;
      rgba[to + 3] = 255;
    }
  return jsQR(rgba, width, height)?.data ?? null;
}

function meanGrey(page: RealisticPage, r: { x: number; y: number; width: number; height: number }): number {
  let sum = 0;
  for (let y = r.y; y < r.y + r.height; y++)
    for (let x = r.x; x < r.x + r.width; x++) {
      const i = (y * page.pixels.width + x) * 3;
      sum += (page.pixels.data[i]! + page.pixels.data[i + 1]! + page.pixels.data[i + 2]!) / 3;
    }
  return sum / (r.width * r.height);
}

const present = await render({ seed: 7, digitSplit: 'test' });

test('the page follows the acta form: size, boxes, label, registration marks', () => {
  assert.equal(present.pixels.width, PAGE.width);
  assert.equal(present.pixels.height, pageHeight(content.boxes.length));
  assert.equal(present.pixels.data.length, PAGE.width * present.pixels.height * 3);
  assert.deepEqual(
    present.layout.boxes,
    content.boxes.map((b, i) => ({ key: b.key, ...boxRect(i) })),
  );
  const qr = present.layout.qr;
  assert.ok(qr.x >= QR_LABEL.x - 8 && qr.y >= QR_LABEL.y - 8, JSON.stringify(qr));
  assert.ok(
    qr.x + qr.width <= QR_LABEL.x + QR_LABEL.width + 8 &&
      qr.y + qr.height <= QR_LABEL.y + QR_LABEL.height + 8,
  );
  const marks = registrationMarks(present.pixels.height);
  assert.deepEqual(
    present.layout.anchors.filter((a) => a.kind === 'registration').map(({ kind: _, ...r }) => r),
    marks,
  );
  for (const mark of marks) assert.ok(meanGrey(present, mark) < 40, `mark at ${mark.x},${mark.y}`);
  // Around each mark, paper: the mark is a solid square, not part of a larger dark area.
  for (const mark of marks) assert.ok(meanGrey(present, { ...mark, x: mark.x + 44, width: 20 }) > 200);
  assert.deepEqual(present.boxes, Object.fromEntries(content.boxes.map((b) => [b.key, b.value])));
});

test('the boxes are written in by hand, and the box lines are printed light', () => {
  const written = content.boxes.findIndex((b) => b.key === 'personasVotaron');
  const empty = content.boxes.findIndex((b) => b.value === 'sin_dato');
  const inside = (i: number) => {
    const r = boxRect(i);
    return meanGrey(present, { x: r.x + 4, y: r.y + 4, width: r.width - 8, height: r.height - 8 });
  };
  assert.ok(inside(written) < inside(empty) - 8, `${inside(written)} vs ${inside(empty)}`);
  // Low contrast: a box's outline is far lighter than ink or the registration marks.
  const r = boxRect(empty);
  assert.ok(meanGrey(present, { x: r.x + 50, y: r.y, width: 100, height: 1 }) > 150);
});

test('a page of the test split uses only test digits, one of the train split only train digits', async () => {
  assert.ok(present.digitSamples.length >= 25);
  assert.ok(present.digitSamples.every((id) => describeSampleId(id).split === 'test'));
  const train = await render({ seed: 7, digitSplit: 'train' });
  assert.ok(train.digitSamples.every((id) => describeSampleId(id).split === 'train'));
});

test('the QR label decodes at full resolution to the key and its data; not when missing or damaged', async () => {
  const text = readLabel(present);
  assert.ok(text !== null);
  assert.equal(text.split('|')[0], content.actaKey);
  assert.equal(text.length, 72);
  for (const seed of [1, 2, 3]) {
    assert.equal(readLabel(await render({ seed, digitSplit: 'test', label: 'missing' })), null);
    const damaged = await render({ seed, digitSplit: 'test', label: 'damaged' });
    assert.equal(damaged.label, 'damaged');
    assert.equal(readLabel(damaged), null, `damaged label ${seed} still reads`);
  }
});

test('another document has no table and no registration marks, but the acta label', async () => {
  const other = await render({ seed: 3, digitSplit: 'test', document: 'other' });
  assert.equal(other.document, 'other');
  assert.deepEqual(other.layout.boxes, []);
  assert.deepEqual(other.layout.anchors, []);
  assert.ok(
    other.digitSamples.length > 0 && other.digitSamples.every((id) => describeSampleId(id).split === 'test'),
  );
  for (const mark of registrationMarks(other.pixels.height)) assert.ok(meanGrey(other, mark) > 180);
  assert.equal(readLabel(other)?.split('|')[0], content.actaKey);
});

test('same inputs and seed, same pixels; another seed, another page', async () => {
  const again = await render({ seed: 7, digitSplit: 'test' });
  assert.ok(Buffer.from(again.pixels.data).equals(Buffer.from(present.pixels.data)));
  assert.deepEqual(again.digitSamples, present.digitSamples);
  const other = await render({ seed: 8, digitSplit: 'test' });
  assert.equal(Buffer.from(other.pixels.data).equals(Buffer.from(present.pixels.data)), false);
});

test('without the handwritten digits the page is an error value, not a crash', async () => {
  const page = await renderRealisticPage(content, {
    seed: 1,
    digitSplit: 'test',
    digitsDirectory: '/nonexistent',
  });
  assert.equal(page.ok, false);
  assert.equal(!page.ok && page.code, 'mnist_missing');
});
