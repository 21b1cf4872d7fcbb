/**
 * Acta images fast enough for a whole simulated night: each form (a contest's page with its
 * table's labels) is rasterised once — flat, as a scanner sees it, and in a few phone shots on a
 * table — and kept on disk; then every acta is that page with its own header, QR label and
 * handwritten values stamped in from glyphs rasterised once per font, and encoded. About a
 * tenth of `renderActa`'s cost (which draws the whole SVG, and warps a phone shot pixel by pixel,
 * for every acta), so a state-sized demo night shows an image for every acta.
 *
 * The bytes are the image: the caller hashes what this returns and stores exactly that, so the
 * SHA-256 a cut publishes is the hash of the image served. Deterministic from the content, the
 * seed and the style (the cached pages are lossless PNG), so a demo that is stopped and started
 * again registers the same hashes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import QRCode from 'qrcode';
import sharp from 'sharp';
import { boxRect, MARGIN, QR_LABEL } from '../../domain/acta_form.ts';
import { createRandom, type Random } from '../random.ts';
import { homography, homographyCoefficients, PNG_OPTIONS } from './defects.ts';
import { type ActaContent, actaSvg, HANDWRITING_FONTS } from './synthetic_acta.ts';

/** Bumped when what the pool draws changes, so an old cache on disk is not reused. */
const POOL_VERSION = 1;
/** Phone shots per form: each acta photographed by phone is stamped into one of them. */
const PHONE_SHOTS = 3;
const TABLE_GREY = 87;
const INKS = ['#1b2a6b', '#13183a', '#222222', '#1f3f8f'] as const;
const PRINT_GREY = 17;
const MONO = 'DejaVu Sans Mono';
/** Sizes and turns of each digit's variants, within the range the full renderer draws. */
const DIGIT_VARIANTS = 8;
const CELL = 128;
/**
 * Encoding is most of an acta's cost: zlib at level 3 (a third faster than `renderActa`'s 6, for
 * 7% more bytes) and libjpeg's standard Huffman tables (optimising them took five times as long).
 */
const SCANNER_PNG = { ...PNG_OPTIONS, compressionLevel: 3 } as const;
const PHONE_JPEG = { quality: 85, mozjpeg: false, optimiseCoding: false } as const;
const ORIGIN = { x: 32, y: 96 } as const;

export interface PooledImage {
  readonly bytes: Buffer;
  readonly format: 'png' | 'jpeg';
}

interface Sprite {
  /** Coverage 0–255, `width` × `height`, placed with its origin at the pen. */
  readonly alpha: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly originX: number;
  readonly originY: number;
  /** Horizontal advance, in pixels. */
  readonly advance: number;
}

interface Grey {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

interface PhoneShot {
  /** The shot of the blank form, RGB. */
  readonly rgb: Buffer;
  readonly width: number;
  readonly height: number;
  /** Output pixel → page point, and page point → output pixel. */
  /** Output pixel → page point, as the coefficients of a projective map (see `projective`). */
  readonly toPage: Projective;
  /** Page point → output pixel. */
  readonly toShot: (x: number, y: number) => [number, number];
  readonly light: { readonly dx: number; readonly dy: number };
}

interface Form {
  readonly page: Grey;
  /** Made the first time an acta needs each: the first cut of a night waits for no more than it shows. */
  readonly shots: readonly (() => Promise<PhoneShot>)[];
}

const luminance = (hex: string): number => {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [
    number,
    number,
    number,
  ];
  return Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
};

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Rasterises glyphs laid out one per cell, and cuts each cell to its ink. */
async function rasterCells(cells: readonly string[], columns: number): Promise<Sprite[]> {
  const rows = Math.ceil(cells.length / columns);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${columns * CELL}" height="${rows * CELL}">${cells
    .map(
      (body, i) =>
        `<g transform="translate(${(i % columns) * CELL + ORIGIN.x} ${Math.floor(i / columns) * CELL + ORIGIN.y})">${body}</g>`,
    )
    .join('')}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg), { density: 72 })
    .ensureAlpha()
    .extractChannel(3)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return cells.map((_, i) => {
    const x0 = (i % columns) * CELL;
    const y0 = Math.floor(i / columns) * CELL;
    let minX = CELL;
    let minY = CELL;
    let maxX = -1;
    let maxY = -1;
    for (let y = 0; y < CELL; y++)
      for (let x = 0; x < CELL; x++)
        if (data[(y0 + y) * info.width + x0 + x]! > 0) {
          if (x < minX) minX = x;
          if (x > maxX) maxX = x;
          if (y < minY) minY = y;
          if (y > maxY) maxY = y;
        }
    if (maxX < 0)
      return { alpha: new Uint8Array(0), width: 0, height: 0, originX: 0, originY: 0, advance: 0 };
    const width = maxX - minX + 1;
    const height = maxY - minY + 1;
    const alpha = new Uint8Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        alpha[y * width + x] = data[(y0 + minY + y) * info.width + x0 + minX + x]!;
    return { alpha, width, height, originX: ORIGIN.x - minX, originY: ORIGIN.y - minY, advance: 0 };
  });
}

