/**
 * What an image file's bytes say before any pixel is decoded: JPEG or PNG, its size, where the
 * image ends (anything after it is a polyglot's payload, or another file glued on), and for a
 * JPEG the quality its encoder used (from the quantisation tables). Pure: bytes in, a value out;
 * every length is checked against the file, so a hostile file gets a reason, never a throw.
 */
import { createInflate, inflateSync } from 'node:zlib';
import { err, ok, type Result } from '../domain/result.ts';

export type ContainerError = 'empty' | 'not-jpeg-or-png' | 'truncated' | 'malformed';

/**
 * What a file may carry besides its pixels. An acta image is a photo or a scan: its metadata
 * (EXIF with a thumbnail fills one 64 KiB segment; XMP, a comment, a few PNG chunks) fits
 * in twice that; an ICC profile, in the hundreds of KiB at most. A JPEG's image data stays
 * under 0.75 bytes per pixel and component: sensor noise at quality 100 without chroma
 * subsampling, the worst real case measured, takes 0.6 (1.78 per colour pixel); an ordinary
 * acta photo, 0.02. Anything beyond is a payload riding on the image.
 */
export const CONTAINER_LIMITS = {
  metadataBytes: 128 * 1024,
  iccBytes: 1024 * 1024,
  jpegBytesPerPixelComponent: 0.75,
  /** The tables and headers of a JPEG, on top of its pixels' share. */
  jpegSlackBytes: 64 * 1024,
} as const;

/** Markup of any kind, where only text belongs (PNG text chunks, JPEG comments). */
const TEXT_MARKUP = /<(?:[!?/]?[a-z][^<>]*>|!--)/i;
/**
 * Active web content, looked for in every metadata segment, binary ones (EXIF, ICC) and XMP
 * (which is XML by design) included. Names of four letters or more, so that random binary
 * bytes do not match by chance (about 1 in 256^5 per position).
 */
const ACTIVE_MARKUP =
  /<\s*\/?\s*(?:script|html|body|head|iframe|frame|object|embed|svg|style|meta|link|base|form|img|video|audio|template)[\s>/]|<!doctype|<\?php|javascript:/i;

export interface Container {
  readonly format: 'jpeg' | 'png';
  readonly width: number;
  readonly height: number;
  /** Bytes after the image's end (JPEG EOI, PNG IEND). */
  readonly trailingBytes: number;
  /** The JPEG quality (1–100, libjpeg's scale) its luminance table corresponds to; null for PNG. */
  readonly jpegQuality: number | null;
  /** PNG: bits per sample (8, 16…); JPEG: 8 (12-bit JPEGs say 12). */
  readonly bitDepth: number;
  /** JPEG components (1 grey, 3 YCbCr, 4 CMYK/YCCK); PNG colour type's channels. */
  readonly channels: number;
  /** Metadata bytes: PNG ancillary chunks, JPEG APPn, COM and reserved segments — all but the ICC profile. */
  readonly metadataBytes: number;
  /** Bytes of the embedded ICC colour profile (PNG iCCP, JPEG APP2 ICC_PROFILE segments). */
  readonly iccBytes: number;
  /** Where markup was found in the metadata ("tEXt", "COM", "XMP"…), or null. */
  readonly markupIn: string | null;
  /** JPEG: the bytes of its image data (file less metadata, ICC and trailing bytes); PNG: its IDAT bytes. */
  readonly imageDataBytes: number;
  /** PNG: where its IDAT data lies, and how many bytes it must decompress to (pngDataExcess). */
  readonly png: { readonly idat: readonly (readonly [number, number])[]; readonly pixelBytes: number } | null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Channels of each PNG colour type. */
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** libjpeg's luminance quantisation table at quality 50 (ITU T.81 Annex K), row by row. */
const STANDARD_LUMINANCE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
/** The zig-zag order in which a DQT segment lists a table's entries. */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
];
const STANDARD_IN_FILE_ORDER = ZIGZAG.map((i) => STANDARD_LUMINANCE[i]!);

