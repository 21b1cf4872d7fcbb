/**
 * Synthetic actas de escrutinio y cómputo: an SVG page laid out like an INE acta — the header
 * (entidad, distrito, sección, casilla, election), the QR label stuck on at acopio carrying the
 * CLAVE_ACTA, and the table with a row and a box per option on the ballot, the four boxes above
 * it and the total — with handwritten-looking numbers drawn from the handwriting fonts Debian
 * ships (docs/images.md), each digit with its own size, slant, rotation and offset. Pure and
 * deterministic from its inputs and seed; rasterised by `render_acta.ts`.
 *
 * The layout is returned beside the page: where every box is, in pixels of the page, so a screen
 * can point at a box and the evaluation can crop one.
 */
import QRCode from 'qrcode';
import type { Random } from '../random.ts';
import {
  boxRect,
  MARGIN,
  PAGE,
  pageHeight,
  QR_LABEL,
  registrationMarks,
  type Rect,
  ROW,
  TABLE_TOP,
  tableBottom,
} from '../../domain/acta_form.ts';

export { PAGE, type Rect };

/** Handwriting fonts packaged in Debian (fonts-dkg-handwriting, fonts-breip, …); fontconfig finds them by family. */
export const HANDWRITING_FONTS = [
  'dkg',
  'Breip',
  'Femkeklaver',
  'Humor Sans',
  'Kristi',
  'Dancing Script',
  'Kaushan Script',
  'Comic Neue',
  'Because We Learn',
  'Because We Build',
] as const;

export type BoxValue = number | 'ilegible' | 'sin_dato';

export interface ActaContent {
  readonly actaKey: string;
  readonly contestTitle: string;
  readonly entidad: string;
  readonly distrito: string;
  readonly seccion: string;
  readonly casilla: string;
  /** The boxes in the acta's order, with what was written in each. */
  readonly boxes: readonly { readonly key: string; readonly label: string; readonly value: BoxValue }[];
}

export interface ActaLayout {
  readonly width: number;
  readonly height: number;
  readonly qr: Rect;
  readonly boxes: readonly (Rect & { readonly key: string })[];
}

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/** The QR label's modules as one SVG path (one square per dark module), error correction M. */
export function qrPath(text: string, x: number, y: number, size: number): string {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 4;
  const cell = size / (n + 2 * quiet);
  let d = '';
  for (let row = 0; row < n; row++)
    for (let col = 0; col < n; col++)
      if (qr.modules.get(row, col))
        d += `M${(x + (col + quiet) * cell).toFixed(2)} ${(y + (row + quiet) * cell).toFixed(2)}h${cell.toFixed(2)}v${cell.toFixed(2)}h-${cell.toFixed(2)}z`;
  return d;
}

/** What is written in a box: its digits; nothing for Sin dato (an illegible box is drawn as scribble). */
export function writtenText(value: BoxValue): string {
  return typeof value === 'number' ? String(value) : '';
}

