/**
 * The realistic page: an acta as INE prints it, filled in by hand at the casilla and labelled at
 * acopio, before anyone photographs or scans it (scene.ts does that). At 200 dpi, RGB, laid out
 * exactly as src/domain/acta_form.ts says (boxes, QR label, registration marks), so the console's
 * box outlines and the gate's label location hold on it.
 *
 * On it: paper (a tint, low-frequency mottling, fibre), a faint guilloche security background,
 * the printed form in one election colour with LOW-contrast box lines, coloured party bands and
 * logos per row, the four registration marks, numbers written with real handwritten digits
 * (handwriting.ts), the officials' signatures and the casilla's ink stamp, and the QR label: a
 * white sticker with a dense code (version 5, error correction M, ≈ 2.6 cm) whose text is the
 * CLAVE_ACTA then `|` and more data (labelPayload), and the key printed under it.
 *
 * Pure and deterministic from its inputs and seed; librsvg (through sharp) draws the print, the
 * handwriting is laid into the pixels here.
 */
import sharp, { type OverlayOptions } from 'sharp';
import {
  boxRect,
  MARGIN,
  PAGE,
  pageHeight,
  QR_LABEL,
  type Rect,
  ROW,
  registrationMarks,
  TABLE_TOP,
  tableBottom,
} from '../../../domain/acta_form.ts';
import type { Result } from '../../../domain/result.ts';
import { createRandom, type Random } from '../../random.ts';
import { type ActaContent, type BoxValue, qrPath } from '../synthetic_acta.ts';
import {
  type DigitSet,
  type DigitsErrorCode,
  loadDigits,
  type Pen,
  pickPen,
  writeValue,
} from './handwriting.ts';
import type { DigitSplit, RealisticLayout, RealisticPage, RgbPixels } from './types.ts';

export type LabelState = RealisticPage['label'];
export type DocumentKind = RealisticPage['document'];

export interface RealisticPageOptions {
  readonly seed: number | string;
  readonly digitSplit: DigitSplit;
  readonly label?: LabelState;
  readonly document?: DocumentKind;
  /** Where the `mnist` digit files are (tests); the installed package by default. */
  readonly digitsDirectory?: string;
}

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/** The QR label's text: the CLAVE_ACTA, then `|` and the package's data, 72 ASCII characters (QR version 5 at ECC M). */
export const LABEL_PAYLOAD_LENGTH = 72;

/**
 * What the label's QR code carries: the CLAVE_ACTA first, then `|`-separated data of the package
 * (election, entidad, distrito, sección, casilla, a serial), which makes the code dense as real
 * labels are. A reader takes the key as the text before the first `|`.
 */
export function labelPayload(content: ActaContent, random: Random): string {
  const code = (text: string) => text.split(' ')[0]!.replace(/[^0-9A-Z]/gi, '');
  let text = `${content.actaKey}|PEF2024|E${code(content.entidad)}|D${code(content.distrito)}|S${content.seccion}|${content.casilla.replace(/[^0-9A-Z]/gi, '').slice(0, 8)}|`;
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  while (text.length < LABEL_PAYLOAD_LENGTH) text += alphabet[random.int(0, alphabet.length - 1)];
  return text.slice(0, Math.max(LABEL_PAYLOAD_LENGTH, content.actaKey.length + 1));
}

/** The sticker: its side (the code with its quiet zone) and the strip under it with the printed key. */
const STICKER = { width: 252, height: 296 } as const;

/**
 * Layers blended by multiplying are drawn on opaque white: libvips multiplies a half-transparent
 * pixel's premultiplied colour, which greys anything drawn with opacity.
 */
const WHITE = '<rect width="100%" height="100%" fill="#fff"/>';

// ---- Paper -------------------------------------------------------------------------------------

const PAPER_VARIANTS = 3;
const paperCache = new Map<string, Promise<Uint8Array>>();

/**
 * Blank paper with its security background: a tint, low-frequency mottling, fibre and a faint
 * guilloche. The same few sheets are reused (drawn once per height and variant) because they are
 * the page's slowest part and nothing reads them.
 */
function paper(height: number, variant: number): Promise<Uint8Array> {
  const key = `${height}:${variant}`;
  let cached = paperCache.get(key);
  if (cached === undefined) {
    cached = drawPaper(height, variant);
    // Bounded: a long run meets only a few heights (one per ballot length), each sheet is 11 MB.
    if (paperCache.size >= 12) paperCache.delete(paperCache.keys().next().value!);
    paperCache.set(key, cached);
  }
  return cached;
}