/**
 * libjpeg's quality for a luminance table: it scales the standard table by S% (S = 5000/q below
 * 50, 200 − 2q above), clamping entries to 1…255; S is the mean ratio over the entries the
 * clamp left alone.
 */
function estimateQuality(table: readonly number[]): number {
  let sum = 0;
  let n = 0;
  table.forEach((q, k) => {
    if (q > 1 && q < 255) {
      sum += (q * 100) / STANDARD_IN_FILE_ORDER[k]!;
      n++;
    }
  });
  // Every entry clamped: 1s at the top of the scale, 255s at the bottom.
  if (n === 0) return table[0] === 1 ? 100 : 1;
  const scale = sum / n;
  return Math.max(1, Math.min(100, Math.round(scale <= 100 ? (200 - scale) / 2 : 5000 / scale)));
}

export function readContainer(bytes: Uint8Array): Result<Container, ContainerError> {
  if (bytes.length === 0) return err('empty', 'the file is empty (0 bytes)');
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return readJpeg(bytes);
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return readPng(bytes);
  return err('not-jpeg-or-png', 'the file is neither a JPEG nor a PNG image');
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** The PNG chunks a decoder needs; every other known one is ancillary metadata. */
const PNG_CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);
const latin1 = (b: Uint8Array, from: number, to: number) =>
  Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('latin1');

/** Bytes the filtered scanlines of a PNG take (Adam7: the seven passes' own). */
function pngPixelBytes(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) =>
    w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8));
  if (!interlaced) return rows(width, height);
  const passes: readonly (readonly [number, number, number, number])[] = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes)
    total += rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy));
  return total;
}

/**
 * A PNG text chunk's text: tEXt as is; zTXt and compressed iTXt inflated, but never past the
 * metadata budget (a compressed bomb stops there). Null when it does not decompress.
 */
function pngText(type: string, data: Buffer): { keyword: string; text: string; size: number } | null {
  const nul = data.indexOf(0);
  if (nul < 0) return { keyword: '', text: data.toString('latin1'), size: data.length };
  const keyword = data.toString('latin1', 0, nul);
  let compressed = false;
  let at = nul + 1;
  if (type === 'zTXt') {
    compressed = true;
    at++;
  } else if (type === 'iTXt') {
    compressed = data[at] === 1;
    at += 2;
    for (let skip = 0; skip < 2 && at <= data.length; skip++) {
      const end = data.indexOf(0, at);
      at = end < 0 ? data.length : end + 1;
    }
  }
  const body = data.subarray(Math.min(at, data.length));
  if (!compressed)
    return { keyword, text: body.toString(type === 'iTXt' ? 'utf8' : 'latin1'), size: data.length };
  try {
    const text = inflateSync(body, { maxOutputLength: CONTAINER_LIMITS.metadataBytes + 1 });
    return {
      keyword,
      text: text.toString(type === 'iTXt' ? 'utf8' : 'latin1'),
      size: Math.max(data.length, text.length),
    };
  } catch (error) {
    // Past the budget: as large as that, whatever it holds.
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      return { keyword, text: '', size: CONTAINER_LIMITS.metadataBytes + 1 };
    return null;
  }
}

