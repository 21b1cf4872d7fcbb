/**
 * What goes wrong with acta images in the field, each applied on purpose and labelled in the
 * ground truth: blur, motion blur, too dark, overexposed, glare, too low a resolution, a cut-off
 * corner, strong rotation, heavy JPEG compression — and the phone style itself (the sheet on a
 * table, in perspective, under uneven light). The QR label's defects (missing, damaged) and the
 * wrong document are drawn into the page (synthetic_acta.ts). All with sharp, deterministic
 * from the random source.
 */
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import type { Random } from '../random.ts';

export const IMAGE_DEFECTS = [
  'blur',
  'motion_blur',
  'too_dark',
  'overexposed',
  'glare',
  'low_resolution',
  'cut_corner',
  'rotated',
  'heavy_jpeg',
  'qr_missing',
  'qr_damaged',
  'wrong_document',
] as const;
export type ImageDefect = (typeof IMAGE_DEFECTS)[number];

/** Defects drawn into the page rather than applied to its pixels. */
export const PAGE_DEFECTS: ReadonlySet<ImageDefect> = new Set(['qr_missing', 'qr_damaged', 'wrong_document']);

export interface Photographed {
  readonly bytes: Buffer;
  readonly format: 'png' | 'jpeg';
}

/** Decoded pixels between steps: encoding to PNG and back at every step cost more than the steps. */
interface Pixels {
  readonly data: Buffer;
  readonly info: OutputInfo;
}

const open = (image: Pixels) =>
  sharp(image.data, {
    raw: { width: image.info.width, height: image.info.height, channels: image.info.channels },
  });
const pixels = (pipeline: Sharp): Promise<Pixels> => pipeline.raw().toBuffer({ resolveWithObject: true });

/** The table's wood, in grey (its luminance): the phone shot is made in grey and warmed at the end. */
const TABLE_GREY = 87;

/** The projective map sending each of four points to its pair (an 8 × 8 linear system, solved by elimination). */
export function homography(
  from: readonly (readonly [number, number])[],
  to: readonly (readonly [number, number])[],
) {
  const [a, b, c, d, e, f, g, h] = homographyCoefficients(from, to);
  return (x: number, y: number): [number, number] => {
    const w = g * x + h * y + 1;
    return [(a * x + b * y + c) / w, (d * x + e * y + f) / w];
  };
}

/** `homography`'s map as its eight coefficients: (x, y) ↦ ((ax + by + c) / w, (dx + ey + f) / w), w = gx + hy + 1. */
export function homographyCoefficients(
  from: readonly (readonly [number, number])[],
  to: readonly (readonly [number, number])[],
): readonly [number, number, number, number, number, number, number, number] {
  const rows: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    rows.push([x, y, 1, 0, 0, 0, -x * u, -y * u, u]);
    rows.push([0, 0, 0, x, y, 1, -x * v, -y * v, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(rows[r]![col]!) > Math.abs(rows[pivot]![col]!)) pivot = r;
    [rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!];
    const p = rows[col]!;
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = rows[r]![col]! / p[col]!;
      if (f !== 0) for (let k = col; k < 9; k++) rows[r]![k]! -= f * p[k]!;
    }
  }
  return rows.map((r, i) => r[8]! / r[i]!) as unknown as readonly [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
}

/**
 * The page seen by a camera tilted towards it: its far (top) edge shorter than the near one —
 * a true perspective (projective) warp of the grey page, sampled bilinearly; outside the page,
 * the table.
 */
