/**
 * The scene of the realistic renderer: a page (types.ts RealisticPage) photographed by a phone on
 * a table or scanned at the CATD, under one condition of a graded severity (conditions.ts), with
 * its honest label — whether a person can still read every box — decided from what this image
 * does to each box (`readability`), not from the severity number.
 *
 * How it is made, and why so: the scene is planned first (`planScene`: every random draw forked
 * by purpose, so the same plan at another severity differs only in that severity's quantity —
 * which is how `nearThreshold` is found), then drawn in one pass in JS at the output size: each
 * output pixel looks up the page through the inverse projective map (plus the curl's
 * displacement), is lit in linear light (exposure, gradient, cast shadows, folds, glare added on
 * top, saturating) and gets the sensor's noise from a table. Blur and motion blur are physical
 * quantities of the sheet, so they are applied to the page before the warp (mm × 200 dpi);
 * sharpening and encoding are libvips'. Everything smooth (light, glare) lives on grids 8×
 * coarser than the image; the table and the things on it on a grid 4× coarser.
 */
import sharp from 'sharp';
import { homographyCoefficients, PNG_OPTIONS } from '../defects.ts';
import type { Random } from '../../random.ts';
import { createRandom } from '../../random.ts';
import {
  type Condition,
  type ExpectedReason,
  isBenign,
  isGraded,
  OWN_REASONS,
  SCALES,
  SEVERITIES,
  type Severity,
} from './conditions.ts';
import type { RealisticPage } from './types.ts';
import type { BoxValue } from '../synthetic_acta.ts';

/** The page is printed at 200 dpi: 7.874 of its pixels per mm. */
const PAGE_PX_PER_MM = 200 / 25.4;

export type Style = 'phone' | 'scanner';
type Point = readonly [number, number];
type Coefficients = readonly [number, number, number, number, number, number, number, number];

export interface SceneOptions {
  readonly style: Style;
  readonly condition: Condition;
  /** 1..5; ignored (null in the truth) for `clean` and the page conditions. */
  readonly severity: Severity | null;
  readonly seed: number | string;
}

export interface SceneTruth {
  readonly actaKey: string;
  readonly boxes: Readonly<Record<string, BoxValue>>;
  readonly style: Style;
  readonly condition: Condition;
  readonly severity: Severity | null;
  /** A person can still read every box of this image (scene.ts `readability`). */
  readonly readable: boolean;
  /** The severity is next to where readability flips for this page and scene (the flip's two sides). */
  readonly nearThreshold: boolean;
  /** Gate reasons that count as this condition's own (conditions.ts OWN_REASONS). */
  readonly expectedReasons: readonly ExpectedReason[];
  /** The page's corners (TL, TR, BR, BL) in the image's pixels (before curl). */
  readonly corners: readonly Point[];
  /** The sheet's resolution in the image, pixels per inch (mean over the sheet). */
  readonly dpi: number;
  /**
   * The QR label is on the page and whole and legible in the image (same tests as a box): when
   * not, the gate can only send the image to review (qr_unreadable), however readable its boxes.
   */
  readonly labelVisible: boolean;
  /** Why the image is unreadable: the first failing test of each failing box (empty when readable). */
  readonly failures: readonly string[];
}

export interface RealisticImage {
  readonly bytes: Buffer;
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
  readonly truth: SceneTruth;
}

interface Blob {
  readonly x: number;
  readonly y: number;
  readonly radius: number;
}
interface Capsule {
  readonly a: Point;
  readonly b: Point;
  readonly radius: number;
}
interface Thing extends Capsule {
  /** RGB, 0..255. */
  readonly colour: readonly [number, number, number];
}

/** Everything the drawing and the readability test need; no pixels. */
export interface ScenePlan {
  readonly style: Style;
  readonly condition: Condition;
  readonly severity: Severity | null;
  readonly width: number;
  readonly height: number;
  /** Page → image and image → page projective maps. */
  readonly forward: Coefficients;
  readonly inverse: Coefficients;
  /** Image pixels per mm of the sheet, nominal (for converting the scene's mm). */
  readonly pxPerMm: number;
  readonly blurMm: number;
  readonly motionMm: number;
  readonly motionAxis: 'x' | 'y';
  /** Linear-light gain of the exposure. */
  readonly exposure: number;
  /** Light falloff across the sheet, in stops, along a unit direction in the image. */
  readonly gradient: { readonly stops: number; readonly dx: number; readonly dy: number };
  /** A hand's or body's cast shadow: a soft capsule, taking `depth` of the light. */
  readonly shadow: (Capsule & { readonly depth: number; readonly softness: number }) | null;
  /** Saturating reflections: at `radius` the glare alone reaches white. */
  readonly glare: readonly Blob[];
  /** Things on the table and hands, drawn over the sheet where they lie; each casts a soft shadow. */
  readonly things: readonly Thing[];
  readonly table: {
    readonly kind: 'wood' | 'cloth' | 'plastic' | 'laminate' | 'lid';
    readonly level: number;
  };
  readonly curlPx: number;
  readonly folds: readonly { readonly v: number; readonly depth: number }[];
  readonly cutCorner: { readonly corner: 0 | 1 | 2 | 3; readonly legPx: number } | null;
  readonly tint: readonly [number, number, number];
  /** Sensor noise σ, grey levels, before sharpening. */
  readonly noise: number;
  readonly sharpen: boolean;
  /** Scanner levels: input black and white points (the white point whitens the paper). */
  readonly levels: { readonly black: number; readonly white: number };
  readonly dust: number;
  readonly format: 'png' | 'jpeg';
  readonly jpegQuality: number;
  readonly grey: boolean;
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : Math.min(v, hi));

