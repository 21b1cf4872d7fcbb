/**
 * Hostile containers built from a real acta image: megabytes in ancillary chunks, in APPn or
 * COM segments, inside the PNG's image data after its compressed stream, or in a JPEG far
 * larger than its pixels; markup in text chunks and comments. Each is refused as extra_data
 * with a reason a person understands; the ordinary files cameras, scanners and sharp write
 * (EXIF, ICC, progressive, interlaced, palette, 16-bit, a short text chunk) still pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { testActaImage } from '../test/actas.ts';
import { readContainer } from './container.ts';
import { assessActaImage } from './quality_gate.ts';

const KEY = '010338B010001';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
/** Chunks placed just before IEND, where an encoder would put trailing metadata. */
const beforeIend = (png: Buffer, ...chunks: Buffer[]) =>
  Buffer.concat([png.subarray(0, png.length - 12), ...chunks, png.subarray(png.length - 12)]);
/** Chunks placed right after IHDR, as encoders put iCCP and text. */
const afterIhdr = (png: Buffer, ...chunks: Buffer[]) =>
  Buffer.concat([png.subarray(0, 33), ...chunks, png.subarray(33)]);
function segment(marker: number, data: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
}
const afterSoi = (jpeg: Buffer, ...segments: Buffer[]) =>
  Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
const filler = (n: number) => Buffer.alloc(n, 0x41);

async function assertRefusedAsExtraData(name: string, bytes: Buffer, words: RegExp): Promise<void> {
  const report = await assessActaImage(bytes, { claimedKey: KEY });
  assert.equal(report.verdict, 'reject', `${name}: ${JSON.stringify(report.reasons)}`);
  assert.equal(report.reasons[0]?.code, 'extra_data', `${name}: ${JSON.stringify(report.reasons)}`);
  assert.match(report.reasons[0]!.message, words, name);
}

test('megabytes hidden inside the image (ancillary chunks, APPn, the PNG data stream, a JPEG scan) are refused as extra_data', async () => {
  const png = (await testActaImage()).png;
  const jpeg = await sharp((await testActaImage({ style: 'phone' })).png)
    .jpeg({ quality: 90 })
    .toBuffer();
  const idatEnd = png.length - 12;
  const cases: [string, Buffer, RegExp][] = [
    ['PNG: a 3 MB private chunk', beforeIend(png, chunk('prVt', filler(3_000_000))), /metadatos/],
    [
      'PNG: 200 KB of tEXt',
      afterIhdr(png, chunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), filler(200_000)]))),
      /metadatos/,
    ],
    ['PNG: a 3 MB eXIf', beforeIend(png, chunk('eXIf', filler(3_000_000))), /metadatos/],
    [
      'PNG: a 2 MB iCCP',
      afterIhdr(png, chunk('iCCP', Buffer.concat([Buffer.from('icc\0\0'), filler(2_000_000)]))),
      /perfil de color/,
    ],
    [
      'PNG: 3 MB in an IDAT after the compressed pixels end',
      Buffer.concat([png.subarray(0, idatEnd), chunk('IDAT', filler(3_000_000)), png.subarray(idatEnd)]),
      /después de sus píxeles/,
    ],
    [
      'PNG: a 40 × 30 image carrying 3 MB in IDAT',
      (() => {
        const raw = Buffer.alloc(30 * 41, 0x80);
        for (let y = 0; y < 30; y++) raw[y * 41] = 0;
        const ihdr = Buffer.alloc(13);
        ihdr.writeUInt32BE(40, 0);
        ihdr.writeUInt32BE(30, 4);
        ihdr[8] = 8;
        return Buffer.concat([
          png.subarray(0, 8),
          chunk('IHDR', ihdr),
          chunk('IDAT', Buffer.concat([deflateSync(raw), filler(3_000_000)])),
          chunk('IEND', Buffer.alloc(0)),
        ]);
      })(),
      /después de sus píxeles/,
    ],
    [
      'JPEG: 3 MB in 48 APP1 segments',
      afterSoi(jpeg, ...Array.from({ length: 48 }, () => segment(0xe1, filler(65_000)))),
      /metadatos/,
    ],
    [
      'JPEG: 2 MB in COM segments',
      afterSoi(jpeg, ...Array.from({ length: 32 }, () => segment(0xfe, filler(65_000)))),
      /metadatos/,
    ],
    [
      'JPEG: 2 MB in reserved JPGn segments',
      afterSoi(jpeg, ...Array.from({ length: 32 }, () => segment(0xf1, filler(65_000)))),
      /metadatos/,
    ],
    [
      'JPEG: 3 MB before its end-of-image marker, far more than its pixels can take',
      await (async () => {
        const small = await sharp(jpeg).resize({ width: 600 }).jpeg({ quality: 90 }).toBuffer();
        return Buffer.concat([
          small.subarray(0, small.length - 2),
          filler(3_000_000),
          small.subarray(small.length - 2),
        ]);
      })(),
      /píxeles/,
    ],
  ];
  for (const [name, bytes, words] of cases) await assertRefusedAsExtraData(name, bytes, words);
});

