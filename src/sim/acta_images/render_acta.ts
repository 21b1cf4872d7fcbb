/**
 * Rasterises a synthetic acta (src/sim/acta_images/synthetic_acta.ts) with sharp (libvips; librsvg
 * draws the SVG with the fonts fontconfig finds) as a 200 dpi scanner or a phone would take it,
 * with the defects asked for (src/sim/acta_images/defects.ts), and its ground truth: the acta key, every
 * box's value, the font, where each box is on the page, the style and the defects.
 */
import sharp from 'sharp';
import { createRandom } from '../random.ts';
import { type ImageDefect, PAGE_DEFECTS, PNG_OPTIONS, photograph } from './defects.ts';
import {
  type ActaContent,
  type ActaLayout,
  actaSvg,
  type BoxValue,
  otherDocumentSvg,
} from './synthetic_acta.ts';

export interface ActaTruth {
  readonly actaKey: string;
  readonly seed: number;
  readonly style: 'scanner' | 'phone';
  readonly format: 'png' | 'jpeg';
  readonly font: string;
  readonly boxes: Readonly<Record<string, BoxValue>>;
  /** Where the QR label and each box are on the page (before any photographing). */
  readonly layout: ActaLayout;
  readonly defects: readonly ImageDefect[];
}

export interface RenderedActa {
  /** The image bytes: PNG from the scanner style, JPEG from a phone or when heavily compressed. */
  readonly png: Buffer;
  readonly truth: ActaTruth;
}

export async function renderActa(
  content: ActaContent,
  seed: number,
  options: { readonly style?: 'scanner' | 'phone'; readonly defects?: readonly ImageDefect[] } = {},
): Promise<RenderedActa> {
  const style = options.style ?? 'scanner';
  const defects = options.defects ?? [];
  const random = createRandom(`acta:${seed}:${content.actaKey}:${style}:${defects.join(',')}`);
  const label = defects.includes('qr_missing')
    ? 'missing'
    : defects.includes('qr_damaged')
      ? 'damaged'
      : 'present';
  const drawn = actaSvg(content, random, label);
  const svg = defects.includes('wrong_document') ? otherDocumentSvg(content.actaKey, random) : drawn.svg;
  // Deterministic bytes: no timestamps or metadata, fixed compression.
  const page = await sharp(Buffer.from(svg), { density: 72 })
    .flatten({ background: '#ffffff' })
    // One grey channel, as a scanner's greyscale PNG (sharp's greyscale() keeps three).
    .toColourspace('b-w')
    .png(PNG_OPTIONS)
    .toBuffer();
  const pixelDefects = defects.filter((d) => !PAGE_DEFECTS.has(d));
  const shot =
    style === 'scanner' && pixelDefects.length === 0
      ? { bytes: page, format: 'png' as const }
      : await photograph(page, style, pixelDefects, random);
  return {
    png: shot.bytes,
    truth: {
      actaKey: content.actaKey,
      seed,
      style,
      format: shot.format,
      font: drawn.font,
      boxes: Object.fromEntries(content.boxes.map((b) => [b.key, b.value])),
      layout: drawn.layout,
      defects,
    },
  };
}