function apply(h: Coefficients, x: number, y: number): [number, number] {
  const w = h[6] * x + h[7] * y + 1;
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

function step(condition: Condition, severity: Severity | null): number | null {
  if (severity === null || !(isGraded(condition) || isBenign(condition))) return null;
  return SCALES[condition].steps[severity - 1]!;
}

/**
 * The scene, drawn from `random` with every quantity forked by purpose: only the condition's own
 * quantity changes with the severity.
 */
export function planScene(
  page: RealisticPage,
  options: { style: Style; condition: Condition; severity: Severity | null },
  random: Random,
): ScenePlan {
  const { style, condition } = options;
  const severity = condition === 'clean' ? null : options.severity;
  const value = step(condition, severity);
  const is = (c: Condition) => condition === c && value !== null;
  const r = (label: string) => random.fork(label);
  const pw = page.layout.width;
  const ph = page.layout.height;

  // Where the sheet lies in the frame.
  const geometry = r('geometry');
  let width: number;
  let height: number;
  let quad: Point[];
  let pxPerMm: number;
  const rotatedDegrees = is('rotated') ? value! * (r('turn').chance(0.5) ? 1 : -1) : 0;
  if (style === 'phone') {
    const megapixels = [8, 10, 12][geometry.int(0, 2)]!;
    height = Math.round(Math.sqrt((megapixels * 1e6 * 4) / 3));
    width = Math.round((height * 3) / 4);
    // The sheet fills 80–90% of the frame's height.
    let scale = (height * (0.8 + geometry.next() * 0.1)) / ph;
    if (is('heavy_jpeg') && severity! >= 3) {
      // Forwarded through a messaging app: downscaled to its long side, then compressed.
      const longSide = [2048, 1600, 1280][severity! - 3]!;
      const shrink = longSide / height;
      width = Math.round(width * shrink);
      height = longSide;
      scale *= shrink;
    }
    if (is('low_resolution')) {
      const target = value! / 25.4 / PAGE_PX_PER_MM; // image px per page px
      const shrink = target / scale;
      width = Math.round(width * shrink);
      height = Math.round(height * shrink);
      scale = target;
    }
    pxPerMm = scale * PAGE_PX_PER_MM;
    const ratio = is('keystone') || is('mild_keystone') ? value! : 0.97 + geometry.next() * 0.03;
    const far = geometry.int(0, 3); // which edge is farther from the camera: top, right, bottom, left
    const sw = pw * scale;
    const sh = ph * scale;
    // A camera tilted towards one edge, as a pinhole: the sheet (centred, half-extent `half`
    // along the tilt) at distance Z0 = 1.84 half-heights (a phone's 65° field of view with
    // the sheet filling it), turned by φ so the far edge is `ratio` times the near one's
    // width. Depth grows towards the far edge; both axes shrink with depth, the tilted one by
    // cos φ too — the foreshortening that squeezes the far boxes' digits.
    const vertical = far % 2 === 0;
    const half = (vertical ? sh : sw) / 2;
    const z0 = 1.84 * half;
    const sinPhi = Math.min(0.99, ((1 - ratio) / (1 + ratio)) * 1.84);
    const cosPhi = Math.sqrt(1 - sinPhi * sinPhi);
    const sign = far === 0 || far === 3 ? -1 : 1; // the far edge has negative (top, left) or positive coordinates
    const project = ([x, y]: Point): Point => {
      const X = x - sw / 2;
      const Y = y - sh / 2;
      const along = vertical ? Y : X;
      const z = z0 + sign * along * sinPhi;
      const k = z0 / z;
      return vertical ? [X * k, Y * cosPhi * k] : [X * cosPhi * k, Y * k];
    };
    let corners = (
      [
        [0, 0],
        [sw, 0],
        [sw, sh],
        [0, sh],
      ] as const
    ).map(project);
    // The photographer steps in or back to fill the frame again, as the flat sheet did.
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    const refill = Math.min(
      sh / (Math.max(...ys) - Math.min(...ys)),
      (sw * 1.1) / (Math.max(...xs) - Math.min(...xs)),
    );
    corners = corners.map(([x, y]) => [x * refill, y * refill] as const);
    const angle = ((rotatedDegrees || (geometry.next() - 0.5) * 6) * Math.PI) / 180;
    corners = turn(corners, angle);
    quad = place(corners, width, height, geometry);
    if (Math.abs(rotatedDegrees) === 90) {
      // Sideways: the phone held in landscape.
      [width, height] = [height, width];
      quad = place(corners, width, height, geometry);
    }
  } else {
    const dpi = is('low_resolution')
      ? value!
      : is('heavy_jpeg') && severity! >= 3
        ? 150
        : [150, 200, 240, 300][geometry.int(0, 3)]!;
    const scale = dpi / 200;
    pxPerMm = scale * PAGE_PX_PER_MM;
    const skew = rotatedDegrees || (geometry.next() - 0.5) * 1.2;
    const corners = turn(
      [
        [0, 0],
        [pw * scale, 0],
        [pw * scale, ph * scale],
        [0, ph * scale],
      ],
      (skew * Math.PI) / 180,
    );
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    // The bed's frame around the sheet, a few mm of lid showing.
    const margin = Math.round(pxPerMm * (1 + geometry.next() * 3));
    width = Math.ceil(Math.max(...xs) - Math.min(...xs)) + 2 * margin;
    height = Math.ceil(Math.max(...ys) - Math.min(...ys)) + 2 * margin;
    quad = corners.map((c) => [c[0] - Math.min(...xs) + margin, c[1] - Math.min(...ys) + margin] as const);
  }
  if (is('cut_edge')) {
    // x% of one side and/or the bottom falls outside the frame: the frame shrinks, the sheet stays.
    const cut = r('cut');
    // A side always (the bottom alone would take only the signatures' blank space).
    const sides = [['right'], ['left'], ['right', 'bottom'], ['left', 'bottom']][cut.int(0, 3)]!;
    const xs = quad.map((c) => c[0]);
    const ys = quad.map((c) => c[1]);
    const sheetW = Math.max(...xs) - Math.min(...xs);
    const sheetH = Math.max(...ys) - Math.min(...ys);
    const left = Math.min(...xs);
    const top = Math.min(...ys);
    let x0 = 0;
    let x1 = width;
    let y1 = height;
    if (sides.includes('right')) x1 = Math.round(left + sheetW * (1 - value! / 100));
    if (sides.includes('left')) x0 = Math.round(left + sheetW * (value! / 100));
    if (sides.includes('bottom')) y1 = Math.round(top + sheetH * (1 - value! / 100));
    quad = quad.map((c) => [c[0] - x0, c[1]] as const);
    width = x1 - x0;
    height = y1;
  }
  const pageCorners: Point[] = [
    [0, 0],
    [pw, 0],
    [pw, ph],
    [0, ph],
  ];
  const forward = homographyCoefficients(pageCorners, quad);
  const inverse = homographyCoefficients(quad, pageCorners);
  const toImageMm = (mm: number) => mm * pxPerMm;

  // Light.
  const light = r('light');
  let exposure = 1;
  if (is('too_dark')) exposure = 2 ** -value!;
  if (is('overexposed')) exposure = 2 ** value!;
  const angle = light.next() * 2 * Math.PI;
  let stops = style === 'phone' ? 0.1 + light.next() * 0.25 : 0;
  if (is('light_gradient')) stops = value!;
  const gradient = { stops, dx: Math.cos(angle), dy: Math.sin(angle) };
  const tint: [number, number, number] =
    style === 'phone' ? [1, 0.9 + light.next() * 0.06, 0.72 + light.next() * 0.12] : [1, 1, 1];

  // The boxes' extent in the image, for placing what should (or should not) fall over them.
  const boxCentres = page.layout.boxes.map((b) => apply(forward, b.x + b.width / 2, b.y + b.height / 2));
  const glare: Blob[] = [];
  if (is('glare')) {
    const g = r('glare');
    const radius = toImageMm(value!) / 2;
    let x: number;
    let y: number;
    if (severity! <= 2 || boxCentres.length === 0) {
      // Over the header, away from the table.
      [x, y] = apply(forward, pw * (0.2 + g.next() * 0.3), ph * (0.08 + g.next() * 0.08));
    } else {
      // Over a box's written digits (the right part of the box).
      const box = page.layout.boxes[g.int(0, page.layout.boxes.length - 1)]!;
      [x, y] = apply(forward, box.x + box.width * (0.55 + g.next() * 0.3), box.y + box.height / 2);
    }
    glare.push({ x, y, radius });
  }
  let shadow: ScenePlan['shadow'] = null;
  if (is('shadow')) {
    const s = r('shadow');
    // A forearm and hand reaching in from one side of the frame over the table of boxes.
    const box = page.layout.boxes[s.int(0, Math.max(0, page.layout.boxes.length - 1))];
    const target =
      box === undefined ? apply(forward, pw / 2, ph / 2) : apply(forward, box.x + box.width / 2, box.y);
    const from: Point = s.chance(0.5)
      ? [width * 1.1, height * (0.4 + s.next() * 0.6)]
      : [-0.1 * width, height * 1.1];
    shadow = {
      a: from,
      b: target,
      radius: toImageMm(30 + s.next() * 20),
      depth: value!,
      softness: toImageMm(8),
    };
  }

  // Things on the table, and hands holding the sheet.
  const things: Thing[] = [];
  const stuff = r('things');
  const sheetXs = quad.map((c) => c[0]);
  const sheetLeft = Math.min(...sheetXs);
  const sheetRight = Math.max(...sheetXs);
  const objects = is('clutter') ? value! : style === 'phone' ? stuff.int(0, 1) : 0;
  for (let i = 0; i < objects; i++) {
    // Beside the sheet: a pen, a phone, a mug, a key — lying on the table, partly over the margin at most.
    const kind = stuff.int(0, 3);
    const len = toImageMm([140, 120, 0, 50][kind]!);
    const radius = toImageMm([4, 35, 40, 8][kind]!);
    // On the table against the sheet, at most 2 mm over its edge: the registration marks, 5.7 mm
    // in, stay in sight (things over the sheet are the fingers' condition).
    const overlap = toImageMm(stuff.next() * 2);
    const left = stuff.chance(0.5);
    const side = left ? sheetLeft - radius + overlap : sheetRight + radius - overlap;
    const y = height * (0.1 + stuff.next() * 0.7);
    // Lying along the sheet's edge, give or take, so that all of it stays beside the sheet.
    const tilt = Math.PI / 2 + (stuff.next() - 0.5) * 0.3;
    const a: Point = [side, y];
    const b: Point = [side + (left ? -1 : 1) * Math.abs(Math.cos(tilt)) * len, y + Math.sin(tilt) * len];
    const colour = (
      [
        [30, 60, 150],
        [25, 25, 28],
        [200, 60, 40],
        [170, 160, 120],
      ] as const
    )[kind]!;
    things.push({ a, b, radius, colour: [...colour] });
  }
  const fingers = is('fingers_at_edge') ? value! : 0;
  const hand = r('hand');
  const holdLeft = hand.chance(0.5);
  for (let i = 0; i < fingers; i++) {
    // A finger 16 mm wide whose tip reaches 3–9 mm over the sheet's edge (the boxes start 14 mm
    // in from the right edge), pointing in from outside, on the sheet's lower two thirds.
    const v = page.layout.height * (0.3 + hand.next() * 0.6);
    const reachMm = 3 + hand.next() * 6;
    const radiusMm = 8;
    const u = (mm: number) => (holdLeft ? mm * PAGE_PX_PER_MM : pw - mm * PAGE_PX_PER_MM);
    const tip = apply(forward, u(reachMm - radiusMm), v);
    const out = apply(forward, u(-60), v + (hand.next() - 0.5) * 150);
    const skin = [
      [224, 172, 140],
      [198, 140, 105],
      [150, 100, 72],
    ][hand.int(0, 2)]!;
    things.push({ a: tip, b: out, radius: toImageMm(radiusMm), colour: [skin[0]!, skin[1]!, skin[2]!] });
  }

  const tableKinds = ['wood', 'cloth', 'plastic', 'laminate'] as const;
  const t = r('table');
  const tableKind = style === 'scanner' ? 'lid' : is('dark_table') ? 'plastic' : tableKinds[t.int(0, 3)]!;
  const tableLevel = is('dark_table')
    ? value!
    : tableKind === 'lid'
      ? 236 + t.int(0, 14)
      : tableKind === 'plastic'
        ? 35 + t.int(0, 20)
        : tableKind === 'laminate'
          ? 170 + t.int(0, 40)
          : 90 + t.int(0, 50);

  const folds: { v: number; depth: number }[] = [];
  const f = r('fold');
  if (is('fold'))
    for (const third of [1 / 3, 2 / 3]) folds.push({ v: ph * third + (f.next() - 0.5) * 40, depth: value! });
  const curlPx = is('curl')
    ? value! * PAGE_PX_PER_MM
    : style === 'phone'
      ? f.next() * 1.5 * PAGE_PX_PER_MM
      : 0;

  let cutCorner: ScenePlan['cutCorner'] = null;
  if (is('cut_corner')) {
    const c = r('corner');
    // Mostly a bottom corner, where the table's last boxes are nearest.
    const corner = c.chance(0.75) ? (c.chance(0.5) ? 2 : 3) : c.chance(0.5) ? 0 : 1;
    cutCorner = { corner, legPx: value! * PAGE_PX_PER_MM };
  }

  const blurMm = is('blur') ? value! : 0;
  const motionMm = is('motion_blur') ? value! : 0;
  const motionAxis = r('motion').chance(0.6) ? 'x' : 'y';
  const enc = r('encoding');
  let noise = style === 'phone' ? 1.8 + enc.next() * 1.2 : 0.8 + enc.next() * 0.6;
  if (is('noise_jpeg_sharpen')) noise = value!;
  let format: 'png' | 'jpeg' = style === 'phone' ? 'jpeg' : enc.chance(0.2) ? 'jpeg' : 'png';
  let jpegQuality = style === 'phone' ? enc.int(70, 92) : enc.int(80, 92);
  if (is('noise_jpeg_sharpen')) jpegQuality = Math.round(92 - (severity! - 1) * 5.5);
  if (is('heavy_jpeg')) {
    format = 'jpeg';
    jpegQuality = value!;
  }
  const grey = style === 'scanner' && enc.chance(0.6);
  const levels =
    style === 'scanner'
      ? {
          black: 10 + enc.int(0, 12),
          // The scanner's levels put the paper at white; the whitening condition pushes harder.
          white: 250 - (is('scanner_whitening') ? value! : enc.int(0, 4)),
        }
      : { black: 0, white: 255 };
  return {
    style,
    condition,
    severity,
    width,
    height,
    forward,
    inverse,
    pxPerMm,
    blurMm,
    motionMm,
    motionAxis,
    exposure,
    gradient,
    shadow,
    glare,
    things,
    table: { kind: tableKind, level: tableLevel },
    curlPx,
    folds,
    cutCorner,
    tint,
    noise,
    sharpen: style === 'phone',
    levels,
    dust: style === 'scanner' ? enc.int(3, 25) : 0,
    format,
    jpegQuality,
    grey,
  };
}

function turn(points: readonly Point[], angle: number): Point[] {
  const cx = (points[0]![0] + points[2]![0]) / 2;
  const cy = (points[0]![1] + points[2]![1]) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return points.map(
    ([x, y]) => [cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos] as const,
  );
}

/** Centres the quad in the frame, with a random offset that keeps it inside. */
function place(points: readonly Point[], width: number, height: number, random: Random): Point[] {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const w = Math.max(...xs) - Math.min(...xs);
  const h = Math.max(...ys) - Math.min(...ys);
  const room = (frame: number, size: number) => Math.max(0, frame - size);
  const ox = room(width, w) * (0.3 + random.next() * 0.4) - Math.min(...xs) - Math.max(0, w - width) / 2;
  const oy = room(height, h) * (0.3 + random.next() * 0.4) - Math.min(...ys) - Math.max(0, h - height) / 2;
  return points.map(([x, y]) => [x + ox, y + oy] as const);
}

// --- Light ---------------------------------------------------------------------------------

/** sRGB code value → linear light, and back (4096 steps). */
const LINEAR = new Float32Array(256).map((_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});
const LINEAR16 = new Float32Array(256 * 16 + 1).map((_, i) => {
  const c = i / 16 / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});
const TONE = new Uint8Array(4097).map((_, i) => {
  const l = i / 4096;
  const c = l <= 0.0031308 ? l * 12.92 : 1.055 * l ** (1 / 2.4) - 0.055;
  return Math.round(c * 255);
});
const toCode = (linear: number) => TONE[Math.min(4096, Math.max(0, Math.round(linear * 4096)))]!;

function segmentDistance(x: number, y: number, c: Capsule): number {
  const [ax, ay] = c.a;
  const [bx, by] = c.b;
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : clamp(((x - ax) * dx + (y - ay) * dy) / len, 0, 1);
  return Math.hypot(x - ax - t * dx, y - ay - t * dy);
}

/** The light falling at image point (x, y), linear gain (without glare). */
export function lightAt(plan: ScenePlan, x: number, y: number): number {
  const g = plan.gradient;
  // Position along the gradient's direction, −0.5..0.5 over the frame.
  const t =
    ((x / plan.width - 0.5) * g.dx + (y / plan.height - 0.5) * g.dy) / (Math.abs(g.dx) + Math.abs(g.dy));
  let light = plan.exposure * 2 ** (-g.stops * (t + 0.5));
  if (plan.shadow !== null) {
    const d = segmentDistance(x, y, plan.shadow) - plan.shadow.radius;
    const inside = clamp(0.5 - d / plan.shadow.softness, 0, 1);
    light *= 1 - plan.shadow.depth * inside;
  }
  for (const thing of plan.things) {
    // Each thing's soft shadow, offset away from the light.
    const d = segmentDistance(x - plan.pxPerMm * 4, y - plan.pxPerMm * 4, thing) - thing.radius;
    if (d < plan.pxPerMm * 10) light *= 1 - 0.35 * clamp(1 - d / (plan.pxPerMm * 10), 0, 1);
  }
  return light;
}

/** Glare's added linear light at (x, y): 1 (white on its own) at the blob's radius, more inside. */
export function glareAt(plan: ScenePlan, x: number, y: number): number {
  let sum = 0;
  for (const b of plan.glare) {
    const q = ((x - b.x) ** 2 + (y - b.y) ** 2) / (b.radius * b.radius);
    sum += Math.exp(1.2 * (1 - q));
  }
  return sum;
}

// --- Drawing -------------------------------------------------------------------------------

/**
 * The page as the lens and the phone's processing leave it (RGB code values): the
 * scene's blur (focus, motion) and, for a phone, its sharpening — done here on the 200 dpi sheet,
 * where it costs a third of what it costs on the photo (the sensor noise, added later, is then
 * not sharpened; the readability test counts the noise as it is drawn).
 */
async function preparedPage(page: RealisticPage, plan: ScenePlan): Promise<Uint8Array> {
  const { data, width, height } = page.pixels;
  let codes = data;
  // A pixel gathers the light over its area: when the image has fewer pixels than the page,
  // the page is first smoothed over an image pixel (σ ≈ 0.45 of one, in page pixels), else
  // thin strokes would alias into broken lines.
  const pagePxPerImagePx = PAGE_PX_PER_MM / plan.pxPerMm;
  const gather = pagePxPerImagePx > 1.2 ? 0.45 * pagePxPerImagePx : 0;
  const focus = plan.blurMm * PAGE_PX_PER_MM;
  if (focus > 0 || gather > 0) {
    const sigma = Math.max(0.3, Math.hypot(focus, gather));
    codes = new Uint8Array(
      await sharp(data, { raw: { width, height, channels: 3 } })
        .blur(sigma)
        .raw()
        .toBuffer(),
    );
  }
  if (plan.motionMm > 0)
    codes = boxFilter(
      codes,
      width,
      height,
      Math.max(1, Math.round(plan.motionMm * PAGE_PX_PER_MM)),
      plan.motionAxis,
    );
  if (!plan.sharpen) return codes;
  // Unsharp mask on a cross of four neighbours, amount 0.6, in code values as a phone does it
  // on the encoded image (the clamped array rounds and clips).
  const out = new Uint8ClampedArray(codes.length);
  out.set(codes);
  const stride = width * 3;
  for (let y = 1; y < height - 1; y++) {
    const row = y * stride;
    for (let i = row + 3; i < row + stride - 3; i++) {
      const c = codes[i]!;
      out[i] = c * 1.6 - (codes[i - 3]! + codes[i + 3]! + codes[i - stride]! + codes[i + stride]!) * 0.15;
    }
  }
  return new Uint8Array(out.buffer);
}

/** A straight streak of `length` pixels along one axis: running sums, cost independent of the length. */
function boxFilter(
  src: Uint8Array,
  width: number,
  height: number,
  length: number,
  axis: 'x' | 'y',
): Uint8Array {
  const out = new Uint8Array(src.length);
  const half = length >> 1;
  const stride = width * 3;
  if (axis === 'x') {
    for (let y = 0; y < height; y++) {
      const base = y * stride;
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let i = -half; i < width; i++) {
          const add = i + half;
          if (add < width) {
            sum += src[base + add * 3 + c]!;
            n++;
          }
          const drop = i - half - 1;
          if (drop >= 0) {
            sum -= src[base + drop * 3 + c]!;
            n--;
          }
          if (i >= 0) out[base + i * 3 + c] = sum / n;
        }
      }
    }
    return out;
  }
  // Down the columns a row at a time, so memory is read in order.
  const sums = new Float64Array(stride);
  let n = 0;
  for (let y = -half; y < height; y++) {
    const add = y + half;
    if (add < height) {
      const row = add * stride;
      for (let i = 0; i < stride; i++) sums[i]! += src[row + i]!;
      n++;
    }
    const drop = y - half - 1;
    if (drop >= 0) {
      const row = drop * stride;
      for (let i = 0; i < stride; i++) sums[i]! -= src[row + i]!;
      n--;
    }
    if (y >= 0) {
      const row = y * stride;
      for (let i = 0; i < stride; i++) out[row + i] = sums[i]! / n;
    }
  }
  return out;
}

