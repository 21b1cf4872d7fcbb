/**
 * The quality gate's hard cases under real light, built from a real rendered acta (the test
 * acta, src/test/actas.ts) with sharp and pixel arithmetic: what issue 18 found the gate
 * misjudging — a light gradient, a hand's shadow, a scan cut short, strong perspective, a
 * small glare over the digits, whitened paper, a near-black table, mild and strong blur.
 */
import sharp from 'sharp';
import { boxRect, PAGE, registrationMarks } from '../domain/acta_form.ts';
import { homography } from '../sim/acta_images/defects.ts';
import { testActaImage } from './actas.ts';

interface Raw {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

async function greyPage(style: 'scanner' | 'phone' = 'scanner'): Promise<Raw> {
  const { png } = await testActaImage({ style });
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const png = (image: Raw) =>
  sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .png()
    .toBuffer();

const jpeg = (image: Raw) =>
  sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .jpeg({ quality: 88 })
    .toBuffer();

/** Each pixel times a factor that depends on where it is. */
function lit(image: Raw, factor: (x: number, y: number) => number): Raw {
  const out = Buffer.alloc(image.data.length);
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) {
      const i = y * image.width + x;
      out[i] = Math.max(0, Math.min(255, Math.round(image.data[i]! * factor(x, y))));
    }
  return { ...image, data: out };
}

/** The page on a table of grey `table`, with `margin` (a share of the page's width) around it. */
function onTable(image: Raw, table: number, margin: number): Raw {
  const m = Math.round(image.width * margin);
  const width = image.width + 2 * m;
  const height = image.height + 2 * m;
  const out = Buffer.alloc(width * height, table);
  for (let y = 0; y < image.height; y++)
    image.data.copy(out, (y + m) * width + m, y * image.width, (y + 1) * image.width);
  return { data: out, width, height };
}

/** The page in strong perspective: its top edge `topScale` of its bottom one, on a table. */
function perspective(image: Raw, topScale: number, table: number): Raw {
  const { width: w, height: h } = image;
  const inset = (w * (1 - topScale)) / 2;
  const toPage = homography(
    [
      [inset, 0],
      [w - inset, 0],
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
  const out = Buffer.alloc(w * h, table);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [u, v] = toPage(x + 0.5, y + 0.5);
      const px = Math.floor(u);
      const py = Math.floor(v);
      if (px >= 0 && py >= 0 && px < w && py < h) out[y * w + x] = image.data[py * w + px]!;
    }
  return { data: out, width: w, height: h };
}

/**
 * A hand's silhouette as a soft mask (255 inside), the size of the page: a palm centred at
 * (cx, cy), four fingers reaching left from it, the forearm running off the right edge; blurred,
 * as a cast shadow's edge is.
 */
async function handMask(
  width: number,
  height: number,
  cx: number,
  cy: number,
  size: number,
): Promise<Buffer> {
  const fingers = [0, 1, 2, 3]
    .map((f) => {
      const fy = cy - size * 0.45 + f * size * 0.3;
      const length = size * (f === 1 || f === 2 ? 1.25 : 1.05);
      return `<rect x="${cx - length}" y="${fy - size * 0.11}" width="${length}" height="${size * 0.22}" rx="${size * 0.11}"/>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="#000"/><g fill="#fff"><ellipse cx="${cx}" cy="${cy}" rx="${size * 0.6}" ry="${size * 0.6}"/>${fingers}<rect x="${cx}" y="${cy - size * 0.4}" width="${width}" height="${size * 0.8}"/></g></svg>`;
  const mask = await sharp(Buffer.from(svg)).extractChannel(0).raw().toBuffer();
  return sharp(mask, { raw: { width, height, channels: 1 } })
    .blur(size * 0.06)
    .extractChannel(0)
    .raw()
    .toBuffer();
}

export interface HardCases {
  readonly gradient: Buffer;
  readonly shadow: Buffer;
  readonly cutScan: Buffer;
  readonly keystone: Buffer;
  readonly glareBlob: Buffer;
  readonly whitened: Buffer;
  readonly darkTable: Buffer;
  /** A 150 dpi scan blurred σ 1.5 px (0.25 mm: read) and σ 7 px (1.2 mm: past where digits stop reading, 0.6 mm). */
  readonly mildBlur150: Buffer;
  readonly strongBlur150: Buffer;
  /** A phone shot (on a table, in mild perspective, lit from one side) under a hand's shadow over the boxes. */
  readonly phoneShadow: Buffer;
  /** A scan missing 3% of its right side: through the marks, short of the boxes. */
  readonly sliver: Buffer;
  /** The hand's shadow taking half the light: the digits are still read through it. */
  readonly lightShadow: Buffer;
  /** Perspective with the far edge 80% of the near one: still read. */
  readonly moderateKeystone: Buffer;
  /** A phone shot under a strong top-to-bottom gradient. */
  readonly phoneGradient: Buffer;
  /** The acta with its registration marks painted over in the paper's colour: a table like an acta's, no marks. */
  readonly unmarked: Buffer;
}

let cached: Promise<HardCases> | null = null;

/** The hard cases, built once per process. */
export function hardCases(): Promise<HardCases> {
  cached ??= build();
  return cached;
}

async function build(): Promise<HardCases> {
  const page = await greyPage();
  const { width: w, height: h } = page;
  const k = w / PAGE.width;
  const box = (i: number) => {
    const r = boxRect(i);
    return { x: r.x * k, y: r.y * k, width: r.width * k, height: r.height * k };
  };
  // A strong top-to-bottom gradient: full light at the top, under half at the bottom.
  const gradient = lit(page, (_x, y) => 1.02 - 0.55 * (y / h));
  // A hand's shadow over the boxes, from the right edge: 40% of the light inside it.
  const b3 = box(3);
  const hand = await handMask(w, h, b3.x + b3.width * 0.7, b3.y, w * 0.12);
  // Deep enough that the digits under it keep under 45 grey levels of contrast (unreadable), and
  // a lighter one (half the light) that a person still reads through.
  const shadow = lit(page, (x, y) => 1 - (0.93 * hand[y * w + x]!) / 255);
  const lightShadow = lit(page, (x, y) => 1 - (0.5 * hand[y * w + x]!) / 255);
  // A scan missing 15% of its right side and of its bottom.
  const cut = await sharp(await png(page))
    .extract({ left: 0, top: 0, width: Math.round(w * 0.85), height: Math.round(h * 0.85) })
    .png()
    .toBuffer();
  // The far edge half the near one (beyond a 1.6 : 1 squeeze nobody reads), and 80% (read).
  // A sliver (3%) off the right margin, through the registration marks: the page is whole.
  const sliver = await sharp(await png(page))
    .extract({ left: 0, top: 0, width: Math.round(w * 0.97), height: h })
    .png()
    .toBuffer();
  const keystone = perspective(onTable(page, 70, 0.06), 0.5, 70);
  const moderateKeystone = perspective(onTable(page, 70, 0.06), 0.8, 70);
  // A small saturated reflection over the first boxes' digits, on a phone-lit page (paper ~215).
  const dimmed = lit(page, () => 0.86);
  const b1 = box(1);
  const gx = b1.x + b1.width * 0.75;
  const gy = b1.y + b1.height * 0.5;
  const glareBlob = lit(dimmed, (x, y) => {
    const r = Math.hypot((x - gx) / (w * 0.04), (y - gy) / (w * 0.025));
    return r < 1 ? 255 : r < 1.3 ? 1 + (1.3 - r) * 2 : 1;
  });
  // A scanner that whitens its paper to 255: the paper clips, the ink stays dark.
  const whitened = lit(page, () => 1.12);
  const darkTable = onTable(
    lit(page, () => 0.95),
    12,
    0.07,
  );
  const at150 = await sharp(await png(page)).resize({ width: Math.round((w * 150) / 200) });
  const mildBlur150 = await at150.clone().blur(1.5).png().toBuffer();
  const strongBlur150 = await at150.clone().blur(7).png().toBuffer();
  const unmarked = { ...page, data: Buffer.from(page.data) };
  for (const mark of registrationMarks(h / k))
    for (let y = Math.floor(mark.y * k) - 2; y < Math.ceil((mark.y + mark.height) * k) + 2; y++)
      unmarked.data.fill(
        250,
        y * w + Math.floor(mark.x * k) - 2,
        y * w + Math.ceil((mark.x + mark.width) * k) + 2,
      );
  const phone = await greyPage('phone');
  const phoneHand = await handMask(
    phone.width,
    phone.height,
    phone.width * 0.78,
    phone.height * 0.38,
    phone.width * 0.11,
  );
  const phoneShadow = lit(phone, (x, y) => 1 - (0.93 * phoneHand[y * phone.width + x]!) / 255);
  const phoneGradient = lit(phone, (_x, y) => 1.15 - 0.6 * (y / phone.height));
  return {
    sliver,
    lightShadow: await png(lightShadow),
    moderateKeystone: await jpeg(moderateKeystone),
    phoneShadow: await jpeg(phoneShadow),
    phoneGradient: await jpeg(phoneGradient),
    unmarked: await png(unmarked),
    gradient: await png(gradient),
    shadow: await png(shadow),
    cutScan: cut,
    keystone: await jpeg(keystone),
    glareBlob: await png(glareBlob),
    whitened: await png(whitened),
    darkTable: await png(darkTable),
    mildBlur150,
    strongBlur150,
  };
}