/** Stamps a sprite's coverage onto a grey page in `ink`, and records the area it touched. */
function stamp(page: Grey, sprite: Sprite, penX: number, penY: number, ink: number, dirty: number[][]): void {
  if (sprite.width === 0) return;
  const left = Math.round(penX) - sprite.originX;
  const top = Math.round(penY) - sprite.originY;
  for (let y = 0; y < sprite.height; y++) {
    const py = top + y;
    if (py < 0 || py >= page.height) continue;
    for (let x = 0; x < sprite.width; x++) {
      const a = sprite.alpha[y * sprite.width + x]!;
      const px = left + x;
      if (a === 0 || px < 0 || px >= page.width) continue;
      const i = py * page.width + px;
      const v = page.data[i]!;
      page.data[i] = v + ((ink - v) * a) / 255;
    }
  }
  dirty.push([left, top, left + sprite.width, top + sprite.height]);
}

function fillRect(page: Grey, x0: number, y0: number, x1: number, y1: number, value: number): void {
  for (let y = Math.max(0, Math.round(y0)); y < Math.min(page.height, Math.round(y1)); y++)
    page.data.fill(
      value,
      y * page.width + Math.max(0, Math.round(x0)),
      y * page.width + Math.min(page.width, Math.round(x1)),
    );
}

type Projective = readonly [number, number, number, number, number, number, number, number];

/**
 * Output pixels [x0, x1) of row y of a phone shot, from the flat page: perspective, light from
 * one side, warm light. The inner loop of the pool: arithmetic only, no allocation.
 */
function shadeRow(
  shot: Pick<PhoneShot, 'toPage' | 'light' | 'width' | 'height'>,
  page: Grey,
  out: Uint8ClampedArray,
  y: number,
  x0: number,
  x1: number,
): void {
  const [a, b, c, d, e, f, g, h] = shot.toPage;
  const { dx, dy } = shot.light;
  const w = page.width;
  const data = page.data;
  const py = y + 0.5;
  const rowT = ((y / shot.height) * dy) / (dx + dy);
  const perX = dx / shot.width / (dx + dy);
  for (let x = x0; x < x1; x++) {
    const px = x + 0.5;
    const z = g * px + h * py + 1;
    const fx = (a * px + b * py + c) / z - 0.5;
    const fy = (d * px + e * py + f) / z - 0.5;
    const ix = Math.floor(fx);
    const iy = Math.floor(fy);
    let grey = TABLE_GREY;
    if (ix >= 0 && iy >= 0 && ix + 1 < w && iy + 1 < page.height) {
      const ax = fx - ix;
      const ay = fy - iy;
      const i = iy * w + ix;
      grey =
        (data[i]! * (1 - ax) + data[i + 1]! * ax) * (1 - ay) +
        (data[i + w]! * (1 - ax) + data[i + w + 1]! * ax) * ay;
    }
    const t = rowT + x * perX;
    const wash = 0.25 * (1 - t);
    const lit = (grey * (1 - wash) + 255 * wash) * (1 - 0.35 * t);
    const o = (y * shot.width + x) * 3;
    out[o] = lit;
    out[o + 1] = lit * 0.93;
    out[o + 2] = lit * 0.8;
  }
}

