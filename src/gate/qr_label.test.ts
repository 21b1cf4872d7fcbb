import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import sharp from 'sharp';
import { QR_LABEL } from '../domain/acta_form.ts';
import { parseActaKey } from '../domain/keys.ts';
import { photograph } from '../sim/acta_images/defects.ts';
import { qrPath } from '../sim/acta_images/synthetic_acta.ts';
import { createRandom } from '../sim/random.ts';
import { testActaImage } from '../test/actas.ts';
import type { Grey } from './measure.ts';
import {
  binarise,
  jsQR,
  labelKey,
  readLabelFullResolution,
  readQrLabel,
  storedRegion,
  zxingKey,
  labelRegion,
} from './qr_label.ts';
import { assessActaImage, decodeToWorkingSize } from './quality_gate.ts';

const KEY = '010338B010001';

const grey = async (bytes: Buffer): Promise<Grey> => {
  const { data, info } = await sharp(bytes).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
};

const hex = (v: number) => `#${v.toString(16).padStart(2, '0').repeat(3)}`;

/** A QR of `text` alone, `size` px, ink on paper, turned and blurred. */
async function qrImage(
  text: string,
  o: { size: number; angle: number; ink: number; paper: number; blur: number },
): Promise<Grey> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${o.size}" height="${o.size}"><rect width="100%" height="100%" fill="${hex(o.paper)}"/><path d="${qrPath(text, 0, 0, o.size)}" fill="${hex(o.ink)}"/></svg>`;
  let s = sharp(Buffer.from(svg)).rotate(o.angle, { background: hex(o.paper) });
  if (o.blur > 0) s = s.blur(o.blur);
  return grey(await s.png().toBuffer());
}

/**
 * The test acta's page with its label shrunk to `size` px (the real one is 330 px at 200 dpi):
 * at the working size its modules are about one pixel, at full resolution about three.
 */
async function pageWithSmallLabel(size: number): Promise<Buffer> {
  const { png } = await testActaImage({ style: 'scanner' });
  const page = await grey(png);
  // The paper's own tone around the sticker, so the shrunk sticker leaves no bright patch (glare).
  const counts = new Array<number>(256).fill(0);
  for (const v of page.data) counts[v] = (counts[v] ?? 0) + 1;
  const paper = counts.indexOf(Math.max(...counts));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${QR_LABEL.width + 24}" height="${QR_LABEL.height + 24}"><rect width="100%" height="100%" fill="${hex(paper)}"/><rect x="8" y="8" width="${size + 8}" height="${size + 8}" fill="#ffffff"/><path d="${qrPath(KEY, 12, 12, size)}" fill="#000"/></svg>`;
  return sharp(png)
    .composite([{ input: Buffer.from(svg), left: QR_LABEL.x - 12, top: QR_LABEL.y - 12 }])
    .png()
    .toBuffer();
}

test('only a well-formed CLAVE_ACTA is a key: jsQR returning "" or other text is an unreadable label', () => {
  assert.equal(labelKey(KEY), KEY);
  // A label that carries the package's data after the key (the realistic renderer's, labelPayload).
  assert.equal(labelKey(`${KEY}|PEF2024|E01|D03|S0338|B01|7KQ2`), KEY);
  assert.equal(labelKey(`${KEY}|`), KEY);
  for (const bad of [
    '',
    ' ',
    `${KEY} `,
    ` ${KEY}`,
    `'${KEY}`,
    '010338B0100',
    '000338B010001',
    '010338X010001',
    '010338B010001abc',
    '|010338B010001',
    '010338B0100|010338B010001',
    `${KEY} |PEF2024`,
    'https://ine.mx/010338B010001',
    'ÿØÿà',
  ])
    assert.equal(labelKey(bad), null, JSON.stringify(bad));
  assert.equal(labelKey(null), null);
  assert.equal(labelKey(undefined), null);
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (text) => {
      const key = labelKey(text);
      // A key is the text before any `|`, as it is, and parses; anything else is null, never a
      // trimmed or repaired key.
      const head = text.split('|')[0]!;
      if (key !== null) assert.ok(key === head && parseActaKey(head).ok && !head.startsWith("'"));
      else assert.ok(!parseActaKey(head).ok || head.startsWith("'"));
    }),
  );
});

