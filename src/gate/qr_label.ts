/**
 * Reading the QR label stuck on an acta at acopio, which carries its CLAVE_ACTA. The label's
 * modules are a few pixels at the gate's working size (about 1,000 px), too few on a phone
 * photo where the sheet fills half the frame or the label is small; so the label is found on
 * the working-size image (where the sheet's top right is, from its corners) and read there
 * first, which costs nothing more, and when that fails the same region is decoded again from
 * the original file at its full resolution — only that crop, never the whole photo — and read
 * with jsQR, on binarised variants, then with ZXing (zxing-wasm) as a second decoder. What a
 * decoder returns is a key only if it has the CLAVE_ACTA's format: jsQR can return "" or
 * bytes that are not a key, and those are an unreadable label, never a key.
 */
import { readFileSync } from 'node:fs';
import jsqrModule from 'jsqr';
import sharp from 'sharp';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import { parseActaKey } from '../domain/keys.ts';
import type { Grey, Measures, Point } from './measure.ts';

// jsQR is CommonJS whose function is its `default` export.
type Decode = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  options?: { inversionAttempts?: 'dontInvert' | 'onlyInvert' | 'attemptBoth' | 'invertFirst' },
) => { data: string } | null;
export const jsQR =
  (jsqrModule as unknown as { default?: Decode }).default ?? (jsqrModule as unknown as Decode);

/**
 * The CLAVE_ACTA a label's text names, or null when the text is not one (empty, a URL,
 * another code, a key with a stray character): only a well-formed key identifies an acta. The
 * label may carry more after the key, separated by `|` (the package's data: entidad, distrito,
 * sección…); the key is what comes before the first `|`.
 */
export function labelKey(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const bar = text.indexOf('|');
  const key = bar === -1 ? text : text.slice(0, bar);
  // parseActaKey tolerates the apostrophe a spreadsheet puts in front; a label never carries it.
  if (key.startsWith("'")) return null;
  return parseActaKey(key).ok ? key : null;
}

/** A rectangle in an image's pixels. */
export interface Region {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Where the label is on an image `width` × `height` whose sheet has these corners (in the same
 * pixels): the sheet's top right (acta_form.ts: 74–94% across, 5–20% down on a letter page,
 * less down a longer one), with a margin for a photo's turn; the whole image without corners.
 */
export function labelRegion(
  corners: Readonly<Record<'top_left' | 'top_right' | 'bottom_right' | 'bottom_left', Point>> | null,
  width: number,
  height: number,
): Region {
  if (corners === null) return { left: 0, top: 0, width, height };
  // The region's corners placed on the sheet's quadrilateral, not its bounding box: in
  // perspective the top edge is shorter, and the label sits further in than a share of the box.
  const at = (s: number, t: number) => {
    const top = {
      x: corners.top_left.x + (corners.top_right.x - corners.top_left.x) * s,
      y: corners.top_left.y + (corners.top_right.y - corners.top_left.y) * s,
    };
    const bottom = {
      x: corners.bottom_left.x + (corners.bottom_right.x - corners.bottom_left.x) * s,
      y: corners.bottom_left.y + (corners.bottom_right.y - corners.bottom_left.y) * s,
    };
    return { x: top.x + (bottom.x - top.x) * t, y: top.y + (bottom.y - top.y) * t };
  };
  const points = [at(0.66, -0.01), at(1.02, -0.01), at(1.02, 0.25), at(0.66, 0.25)];
  const x0 = Math.max(0, Math.floor(Math.min(...points.map((p) => p.x))));
  const y0 = Math.max(0, Math.floor(Math.min(...points.map((p) => p.y))));
  const x1 = Math.min(width, Math.ceil(Math.max(...points.map((p) => p.x))));
  const y1 = Math.min(height, Math.ceil(Math.max(...points.map((p) => p.y))));
  return { left: x0, top: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/**
 * A region of the displayed image (EXIF `orientation` applied) in the pixels of the image as
 * stored, `width` × `height`: each EXIF orientation's turn or mirror undone.
 */
export function storedRegion(region: Region, orientation: number, width: number, height: number): Region {
  const back = (x: number, y: number): readonly [number, number] => {
    switch (orientation) {
      case 2:
        return [width - x, y];
      case 3:
        return [width - x, height - y];
      case 4:
        return [x, height - y];
      case 5:
        return [y, x];
      case 6:
        return [y, height - x];
      case 7:
        return [width - y, height - x];
      case 8:
        return [width - y, x];
      default:
        return [x, y];
    }
  };
  const [ax, ay] = back(region.left, region.top);
  const [bx, by] = back(region.left + region.width, region.top + region.height);
  return {
    left: Math.min(ax, bx),
    top: Math.min(ay, by),
    width: Math.abs(bx - ax),
    height: Math.abs(by - ay),
  };
}

/** The grey pixels of a region, as the RGBA jsQR and ZXing read. */
function rgba(image: Grey, r: Region): Uint8ClampedArray {
  const out = new Uint8ClampedArray(r.width * r.height * 4);
  let i = 0;
  for (let y = r.top; y < r.top + r.height; y++)
    for (let x = r.left; x < r.left + r.width; x++) {
      const v = image.data[y * image.width + x]!;
      out[i++] = v;
      out[i++] = v;
      out[i++] = v;
      out[i++] = 255;
    }
  return out;
}

const whole = (image: Grey): Region => ({ left: 0, top: 0, width: image.width, height: image.height });

/** jsQR on a grey image (or a region of it); the key it reads, or null. */
function jsqrKey(image: Grey, region: Region = whole(image)): string | null {
  if (region.width < 21 || region.height < 21) return null;
  const found = jsQR(rgba(image, region), region.width, region.height, { inversionAttempts: 'dontInvert' });
  return labelKey(found?.data);
}

/**
 * The label read on the working-size image, as the phone app could (synchronous, jsQR only):
 * first where it is stuck on, then on the whole image.
 */
export function readQrLabel(image: Grey, corners: Measures['corners']): string | null {
  if (corners !== null) {
    const found = jsqrKey(image, labelRegion(corners, image.width, image.height));
    if (found !== null) return found;
  }
  return jsqrKey(image);
}

/**
 * A local (adaptive) threshold: each pixel against the mean of a window about `window` pixels
 * wide around it, less a small offset — black modules stay black under a shadow or a gradient
 * that a single threshold would turn all black or all white.
 */
export function binarise(image: Grey, window: number): Grey {
  const { width: w, height: h, data } = image;
  const stride = w + 1;
  const sum = new Float64Array(stride * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += data[y * w + x]!;
      sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1]! + row;
    }
  }
  const half = Math.max(1, Math.floor(window / 2));
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - half);
    const y1 = Math.min(h, y + half + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - half);
      const x1 = Math.min(w, x + half + 1);
      const total =
        sum[y1 * stride + x1]! - sum[y0 * stride + x1]! - sum[y1 * stride + x0]! + sum[y0 * stride + x0]!;
      const mean = total / ((x1 - x0) * (y1 - y0));
      out[y * w + x] = data[y * w + x]! < mean - 6 ? 0 : 255;
    }
  }
  return { data: out, width: w, height: h };
}

