import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { testActaImage } from '../test/actas.ts';
import { readContainer } from './container.ts';
import { EXPECTED_REASONS } from '../sim/acta_images/evaluate.ts';
import { IMAGE_DEFECTS } from '../sim/acta_images/defects.ts';
import { QualityGatePool } from './gate_pool.ts';
import { measure } from './measure.ts';
import { assessActaImage } from './quality_gate.ts';
import { sheetView } from './sheet_view.ts';

const KEY = '010338B010001';

test('a good scanner page and a good phone shot are accepted, their QR label read as the CLAVE_ACTA', async () => {
  for (const style of ['scanner', 'phone'] as const) {
    const { png } = await testActaImage({ style });
    const report = await assessActaImage(png, { claimedKey: KEY });
    assert.equal(report.verdict, 'accept', `${style}: ${JSON.stringify(report.reasons)}`);
    assert.equal(report.qr, KEY);
    assert.deepEqual(report.reasons, []);
    assert.ok(report.corners !== null, 'the sheet and its corners are found');
    assert.ok(Math.abs(report.measures?.skewDegrees ?? 99) < 6);
    assert.ok((report.measures?.dpi ?? 0) >= 190, `${style}: ${report.measures?.dpi} dpi`);
  }
});

test('an image claimed as another acta is sent to a person (review), never accepted', async () => {
  const { png } = await testActaImage();
  const report = await assessActaImage(png, { claimedKey: '010338B010002' });
  assert.equal(report.verdict, 'review');
  assert.deepEqual(
    report.reasons.map((r) => r.code),
    ['qr_mismatch'],
  );
  assert.match(report.reasons[0]!.message, /dice 010338B010001, no 010338B010002/);
});

test('every labelled defect is refused or sent to a person, with the reason its defect calls for, in Spanish', async () => {
  for (const defect of IMAGE_DEFECTS) {
    for (const style of ['scanner', 'phone'] as const) {
      const { png } = await testActaImage({ style, defects: [defect] });
      const report = await assessActaImage(png, { claimedKey: KEY });
      assert.notEqual(report.verdict, 'accept', `${defect} (${style}) was accepted`);
      const codes = report.reasons.map((r) => r.code);
      assert.ok(
        codes.some((c) => EXPECTED_REASONS[defect].includes(c)),
        `${defect} (${style}) got ${codes.join(', ')}`,
      );
      for (const r of report.reasons) assert.match(r.message, /[a-záéíóúñ]+.*: .*|no se lee/);
      // An unreadable label alone leaves the image usable: a person settles the key.
      if (defect === 'qr_missing' || defect === 'qr_damaged') assert.equal(report.verdict, 'review');
    }
  }
});

test('the operator is told which corner is missing', async () => {
  const { png } = await testActaImage({ defects: ['cut_corner'] });
  const report = await assessActaImage(png);
  assert.ok(
    report.reasons.some((r) => r.message.startsWith('falta la esquina inferior derecha')),
    JSON.stringify(report.reasons),
  );
});

/** A PNG of the given size whose pixels are one zlib stream of zeros (compresses to almost nothing). */
function bombPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grey
  const rows = Buffer.alloc(Math.min(64 * 1024 * 1024, (width + 1) * Math.min(height, 64)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('hostile files get a clear reason, never a throw, and no memory blow-up', async () => {
  const good = (await testActaImage()).png;
  const goodJpeg = await sharp(good).jpeg({ quality: 90 }).toBuffer();
  const rssBefore = process.memoryUsage().rss;
  const cases: [string, Uint8Array, string][] = [
    ['zero bytes', Buffer.alloc(0), 'empty_file'],
    ['text', Buffer.from('<html><script>alert(1)</script></html>'), 'not_an_image'],
    ['truncated PNG', good.subarray(0, Math.floor(good.length / 2)), 'damaged_file'],
    ['truncated JPEG', goodJpeg.subarray(0, Math.floor(goodJpeg.length * 0.7)), 'damaged_file'],
    ['PNG header only', good.subarray(0, 40), 'damaged_file'],
    ['gigapixel PNG (100,000 × 100,000)', bombPng(100_000, 100_000), 'too_many_pixels'],
    [
      'polyglot: a PNG with a ZIP glued after it',
      Buffer.concat([good, Buffer.from('PK\u0003\u0004 payload.html <script>')]),
      'extra_data',
    ],
    [
      'polyglot: a JPEG with HTML after it',
      Buffer.concat([goodJpeg, Buffer.from('<html></html>')]),
      'extra_data',
    ],
    [
      'garbage pixels in a well-formed PNG',
      (() => {
        const copy = Buffer.from(good);
        copy.fill(0x5a, 60, copy.length - 12);
        return copy;
      })(),
      'damaged_file',
    ],
  ];
  for (const [name, bytes, code] of cases) {
    const report = await assessActaImage(bytes, { claimedKey: KEY });
    assert.equal(report.verdict, 'reject', name);
    assert.equal(report.reasons[0]?.code, code, `${name}: ${JSON.stringify(report.reasons)}`);
    assert.ok(report.reasons[0]!.message.length > 10);
  }
  // The gigapixel PNG was refused from its header: nothing near 10 GB was decoded.
  assert.ok(process.memoryUsage().rss - rssBefore < 400 * 1024 * 1024);
});

test('CMYK, 16-bit and EXIF-oriented images are judged as they are displayed', async () => {
  const good = (await testActaImage()).png;
  const cmyk = await sharp(good).toColourspace('cmyk').jpeg({ quality: 92 }).toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const sixteen = await sharp(good).toColourspace('grey16').png().toBuffer();
  assert.equal((await sharp(sixteen).metadata()).depth, 'ushort');
  // Stored on its side with an EXIF orientation that turns it upright (as phones do).
  const storedSideways = await sharp(good)
    .rotate(-90)
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 92 })
    .toBuffer();
  for (const [name, bytes] of [
    ['CMYK JPEG', cmyk],
    ['16-bit grey PNG', sixteen],
    ['EXIF orientation 6', storedSideways],
  ] as const) {
    const report = await assessActaImage(bytes, { claimedKey: KEY });
    assert.equal(report.verdict, 'accept', `${name}: ${JSON.stringify(report.reasons)}`);
    assert.equal(report.qr, KEY, name);
  }
  // The same trick the other way: upright pixels that the EXIF orientation turns on their side.
  const tricked = await sharp(good).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer();
  const report = await assessActaImage(tricked, { claimedKey: KEY });
  assert.equal(report.verdict, 'reject');
  assert.equal(report.reasons[0]?.code, 'sideways');
  assert.ok(report.width > report.height, 'judged as displayed: landscape');
});