/** Where a phone, held a little tilted and turned over a table, sees the page. */
function phoneGeometry(page: Grey, random: Random): Omit<PhoneShot, 'rgb'> {
  const w = page.width;
  const h = page.height;
  const width = Math.round(w * 1.12);
  const height = Math.round(h * 1.1);
  const topScale = 0.91 + random.next() * 0.06;
  const inset = (w * (1 - topScale)) / 2;
  const shift = (random.next() - 0.5) * inset;
  const angle = ((random.next() - 0.5) * 8 * Math.PI) / 180;
  const shear = (random.next() - 0.5) * 0.04;
  const cx = width / 2 + (random.next() - 0.5) * w * 0.02;
  const cy = height / 2 + (random.next() - 0.5) * h * 0.02;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const corners: [number, number][] = [
    [inset + shift, 0],
    [w - inset + shift, 0],
    [w, h],
    [0, h],
  ];
  const placed = corners.map(([x, y]): [number, number] => {
    const px = x - w / 2 + shear * (y - h / 2);
    const py = y - h / 2;
    return [cx + cos * px - sin * py, cy + sin * px + cos * py];
  });
  const flat: [number, number][] = [
    [0, 0],
    [w, 0],
    [w, h],
    [0, h],
  ];
  const dx = 0.3 + random.next() * 0.7;
  return {
    width,
    height,
    toPage: homographyCoefficients(placed, flat),
    toShot: homography(flat, placed),
    light: { dx, dy: 1 - dx * 0.5 },
  };
}

export interface ActaPool {
  /** The image of an acta with `content` on it, taken by `style`; the same inputs give the same bytes. */
  render(content: ActaContent, seed: number, style: 'scanner' | 'phone'): Promise<PooledImage>;
}

/**
 * A pool of forms, kept in memory and in `cacheDir` (null: memory only). Forms are made the first
 * time an acta needs them; glyphs the first time a font or character is needed.
 */