function readPng(bytes: Uint8Array): Result<Container, ContainerError> {
  let at = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let channels = 0;
  let interlaced = false;
  let metadataBytes = 0;
  let iccBytes = 0;
  let markupIn: string | null = null;
  const idat: [number, number][] = [];
  for (;;) {
    if (at + 8 > bytes.length) return err('truncated', 'the PNG ends before its IEND chunk');
    const length = u32(bytes, at);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    const end = at + 12 + length;
    if (end > bytes.length) return err('truncated', `the PNG's ${type} chunk runs past the end of the file`);
    if (at === 8) {
      if (type !== 'IHDR' || length !== 13)
        return err('malformed', 'the PNG does not begin with its IHDR chunk');
      width = u32(bytes, at + 8);
      height = u32(bytes, at + 12);
      bitDepth = bytes[at + 16]!;
      channels = PNG_CHANNELS[bytes[at + 17]!] ?? 0;
      interlaced = bytes[at + 20] === 1;
      if (width === 0 || height === 0 || channels === 0)
        return err('malformed', 'the PNG header gives no size or an unknown colour type');
    }
    const body = at + 8;
    if (type === 'IDAT') idat.push([body, body + length]);
    else if (!PNG_CRITICAL.has(type)) {
      // An unknown chunk a decoder may not skip (upper-case first letter): not a PNG we read.
      if ((bytes[at + 4]! & 0x20) === 0)
        return err('malformed', `the PNG has an unknown critical chunk ${type}`);
      if (type === 'iCCP') iccBytes += length;
      else {
        metadataBytes += length;
        const data = Buffer.from(bytes.buffer, bytes.byteOffset + body, length);
        if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt') {
          const text = pngText(type, data);
          if (text === null) return err('malformed', `the PNG's ${type} chunk does not decompress`);
          metadataBytes += text.size - length;
          const xmp = text.keyword === 'XML:com.adobe.xmp';
          if (markupIn === null && (xmp ? ACTIVE_MARKUP : TEXT_MARKUP).test(text.text))
            markupIn = xmp ? 'XMP' : type;
        } else if (markupIn === null && ACTIVE_MARKUP.test(latin1(bytes, body, body + length)))
          markupIn = type;
      }
    }
    at = end;
    if (type === 'IEND')
      return ok({
        format: 'png',
        width,
        height,
        trailingBytes: bytes.length - at,
        jpegQuality: null,
        bitDepth,
        channels,
        metadataBytes,
        iccBytes,
        markupIn,
        imageDataBytes: idat.reduce((sum, [from, to]) => sum + to - from, 0),
        png: { idat, pixelBytes: pngPixelBytes(width, height, channels * bitDepth, interlaced) },
      });
  }
}

/**
 * How many bytes a PNG's image data carries beyond its pixels: compressed bytes after the
 * zlib stream's end (a decoder stops there and never looks at them), or decompressed bytes
 * past the image's size. Inflated on the thread pool, a slice at a time, nothing kept: a
 * 50-megapixel image costs no more memory than a small one. Null when the data is corrupt.
 */
export async function pngDataExcess(bytes: Uint8Array, container: Container): Promise<number | null> {
  if (container.png === null) return 0;
  const { idat, pixelBytes } = container.png;
  const inflate = createInflate({ chunkSize: 1024 * 1024 });
  let produced = 0;
  let stopped = false;
  const finished = new Promise<boolean>((resolve) => {
    inflate.on('data', (chunk: Buffer) => {
      produced += chunk.length;
      if (produced > pixelBytes && !stopped) {
        stopped = true;
        inflate.destroy();
        resolve(true);
      }
    });
    inflate.on('end', () => resolve(true));
    inflate.on('error', () => resolve(false));
    inflate.on('close', () => resolve(stopped));
  });
  // One write: IDAT chunks written one by one cost a thread-pool round trip each.
  inflate.end(Buffer.concat(idat.map(([from, to]) => bytes.subarray(from, to))));
  if (!(await finished)) return null;
  if (produced > pixelBytes) return produced - pixelBytes;
  if (produced < pixelBytes) return null;
  return container.imageDataBytes - inflate.bytesWritten;
}