test('the container reader never throws, whatever the bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (tail, asJpeg) => {
      const head = asJpeg ? [0xff, 0xd8, 0xff] : [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
      const result = readContainer(new Uint8Array([...head, ...tail]));
      assert.equal(typeof result.ok, 'boolean');
    }),
    { numRuns: 2000 },
  );
});

test("a JPEG's quality is read from its quantisation table (libjpeg's scale, known answers)", async () => {
  const page = (await testActaImage()).png;
  for (const quality of [10, 30, 50, 75, 90]) {
    const jpeg = await sharp(page).jpeg({ quality, mozjpeg: false }).toBuffer();
    const container = readContainer(jpeg);
    assert.ok(container.ok);
    assert.ok(
      Math.abs((container.value.jpegQuality ?? 0) - quality) <= 2,
      `${quality} → ${container.value.jpegQuality}`,
    );
    assert.equal(container.value.trailingBytes, 0);
  }
});

test('the measurements never throw and stay finite on any small grey image', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 40 }),
      fc.uint8Array({ minLength: 1600, maxLength: 1600 }),
      (width, height, pixels) => {
        const m = measure({ data: pixels.subarray(0, width * height), width, height });
        for (const value of [
          m.sheetShare,
          m.skewDegrees,
          m.paperLevel,
          m.inkLevel,
          m.sharpnessX,
          m.tableEvidence,
        ])
          assert.ok(Number.isFinite(value));
      },
    ),
    { numRuns: 500 },
  );
});

test('noise whose edges are nearly parallel is measured at once (its extrapolated sheet is millions of pixels wide)', {
  timeout: 10_000,
}, () => {
  // A 34 × 32 image fast-check found (seed 13): the cut-corner sweep took as many samples as the
  // sheet's width said, billions, and the run never ended.
  const data = Buffer.from(
    '+4a33kTV3Py1AIBfUWb3KQYCa5UF5VOycJCVQyYAeY9vJwMDpfkEaEo7O4F8HNP99QJEXHgIwqybBUYUk/oGTL8GBzW+B6oBE5cEvQEs6U33mE73/y0Ct/1jBwH6wAoDkOBlQoZm/kv6+NItjQEczgcCBo0HBSEFVbwIAPyihbf616OuAaWKm1z/ryS5Q9o9Vf1/4eoO/poDWemeJJ2L3Qf9YgVZBCgHcwAClhP5/XQ6r5WsAVf5UwYFBunEVQDhYy/q+8pvB//XTBsW7P5viYEBlWd6BAQJXweidNKgBAxL/8EDwYmEb/z7UgcHAtEGXP5iMpaPyAfU+wIlMAQr964BKAiixqb8DQQP2yawj/8G/ktHAWgN9AS/DwTK4hjh+xfyqBJS+V7zB4j5uii+/kkaUjWcPYcOsfaxJCYAplMD/PiDtEht+8EfDasDBT8Gsv5OzAoCRYFNk/n8HOJ8M4ICpX5pczxPkL7s+//2pxmz3Y2iPwGzF2C8+li4ATdQ4zfyBOqwbBIlLhFUVfoBWYbSmovEhe0HVQAz7FsGVDNdxzoCBfkDmBmqC2MBg68EXOBznwSuGbwBmPH9B70GHBtI5FghB+lcLj0A8cn5RwwGAfXn5AbbyQXUBfk6swC2okKNZcEJJZ4As/yr0wAFy9cDedcD+xknBOtL/XAhXP3hFwJ6+1NLAv1f7E8HSd8NNyy/WrgGBG9AskfKyvmtw9Dl+btaD/lEoJMPKfgCBqzvY2DkOQ40DNM3PmdrIQeyYltxB/tVXv+C7WMF+wYHBEuiBga7snn6Q7wFhSoB/ooF+xCws1wGB1No+5eG0ZXypzbCKP4B/EfzWWWeWQs6APQAydYI+PrVBgJIz78QewOtTtBd+IPbp2EFSeoXvN+1s8EGARdmSk8diePWlulirVQh7DsCGwETIAJpzTMCugbiWPUNRySTwNFIOpEEEAT4GQPC8PhBxvqc7YSogPqX/kFQqkZ3VuMHjPVQA34A/wemmbd0/jPWNPvxTgXb0BMHBg0D9C4FjBuhWKSYAhA5PehKB/iZkvpeeXffBwbBHSEJb/A43gUj/g74DH4AAGj9BvoNUqIhKb59IUObA/y/xKOPB8hxf/da+4FutFVR2qITVQIcIWxLEACoXq3rd/lXZdQEBNQ9PCYWBQDOQo4G+V4ZiPl02j5aBQENS0gB/jNJtgRdAf30PPsDdkq4ZL79d+/3+vsPjQb8fw85/IqfMjjq0mAd/QInAvujBvkH+AJ82d77BRjhK5WW/3Aq2ZIFAuwdAOmKyYm4GfgFB7p9BJn6U1UHNR4wBARqAgNb0/fsT9i/+aFz+D4CBjJVIQ6rjwQeBZcEag/6QAWcggN5qH+QK/74pSAY6nfXpJaIBBgBVyZPqwKDF8fen/KzpP1ZQhQFuvIFqHcslMVrBiMF/fw6+9H4S7rA+AUX/wZuhgE=',
    'base64',
  );
  const m = measure({ data, width: 34, height: 32 });
  assert.ok(Number.isFinite(m.sheetShare));
});