/** The table (or the scanner's lid) on a grid 4× coarser than the image, RGB. */
function tableTexture(plan: ScenePlan, cw: number, ch: number, random: Random): Float32Array {
  const out = new Float32Array(cw * ch * 3);
  const level = plan.table.level;
  const hue: readonly [number, number, number] =
    plan.table.kind === 'wood'
      ? [1.25, 0.95, 0.62]
      : plan.table.kind === 'cloth'
        ? (
            [
              [0.7, 0.9, 1.3],
              [1.3, 0.7, 0.7],
              [0.8, 1.15, 0.8],
            ] as const
          )[random.int(0, 2)]!
        : [1, 1, 1];
  const freq = 0.02 + random.next() * 0.03;
  const phase = random.next() * 10;
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      let v = level;
      if (plan.table.kind === 'wood') v *= 0.85 + 0.15 * Math.sin(x * freq + Math.sin(y * 0.01 + phase) * 3);
      else if (plan.table.kind === 'cloth') v *= ((x >> 2) + (y >> 2)) % 2 === 0 ? 1 : 0.82;
      const i = (y * cw + x) * 3;
      out[i] = LINEAR[clamp(Math.round(v * hue[0]), 0, 255)]!;
      out[i + 1] = LINEAR[clamp(Math.round(v * hue[1]), 0, 255)]!;
      out[i + 2] = LINEAR[clamp(Math.round(v * hue[2]), 0, 255)]!;
    }
  return out;
}