async function drawPaper(height: number, variant: number): Promise<Uint8Array> {
  const width = PAGE.width;
  const random = createRandom(`realistic-paper:${height}:${variant}`);
  const tint = [
    [247, 245, 238],
    [244, 243, 239],
    [249, 246, 236],
  ][variant % PAPER_VARIANTS]!;
  const data = new Uint8Array(width * height * 3);
  // Mottling: a coarse grid of values, bilinear between them.
  const cell = 64;
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = Float32Array.from({ length: gw * gh }, () => random.normal(0, 1.6));
  let seed = random.uint32();
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const iy = Math.floor(gy);
    const fy = gy - iy;
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const ix = Math.floor(gx);
      const fx = gx - ix;
      const g =
        (grid[iy * gw + ix]! * (1 - fx) + grid[iy * gw + ix + 1]! * fx) * (1 - fy) +
        (grid[(iy + 1) * gw + ix]! * (1 - fx) + grid[(iy + 1) * gw + ix + 1]! * fx) * fy;
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const fibre = ((seed >>> 24) - 128) / 64; // ±2 levels of grain
      const i = (y * width + x) * 3;
      data[i] = tint[0]! + g + fibre;
      data[i + 1] = tint[1]! + g + fibre;
      data[i + 2] = tint[2]! + g + fibre;
    }
  }
  // Fibres: short, slightly darker hairs in the pulp.
  for (let k = 0; k < 500; k++) {
    let x = random.next() * width;
    let y = random.next() * height;
    const angle = random.next() * Math.PI * 2;
    const length = random.int(6, 22);
    for (let s = 0; s < length; s++) {
      x += Math.cos(angle + s * 0.1);
      y += Math.sin(angle + s * 0.1);
      const i = (Math.floor(y) * width + Math.floor(x)) * 3;
      if (x < 0 || y < 0 || x >= width || y >= height) break;
      data[i] = data[i]! - 7;
      data[i + 1] = data[i + 1]! - 7;
      data[i + 2] = data[i + 2]! - 6;
    }
  }
  // The guilloche: fine interlaced waves in a pale colour, printed over the whole sheet.
  const paths: string[] = [];
  for (let band = 0; band < 2 * Math.ceil(height / 260); band++) {
    const y0 = band * 130;
    for (let line = 0; line < 7; line++) {
      const phase = line * 0.9 + band;
      let d = '';
      for (let x = 0; x <= width; x += 10) {
        const y = y0 + 40 * Math.sin(x / 47 + phase) + 22 * Math.sin(x / 19 - phase * 1.7);
        d += `${x === 0 ? 'M' : 'L'}${x} ${y.toFixed(1)}`;
      }
      paths.push(d);
    }
  }
  const colour = ['#d9c8d3', '#cbd6cc', '#d2cfdf'][variant % PAPER_VARIANTS]!;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${WHITE}<path d="${paths.join('')}" fill="none" stroke="${colour}" stroke-width="0.8" opacity="0.35"/></svg>`;
  const out = await sharp(Buffer.from(data), { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), blend: 'multiply' }])
    .removeAlpha()
    .raw()
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

// ---- The printed form --------------------------------------------------------------------------

/** An election's print colour: the dark for text and rules, the light for box lines and row bands. */
const THEMES = [
  { dark: '#6d2346', light: '#e6bccb', band: '#f6e6ec' },
  { dark: '#2f5a3a', light: '#bcd9c2', band: '#e8f2ea' },
  { dark: '#3b4a7a', light: '#c3cbe6', band: '#e9ecf7' },
] as const;

const PARTY_COLOURS: Readonly<Record<string, string>> = {
  PAN: '#0a4ea2',
  PRI: '#0d8a3e',
  PRD: '#f5c400',
  PVEM: '#4caf2a',
  PT: '#d71920',
  MC: '#f07d00',
  MORENA: '#8b1a2b',
};
const FALLBACK_COLOURS = ['#5b2c83', '#00758f', '#c2185b', '#6d4c41', '#1e88e5'];

function partyColour(party: string): string {
  const known = PARTY_COLOURS[party];
  if (known !== undefined) return known;
  let h = 0;
  for (const c of party) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return FALLBACK_COLOURS[h % FALLBACK_COLOURS.length]!;
}

/** The parties of a vote row (a coalition's several), none for votes that are not a party's. */
function rowParties(key: string): string[] {
  if (!key.startsWith('vote:')) return [];
  const id = key.slice(5);
  if (/NULO|NO_?REG|CNR/i.test(id)) return [];
  return id.split(/[_+-]/).filter((p) => p.length > 0);
}

function text(
  x: number,
  y: number,
  size: number,
  fill: string,
  body: string,
  extra = '',
  family = 'DejaVu Sans, Liberation Sans, sans-serif',
): string {
  return `<text x="${x}" y="${y}" font-family="${family}" font-size="${size}" fill="${fill}"${extra}>${escapeXml(body)}</text>`;
}

/** The institute's emblem (a ring and its initials) and name, as every form's top left carries. */
function institute(theme: (typeof THEMES)[number]): string[] {
  return [
    `<circle cx="${MARGIN + 34}" cy="118" r="30" fill="none" stroke="${theme.dark}" stroke-width="5"/>`,
    text(MARGIN + 14, 127, 22, theme.dark, 'INE', ' font-weight="bold"'),
    text(MARGIN + 80, 112, 22, theme.dark, 'INSTITUTO NACIONAL ELECTORAL', ' font-weight="bold"'),
  ];
}

function actaFormSvg(
  content: ActaContent,
  height: number,
  theme: (typeof THEMES)[number],
  label: LabelState,
  random: Random,
): string {
  const parts: string[] = [];
  const width = PAGE.width;
  parts.push(...institute(theme));
  parts.push(text(MARGIN + 80, 138, 18, '#333', 'PROCESO ELECTORAL FEDERAL 2023-2024'));
  parts.push(
    text(MARGIN, 190, 34, '#1d1d1d', 'ACTA DE ESCRUTINIO Y CÓMPUTO DE CASILLA', ' font-weight="bold"'),
  );
  parts.push(text(MARGIN, 232, 28, theme.dark, content.contestTitle));
  const header: [string, string][] = [
    ['ENTIDAD FEDERATIVA', content.entidad],
    ['DISTRITO ELECTORAL', content.distrito],
    ['SECCIÓN', content.seccion],
    ['CASILLA', content.casilla],
  ];
  header.forEach(([name, value], i) => {
    const y = 298 + i * 54;
    parts.push(text(MARGIN, y, 18, '#333', name));
    parts.push(
      `<rect x="${MARGIN + 260}" y="${y - 30}" width="640" height="42" fill="none" stroke="${theme.light}" stroke-width="2"/>`,
    );
    parts.push(text(MARGIN + 274, y, 24, '#1d1d1d', value));
  });
  // The table's head.
  const top = TABLE_TOP;
  parts.push(
    `<rect x="${MARGIN}" y="${top - 62}" width="${width - 2 * MARGIN}" height="42" fill="${theme.dark}"/>`,
  );
  parts.push(
    text(
      MARGIN + 14,
      top - 33,
      20,
      '#ffffff',
      'PARTIDO POLÍTICO, COALICIÓN O CANDIDATURA',
      ' font-weight="bold"',
    ),
  );
  const box0 = boxRect(0);
  parts.push(text(box0.x + 70, top - 33, 20, '#ffffff', 'CANTIDAD (CON NÚMERO)', ' font-weight="bold"'));
  content.boxes.forEach((box, i) => {
    const y = top + i * ROW;
    const parties = rowParties(box.key);
    if (parties.length > 0) {
      // The party's band and logo: a coloured square with its initials.
      parts.push(
        `<rect x="${MARGIN}" y="${y + 2}" width="${box0.x - MARGIN - 12}" height="${ROW - 4}" fill="${partyColour(parties[0]!)}" opacity="0.12"/>`,
      );
      parties.slice(0, 3).forEach((party, k) => {
        const colour = partyColour(party);
        const lx = MARGIN + 8 + k * 58;
        const dark = party === 'PRD' ? '#222' : '#fff';
        parts.push(
          `<rect x="${lx}" y="${y + 9}" width="54" height="54" rx="4" fill="${colour}"/>`,
          `<circle cx="${lx + 27}" cy="${y + 36}" r="20" fill="none" stroke="${dark}" stroke-width="2" opacity="0.6"/>`,
          text(
            lx + 27,
            y + 42,
            party.length > 3 ? 12 : 17,
            dark,
            party.slice(0, 6),
            ' text-anchor="middle" font-weight="bold"',
          ),
        );
      });
      const labelX = MARGIN + 20 + Math.min(parties.length, 3) * 58;
      parts.push(
        text(labelX, y + 44, 24, '#1d1d1d', box.label.length > 48 ? `${box.label.slice(0, 47)}…` : box.label),
      );
    } else {
      if (i % 2 === 1)
        parts.push(
          `<rect x="${MARGIN}" y="${y + 2}" width="${width - 2 * MARGIN}" height="${ROW - 4}" fill="${theme.band}"/>`,
        );
      parts.push(
        text(
          MARGIN + 14,
          y + 44,
          24,
          '#1d1d1d',
          box.label.length > 58 ? `${box.label.slice(0, 57)}…` : box.label,
        ),
      );
    }
    const rect = boxRect(i);
    parts.push(
      `<rect x="${rect.x}" y="${rect.y}" width="${rect.width}" height="${rect.height}" fill="#fff" stroke="${theme.light}" stroke-width="2"/>`,
      `<line x1="${MARGIN}" y1="${y + ROW}" x2="${width - MARGIN}" y2="${y + ROW}" stroke="${theme.light}" stroke-width="1"/>`,
    );
  });
  const bottom = tableBottom(content.boxes.length);
  parts.push(
    `<line x1="${MARGIN}" y1="${bottom}" x2="${width - MARGIN}" y2="${bottom}" stroke="${theme.dark}" stroke-width="3"/>`,
  );
  parts.push(
    text(
      MARGIN,
      bottom + 50,
      20,
      theme.dark,
      'FUNCIONARIOS DE LA MESA DIRECTIVA DE CASILLA: NOMBRE Y FIRMA',
      ' font-weight="bold"',
    ),
  );
  const roles = ['PRESIDENTE/A', 'SECRETARIO/A', 'PRIMER/A ESCRUTADOR/A'];
  roles.forEach((role, i) => {
    const x = MARGIN + i * 500;
    parts.push(
      `<line x1="${x}" y1="${bottom + 190}" x2="${x + 420}" y2="${bottom + 190}" stroke="${theme.dark}" stroke-width="1.5"/>`,
      text(x, bottom + 216, 16, '#333', role),
    );
  });
  if (label === 'missing' && random.chance(0.5)) {
    // Where a label was peeled off, a faint rectangle of adhesive stays.
    const x = QR_LABEL.x + random.int(0, 60);
    const y = QR_LABEL.y + random.int(0, 30);
    parts.push(
      `<rect x="${x}" y="${y}" width="${STICKER.width}" height="${STICKER.height}" fill="#d8d2b8" opacity="0.18"/>`,
    );
  }
  for (const mark of registrationMarks(height))
    parts.push(
      `<rect x="${mark.x}" y="${mark.y}" width="${mark.width}" height="${mark.height}" fill="#111"/>`,
    );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${WHITE}${parts.join('')}</svg>`;
}