/** A grey image scaled by `factor` (< 1), each pixel the mean of the ones it covers. */
function shrink(image: Grey, factor: number): Grey {
  const w = Math.max(1, Math.floor(image.width * factor));
  const h = Math.max(1, Math.floor(image.height * factor));
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy0 = Math.floor(y / factor);
    const sy1 = Math.min(image.height, Math.max(sy0 + 1, Math.floor((y + 1) / factor)));
    for (let x = 0; x < w; x++) {
      const sx0 = Math.floor(x / factor);
      const sx1 = Math.min(image.width, Math.max(sx0 + 1, Math.floor((x + 1) / factor)));
      let total = 0;
      for (let sy = sy0; sy < sy1; sy++)
        for (let sx = sx0; sx < sx1; sx++) total += image.data[sy * image.width + sx]!;
      out[y * w + x] = Math.round(total / ((sy1 - sy0) * (sx1 - sx0)));
    }
  }
  return { data: out, width: w, height: h };
}

let zxingReady: Promise<unknown> | null = null;

/**
 * ZXing's reader, its WebAssembly loaded from node_modules: zxing-wasm's default fetches the
 * .wasm from a CDN, which a CATD without internet (and a gate that must not reach out) cannot.
 */
function zxing(): Promise<unknown> {
  zxingReady ??= prepareZXingModule({
    overrides: {
      wasmBinary: readFileSync(new URL(import.meta.resolve('zxing-wasm/reader/zxing_reader.wasm')))
        .buffer as ArrayBuffer,
    },
    fireImmediately: true,
  });
  return zxingReady;
}

/** ZXing on a grey image; the key it reads, or null. */
export async function zxingKey(image: Grey): Promise<string | null> {
  if (image.width < 21 || image.height < 21) return null;
  await zxing();
  const data = rgba(image, whole(image));
  const results = await readBarcodes({ data, width: image.width, height: image.height } as ImageData, {
    formats: ['QRCode'],
    tryHarder: true,
    tryRotate: true,
    tryInvert: false,
    maxNumberOfSymbols: 1,
  });
  for (const r of results) if (r.isValid) return labelKey(r.text);
  return null;
}

/** Which reading found the label, for the benchmark and the tests. */
export type LabelSource =
  | 'working'
  | 'full'
  | 'full_binarised'
  | 'full_scaled'
  | 'zxing'
  | 'zxing_sharpened'
  | null;

type Corners = Readonly<Record<'top_left' | 'top_right' | 'bottom_right' | 'bottom_left', Point>>;