test('markup in text chunks and comments is refused; in XMP (XML by design) only active content is', async () => {
  const png = (await testActaImage()).png;
  const jpeg = await sharp((await testActaImage({ style: 'phone' })).png)
    .jpeg({ quality: 90 })
    .toBuffer();
  const html = '<html><body><script>alert(document.cookie)</script></body></html>';
  const cases: [string, Buffer][] = [
    ['PNG tEXt', afterIhdr(png, chunk('tEXt', Buffer.from(`Comment\0${html}`, 'latin1')))],
    [
      'PNG tEXt, an image tag',
      afterIhdr(png, chunk('tEXt', Buffer.from('Title\0<img src=x onerror=alert(1)>', 'latin1'))),
    ],
    [
      'PNG zTXt (compressed)',
      afterIhdr(
        png,
        chunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync(Buffer.from(html))])),
      ),
    ],
    ['PNG iTXt', afterIhdr(png, chunk('iTXt', Buffer.from(`Comment\0\0\0es\0\0${html}`, 'utf8')))],
    [
      'PNG iTXt (compressed)',
      afterIhdr(
        png,
        chunk(
          'iTXt',
          Buffer.concat([Buffer.from('Comment\0\u0001\0\0\0', 'latin1'), deflateSync(Buffer.from(html))]),
        ),
      ),
    ],
    ['JPEG COM', afterSoi(jpeg, segment(0xfe, Buffer.from(html)))],
    [
      'JPEG XMP with a script',
      afterSoi(
        jpeg,
        segment(
          0xe1,
          Buffer.from(
            `http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"><script>alert(1)</script></x:xmpmeta>`,
          ),
        ),
      ),
    ],
    [
      'JPEG EXIF with a script in a text field',
      afterSoi(
        jpeg,
        segment(0xe1, Buffer.from(`Exif\0\0MM\0*\0\0\0\u0008<script>alert(1)</script>`, 'latin1')),
      ),
    ],
  ];
  for (const [name, bytes] of cases) await assertRefusedAsExtraData(name, bytes, /HTML/);
});

test('what cameras, scanners and encoders write is still accepted: EXIF, ICC, XMP, a short comment, progressive, interlaced, palette, 16-bit', async () => {
  const png = (await testActaImage()).png;
  const phone = (await testActaImage({ style: 'phone' })).png;
  const xmp =
    'http://ns.adobe.com/xap/1.0/\0<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Escáner CATD"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>';
  const withExif = await sharp(phone)
    .withMetadata({ exif: { IFD0: { Make: 'Motorola', Model: 'moto g', Software: 'Camera 8.1' } } })
    .withIccProfile('p3')
    .jpeg({ quality: 92 })
    .toBuffer();
  const files: [string, Buffer][] = [
    ['JPEG with EXIF and a Display P3 profile', withExif],
    [
      'JPEG with XMP and a comment',
      afterSoi(
        withExif,
        segment(0xe1, Buffer.from(xmp)),
        segment(0xfe, Buffer.from('CREATOR: gd-jpeg v1.0 (using IJG JPEG v62), quality = 92')),
      ),
    ],
    ['progressive JPEG', await sharp(phone).jpeg({ quality: 90, progressive: true }).toBuffer()],
    [
      '4:4:4 JPEG at quality 100',
      await sharp(phone).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer(),
    ],
    [
      'scanner PNG with text chunks',
      afterIhdr(png, chunk('tEXt', Buffer.from('Software\0Escáner CATD 2.1 (a < b)', 'latin1'))),
    ],
    ['interlaced PNG', await sharp(png).png({ progressive: true }).toBuffer()],
    ['palette PNG', await sharp(png).png({ palette: true, colours: 16 }).toBuffer()],
    [
      '16-bit PNG with an sRGB profile',
      await sharp(png).toColourspace('rgb16').withIccProfile('srgb').png().toBuffer(),
    ],
    ['PNG split into many IDAT chunks, the last one empty', await splitIdat(png)],
  ];
  for (const [name, bytes] of files) {
    const container = readContainer(bytes);
    assert.ok(container.ok, `${name}: ${container.ok ? '' : container.message}`);
    const report = await assessActaImage(bytes, { claimedKey: KEY });
    assert.ok(
      !report.reasons.some((r) => r.code === 'extra_data' || r.code === 'damaged_file'),
      `${name}: ${JSON.stringify(report.reasons)}`,
    );
  }
});

/** The same PNG with its compressed data cut into 8 KiB IDAT chunks and an empty one at the end. */
async function splitIdat(png: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  const data: Buffer[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') data.push(png.subarray(at + 8, at + 8 + length));
    else {
      if (type === 'IEND') {
        const all = Buffer.concat(data);
        for (let i = 0; i < all.length; i += 8192) parts.push(chunk('IDAT', all.subarray(i, i + 8192)));
        parts.push(chunk('IDAT', Buffer.alloc(0)));
      }
      parts.push(png.subarray(at, at + 12 + length));
    }
    at += 12 + length;
  }
  return Buffer.concat([png.subarray(0, 8), ...parts]);
}