const NOISE = (() => {
  const random = createRandom('scene-noise-table');
  // 4,096 values (16 KB): small enough to stay in the L1 cache, drawn from at random.
  return Float32Array.from(
    { length: 1 << 12 },
    () => (random.next() + random.next() + random.next() + random.next() - 2) * Math.sqrt(3),
  );
})();

/** Draws the planned scene: RGB pixels at the output size, before encoding. */
async function draw(page: RealisticPage, plan: ScenePlan, random: Random): Promise<Uint8Array> {
  const src = await preparedPage(page, plan);
  const pw = page.pixels.width;
  const ph = page.pixels.height;
  const { width, height } = plan;
  const out = new Uint8Array(width * height * 3);
  // Coarse grids: the table and the things on it every 4 px.
  const cw = Math.ceil(width / 4) + 2;
  const ch = Math.ceil(height / 4) + 2;
  // Light and glare are smooth (penumbras and glare edges span tens of pixels): every 8 px.
  const lw = Math.ceil(width / 8) + 2;
  const lh = Math.ceil(height / 8) + 2;
  const light = new Float32Array(lw * lh);
  const glow = new Float32Array(lw * lh);
  for (let gy = 0; gy < lh; gy++)
    for (let gx = 0; gx < lw; gx++) {
      light[gy * lw + gx] = lightAt(plan, gx * 8, gy * 8);
      if (plan.glare.length > 0) glow[gy * lw + gx] = glareAt(plan, gx * 8, gy * 8);
    }
  const table = tableTexture(plan, cw, ch, random.fork('texture'));
  // Things (and dust) over everything: colour and coverage.
  const cover = new Uint8Array(cw * ch);
  const coverColour = new Float32Array(cw * ch * 3);
  for (const thing of plan.things) {
    const x0 = Math.max(0, Math.floor((Math.min(thing.a[0], thing.b[0]) - thing.radius) / 4));
    const x1 = Math.min(cw - 1, Math.ceil((Math.max(thing.a[0], thing.b[0]) + thing.radius) / 4));
    const y0 = Math.max(0, Math.floor((Math.min(thing.a[1], thing.b[1]) - thing.radius) / 4));
    const y1 = Math.min(ch - 1, Math.ceil((Math.max(thing.a[1], thing.b[1]) + thing.radius) / 4));
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        const d = segmentDistance(x * 4, y * 4, thing);
        if (d > thing.radius) continue;
        const i = y * cw + x;
        // Rounded: darker towards the edge, and soft at it.
        cover[i] = Math.round(255 * clamp((thing.radius - d) / 3, 0, 1));
        const shade = 1 - 0.4 * (d / thing.radius) ** 2;
        for (let c = 0; c < 3; c++) coverColour[i * 3 + c] = LINEAR[thing.colour[c]!]! * shade;
      }
  }
  const dust = random.fork('dust');
  for (let k = 0; k < plan.dust; k++) {
    const i = dust.int(0, cw * ch - 1);
    cover[i] = 200;
    coverColour[i * 3] = coverColour[i * 3 + 1] = coverColour[i * 3 + 2] = LINEAR[40]!;
  }
  // Per page row: the folds' creases (a dark line with a lit side); per page column, the curl.
  const rowLight = new Float32Array(ph + 1).fill(1);
  for (const fold of plan.folds)
    for (let v = 0; v <= ph; v++) {
      const d = (v - fold.v) / 6;
      rowLight[v]! *= 1 - fold.depth * Math.exp(-d * d) + 0.5 * fold.depth * Math.exp(-((d - 2) ** 2) / 4);
    }
  const curl = plan.curlPx;
  const colLift = new Float32Array(pw + 1);
  const colLight = new Float32Array(pw + 1).fill(1);
  if (curl > 0)
    for (let u = 0; u <= pw; u++) {
      const t = ((2 * u) / pw - 1) ** 4;
      colLift[u] = curl * t;
      colLight[u] = 1 - 0.25 * t * (curl / (14 * PAGE_PX_PER_MM));
    }
  const cut = plan.cutCorner;
  const cutX = cut === null ? 0 : cut.corner === 0 || cut.corner === 3 ? 0 : pw;
  const cutY = cut === null ? 0 : cut.corner < 2 ? 0 : ph;
  const cutLeg = cut === null ? -1 : cut.legPx;
  const [a, b, c, d, e, f, g, h] = plan.inverse;
  const [tr, tg, tb] = plan.tint;
  const readNoise = noiseSigma(plan, 0);
  const shotNoise = noiseSigma(plan, 1) - readNoise;
  const { black, white } = plan.levels;
  const levelScale = 255 / (white - black);
  // The scanner's levels and the tone curve as one table from linear light.
  const OUT = new Uint8Array(4097).map((_, i) => clamp(Math.round((TONE[i]! - black) * levelScale), 0, 255));
  const rowLit = new Float32Array(width + 8);
  const rowShine = new Float32Array(width + 8);
  const hasGlare = plan.glare.length > 0;
  const halfH = ph / 2;
  const halfW = pw / 2;
  const uMax = pw - 1;
  const vMax = ph - 1;
  const rowStride = pw * 3;
  let state = random.uint32() | 1;
  for (let y = 0; y < height; y++) {
    // This row's light and glare, interpolated from the coarse grid.
    const ly = y / 8;
    const ly0 = ly | 0;
    const fy = ly - ly0;
    for (let gx = 0; gx < lw - 1; gx++) {
      const i = ly0 * lw + gx;
      const l0 = light[i]! * (1 - fy) + light[i + lw]! * fy;
      const l1 = light[i + 1]! * (1 - fy) + light[i + lw + 1]! * fy;
      const s0 = glow[i]! * (1 - fy) + glow[i + lw]! * fy;
      const s1 = glow[i + 1]! * (1 - fy) + glow[i + lw + 1]! * fy;
      const x = gx * 8;
      if (x >= width) break;
      for (let k = 0; k < 8; k++) {
        rowLit[x + k] = l0 + (l1 - l0) * k * 0.125;
        rowShine[x + k] = s0 + (s1 - s0) * k * 0.125;
      }
    }
    const ty = (y >> 2) * cw;
    let o = y * width * 3;
    let uNum = b * y + c;
    let vNum = e * y + f;
    let wDen = h * y + 1;
    for (let x = 0; x < width; x++, o += 3, uNum += a, vNum += d, wDen += g) {
      let u = uNum / wDen;
      let v = vNum / wDen;
      let r0: number;
      let g0: number;
      let b0: number;
      let lit = rowLit[x]!;
      let onPage = u >= 0 && u < uMax && v >= 0 && v < vMax;
      if (onPage) {
        if (curl > 0) {
          // The curled edge lifts towards the camera: its content shifts towards the middle,
          // smoothly (no seam where the shift turns).
          const lift = colLift[u | 0]!;
          v += lift * 0.3 * (1 - v / halfH);
          u += lift * 0.2 * (1 - u / halfW);
          lit *= colLight[u | 0]!;
          onPage = u >= 0 && u < uMax && v >= 0 && v < vMax;
        }
        if (cutLeg > 0 && Math.abs(u - cutX) + Math.abs(v - cutY) < cutLeg) onPage = false;
      }
      if (onPage) {
        const x0 = u | 0;
        const y0 = v | 0;
        const ax = u - x0;
        const ay = v - y0;
        const i = y0 * rowStride + x0 * 3;
        const j = i + rowStride;
        // Interpolated in code values at 1/16 of a level, then to linear light through a table.
        const w00 = (1 - ax) * (1 - ay) * 16;
        const w10 = ax * (1 - ay) * 16;
        const w01 = (1 - ax) * ay * 16;
        const w11 = ax * ay * 16;
        r0 = LINEAR16[(src[i]! * w00 + src[i + 3]! * w10 + src[j]! * w01 + src[j + 3]! * w11) | 0]!;
        g0 = LINEAR16[(src[i + 1]! * w00 + src[i + 4]! * w10 + src[j + 1]! * w01 + src[j + 4]! * w11) | 0]!;
        b0 = LINEAR16[(src[i + 2]! * w00 + src[i + 5]! * w10 + src[j + 2]! * w01 + src[j + 5]! * w11) | 0]!;
        lit *= rowLight[y0]!;
      } else {
        const t = (ty + (x >> 2)) * 3;
        r0 = table[t]!;
        g0 = table[t + 1]!;
        b0 = table[t + 2]!;
      }
      const k = ty + (x >> 2);
      const coverage = cover[k]!;
      if (coverage > 0) {
        const alpha = coverage / 255;
        r0 = r0 * (1 - alpha) + coverColour[k * 3]! * alpha;
        g0 = g0 * (1 - alpha) + coverColour[k * 3 + 1]! * alpha;
        b0 = b0 * (1 - alpha) + coverColour[k * 3 + 2]! * alpha;
      }
      const shine = hasGlare ? rowShine[x]! : 0;
      const rl = r0 * lit * tr + shine;
      const gl = g0 * lit * tg + shine;
      const bl = b0 * lit * tb + shine;
      // The sensor's noise, in linear light: read noise plus shot noise growing as √signal, so
      // shadows and dim shots are grainier once the tone curve lifts them.
      state = (Math.imul(state, 1664525) + 1013904223) | 0;
      const n = NOISE[state >>> 20]! * (readNoise + shotNoise * Math.sqrt(Math.max(gl, 0)));
      const ri = rl + n;
      const gi = gl + n;
      const bi = bl + n;
      out[o] = OUT[ri <= 0 ? 0 : ri >= 1 ? 4096 : (ri * 4096) | 0]!;
      out[o + 1] = OUT[gi <= 0 ? 0 : gi >= 1 ? 4096 : (gi * 4096) | 0]!;
      out[o + 2] = OUT[bi <= 0 ? 0 : bi >= 1 ? 4096 : (bi * 4096) | 0]!;
    }
  }
  return out;
}