/** The page as SVG, and where each box is on it. */
export function actaSvg(
  content: ActaContent,
  random: Random,
  /** The QR label as stuck on, peeled off (missing), or scratched and torn (damaged). */
  label: 'present' | 'missing' | 'damaged' = 'present',
): { svg: string; layout: ActaLayout; font: string } {
  const font = HANDWRITING_FONTS[random.int(0, HANDWRITING_FONTS.length - 1)]!;
  const ink = random.pick(['#1b2a6b', '#13183a', '#222222', '#1f3f8f']);
  const parts: string[] = [];
  const text = (
    x: number,
    y: number,
    size: number,
    body: string,
    extra = '',
    family = 'DejaVu Sans, Liberation Sans, sans-serif',
  ) =>
    parts.push(
      `<text x="${x}" y="${y}" font-family="${family}" font-size="${size}" fill="#111"${extra}>${escapeXml(body)}</text>`,
    );
  parts.push(''); // the paper, once the page's height is known
  text(MARGIN, 150, 40, 'ACTA DE ESCRUTINIO Y CÓMPUTO DE CASILLA', ' font-weight="bold"');
  text(MARGIN, 205, 34, content.contestTitle);
  const header: [string, string][] = [
    ['ENTIDAD', content.entidad],
    ['DISTRITO', content.distrito],
    ['SECCIÓN', content.seccion],
    ['CASILLA', content.casilla],
  ];
  header.forEach(([label, value], i) => {
    const y = 280 + i * 58;
    text(MARGIN, y, 26, label);
    parts.push(
      `<rect x="${MARGIN + 190}" y="${y - 34}" width="640" height="46" fill="none" stroke="#444" stroke-width="2"/>`,
    );
    text(MARGIN + 205, y, 28, value);
  });
  // The QR label, a white sticker on the top right corner.
  const qr = QR_LABEL;
  if (label !== 'missing') {
    parts.push(
      `<rect x="${qr.x - 12}" y="${qr.y - 12}" width="${qr.width + 24}" height="${qr.height + 70}" fill="#ffffff" stroke="#bbb" stroke-width="2"/>`,
    );
    parts.push(`<path d="${qrPath(content.actaKey, qr.x, qr.y, qr.width)}" fill="#000"/>`);
    text(qr.x + 20, qr.y + qr.height + 42, 30, content.actaKey, '', 'DejaVu Sans Mono, monospace');
  }
  if (label === 'damaged') {
    // Torn across its finder patterns and scratched: no decoder can read it.
    parts.push(
      `<path d="M${qr.x - 12} ${qr.y + 40} L${qr.x + qr.width * 0.6} ${qr.y - 12} L${qr.x + qr.width + 12} ${qr.y - 12} L${qr.x + qr.width + 12} ${qr.y + 120} L${qr.x + 60} ${qr.y + qr.height * 0.55} L${qr.x - 12} ${qr.y + qr.height * 0.7} Z" fill="#fbfaf5"/>`,
    );
    for (let i = 0; i < 6; i++)
      parts.push(
        `<line x1="${qr.x + random.int(0, qr.width)}" y1="${qr.y + random.int(0, qr.height)}" x2="${qr.x + random.int(0, qr.width)}" y2="${qr.y + random.int(0, qr.height)}" stroke="#fbfaf5" stroke-width="${random.int(10, 22)}"/>`,
      );
  }
  // The table.
  const top = TABLE_TOP;
  const boxes: (Rect & { key: string })[] = [];
  parts.push(
    `<line x1="${MARGIN}" y1="${top - 20}" x2="${PAGE.width - MARGIN}" y2="${top - 20}" stroke="#333" stroke-width="3"/>`,
  );
  content.boxes.forEach((box, i) => {
    const y = top + i * ROW;
    if (i % 2 === 0)
      parts.push(
        `<rect x="${MARGIN}" y="${y}" width="${PAGE.width - 2 * MARGIN}" height="${ROW}" fill="#eef0f4"/>`,
      );
    text(MARGIN + 14, y + 41, 27, box.label.length > 52 ? `${box.label.slice(0, 51)}…` : box.label);
    const rect = { key: box.key, ...boxRect(i) };
    boxes.push(rect);
    parts.push(
      `<rect x="${rect.x}" y="${rect.y}" width="${rect.width}" height="${rect.height}" fill="#ffffff" stroke="#333" stroke-width="2"/>`,
    );
    // Handwriting: each character with its own size, slant, rotation and offset, drawn in its
    // own frame (librsvg applies transforms, not transform-origin).
    if (box.value === 'ilegible') {
      // What an illegible box looks like: overwritten strokes nobody can read.
      for (let stroke = 0; stroke < 3; stroke++) {
        let d = `M${rect.x + 150 + random.int(0, 60)} ${rect.y + random.int(8, rect.height - 8)}`;
        for (let k = 0; k < 7; k++)
          d += ` L${rect.x + 150 + random.int(0, 220)} ${rect.y + random.int(6, rect.height - 6)}`;
        parts.push(
          `<path d="${d}" fill="none" stroke="${ink}" stroke-width="${random.int(3, 5)}" stroke-linejoin="round"/>`,
        );
      }
      return;
    }
    const written = writtenText(box.value);
    const size = random.int(46, 58);
    const slant = random.int(-14, 4);
    let cursor = rect.x + rect.width - 40 - written.length * size * 0.55 + random.int(-20, 10);
    for (const character of written) {
      const charSize = size + random.int(-5, 5);
      const cx = cursor + random.int(-3, 3);
      const cy = rect.y + rect.height - 10 + random.int(-4, 4);
      parts.push(
        `<g transform="translate(${cx} ${cy}) rotate(${random.int(-8, 8)}) skewX(${slant})"><text x="0" y="0" font-family="${font}" font-size="${charSize}" fill="${ink}">${escapeXml(character)}</text></g>`,
      );
      cursor += charSize * (0.5 + random.next() * 0.15);
    }
  });
  const bottom = tableBottom(content.boxes.length);
  parts.push(
    `<line x1="${MARGIN}" y1="${bottom}" x2="${PAGE.width - MARGIN}" y2="${bottom}" stroke="#333" stroke-width="3"/>`,
  );
  text(MARGIN, bottom + 70, 24, 'Funcionarios de la mesa directiva de casilla: nombre y firma');
  for (let i = 0; i < 3; i++)
    parts.push(
      `<line x1="${MARGIN + i * 500}" y1="${bottom + 190}" x2="${MARGIN + i * 500 + 420}" y2="${bottom + 190}" stroke="#555" stroke-width="2"/>`,
    );
  const height = pageHeight(content.boxes.length);
  parts[0] = `<rect width="${PAGE.width}" height="${height}" fill="#fbfaf5"/>`;
  // The form's registration marks: the gate finds them to tell a whole page from a cut one and
  // to measure the perspective.
  for (const mark of registrationMarks(height))
    parts.push(
      `<rect x="${mark.x}" y="${mark.y}" width="${mark.width}" height="${mark.height}" fill="#000"/>`,
    );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${PAGE.width}" height="${height}" viewBox="0 0 ${PAGE.width} ${height}">${parts.join('')}</svg>`;
  return { svg, layout: { width: PAGE.width, height, qr, boxes }, font };
}

