/**
 * Rasterises a synthetic acta (src/images/synthetic_acta.ts) with sharp (libvips; librsvg
 * draws the SVG with the fonts fontconfig finds) into the image a 200 dpi scanner would give,
 * with its ground truth: the acta key, every box's value, the font, where each box is, and the
 * defects applied (none yet at this stage: the scanner style).
 */
import sharp from 'sharp';
import { createRandom } from '../sim/random.ts';
import { type ActaContent, type ActaLayout, actaSvg, type BoxValue } from './synthetic_acta.ts';

export interface ActaTruth {
  readonly actaKey: string;
  readonly seed: number;
  readonly style: 'scanner';
  readonly font: string;
  readonly boxes: Readonly<Record<string, BoxValue>>;
  readonly layout: ActaLayout;
  readonly defects: readonly string[];
}

export interface RenderedActa {
  readonly png: Buffer;
  readonly truth: ActaTruth;
}

export async function renderActa(content: ActaContent, seed: number): Promise<RenderedActa> {
  const random = createRandom(`acta:${seed}:${content.actaKey}`);
  const { svg, layout, font } = actaSvg(content, random);
  // Deterministic bytes: no timestamps or metadata, fixed compression.
  const png = await sharp(Buffer.from(svg), { density: 72 })
    .flatten({ background: '#ffffff' })
    .greyscale()
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toBuffer();
  return {
    png,
    truth: {
      actaKey: content.actaKey,
      seed,
      style: 'scanner',
      font,
      boxes: Object.fromEntries(content.boxes.map((b) => [b.key, b.value])),
      layout,
      defects: [],
    },
  };
}