export function createActaPool(cacheDir: string | null): ActaPool {
  const forms = new Map<string, Promise<Form>>();
  const hands = new Map<string, Promise<{ digits: Sprite[][]; scribbles: Sprite[] }>>();
  const monos = new Map<string, Sprite>();
  // Pages are megabytes: reused between actas, rather than allocated (and collected) for each.
  // Given back with the areas an acta changed, a copy is made whole again from its source by
  // copying those areas back, not the megabytes around them.
  const spare = new Map<Uint8Array, { buffer: Buffer; changed: readonly number[][] }[]>();
  const take = (source: Uint8Array, width: number, channels: number): Buffer => {
    const kept = spare.get(source)?.pop();
    if (kept === undefined) return Buffer.from(source);
    const height = source.length / width / channels;
    for (const [x0, y0, x1, y1] of kept.changed as [number, number, number, number][]) {
      const left = Math.max(0, x0) * channels;
      const right = Math.min(width, x1) * channels;
      if (right <= left) continue;
      for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
        const row = y * width * channels;
        kept.buffer.set(source.subarray(row + left, row + right), row + left);
      }
    }
    return kept.buffer;
  };
  const give = (source: Uint8Array, buffer: Buffer, changed: readonly number[][]) => {
    const list = spare.get(source) ?? [];
    if (list.length < 4) list.push({ buffer, changed });
    spare.set(source, list);
  };

  const cached = async (
    name: string,
    channels: 1 | 3,
    make: () => Promise<{ data: Buffer; width: number; height: number }>,
  ) => {
    const file = cacheDir === null ? null : path.join(cacheDir, `${name}.png`);
    if (file !== null) {
      try {
        const image = sharp(await readFile(file));
        const { data, info } = await (channels === 1 ? image.extractChannel(0) : image.removeAlpha())
          .raw()
          .toBuffer({ resolveWithObject: true });
        if (info.channels === channels) return { data, width: info.width, height: info.height };
      } catch {
        // Not there yet (or unreadable): made again below.
      }
    }
    const made = await make();
    if (file !== null) {
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(
        temporary,
        await sharp(made.data, { raw: { width: made.width, height: made.height, channels } })
          .png({ compressionLevel: 1 })
          .toBuffer(),
      );
      await rename(temporary, file);
    }
    return made;
  };

  const form = (content: ActaContent): Promise<Form> => {
    const key = createHash('sha256')
      .update(JSON.stringify([POOL_VERSION, content.contestTitle, content.boxes.map((b) => b.label)]))
      .digest('hex')
      .slice(0, 24);
    let made = forms.get(key);
    if (made === undefined) {
      made = (async () => {
        const blank: ActaContent = {
          ...content,
          actaKey: '',
          entidad: '',
          distrito: '',
          seccion: '',
          casilla: '',
          boxes: content.boxes.map((b) => ({ ...b, value: 'sin_dato' as const })),
        };
        const flat = await cached(`form-${key}`, 1, async () => {
          const { svg } = actaSvg(blank, createRandom(`pool:${key}`), 'missing');
          const { data, info } = await sharp(Buffer.from(svg), { density: 72 })
            .flatten({ background: '#ffffff' })
            .toColourspace('b-w')
            .extractChannel(0)
            .raw()
            .toBuffer({ resolveWithObject: true });
          const page: Grey = { data, width: info.width, height: info.height };
          // The QR label's sticker, blank: each acta's label is stamped on it.
          const q = QR_LABEL;
          fillRect(page, q.x - 13, q.y - 13, q.x + q.width + 13, q.y + q.height + 71, 187);
          fillRect(page, q.x - 11, q.y - 11, q.x + q.width + 11, q.y + q.height + 69, 255);
          return { data, width: info.width, height: info.height };
        });
        const page: Grey = flat;
        const shots = Array.from({ length: PHONE_SHOTS }, (_, n) => {
          let made: Promise<PhoneShot> | undefined;
          return () => {
            made ??= (async () => {
              const geometry = phoneGeometry(page, createRandom(`pool:${key}:phone:${n}`));
              const rgb = await cached(`phone-${key}-${n}`, 3, async () => {
                const out = Buffer.allocUnsafe(geometry.width * geometry.height * 3);
                const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
                for (let y = 0; y < geometry.height; y++)
                  shadeRow(geometry, page, clamped, y, 0, geometry.width);
                return { data: out, width: geometry.width, height: geometry.height };
              });
              return { ...geometry, rgb: rgb.data };
            })();
            return made;
          };
        });
        return { page, shots };
      })();
      forms.set(key, made);
    }
    return made;
  };

  const hand = (font: string) => {
    let made = hands.get(font);
    if (made === undefined) {
      made = (async () => {
        const random = createRandom(`pool-hand:${font}`);
        const cells: string[] = [];
        const sizes: number[] = [];
        for (let digit = 0; digit < 10; digit++)
          for (let v = 0; v < DIGIT_VARIANTS; v++) {
            const size = 46 + Math.round((12 * v) / (DIGIT_VARIANTS - 1)) + random.int(-1, 1);
            sizes.push(size);
            cells.push(
              `<g transform="rotate(${random.int(-8, 8)}) skewX(${random.int(-14, 4)})"><text x="0" y="0" font-family="${font}" font-size="${size}" fill="#000">${digit}</text></g>`,
            );
          }
        // Illegible boxes: strokes written over each other.
        for (let s = 0; s < 4; s++) {
          let d = '';
          for (let stroke = 0; stroke < 3; stroke++) {
            d += ` M${random.int(0, 20)} ${random.int(-50, -4)}`;
            for (let k = 0; k < 5; k++) d += ` L${random.int(0, 80)} ${random.int(-52, -2)}`;
          }
          cells.push(
            `<path d="${d}" fill="none" stroke="#000" stroke-width="${random.int(3, 5)}" stroke-linejoin="round"/>`,
          );
        }
        const sprites = await rasterCells(cells, 16);
        const digits: Sprite[][] = [];
        for (let digit = 0; digit < 10; digit++)
          digits.push(
            sprites
              .slice(digit * DIGIT_VARIANTS, (digit + 1) * DIGIT_VARIANTS)
              .map((s, v) => ({ ...s, advance: sizes[digit * DIGIT_VARIANTS + v]! })),
          );
        return { digits, scribbles: sprites.slice(10 * DIGIT_VARIANTS) };
      })();
      hands.set(font, made);
    }
    return made;
  };

  /** Glyphs of the monospace type the form's printed values and the label's key are in. */
  const mono = async (text: string, size: number): Promise<Sprite[]> => {
    const missing = [...new Set(text)].filter((c) => !monos.has(`${size}:${c}`));
    if (missing.length > 0) {
      const sprites = await rasterCells(
        missing.map(
          (c) =>
            `<text x="0" y="0" font-family="${MONO}" font-size="${size}" fill="#000">${escapeXml(c)}</text>`,
        ),
        16,
      );
      for (const [i, c] of missing.entries())
        monos.set(`${size}:${c}`, { ...sprites[i]!, advance: size * 0.602 });
    }
    return [...text].map((c) => monos.get(`${size}:${c}`)!);
  };

  const write = async (page: Grey, text: string, x: number, y: number, size: number, dirty: number[][]) => {
    let pen = x;
    for (const glyph of await mono(text, size)) {
      stamp(page, glyph, pen, y, PRINT_GREY, dirty);
      pen += glyph.advance;
    }
  };

  return {
    async render(content, seed, style) {
      const random = createRandom(`acta:${seed}:${content.actaKey}:${style}:pool`);
      const f = await form(content);
      const font = HANDWRITING_FONTS[random.int(0, HANDWRITING_FONTS.length - 1)]!;
      const ink = luminance(random.pick(INKS));
      const glyphs = await hand(font);
      const pageBuffer = take(f.page.data, f.page.width, 1);
      const page: Grey = { data: pageBuffer, width: f.page.width, height: f.page.height };
      const dirty: number[][] = [];
      const header = [content.entidad, content.distrito, content.seccion, content.casilla];
      for (const [i, value] of header.entries())
        await write(page, value, MARGIN + 205, 280 + i * 58, 28, dirty);
      // The QR label: its modules, and the key printed under them.
      const q = QR_LABEL;
      const qr = QRCode.create(content.actaKey, { errorCorrectionLevel: 'M' });
      const n = qr.modules.size;
      const cell = q.width / (n + 8);
      for (let row = 0; row < n; row++)
        for (let col = 0; col < n; col++)
          if (qr.modules.get(row, col))
            fillRect(
              page,
              q.x + (col + 4) * cell,
              q.y + (row + 4) * cell,
              q.x + (col + 5) * cell,
              q.y + (row + 5) * cell,
              0,
            );
      dirty.push([q.x, q.y, q.x + q.width, q.y + q.height]);
      await write(page, content.actaKey, q.x + 20, q.y + q.height + 42, 30, dirty);
      // The handwriting: each digit a variant of its own size and turn, at its own offset.
      for (const [i, box] of content.boxes.entries()) {
        const rect = boxRect(i);
        if (box.value === 'sin_dato') continue;
        if (box.value === 'ilegible') {
          stamp(
            page,
            random.pick(glyphs.scribbles),
            rect.x + 150 + random.int(0, 120),
            rect.y + rect.height - 4,
            ink,
            dirty,
          );
          continue;
        }
        const written = String(box.value);
        const size = random.int(46, 58);
        let cursor = rect.x + rect.width - 40 - written.length * size * 0.55 + random.int(-20, 10);
        for (const character of written) {
          const glyph = random.pick(glyphs.digits[Number(character)]!);
          stamp(
            page,
            glyph,
            cursor + random.int(-3, 3),
            rect.y + rect.height - 10 + random.int(-4, 4),
            ink,
            dirty,
          );
          cursor += glyph.advance * (0.5 + random.next() * 0.15);
        }
      }
      if (style === 'scanner') {
        const bytes = await sharp(pageBuffer, {
          raw: { width: page.width, height: page.height, channels: 1 },
        })
          .png(SCANNER_PNG)
          .toBuffer();
        give(f.page.data, pageBuffer, dirty);
        return { bytes, format: 'png' };
      }
      // A phone shot: the blank form's shot, with what was stamped seen through the same lens.
      const shot = await f.shots[random.int(0, f.shots.length - 1)]!();
      const rgb = take(shot.rgb, shot.width, 3);
      const touched: number[][] = [];
      const out = new Uint8ClampedArray(rgb.buffer, rgb.byteOffset, rgb.length);
      for (const [x0, y0, x1, y1] of dirty as [number, number, number, number][]) {
        const corners = [shot.toShot(x0, y0), shot.toShot(x1, y0), shot.toShot(x1, y1), shot.toShot(x0, y1)];
        const left = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[0]))) - 2);
        const right = Math.min(shot.width, Math.ceil(Math.max(...corners.map((c) => c[0]))) + 2);
        const top = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[1]))) - 2);
        const bottom = Math.min(shot.height, Math.ceil(Math.max(...corners.map((c) => c[1]))) + 2);
        for (let y = top; y < bottom; y++) shadeRow(shot, page, out, y, left, right);
        touched.push([left, top, right, bottom]);
      }
      give(f.page.data, pageBuffer, dirty);
      const bytes = await sharp(rgb, { raw: { width: shot.width, height: shot.height, channels: 3 } })
        .jpeg(PHONE_JPEG)
        .toBuffer();
      give(shot.rgb, rgb, touched);
      return { bytes, format: 'jpeg' };
    },
  };
}