/**
 * The sensor noise's σ in linear light at `signal`: `plan.noise` is its σ in grey levels on white
 * paper (linear 0.8, where one unit of linear light is ~128 grey levels); a tenth of it is read
 * noise, the rest shot noise.
 */
export function noiseSigma(plan: ScenePlan, signal: number): number {
  const atPaper = plan.noise / 128;
  return atPaper * 0.1 + ((atPaper * 0.9) / Math.sqrt(0.8)) * Math.sqrt(Math.max(0, signal));
}

// --- Readability ---------------------------------------------------------------------------

/** What each box of the page holds, measured once: its paper and its ink (code values, luminance). */
export interface BoxStats {
  readonly key: string;
  readonly rect: { x: number; y: number; width: number; height: number };
  readonly paper: number;
  readonly ink: number;
}

export function boxStats(page: RealisticPage): BoxStats[] {
  const { data, width } = page.pixels;
  const stats: BoxStats[] = [];
  let darkest = 255;
  const raw = page.layout.boxes.map((box) => {
    const values: number[] = [];
    // Inside the box, clear of its printed frame.
    for (let y = box.y + 4; y < box.y + box.height - 4; y += 2)
      for (let x = box.x + 4; x < box.x + box.width - 4; x += 2) {
        const i = (y * width + x) * 3;
        values.push(0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!);
      }
    values.sort((p, q) => p - q);
    const paper = values[Math.floor(values.length * 0.6)] ?? 250;
    // The ink: the darkest few samples (a single thin digit covers only ~2% of its box).
    const ink = values[Math.min(values.length - 1, 8)] ?? paper;
    if (paper - ink > 60) darkest = Math.min(darkest, ink);
    return { key: box.key, rect: box, paper, ink };
  });
  // An empty box is read as empty only if ink would still show there: judge it with the page's ink.
  for (const box of raw) stats.push(box.paper - box.ink > 60 ? box : { ...box, ink: darkest });
  return stats;
}