/**
 * Another document of the package photographed by mistake (the wrong-document defect): the
 * constancia de clausura, with the same QR label stuck on it — the label alone would accept it.
 */
export function otherDocumentSvg(actaKey: string, random: Random): string {
  const lines: string[] = [];
  for (let i = 0; i < 14; i++) {
    const y = 620 + i * 90;
    lines.push(
      `<line x1="${MARGIN}" y1="${y}" x2="${PAGE.width - MARGIN - random.int(0, 400)}" y2="${y}" stroke="#666" stroke-width="2"/>`,
    );
  }
  const qr = QR_LABEL;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${PAGE.width}" height="${PAGE.height}" viewBox="0 0 ${PAGE.width} ${PAGE.height}"><rect width="${PAGE.width}" height="${PAGE.height}" fill="#fbfaf5"/><text x="${MARGIN}" y="160" font-family="DejaVu Sans, sans-serif" font-size="38" font-weight="bold" fill="#111">CONSTANCIA DE CLAUSURA DE CASILLA</text><text x="${MARGIN}" y="215" font-family="DejaVu Sans, sans-serif" font-size="30" fill="#111">Y REMISIÓN DEL PAQUETE ELECTORAL</text><rect x="${qr.x - 12}" y="${qr.y - 12}" width="${qr.width + 24}" height="${qr.height + 24}" fill="#ffffff" stroke="#bbb" stroke-width="2"/><path d="${qrPath(actaKey, qr.x, qr.y, qr.width)}" fill="#000"/>${lines.join('')}</svg>`;
}
