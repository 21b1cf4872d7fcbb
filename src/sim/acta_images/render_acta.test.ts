import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import sharp from 'sharp';
import { sampleActaContent } from './acta_set.ts';
import { IMAGE_DEFECTS } from './defects.ts';
import { jsQR } from '../../gate/qr_label.ts';
import { renderActa } from './render_acta.ts';

const content = sampleActaContent();

test('a synthetic acta: a 200 dpi page whose QR label reads as its CLAVE_ACTA, with its ground truth', async () => {
  const { png, truth } = await renderActa(content, 7);
  const image = sharp(png);
  const meta = await image.metadata();
  assert.equal(meta.format, 'png');
  assert.equal(meta.width, 1700);
  assert.ok((meta.height ?? 0) >= 2200);
  const { data, info } = await image.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const code = jsQR(
    new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    info.width,
    info.height,
  );
  assert.equal(code?.data, content.actaKey);
  assert.deepEqual(truth.boxes, Object.fromEntries(content.boxes.map((b) => [b.key, b.value])));
  assert.equal(truth.layout.boxes.length, content.boxes.length);
  assert.deepEqual(truth.defects, []);
});

test('the same acta and seed give the same bytes; another seed, another hand', async () => {
  const sha = async (seed: number) =>
    createHash('sha256')
      .update((await renderActa(content, seed)).png)
      .digest('hex');
  assert.equal(await sha(7), await sha(7));
  assert.notEqual(await sha(7), await sha(8));
});

async function qrOf(bytes: Buffer): Promise<string | null> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return (
    jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height)?.data ??
    null
  );
}

test('each defect changes the image and is labelled; the label reads through a phone shot, not when missing or damaged', async () => {
  const clean = await renderActa(content, 11);
  const phone = await renderActa(content, 11, { style: 'phone' });
  assert.equal(phone.truth.format, 'jpeg');
  assert.equal((await sharp(phone.png).metadata()).format, 'jpeg');
  assert.equal(await qrOf(phone.png), content.actaKey);
  for (const defect of IMAGE_DEFECTS) {
    const damaged = await renderActa(content, 11, { defects: [defect] });
    assert.deepEqual(damaged.truth.defects, [defect]);
    assert.ok(!damaged.png.equals(clean.png), defect);
    if (defect === 'qr_missing' || defect === 'qr_damaged')
      assert.equal(await qrOf(damaged.png), null, defect);
    if (defect === 'heavy_jpeg') assert.equal(damaged.truth.format, 'jpeg');
    if (defect === 'low_resolution') assert.ok(((await sharp(damaged.png).metadata()).width ?? 0) < 600);
  }
  // Deterministic with defects too.
  const again = await renderActa(content, 11, { style: 'phone', defects: ['glare', 'blur'] });
  assert.ok(
    again.png.equals((await renderActa(content, 11, { style: 'phone', defects: ['glare', 'blur'] })).png),
  );
});