test('the worker pool judges as the gate does, and a closed pool refuses work', async () => {
  const pool = new QualityGatePool(2);
  try {
    const good = (await testActaImage()).png;
    const blurred = (await testActaImage({ defects: ['blur'] })).png;
    const [a, b, c] = await Promise.all([
      pool.assess(good, KEY),
      pool.assess(blurred, KEY),
      pool.assess(good, '010338B010002'),
    ]);
    assert.equal(a.verdict, 'accept');
    assert.equal(b.verdict, 'reject');
    assert.equal(c.verdict, 'review');
    assert.deepEqual(a, await assessActaImage(good, { claimedKey: KEY }));
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.assess(Buffer.alloc(0)), /closed/);
});

test('the worker pool: one queue, each worker two images at a time, every answer to its own image; closing refuses what waits', async () => {
  const pool = new QualityGatePool(2);
  const good = (await testActaImage()).png;
  const blurred = (await testActaImage({ defects: ['blur'] })).png;
  const images = Array.from({ length: 12 }, (_, i) => (i % 3 === 1 ? blurred : good));
  try {
    const answers = images.map((image, i) => pool.assess(image, i % 3 === 2 ? '010338B010002' : KEY));
    // Four are being judged, two by each worker; the other eight wait for whichever has room first.
    assert.equal(pool.waiting, 8);
    const reports = await Promise.all(answers);
    assert.deepEqual(
      reports.map((r) => r.verdict),
      images.map((_, i) => ['accept', 'reject', 'review'][i % 3]),
    );
    assert.equal(pool.waiting, 0);
    const queued = Array.from({ length: 5 }, () => pool.assess(good, KEY));
    const closing = pool.close();
    const outcomes = await Promise.allSettled(queued);
    await closing;
    // The four being judged end with their workers; the one waiting is refused as closed.
    assert.ok(outcomes.every((o) => o.status === 'rejected'));
    assert.match(String((outcomes[4] as PromiseRejectedResult).reason), /closed/);
  } finally {
    await pool.close();
  }
});

test('the capture view: a phone shot turned upright and cropped to the sheet; the original bytes untouched', async () => {
  const { png } = await testActaImage({ style: 'phone' });
  const original = Buffer.from(png);
  const report = await assessActaImage(png, { claimedKey: KEY });
  assert.ok(report.corners !== null);
  const view = await sheetView(png, report.corners);
  assert.deepEqual(png, original);
  // A letter sheet (the test acta is one page): width over height near 1700 / 2200.
  assert.ok(Math.abs(view.width / view.height - 1700 / 2200) < 0.04, `${view.width}×${view.height}`);
  assert.ok(Math.abs(view.rotatedDegrees + (report.measures?.skewDegrees ?? 0)) < 2.5);
  // Upright and cropped: the view itself passes the gate as a scanner page would, nearly straight.
  const again = await assessActaImage(view.jpeg, { claimedKey: KEY });
  assert.equal(again.verdict, 'accept', JSON.stringify(again.reasons));
  assert.ok(Math.abs(again.measures?.skewDegrees ?? 99) < 1.5, `${again.measures?.skewDegrees}°`);
  assert.ok((again.measures?.sheetShare ?? 0) > 0.9);
});