/**
 * The readability rule (docs/images.md "Realistic scenes and severities"). A handwritten digit
 * on the acta is about 6 mm tall with strokes about 0.5 mm wide and counters (the holes of 0, 6,
 * 8, 9) about 1.5 mm across. A box is readable when, at every point of it:
 *   - it is in the frame, not under a torn-off corner or a thing on the table, and its row's
 *     start is in the frame too (so one knows whose row it is);
 *   - its baseline is within 12° of level (a person reads in place, without turning the image);
 *   - the sheet is sampled at ≥ 2 px/mm on its weaker axis (51 dpi: a digit ≥ 12 px tall, a
 *     stroke ≥ 1 px; thinner, strokes merge into their neighbours) and not squeezed more than 1.6 : 1 (beyond, 0/6/8 and 1/7 blur together);
 *   - the blur added by the scene (focus σ, motion streak as L/√12, the pixel's own 0.4 px) is
 *     σ ≤ 0.6 mm: two strokes 1.5 mm apart stay apart while 1.5 mm ≥ 2.5 σ;
 *   - the stroke's remaining contrast over its paper — after exposure, light, shadow, glare
 *     (added light saturates) and the scanner's levels, and lowered by the blur (a 0.5 mm line's
 *     peak falls as erf(w / 2√2σ)) — is ≥ 20 grey levels (8% of the range) and ≥ 5× the noise
 *     there (the sensor's, shot noise through the tone curve, plus the JPEG error measured on
 *     the box).
 * The image is readable when every box is (and the page is an acta).
 */