function keystone(page: Pixels, topScale: number, shift: number): Pixels {
  const { width: w, height: h } = page.info;
  const inset = (w * (1 - topScale)) / 2;
  // Each output pixel looks up where it came from on the page.
  const toPage = homography(
    [
      [inset + shift, 0],
      [w - inset + shift, 0],
      [w, h],
      [0, h],
    ],
    [
      [0, 0],
      [w, 0],
      [w, h],
      [0, h],
    ],
  );
  const src = page.data;
  const out = Buffer.alloc(w * h, TABLE_GREY);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [u, v] = toPage(x + 0.5, y + 0.5);
      const fx = u - 0.5;
      const fy = v - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= w || y0 + 1 >= h) continue;
      const ax = fx - x0;
      const ay = fy - y0;
      const i = y0 * w + x0;
      const top = src[i]! * (1 - ax) + src[i + 1]! * ax;
      const bottom = src[i + w]! * (1 - ax) + src[i + w + 1]! * ax;
      out[y * w + x] = top * (1 - ay) + bottom * ay;
    }
  return { data: out, info: { ...page.info, channels: 1, size: out.length } };
}

/**
 * The page as a phone takes it: on a wooden table, in perspective (the top edge 3–9% shorter),
 * turned and sheared a little, lit from one side, under warm indoor light. Worked in one grey
 * channel, with the perspective, the light and the warmth as arithmetic on the pixels:
 * libvips' composites on a whole colour page took three times as long.
 */
async function phoneShot(page: Pixels, random: Random): Promise<Pixels> {
  const topScale = 0.91 + random.next() * 0.06;
  const inset = (page.info.width * (1 - topScale)) / 2;
  const tilted = keystone(page, topScale, (random.next() - 0.5) * inset);
  const angle = ((random.next() - 0.5) * 8 * Math.PI) / 180;
  const shear = (random.next() - 0.5) * 0.04;
  // Turned and sheared in one resampling: the rotation times the shear.
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const turned = await pixels(
    open(tilted)
      .affine(
        [
          [cos, cos * shear - sin],
          [sin, sin * shear + cos],
        ],
        { background: { r: TABLE_GREY, g: TABLE_GREY, b: TABLE_GREY } },
      )
      .extractChannel(0),
  );
  const { width, height } = turned.info;
  const left = Math.round(width * 0.06);
  const top = Math.round(height * 0.05);
  const placed = await pixels(
    open(turned)
      .extend({
        left,
        top,
        right: Math.round(width * 0.12) - left,
        bottom: Math.round(height * 0.1) - top,
        background: { r: TABLE_GREY, g: TABLE_GREY, b: TABLE_GREY },
      })
      .extractChannel(0),
  );
  // Light falling from one side: washed towards white by a quarter there, darkened by a third
  // across the sheet, along a direction that varies from shot to shot; then warmed (indoor light).
  const w = placed.info.width;
  const h = placed.info.height;
  const dx = 0.3 + random.next() * 0.7;
  const dy = 1 - dx * 0.5;
  const out = Buffer.allocUnsafe(w * h * 3);
  const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
  const grey = placed.data;
  const perX = dx / w / (dx + dy);
  let i = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let t = ((y / h) * dy) / (dx + dy);
    for (let x = 0; x < w; x++, t += perX) {
      // v + (255 − v)·wash, then dimmed: as a·v + b for this pixel's place.
      const wash = 0.25 * (1 - t);
      const dim = 1 - 0.35 * t;
      const lit = (grey[row + x]! * (1 - wash) + 255 * wash) * dim;
      clamped[i++] = lit;
      clamped[i++] = lit * 0.93;
      clamped[i++] = lit * 0.8;
    }
  }
  return {
    data: out,
    info: { ...placed.info, channels: 3, size: out.length },
  };
}

/** A lamp's reflection: an ellipse washed out to white, solid to 60% of its radius, fading to its edge. */
function glare(image: Pixels, cx: number, cy: number, rx: number, ry: number): Pixels {
  const { width, height, channels } = image.info;
  const data = Buffer.from(image.data);
  for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(height, Math.ceil(cy + ry)); y++)
    for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(width, Math.ceil(cx + rx)); x++) {
      const r = Math.hypot((x - cx) / rx, (y - cy) / ry);
      if (r >= 1) continue;
      const opacity = r <= 0.6 ? 1 - (r / 0.6) * 0.1 : 0.9 * (1 - (r - 0.6) / 0.4);
      for (let c = 0; c < channels; c++) {
        const i = (y * width + x) * channels + c;
        data[i] = Math.round(data[i]! + (255 - data[i]!) * opacity);
      }
    }
  return { data, info: image.info };
}

