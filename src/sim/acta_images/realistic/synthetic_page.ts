/**
 * A RealisticPage made from the older synthetic renderer (synthetic_acta.ts, handwriting fonts)
 * with the form's registration marks added: what the scene and the set use until page.ts's
 * `renderRealisticPage` (handwritten digits, stamps, bands, dense label) takes its place — the
 * one function realistic_set.ts calls for a page.
 */
import sharp from 'sharp';
import { MARGIN, PAGE, registrationMarks, TABLE_TOP, tableBottom } from '../../../domain/acta_form.ts';
import { createRandom } from '../../random.ts';
import { type ActaContent, actaSvg, otherDocumentSvg } from '../synthetic_acta.ts';
import type { DigitSplit, RealisticPage } from './types.ts';

export async function syntheticRealisticPage(
  content: ActaContent,
  seed: number,
  options: {
    readonly label: RealisticPage['label'];
    readonly document: RealisticPage['document'];
    readonly digitSplit: DigitSplit;
  },
): Promise<RealisticPage> {
  const random = createRandom(`page:${seed}:${content.actaKey}`);
  const drawn = actaSvg(content, random, options.label);
  const marks = registrationMarks(drawn.layout.height)
    .map((m) => `<rect x="${m.x}" y="${m.y}" width="${m.width}" height="${m.height}" fill="#000"/>`)
    .join('');
  const svg =
    options.document === 'acta'
      ? drawn.svg.replace('</svg>', `${marks}</svg>`)
      : otherDocumentSvg(content.actaKey, random);
  const { data, info } = await sharp(Buffer.from(svg), { density: 72 })
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const height = options.document === 'acta' ? drawn.layout.height : PAGE.height;
  const top = TABLE_TOP - 20;
  const bottom = tableBottom(content.boxes.length);
  const corner = (x: number, y: number) => ({ kind: 'table_corner' as const, x, y, width: 1, height: 1 });
  return {
    pixels: {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
    },
    layout: {
      width: PAGE.width,
      height,
      qr: drawn.layout.qr,
      boxes: drawn.layout.boxes,
      anchors:
        options.document === 'acta'
          ? [
              ...registrationMarks(height).map((m) => ({ ...m, kind: 'registration' as const })),
              corner(MARGIN, top),
              corner(PAGE.width - MARGIN, top),
              corner(PAGE.width - MARGIN, bottom),
              corner(MARGIN, bottom),
            ]
          : [],
    },
    actaKey: content.actaKey,
    boxes: Object.fromEntries(content.boxes.map((b) => [b.key, b.value])),
    document: options.document,
    label: options.label,
    digitSplit: options.digitSplit,
    // The fonts are not split into tuning and evaluation samples: none used.
    digitSamples: [],
  };
}