/**
 * Reads the label: where it is stuck on, on the working-size image, then that region decoded
 * from the original file at full resolution, then the whole working-size image (a label not
 * where the corners say). `corners`: the sheet's corners in the displayed image's pixels
 * (`display`, EXIF orientation applied), null when the sheet was not found: the whole image is
 * then searched at the working size only, a 12 MP decode of no sheet not being worth it.
 */
export async function readLabelFullResolution(
  bytes: Uint8Array,
  working: Grey,
  display: { readonly width: number; readonly height: number; readonly maxPixels: number },
  corners: Corners | null,
): Promise<{ key: string | null; source: LabelSource }> {
  const found = (key: string | null, source: LabelSource) => ({ key, source: key === null ? null : source });
  if (corners === null) return found(jsqrKey(working), 'working');
  const scale = working.width / display.width;
  const at = (p: Point): Point => ({ x: p.x * scale, y: p.y * scale });
  const workingCorners = {
    top_left: at(corners.top_left),
    top_right: at(corners.top_right),
    bottom_right: at(corners.bottom_right),
    bottom_left: at(corners.bottom_left),
  };
  const near = jsqrKey(working, labelRegion(workingCorners, working.width, working.height));
  if (near !== null) return found(near, 'working');
  // The working size is the full size for a small image: nothing more to decode.
  if (scale < 1) {
    const full = await readFullResolution(
      bytes,
      labelRegion(corners, display.width, display.height),
      display.maxPixels,
    );
    if (full.key !== null) return full;
  }
  return found(jsqrKey(working), 'working');
}

/** The label's region (displayed pixels) decoded from the file at full resolution and read. */
export async function readFullResolution(
  bytes: Uint8Array,
  region: Region,
  maxPixels: number,
): Promise<{ key: string | null; source: LabelSource }> {
  if (region.width < 21 || region.height < 21) return { key: null, source: null };
  let crop: Grey;
  try {
    // The crop is cut from the file as stored, then turned: cutting after the EXIF turn would
    // make libvips turn — so decode — the whole 12 MP photo, while a JPEG cut decodes only the
    // rows down to the label's bottom (the label is at the sheet's top).
    const input = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated', ignoreIcc: true });
    const meta = await input.metadata();
    const { data, info } = await input
      .extract(storedRegion(region, meta.orientation ?? 1, meta.width, meta.height))
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('b-w')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    crop = {
      data: info.channels === 1 ? data : data.filter((_, i) => i % info.channels === 0),
      width: info.width,
      height: info.height,
    };
  } catch {
    // The working-size decode of the same bytes succeeded; a crop that fails is a file libvips
    // half reads — the label is then unreadable, the person decides.
    return { key: null, source: null };
  }
  // A 12 MP photo's label has modules of 15–20 px: at half size jsQR reads it in a quarter of
  // the time (and its 8 px blocks see less of the sensor's noise), so that is tried first; a
  // small label keeps its full resolution next.
  const large = Math.min(crop.width, crop.height) > 800;
  const half = large ? shrink(crop, 0.5) : null;
  if (half !== null) {
    const scaled = jsqrKey(half);
    if (scaled !== null) return { key: scaled, source: 'full_scaled' };
  }
  const full = jsqrKey(crop);
  if (full !== null) return { key: full, source: 'full' };
  // The label is about 60% of its region's side and 29 modules with its quiet zone: a window
  // of a tenth of the region is about five modules, under a finder pattern's seven, so the
  // threshold follows the light across the label without swallowing a finder.
  const target = half ?? crop;
  const window = Math.max(15, Math.round(Math.min(target.width, target.height) / 10));
  const binarised = jsqrKey(binarise(target, window));
  if (binarised !== null) return { key: binarised, source: 'full_binarised' };
  const second = await zxingKey(crop);
  if (second !== null) return { key: second, source: 'zxing' };
  // A scan blurred past where jsQR and ZXing find the modules' edges (σ about 0.45 mm, where the
  // boxes still read): an unsharp mask of about a module restores enough of them for ZXing. Last,
  // as it costs a sharp pass and a ZXing read (some 90 ms), only on a label nothing else read.
  const sharpened = await unsharp(crop);
  const third = sharpened === null ? null : await zxingKey(sharpened);
  return third !== null ? { key: third, source: 'zxing_sharpened' } : { key: null, source: null };
}

/** The crop through an unsharp mask (σ 3 px, strong on edges and flat areas alike); null when sharp fails. */
async function unsharp(image: Grey): Promise<Grey | null> {
  try {
    const { data, info } = await sharp(image.data, {
      raw: { width: image.width, height: image.height, channels: 1 },
    })
      .sharpen({ sigma: 3, m1: 3, m2: 6 })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return {
      data: info.channels === 1 ? data : data.filter((_, i) => i % info.channels === 0),
      width: info.width,
      height: info.height,
    };
  } catch {
    return null;
  }
}