/** The constancia de clausura: another document of the package, with no table and no registration marks. */
function otherFormSvg(
  content: ActaContent,
  height: number,
  theme: (typeof THEMES)[number],
  random: Random,
): string {
  const parts: string[] = [];
  const width = PAGE.width;
  parts.push(
    ...institute(theme),
    text(MARGIN, 200, 34, '#1d1d1d', 'CONSTANCIA DE CLAUSURA DE CASILLA', ' font-weight="bold"'),
    text(MARGIN, 242, 28, theme.dark, 'Y REMISIÓN DEL PAQUETE ELECTORAL'),
    text(MARGIN, 320, 22, '#333', `SECCIÓN ${content.seccion}   CASILLA ${content.casilla}`),
  );
  for (let i = 0; i < 16; i++) {
    const y = 560 + i * 70;
    parts.push(
      `<line x1="${MARGIN}" y1="${y}" x2="${width - MARGIN - random.int(0, 500)}" y2="${y}" stroke="${theme.light}" stroke-width="2"/>`,
    );
    if (i % 4 === 0)
      parts.push(
        text(
          MARGIN,
          y - 14,
          18,
          '#333',
          [
            'SE CLAUSURÓ LA CASILLA A LAS',
            'EL PAQUETE ELECTORAL FUE ENTREGADO A',
            'DOCUMENTACIÓN QUE SE REMITE',
            'OBSERVACIONES',
          ][i / 4]!,
        ),
      );
  }
  const bottom = 560 + 16 * 70;
  ['PRESIDENTE/A', 'SECRETARIO/A'].forEach((role, i) => {
    const x = MARGIN + i * 600;
    parts.push(
      `<line x1="${x}" y1="${bottom + 190}" x2="${x + 420}" y2="${bottom + 190}" stroke="${theme.dark}" stroke-width="1.5"/>`,
      text(x, bottom + 216, 16, '#333', role),
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${WHITE}${parts.join('')}</svg>`;
}

// ---- Ink: signatures and the stamp ---------------------------------------------------------------

function penCss(pen: Pen): string {
  return `rgb(${pen.rgb[0]},${pen.rgb[1]},${pen.rgb[2]})`;
}

/** A signature: a fast looping scribble over a signature line, and often a flourish under it. */
function signatureSvg(x: number, y: number, pen: Pen, random: Random): string {
  let cx = x + random.int(20, 80);
  let d = `M${cx} ${y - random.int(10, 30)}`;
  const loops = random.int(4, 8);
  for (let k = 0; k < loops; k++) {
    const nx = cx + random.int(18, 50);
    d += ` C${cx + random.int(-10, 40)} ${y - random.int(60, 120)} ${nx + random.int(-50, 0)} ${y + random.int(0, 30)} ${nx} ${y - random.int(5, 60)}`;
    cx = nx;
  }
  if (random.chance(0.7))
    d += ` M${x + random.int(10, 60)} ${y + random.int(-2, 8)} Q${x + 200} ${y + random.int(-30, 20)} ${cx + random.int(0, 40)} ${y - random.int(0, 20)}`;
  return `<path d="${d}" fill="none" stroke="${penCss(pen)}" stroke-width="${(2 + random.next() * 1.4).toFixed(2)}" stroke-linecap="round" stroke-linejoin="round" opacity="${pen.pressure.toFixed(2)}"/>`;
}

/** The casilla's rubber stamp: two rings and its text, unevenly inked, partly transparent. */
function stampSvg(cx: number, cy: number, content: ActaContent, random: Random): string {
  const colour = random.pick(['#5b3f9e', '#3d4fa8', '#6a3d8f']);
  const turn = random.int(-25, 25);
  const r = random.int(95, 115);
  // Uneven inking: the rings break where the pad was dry.
  const dash = `${random.int(40, 120)} ${random.int(2, 8)}`;
  const inner = [
    text(0, -18, 18, colour, 'MESA DIRECTIVA', ' text-anchor="middle" font-weight="bold"'),
    text(0, 8, 16, colour, 'DE CASILLA', ' text-anchor="middle"'),
    text(0, 34, 16, colour, `SECCIÓN ${content.seccion}`, ' text-anchor="middle"'),
  ].join('');
  return `<g transform="translate(${cx} ${cy}) rotate(${turn})" opacity="${(0.5 + random.next() * 0.25).toFixed(2)}"><circle r="${r}" fill="none" stroke="${colour}" stroke-width="5" stroke-dasharray="${dash}"/><circle r="${r - 14}" fill="none" stroke="${colour}" stroke-width="2"/>${text(0, -r + 36, 12, colour, 'INSTITUTO NACIONAL', ' text-anchor="middle"')}${text(0, r - 24, 12, colour, 'ELECTORAL', ' text-anchor="middle"')}${inner}</g>`;
}

// ---- The label ---------------------------------------------------------------------------------

/**
 * The label sticker, in its own frame (0, 0)–(STICKER.width, STICKER.height): white, the code,
 * the key printed under it. Damaged: a corner torn off across the top-left finder pattern and
 * scratches across the others, so no decoder can read it.
 */
function stickerSvg(payload: string, actaKey: string, label: 'present' | 'damaged', random: Random): string {
  const w = STICKER.width;
  const h = STICKER.height;
  let outline = `M0 0 H${w} V${h} H0 Z`;
  const scratches: string[] = [];
  if (label === 'damaged') {
    // The tear: from the top edge past the finder to the left edge below it, jagged.
    const start = random.int(Math.round(w * 0.42), Math.round(w * 0.6));
    const end = random.int(Math.round(h * 0.4), Math.round(h * 0.55));
    let tear = '';
    for (let k = 1; k < 10; k++) {
      const t = k / 10;
      tear += ` L${(start * (1 - t) + random.int(-6, 6)).toFixed(0)} ${(end * t + random.int(-6, 6)).toFixed(0)}`;
    }
    outline = `M${start} 0 H${w} V${h} H0 V${end}${tear} Z`;
    for (let k = 0; k < random.int(3, 5); k++) {
      const y = random.int(20, w - 20);
      scratches.push(
        `<line x1="${random.int(0, 40)}" y1="${y}" x2="${w - random.int(0, 40)}" y2="${y + random.int(-60, 60)}" stroke="#f2f2ee" stroke-width="${random.int(6, 12)}"/>`,
      );
    }
    // Across the top-right and bottom-left finder patterns.
    scratches.push(
      `<line x1="${w - 80}" y1="10" x2="${w - 10}" y2="80" stroke="#f2f2ee" stroke-width="14"/>`,
      `<line x1="10" y1="${w - 80}" x2="80" y2="${w - 10}" stroke="#f2f2ee" stroke-width="14"/>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><clipPath id="s"><path d="${outline}"/></clipPath></defs><g clip-path="url(#s)"><rect width="${w}" height="${h}" fill="#fdfdfb"/><rect x="0.5" y="0.5" width="${w - 1}" height="${h - 1}" fill="none" stroke="#d0d0cc" stroke-width="1"/><path d="${qrPath(payload, 0, 0, w)}" fill="#111"/>${text(w / 2, w + 26, 24, '#111', actaKey, ' text-anchor="middle"', 'DejaVu Sans Mono, monospace')}${scratches.join('')}</g></svg>`;
}

// ---- The page ----------------------------------------------------------------------------------

/** Draws an acta's realistic page, or says why it cannot (the handwritten digits are not installed). */
export async function renderRealisticPage(
  content: ActaContent,
  options: RealisticPageOptions,
): Promise<Result<RealisticPage, DigitsErrorCode>> {
  const digits = loadDigits(options.digitsDirectory);
  if (!digits.ok) return digits;
  return { ok: true, value: await drawPage(content, options, digits.value) };
}

/**
 * renderRealisticPage for callers that made sure the digits are installed (a command checks
 * `loadDigits` before it starts; a test or a bench runs in a development checkout): a failure
 * here is a bug.
 */
export async function renderCheckedRealisticPage(
  content: ActaContent,
  options: RealisticPageOptions,
): Promise<RealisticPage> {
  const page = await renderRealisticPage(content, options);
  if (!page.ok) throw new Error(`realistic page: ${page.message}`);
  return page.value;
}

async function drawPage(
  content: ActaContent,
  options: RealisticPageOptions,
  digits: DigitSet,
): Promise<RealisticPage> {
  const label = options.label ?? 'present';
  const document = options.document ?? 'acta';
  const root = createRandom(`realistic-page:${options.seed}:${content.actaKey}`);
  const height = document === 'acta' ? pageHeight(content.boxes.length) : PAGE.height;
  const width = PAGE.width;
  const theme = THEMES[root.fork('theme').int(0, THEMES.length - 1)]!;
  const base = await paper(height, root.fork('paper').int(0, PAPER_VARIANTS - 1));
  const formRandom = root.fork('form');
  const form =
    document === 'acta'
      ? actaFormSvg(content, height, theme, label, formRandom)
      : otherFormSvg(content, height, theme, formRandom);

  // Signatures and the stamp, in the signatures area (under the table, or the constancia's lines).
  const inkRandom = root.fork('ink');
  const signLine = document === 'acta' ? tableBottom(content.boxes.length) + 190 : 560 + 16 * 70 + 190;
  const signers = document === 'acta' ? 3 : 2;
  const inkParts: string[] = [];
  for (let i = 0; i < signers; i++)
    inkParts.push(
      signatureSvg(MARGIN + i * (document === 'acta' ? 500 : 600), signLine, pickPen(inkRandom), inkRandom),
    );
  inkParts.push(
    stampSvg(
      width - MARGIN - 180 + inkRandom.int(-60, 40),
      signLine - 60 + inkRandom.int(-30, 40),
      content,
      inkRandom,
    ),
  );

  const labelRandom = root.fork('label');
  const payload = labelPayload(content, labelRandom);
  const layers: OverlayOptions[] = [
    // One drawing for print and ink (each drawing is a full-page rasterisation): the ink over the print.
    { input: Buffer.from(form.replace('</svg>', `${inkParts.join('')}</svg>`)), blend: 'multiply' },
  ];
  // Stuck on by hand: somewhere within the label's place, a little askew.
  const left = QR_LABEL.x + labelRandom.int(6, QR_LABEL.width - STICKER.width - 8);
  const top = QR_LABEL.y + labelRandom.int(6, QR_LABEL.height - STICKER.height - 8);
  const turn = labelRandom.normal(0, 0.7);
  let qr: Rect = { x: left, y: top, width: STICKER.width, height: STICKER.width };
  if (label !== 'missing') {
    const sticker = stickerSvg(payload, content.actaKey, label, labelRandom);
    const turned = await sharp(Buffer.from(sticker))
      .rotate(turn, { background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .png({ compressionLevel: 0 })
      .toBuffer({ resolveWithObject: true });
    // Rotation grows the canvas symmetrically about the sticker's centre.
    const dx = Math.round((turned.info.width - STICKER.width) / 2);
    const dy = Math.round((turned.info.height - STICKER.height) / 2);
    layers.push({ input: turned.data, left: left - dx, top: top - dy });
    const grow = Math.ceil(Math.abs(Math.sin((turn * Math.PI) / 180)) * STICKER.width);
    qr = { x: left - grow, y: top - grow, width: STICKER.width + 2 * grow, height: STICKER.width + 2 * grow };
  }
  const printed = await sharp(Buffer.from(base.buffer, base.byteOffset, base.length), {
    raw: { width, height, channels: 3 },
  })
    .composite(layers)
    .removeAlpha()
    .raw()
    .toBuffer();
  const pixels: RgbPixels = {
    data: new Uint8Array(printed.buffer, printed.byteOffset, printed.length),
    width,
    height,
  };

  // The numbers, by hand, one pen for the whole acta (the secretary fills it in).
  const handRandom = root.fork('hand');
  const pen = pickPen(handRandom);
  const used: number[] = [];
  const boxes: (Rect & { key: string })[] = [];
  if (document === 'other') {
    // The constancia's blanks: the hour the casilla closed and how many ballots were sent.
    for (const [line, value] of [
      [0, 1800 + handRandom.int(0, 359)],
      [8, handRandom.int(1, 999)],
    ] as const)
      used.push(
        ...writeValue(
          pixels,
          { x: MARGIN + 380, y: 560 + line * 70 - 58, width: 420, height: 56 },
          value,
          options.digitSplit,
          digits,
          pen,
          handRandom.fork(`line:${line}`),
        ),
      );
  } else
    content.boxes.forEach((box, i) => {
      const rect = boxRect(i);
      boxes.push({ key: box.key, ...rect });
      used.push(
        ...writeValue(pixels, rect, box.value, options.digitSplit, digits, pen, handRandom.fork(box.key)),
      );
    });

  const anchors: RealisticLayout['anchors'][number][] = [];
  if (document === 'acta') {
    for (const mark of registrationMarks(height)) anchors.push({ ...mark, kind: 'registration' });
    const tableTop = TABLE_TOP - 62;
    const bottom = tableBottom(content.boxes.length);
    for (const [x, y] of [
      [MARGIN, tableTop],
      [width - MARGIN, tableTop],
      [width - MARGIN, bottom],
      [MARGIN, bottom],
    ] as const)
      anchors.push({ x, y, width: 0, height: 0, kind: 'table_corner' });
  }
  return {
    pixels,
    layout: { width, height, qr, boxes, anchors },
    actaKey: content.actaKey,
    boxes: Object.fromEntries(content.boxes.map((b) => [b.key, b.value])) as Record<string, BoxValue>,
    document,
    label,
    digitSplit: options.digitSplit,
    digitSamples: used,
  };
}

/** The page as a PNG (for looking at it, and for samples). */
export function pagePng(page: RealisticPage): Promise<Buffer> {
  const { data, width, height } = page.pixels;
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.length), {
    raw: { width, height, channels: 3 },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();
}