test('a label too small to read at the working size is read at full resolution from the original file', async () => {
  const small = await pageWithSmallLabel(80);
  const working = await decodeToWorkingSize(small, 50_000_000);
  const image: Grey = { data: working.data, width: working.info.width, height: working.info.height };
  assert.equal(readQrLabel(image, null), null, 'at 1,000 px its modules are too small for jsQR');
  const report = await assessActaImage(small, { claimedKey: KEY });
  assert.equal(report.verdict, 'accept', JSON.stringify(report.reasons));
  assert.equal(report.qr, KEY);
  const read = await readLabelFullResolution(
    small,
    image,
    { width: report.width, height: report.height, maxPixels: 50_000_000 },
    report.corners,
  );
  assert.equal(read.key, KEY);
  assert.notEqual(read.source, 'working');
});

test('a small label on a 12 MP phone photo, stored sideways with an EXIF turn as phones do, reads at full resolution', async () => {
  // 60 px on the 200 dpi page: about four pixels a module in the 12 MP photo, under one at 1,000 px.
  const page = await pageWithSmallLabel(60);
  const shot = await photograph(page, 'phone', [], createRandom('qr_label.test phone'));
  const camera = await sharp(shot.bytes).resize(3024, 4032, { fit: 'cover' }).png().toBuffer();
  const sideways = await sharp(camera)
    .rotate(-90)
    .jpeg({ quality: 88 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const report = await assessActaImage(sideways, { claimedKey: KEY });
  assert.deepEqual([report.width, report.height], [3024, 4032], 'judged as displayed, upright');
  const working = await decodeToWorkingSize(sideways, 50_000_000);
  const image: Grey = { data: working.data, width: working.info.width, height: working.info.height };
  assert.equal(readQrLabel(image, null), null, 'at 1,000 px its modules are too small for jsQR');
  assert.equal(report.verdict, 'accept', JSON.stringify(report.reasons));
  assert.equal(report.qr, KEY);
});

test('a region of the displayed image is the same pixels cut from the stored image, for every EXIF orientation', async () => {
  const w = 48;
  const h = 30;
  const raw = Buffer.alloc(w * h);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37 + (i >> 3) * 11) % 251;
  const region = { left: 5, top: 3, width: 17, height: 9 };
  for (let orientation = 1; orientation <= 8; orientation++) {
    const jpeg = await sharp(raw, { raw: { width: w, height: h, channels: 1 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation })
      .toBuffer();
    const after = await sharp(jpeg).autoOrient().extract(region).raw().toBuffer();
    const before = await sharp(jpeg)
      .extract(storedRegion(region, orientation, w, h))
      .autoOrient()
      .raw()
      .toBuffer();
    assert.deepEqual(before, after, `orientation ${orientation}`);
  }
});

test('a torn label is unreadable: the image goes to a person (review), qr null', async () => {
  const { png } = await testActaImage({ style: 'phone', defects: ['qr_damaged'] });
  const report = await assessActaImage(png, { claimedKey: KEY });
  assert.equal(report.verdict, 'review');
  assert.equal(report.qr, null);
  assert.deepEqual(
    report.reasons.map((r) => r.code),
    ['qr_unreadable'],
  );
});

test('what the label says is recorded on a rejected image too', async () => {
  const { png } = await testActaImage({ style: 'scanner', defects: ['heavy_jpeg'] });
  const report = await assessActaImage(png, { claimedKey: KEY });
  assert.equal(report.verdict, 'reject');
  assert.equal(report.qr, KEY);
  // Rejected for its quality, not for its label: the label adds no reason.
  assert.ok(report.reasons.every((r) => r.code !== 'qr_unreadable' && r.code !== 'qr_mismatch'));
  // The capture view asks for no label: none is read.
  assert.equal((await assessActaImage(png, { readQr: false })).qr, null);
});

test('ZXing reads, offline, a turned, low-contrast, blurred label that jsQR cannot, binarised or not', async () => {
  const fetched: string[] = [];
  const realFetch = globalThis.fetch;
  // zxing-wasm's default is to fetch its .wasm from a CDN; the gate must load it from node_modules.
  globalThis.fetch = (input: string | URL | Request) => {
    fetched.push(String(input));
    return Promise.reject(new Error('no network in the gate'));
  };
  try {
    const label = await qrImage(KEY, { size: 200, angle: 20, ink: 110, paper: 130, blur: 2 });
    const rgba = (g: Grey) => {
      const out = new Uint8ClampedArray(g.width * g.height * 4);
      for (let i = 0; i < g.data.length; i++)
        out.fill(g.data[i]!, i * 4, i * 4 + 3).fill(255, i * 4 + 3, i * 4 + 4);
      return out;
    };
    assert.equal(jsQR(rgba(label), label.width, label.height), null);
    const b = binarise(label, 31);
    assert.equal(jsQR(rgba(b), b.width, b.height), null);
    assert.equal(await zxingKey(label), KEY);
    // And a text that is not a key is no key from ZXing either.
    assert.equal(
      await zxingKey(await qrImage('hola', { size: 200, angle: 0, ink: 0, paper: 255, blur: 0 })),
      null,
    );
    assert.deepEqual(fetched, []);
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('binarising reads a faded label (ink and paper 20 levels apart), below what jsQR tells apart', async () => {
  const label = await qrImage(KEY, { size: 200, angle: 45, ink: 120, paper: 140, blur: 0 });
  const rgba = (g: Grey) => {
    const out = new Uint8ClampedArray(g.width * g.height * 4);
    for (let i = 0; i < g.data.length; i++)
      out.fill(g.data[i]!, i * 4, i * 4 + 3).fill(255, i * 4 + 3, i * 4 + 4);
    return out;
  };
  assert.equal(jsQR(rgba(label), label.width, label.height), null);
  const b = binarise(label, 31);
  assert.equal(jsQR(rgba(b), b.width, b.height)?.data, KEY);
});

test('the label region holds the label on a sheet in perspective (its top edge shorter than its bottom), turned either way', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.6, max: 1, noNaN: true }),
      fc.double({ min: -6, max: 6, noNaN: true }),
      (far, degrees) => {
        // A 1,000 × 1,300 sheet whose top edge is `far` of its bottom's width, centred, then turned.
        const w = 1000;
        const h = 1300;
        const inset = (w * (1 - far)) / 2;
        const turn = (x: number, y: number) => {
          const a = (degrees * Math.PI) / 180;
          return { x: 1200 + x * Math.cos(a) - y * Math.sin(a), y: 900 + x * Math.sin(a) + y * Math.cos(a) };
        };
        const corners = {
          top_left: turn(-w / 2 + inset, -h / 2),
          top_right: turn(w / 2 - inset, -h / 2),
          bottom_right: turn(w / 2, h / 2),
          bottom_left: turn(-w / 2, h / 2),
        };
        const region = labelRegion(corners, 2400, 1800);
        // The label: 74–94% across the sheet, 5–20% down (acta_form.ts), on the quadrilateral.
        for (const [s, t] of [
          [0.74, 0.05],
          [0.94, 0.05],
          [0.94, 0.2],
          [0.74, 0.2],
        ] as const) {
          const top = { x: -w / 2 + inset + (w - 2 * inset) * s, y: -h / 2 };
          const bottom = { x: -w / 2 + w * s, y: h / 2 };
          const p = turn(top.x + (bottom.x - top.x) * t, top.y + (bottom.y - top.y) * t);
          assert.ok(
            p.x >= region.left &&
              p.x <= region.left + region.width &&
              p.y >= region.top &&
              p.y <= region.top + region.height,
            `(${s}, ${t}) at ${p.x.toFixed(0)}, ${p.y.toFixed(0)} outside ${JSON.stringify(region)}`,
          );
        }
      },
    ),
  );
});