/** The least stroke contrast a person reads on a screen, grey levels. */
const MIN_CONTRAST = 20;

export function readability(
  page: RealisticPage,
  plan: ScenePlan,
  stats: readonly BoxStats[],
  jpegError: ReadonlyMap<string, number> = new Map(),
): { readable: boolean; failures: string[] } {
  if (page.document !== 'acta') return { readable: false, failures: ['not an acta: no boxes to read'] };
  const failures: string[] = [];
  const tableLeft = Math.min(
    ...page.layout.anchors.filter((a) => a.kind === 'table_corner').map((a) => a.x),
    ...page.layout.boxes.map((b) => b.x),
  );
  for (const box of stats) {
    const failure = regionFailure(page, plan, box, jpegError, tableLeft);
    if (failure !== null) failures.push(`${box.key}: ${failure}`);
  }
  return { readable: failures.length === 0, failures };
}

/**
 * Why one region of the page (a box, or the QR label) cannot be read in this image, or null:
 * the tests of `readability`. `rowStartX`: where the region's row starts on the page, which must
 * be in the frame too (null for the label).
 */
function regionFailure(
  page: RealisticPage,
  plan: ScenePlan,
  box: BoxStats,
  jpegError: ReadonlyMap<string, number>,
  rowStartX: number | null,
): string | null {
  const onFrame = ([x, y]: Point) => x >= 0 && y >= 0 && x < plan.width && y < plan.height;
  const { x, y, width, height } = box.rect;
  const corners: [number, number][] = [
    [x, y],
    [x + width, y],
    [x + width, y + height],
    [x, y + height],
  ];
  if (rowStartX !== null) corners.push([rowStartX, y + height / 2]);
  if (!corners.every((p) => onFrame(apply(plan.forward, p[0], p[1])))) {
    return 'out of the frame';
  }
  const cx = x + width / 2;
  const cy = y + height / 2;
  const [ox, oy] = apply(plan.forward, cx, cy);
  const ex = apply(plan.forward, cx + 1, cy);
  const ey = apply(plan.forward, cx, cy + 1);
  const sx = Math.hypot(ex[0] - ox, ex[1] - oy);
  const sy = Math.hypot(ey[0] - ox, ey[1] - oy);
  const tilt = Math.abs((Math.atan2(ex[1] - oy, ex[0] - ox) * 180) / Math.PI);
  if (tilt > 12) {
    return `tilted ${tilt.toFixed(0)}°`;
  }
  const pxPerMm = Math.min(sx, sy) * PAGE_PX_PER_MM;
  if (pxPerMm < 2) {
    return `${pxPerMm.toFixed(2)} px/mm`;
  }
  if (Math.max(sx, sy) / Math.min(sx, sy) > 1.6) {
    return `squeezed ${(Math.max(sx, sy) / Math.min(sx, sy)).toFixed(2)}:1`;
  }
  const sigma = Math.sqrt(plan.blurMm ** 2 + plan.motionMm ** 2 / 12 + (0.4 / pxPerMm) ** 2);
  if (sigma > 0.6) {
    return `blur σ ${sigma.toFixed(2)} mm`;
  }
  const attenuation = erf(0.5 / (2 * Math.SQRT2 * sigma));
  const paperLin = LINEAR[Math.round(box.paper)]!;
  const inkLin = LINEAR[Math.round(box.ink)]!;
  const tint = (plan.tint[0] * 0.2126 + plan.tint[1] * 0.7152 + plan.tint[2] * 0.0722) * 1;
  const level = (v: number) =>
    clamp(((v - plan.levels.black) * 255) / (plan.levels.white - plan.levels.black), 0, 255);
  let worst = Number.POSITIVE_INFINITY;
  let worstText = '';
  let hidden = false;
  for (let gy = 0; gy < 4; gy++)
    for (let gx = 0; gx < 12; gx++) {
      const u = x + ((gx + 0.5) / 12) * width;
      const v = y + ((gy + 0.5) / 4) * height;
      const [px, py] = apply(plan.forward, u, v);
      if (plan.things.some((t) => segmentDistance(px, py, t) <= t.radius)) hidden = true;
      const cut = plan.cutCorner;
      if (cut !== null) {
        const cxp = cut.corner === 0 || cut.corner === 3 ? 0 : page.layout.width;
        const cyp = cut.corner < 2 ? 0 : page.layout.height;
        if (Math.abs(u - cxp) + Math.abs(v - cyp) < cut.legPx) hidden = true;
      }
      const lit = lightAt(plan, px, py) * tint;
      const shine = glareAt(plan, px, py);
      const paper = paperLin * lit + shine;
      const contrast = level(toCode(paper)) - level(toCode(inkLin * lit + shine));
      // The sensor's noise in grey levels there: its linear σ through the tone curve's slope.
      const sigma = noiseSigma(plan, paper);
      const sensor = (level(toCode(paper + sigma)) - level(toCode(Math.max(0, paper - sigma)))) / 2;
      const noise = Math.hypot(sensor, jpegError.get(box.key) ?? 0);
      const margin = Math.min(contrast * attenuation - MIN_CONTRAST, contrast * attenuation - 5 * noise);
      if (margin < worst) {
        worst = margin;
        worstText = `contrast ${(contrast * attenuation).toFixed(0)} against noise ${noise.toFixed(1)}`;
      }
    }
  if (hidden) {
    return 'covered or torn off';
  }
  return worst < 0 ? worstText : null;
}

