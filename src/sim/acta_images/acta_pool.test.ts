import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { boxRect } from '../../domain/acta_form.ts';
import { jsQR } from '../../gate/qr_label.ts';
import { createActaPool } from './acta_pool.ts';
import { sampleActaContent } from './acta_set.ts';

const content = sampleActaContent();
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function qrOf(bytes: Buffer): Promise<string | null> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return (
    jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height)?.data ??
    null
  );
}

test('a pooled acta carries its own QR label and handwriting, in the format of its style', async () => {
  const pool = createActaPool(null);
  const other = { ...content, actaKey: `${content.actaKey.slice(0, -1)}7` };
  const scanner = await pool.render(content, 3, 'scanner');
  const phone = await pool.render(other, 3, 'phone');
  assert.equal(scanner.format, 'png');
  assert.equal((await sharp(scanner.bytes).metadata()).format, 'png');
  assert.equal((await sharp(phone.bytes).metadata()).format, 'jpeg');
  assert.equal(await qrOf(scanner.bytes), content.actaKey);
  assert.equal(await qrOf(phone.bytes), other.actaKey);
  // The first box has ink in it: the value was written, not left blank.
  const blank = {
    ...content,
    boxes: content.boxes.map((b, i) => (i === 0 ? { ...b, value: 'sin_dato' as const } : b)),
  };
  const ink = async (bytes: Buffer) => {
    const r = boxRect(0);
    const { data } = await sharp(bytes)
      .extract({ left: r.x, top: r.y, width: r.width, height: r.height })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return data.filter((v) => v < 128).length;
  };
  assert.ok(typeof content.boxes[0]?.value === 'number');
  assert.ok((await ink(scanner.bytes)) > (await ink((await pool.render(blank, 3, 'scanner')).bytes)) + 50);
});

test('the same acta gives the same bytes, from the forms on disk too; another acta, other bytes', async () => {
  const cache = await mkdtemp(path.join(tmpdir(), 'openprep-pool-'));
  try {
    const first = createActaPool(cache);
    const a = await first.render(content, 5, 'phone');
    const b = await first.render(content, 5, 'scanner');
    assert.ok((await readdir(cache)).some((name) => name.startsWith('phone-')));
    const again = createActaPool(cache);
    assert.equal(sha((await again.render(content, 5, 'phone')).bytes), sha(a.bytes));
    assert.equal(sha((await again.render(content, 5, 'scanner')).bytes), sha(b.bytes));
    assert.notEqual(sha((await again.render(content, 6, 'scanner')).bytes), sha(b.bytes));
    const other = { ...content, actaKey: `${content.actaKey.slice(0, -1)}8` };
    assert.notEqual(sha((await again.render(other, 5, 'scanner')).bytes), sha(b.bytes));
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});
