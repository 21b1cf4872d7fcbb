/**
 * What goes wrong with acta images in the field, each applied on purpose and labelled in the
 * ground truth: blur, motion blur, too dark, overexposed, glare, too low a resolution, a cut-off
 * corner, strong rotation, heavy JPEG compression — and the phone style itself (the sheet on a
 * table, in perspective, under uneven light). The QR label's defects (missing, damaged) and the
 * wrong document are drawn into the page (synthetic_acta.ts). All with sharp, deterministic
 * from the random source.
 */
import sharp from 'sharp';
import type { Random } from '../sim/random.ts';

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

/** The page as a phone takes it: on a wooden table, turned a little, lit from one side. */
async function phoneShot(page: Buffer, random: Random): Promise<Buffer> {
  const meta = await sharp(page).metadata();
  const width = meta.width ?? 1700;
  const height = meta.height ?? 2200;
  const angle = (random.next() - 0.5) * 8;
  const shear = (random.next() - 0.5) * 0.08;
  const turned = await sharp(page)
    .affine(
      [
        [1, shear],
        [0, 1],
      ],
      { background: '#6b4f33' },
    )
    .rotate(angle, { background: '#6b4f33' })
    .toBuffer();
  const placed = await sharp(turned).metadata();
  const canvasWidth = Math.round((placed.width ?? width) * 1.12);
  const canvasHeight = Math.round((placed.height ?? height) * 1.1);
  const light = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${canvasWidth}" height="${canvasHeight}"><defs><linearGradient id="l" x1="${random.next()}" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#fff" stop-opacity="0.25"/><stop offset="1" stop-color="#000" stop-opacity="0.35"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#l)"/></svg>`,
  );
  return sharp({
    create: { width: canvasWidth, height: canvasHeight, channels: 3, background: '#6b4f33' },
  })
    .composite([
      { input: turned, left: Math.round(canvasWidth * 0.06), top: Math.round(canvasHeight * 0.05) },
      { input: light, left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
}

/** Applies the pixel defects in order; the style decides the medium (scanner PNG, phone JPEG). */
export async function photograph(
  page: Buffer,
  style: 'scanner' | 'phone',
  defects: readonly ImageDefect[],
  random: Random,
): Promise<Photographed> {
  let image = style === 'phone' ? await phoneShot(page, random) : page;
  const size = async () => {
    const meta = await sharp(image).metadata();
    return { width: meta.width ?? 0, height: meta.height ?? 0 };
  };
  let jpegQuality = style === 'phone' ? 85 : null;
  for (const defect of defects) {
    const { width, height } = await size();
    switch (defect) {
      case 'blur':
        image = await sharp(image)
          .blur(4 + random.next() * 4)
          .toBuffer();
        break;
      case 'motion_blur': {
        const length = 21 + 2 * random.int(0, 6);
        // A horizontal streak: the middle row of a 3-row kernel (libvips wants both sides odd, ≥ 3).
        const kernel = [...Array(length).fill(0), ...Array(length).fill(1), ...Array(length).fill(0)];
        image = await sharp(image).convolve({ width: length, height: 3, kernel, scale: length }).toBuffer();
        break;
      }
      case 'too_dark':
        image = await sharp(image)
          .linear(0.25 + random.next() * 0.1, 0)
          .toBuffer();
        break;
      case 'overexposed':
        image = await sharp(image).linear(1.8, 110).toBuffer();
        break;
      case 'glare': {
        const cx = Math.round(width * (0.3 + random.next() * 0.4));
        const cy = Math.round(height * (0.3 + random.next() * 0.4));
        const glare = Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><radialGradient id="g"><stop offset="0" stop-color="#fff" stop-opacity="1"/><stop offset="0.6" stop-color="#fff" stop-opacity="0.9"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient></defs><ellipse cx="${cx}" cy="${cy}" rx="${Math.round(width * 0.28)}" ry="${Math.round(height * 0.16)}" fill="url(#g)"/></svg>`,
        );
        image = await sharp(image)
          .composite([{ input: glare }])
          .toBuffer();
        break;
      }
      case 'low_resolution':
        image = await sharp(image)
          .resize({ width: Math.round(width * 0.22) })
          .toBuffer();
        break;
      case 'cut_corner': {
        const w = Math.round(width * (0.25 + random.next() * 0.15));
        const h = Math.round(height * (0.18 + random.next() * 0.1));
        const corner = Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><path d="M${width} ${height - h} L${width} ${height} L${width - w} ${height} Z" fill="#2b2b2b"/></svg>`,
        );
        image = await sharp(image)
          .composite([{ input: corner }])
          .toBuffer();
        break;
      }
      case 'rotated':
        image = await sharp(image)
          .rotate((random.chance(0.5) ? 1 : -1) * (12 + random.next() * 20), { background: '#2b2b2b' })
          .toBuffer();
        break;
      case 'heavy_jpeg':
        jpegQuality = 4 + random.int(0, 4);
        break;
      default:
        break; // drawn into the page
    }
  }
  if (jpegQuality !== null)
    return {
      bytes: await sharp(image).jpeg({ quality: jpegQuality, mozjpeg: false }).toBuffer(),
      format: 'jpeg',
    };
  return {
    bytes: await sharp(image)
      .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
      .toBuffer(),
    format: 'png',
  };
}