/** Paper and ink of the QR label, measured on the page (its modules are half of it). */
export function labelStats(page: RealisticPage): BoxStats | null {
  if (page.label !== 'present') return null;
  const { data, width } = page.pixels;
  const { x: x0, y: y0, width: w, height: h } = page.layout.qr;
  const values: number[] = [];
  for (let y = y0; y < y0 + h; y += 3)
    for (let x = x0; x < x0 + w; x += 3) {
      const i = (y * width + x) * 3;
      values.push(0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!);
    }
  values.sort((p, q) => p - q);
  return {
    key: 'qr_label',
    rect: page.layout.qr,
    paper: values[Math.floor(values.length * 0.9)] ?? 250,
    ink: values[Math.floor(values.length * 0.1)] ?? 0,
  };
}

/** Whether the QR label is whole and legible in the image, by the same tests as a box. */
export function labelVisible(
  page: RealisticPage,
  plan: ScenePlan,
  label: BoxStats | null,
  jpegError: ReadonlyMap<string, number> = new Map(),
): boolean {
  return label !== null && regionFailure(page, plan, label, jpegError, null) === null;
}

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/**
 * The JPEG error on each box (RMS grey levels, luminance) at each quality: the output encoded and
 * decoded over the boxes' bounding region only (aligned to the 16 px blocks of 4:2:0, so the
 * region's blocks are the image's).
 */
async function jpegErrors(
  rgb: Uint8Array,
  plan: ScenePlan,
  stats: readonly BoxStats[],
  qualities: readonly number[],
): Promise<Map<number, Map<string, number>>> {
  const rects = stats.map((s) => {
    const pts = [
      apply(plan.forward, s.rect.x, s.rect.y),
      apply(plan.forward, s.rect.x + s.rect.width, s.rect.y),
      apply(plan.forward, s.rect.x + s.rect.width, s.rect.y + s.rect.height),
      apply(plan.forward, s.rect.x, s.rect.y + s.rect.height),
    ];
    const xs = pts.map((p) => clamp(Math.round(p[0]), 0, plan.width));
    const ys = pts.map((p) => clamp(Math.round(p[1]), 0, plan.height));
    return { key: s.key, x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
  });
  const left = Math.max(0, Math.min(...rects.map((r) => r.x0)) & ~15);
  const top = Math.max(0, Math.min(...rects.map((r) => r.y0)) & ~15);
  const right = Math.min(plan.width, Math.max(...rects.map((r) => r.x1)));
  const bottom = Math.min(plan.height, Math.max(...rects.map((r) => r.y1)));
  const result = new Map<number, Map<string, number>>();
  if (right - left < 16 || bottom - top < 16) return result;
  const base = sharp(rgb, { raw: { width: plan.width, height: plan.height, channels: 3 } });
  const region = { left, top, width: right - left, height: bottom - top };
  const pipeline = () => base.clone().extract(region);
  const reference = await pipeline().raw().toBuffer();
  for (const quality of qualities) {
    const jpeg = await pipeline().jpeg({ quality, mozjpeg: false }).toBuffer();
    const decoded = await sharp(jpeg).raw().toBuffer();
    const errors = new Map<string, number>();
    for (const r of rects) {
      let sum = 0;
      let n = 0;
      for (let y = Math.max(r.y0, top); y < Math.min(r.y1, bottom); y++)
        for (let x = Math.max(r.x0, left); x < Math.min(r.x1, right); x++) {
          const i = ((y - top) * region.width + (x - left)) * 3;
          const lum = (p: Uint8Array | Buffer) => 0.2126 * p[i]! + 0.7152 * p[i + 1]! + 0.0722 * p[i + 2]!;
          const diff = lum(decoded) - lum(reference);
          sum += diff * diff;
          n++;
        }
      errors.set(r.key, n === 0 ? 0 : Math.sqrt(sum / n));
    }
    result.set(quality, errors);
  }
  return result;
}

// --- The shot ------------------------------------------------------------------------------

export async function photographRealistic(
  page: RealisticPage,
  options: SceneOptions,
): Promise<RealisticImage> {
  const random = createRandom(`scene:${options.seed}:${page.actaKey}:${options.style}:${options.condition}`);
  const plan = planScene(page, options, random);
  const rgb = await draw(page, plan, random.fork('draw'));
  const stats = boxStats(page);
  // Readability at every severity of this same scene: the actual one labels the image, the
  // others find where it flips.
  const graded = isGraded(options.condition) || isBenign(options.condition);
  const severities = graded && plan.severity !== null ? SEVERITIES : [];
  const plans = new Map(
    severities.map((s) => [
      s,
      s === plan.severity ? plan : planScene(page, { ...options, severity: s }, random),
    ]),
  );
  const labelRegion = labelStats(page);
  const withLabel = labelRegion === null ? stats : [...stats, labelRegion];
  let errors = new Map<number, Map<string, number>>();
  if (options.condition === 'heavy_jpeg' && plan.severity !== null)
    errors = await jpegErrors(rgb, plan, withLabel, SCALES.heavy_jpeg.steps);
  else if (plan.format === 'jpeg' && plan.jpegQuality < 60)
    errors = await jpegErrors(rgb, plan, withLabel, [plan.jpegQuality]);
  const verdict = (p: ScenePlan) => readability(page, p, stats, errors.get(p.jpegQuality));
  const own = verdict(plan);
  const labelIntact = labelVisible(page, plan, labelRegion, errors.get(plan.jpegQuality));
  let nearThreshold = false;
  if (plan.severity !== null) {
    const firstUnreadable = severities.find((s) => !verdict(plans.get(s)!).readable);
    nearThreshold =
      firstUnreadable !== undefined &&
      (plan.severity === firstUnreadable || plan.severity === firstUnreadable - 1);
  }
  let pipeline = sharp(rgb, { raw: { width: plan.width, height: plan.height, channels: 3 } });
  if (plan.grey) pipeline = pipeline.toColourspace('b-w');
  const bytes =
    plan.format === 'jpeg'
      ? await pipeline.jpeg({ quality: plan.jpegQuality, mozjpeg: false }).toBuffer()
      : await pipeline.png(PNG_OPTIONS).toBuffer();
  const pw = page.layout.width;
  const ph = page.layout.height;
  const corners = (
    [
      [0, 0],
      [pw, 0],
      [pw, ph],
      [0, ph],
    ] as const
  ).map(([x, y]) => apply(plan.forward, x, y));
  const top = Math.hypot(corners[1]![0] - corners[0]![0], corners[1]![1] - corners[0]![1]);
  const bottom = Math.hypot(corners[2]![0] - corners[3]![0], corners[2]![1] - corners[3]![1]);
  return {
    bytes,
    format: plan.format,
    width: plan.width,
    height: plan.height,
    truth: {
      actaKey: page.actaKey,
      boxes: page.boxes,
      style: plan.style,
      condition: options.condition,
      severity: plan.severity,
      readable: own.readable,
      nearThreshold,
      labelVisible: labelIntact,
      expectedReasons: OWN_REASONS[options.condition],
      corners,
      dpi: Math.round((((top + bottom) / 2) * 25.4) / (pw / PAGE_PX_PER_MM)),
      failures: own.failures,
    },
  };
}