function readJpeg(bytes: Uint8Array): Result<Container, ContainerError> {
  let at = 2;
  let width = 0;
  let height = 0;
  let bitDepth = 8;
  let channels = 0;
  let luminance: number[] | null = null;
  let metadataBytes = 0;
  let iccBytes = 0;
  let markupIn: string | null = null;
  for (;;) {
    if (at + 2 > bytes.length) return err('truncated', 'the JPEG ends before its end-of-image marker');
    if (bytes[at] !== 0xff) return err('malformed', `the JPEG has no marker where one belongs (byte ${at})`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9) {
      at += 2;
      break;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    if (at + 4 > bytes.length) return err('truncated', 'the JPEG ends inside a segment header');
    const length = u16(bytes, at + 2);
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length)
      return err('truncated', 'a JPEG segment runs past the end of the file');
    const body = at + 4;
    if (isJpegMetadata(marker)) {
      const data = latin1(bytes, body, end);
      if (marker === 0xe2 && data.startsWith('ICC_PROFILE\0')) iccBytes += length - 2;
      else {
        metadataBytes += length - 2;
        // A comment is text: no markup at all. Other segments are binary or XML (XMP).
        if (markupIn === null && (marker === 0xfe ? TEXT_MARKUP : ACTIVE_MARKUP).test(data))
          markupIn = jpegSegmentName(marker, data);
      }
    } else if (marker === 0xdb) {
      // DQT: one or more tables, each a precision/id byte and 64 entries of 8 or 16 bits.
      let t = body;
      while (t < end) {
        const precision = bytes[t]! >> 4;
        const id = bytes[t]! & 0x0f;
        const size = precision === 0 ? 64 : 128;
        if (t + 1 + size > end) return err('malformed', 'a JPEG quantisation table is cut short');
        if (id === 0) {
          luminance = [];
          for (let k = 0; k < 64; k++)
            luminance.push(precision === 0 ? bytes[t + 1 + k]! : u16(bytes, t + 1 + 2 * k));
        }
        t += 1 + size;
      }
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // SOFn: precision, height, width, components.
      if (length < 8) return err('malformed', 'the JPEG frame header is too short');
      bitDepth = bytes[body]!;
      height = u16(bytes, body + 1);
      width = u16(bytes, body + 3);
      channels = bytes[body + 5]!;
    }
    at = end;
    if (marker === 0xda) {
      // Entropy-coded data: runs to the next marker that is not a stuffed byte or a restart.
      while (at + 1 < bytes.length) {
        if (bytes[at] === 0xff) {
          const next = bytes[at + 1]!;
          if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
        }
        at++;
      }
      if (at + 1 >= bytes.length)
        return err('truncated', 'the JPEG image data is cut short (no end-of-image marker)');
    }
  }
  if (width === 0 || height === 0 || channels === 0) return err('malformed', 'the JPEG has no frame header');
  const jpegQuality = luminance === null ? null : estimateQuality(luminance);
  return ok({
    format: 'jpeg',
    width,
    height,
    trailingBytes: bytes.length - at,
    jpegQuality,
    bitDepth,
    channels,
    metadataBytes,
    iccBytes,
    markupIn,
    imageDataBytes: at - metadataBytes - iccBytes,
    png: null,
  });
}

/** APPn, COM, and the markers reserved for extensions (JPG, JPGn, RES): none is needed to decode. */
function isJpegMetadata(marker: number): boolean {
  return (
    (marker >= 0xe0 && marker <= 0xef) ||
    marker === 0xfe ||
    (marker >= 0xf0 && marker <= 0xfd) ||
    marker === 0xc8 ||
    (marker >= 0x02 && marker <= 0xbf)
  );
}

function jpegSegmentName(marker: number, data: string): string {
  if (marker === 0xfe) return 'COM';
  if (marker === 0xe1 && data.startsWith('Exif\0')) return 'EXIF';
  if (marker === 0xe1 && data.startsWith('http://ns.adobe.com/')) return 'XMP';
  if (marker >= 0xe0 && marker <= 0xef) return `APP${marker - 0xe0}`;
  return `0xFF${marker.toString(16).toUpperCase()}`;
}