/**
 * Applies the pixel defects in order; the style decides the medium (scanner PNG, phone JPEG).
 * These are gross defects, each well past where a person stops reading the boxes (blur σ
 * 1.3–1.8 mm, a 5–7 mm streak, the paper at an eighth to a fifth of its light, JPEG quality 1–2):
 * the graded severities around that point are the realistic set's (realistic/conditions.ts),
 * on which the thresholds are calibrated.
 */
export async function photograph(
  page: Buffer,
  style: 'scanner' | 'phone',
  defects: readonly ImageDefect[],
  random: Random,
): Promise<Photographed> {
  let image = await pixels(sharp(page).extractChannel(0));
  if (style === 'phone') image = await phoneShot(image, random);
  let jpegQuality = style === 'phone' ? 85 : null;
  for (const defect of defects) {
    const { width, height } = image.info;
    switch (defect) {
      case 'blur':
        image = await pixels(open(image).blur(10 + random.next() * 4));
        break;
      case 'motion_blur': {
        const length = 41 + 2 * random.int(0, 6);
        // A horizontal streak: the middle row of a 3-row kernel (libvips wants both sides odd, ≥ 3).
        const kernel = [...Array(length).fill(0), ...Array(length).fill(1), ...Array(length).fill(0)];
        image = await pixels(open(image).convolve({ width: length, height: 3, kernel, scale: length }));
        break;
      }
      case 'too_dark':
        image = await pixels(open(image).linear(0.12 + random.next() * 0.08, 0));
        break;
      case 'overexposed':
        image = await pixels(open(image).linear(1.8, 110));
        break;
      case 'glare': {
        const cx = Math.round(width * (0.3 + random.next() * 0.4));
        const cy = Math.round(height * (0.3 + random.next() * 0.4));
        image = glare(image, cx, cy, width * 0.28, height * 0.16);
        break;
      }
      case 'low_resolution':
        image = await pixels(open(image).resize({ width: Math.round(width * 0.22) }));
        break;
      case 'cut_corner': {
        // Deep enough to take the form's last box's outer corner (acta_form.ts: on a 13-line acta
        // it ends 32% above the page's bottom, 6.5% in from its right; a phone shot's sheet is
        // a little further in from the image's corner): the gate lets a cut that stops short of
        // the table — its corner found with blank margin round it — through.
        const w = Math.round(width * (0.55 + random.next() * 0.1));
        const h = Math.round(height * (0.5 + random.next() * 0.1));
        const corner = Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><path d="M${width} ${height - h} L${width} ${height} L${width - w} ${height} Z" fill="#2b2b2b"/></svg>`,
        );
        image = await pixels(open(image).composite([{ input: corner }]));
        break;
      }
      case 'rotated':
        image = await pixels(
          open(image).rotate((random.chance(0.5) ? 1 : -1) * (16 + random.next() * 16), {
            background: '#2b2b2b',
          }),
        );
        break;
      case 'heavy_jpeg':
        jpegQuality = 1 + random.int(0, 1);
        break;
      default:
        break; // drawn into the page
    }
  }
  // A phone's JPEG is in colour; a scanner's page stays greyscale.
  const out = style === 'phone' ? open(image) : open(image).toColourspace('b-w');
  if (jpegQuality !== null)
    return { bytes: await out.jpeg({ quality: jpegQuality, mozjpeg: false }).toBuffer(), format: 'jpeg' };
  return { bytes: await out.png(PNG_OPTIONS).toBuffer(), format: 'png' };
}

/** A scanner's PNG: deterministic bytes (no metadata), zlib's default level (level 9 took eight times as long for 13% less). */
export const PNG_OPTIONS = { compressionLevel: 6, adaptiveFiltering: false, palette: false } as const;
