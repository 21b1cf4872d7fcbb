/**
 * The quality gate's measurements on a decoded grey image (src/gate/quality_gate.ts decodes
 * it): where the sheet is (its extent row by row and column by column, its corners, its skew),
 * its exposure and contrast, its sharpness in each direction at a fixed physical resolution,
 * washed-out areas and saturated reflections over the boxes, cast shadows, the form's anchors —
 * its registration marks and its table's corners (a cut edge, the perspective) — and how much the
 * page looks like a table of boxes. Light is taken out first: the paper's level is estimated
 * across the image (a smooth surface through a coarse grid of bright levels) and the image
 * divided by it, so a gradient or vignetting is not mistaken for glare, a missing corner or a
 * turn. Pure arithmetic over
 * pixels, no I/O; what is acceptable is decided elsewhere, from the reviewed thresholds
 * (quality_thresholds.json).
 */

export interface Grey {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export type CornerName = 'top_left' | 'top_right' | 'bottom_right' | 'bottom_left';
export const CORNERS: readonly CornerName[] = ['top_left', 'top_right', 'bottom_right', 'bottom_left'];

export interface Measures {
  /** Share of the image the sheet covers (0 when no sheet stands out). */
  readonly sheetShare: number;
  /** The sheet's long axis against the vertical, in degrees (positive: clockwise). */
  readonly skewDegrees: number;
  /** True when the sheet's long axis lies across the image (a page on its side). */
  readonly sideways: boolean;
  /** The corners where the sheet's edges meet, in image pixels; null when not estimated (no sheet, or strongly turned). */
  readonly corners: Readonly<Record<CornerName, Point>> | null;
  /** Corners that are outside the image or where no paper is found. */
  readonly missingCorners: readonly CornerName[];
  /** The sheet's width in image pixels (along its top and bottom edges). */
  readonly sheetWidth: number;
  /** Grey levels inside the sheet: the paper (the median: ink covers a small part of an acta) and the ink (1st percentile). */
  readonly paperLevel: number;
  readonly inkLevel: number;
  /** Share of the sheet at full white (≥ 254): glare and overexposure. */
  readonly clippedShare: number;
  /** Share of the sheet's tiles (a 10 × 14 grid) washed out: brighter than the paper, halfway to white. */
  readonly washedTiles: number;
  /** The steepest edges (99.7th percentile of neighbour differences) across and down, over the contrast. */
  readonly sharpnessX: number;
  readonly sharpnessY: number;
  /** Vertical against horizontal edge energy in the lower sheet: a table of boxes and text has both. */
  readonly tableEvidence: number;
  /** Share of the boxes' column (in the light's coarse cells) in a cast shadow: its paper under `SHADOW_LIGHT` of the light expected there. */
  readonly shadowShare: number;
  /**
   * The ink's contrast left in that shadow, in grey levels: the shadow's paper (its cells'
   * median bright level) less the ink darkened in the same proportion; 255 when there is no shadow.
   */
  readonly shadowContrast: number;
  /** The largest saturated blob over the table's boxes (where the paper around is not white), in boxes' areas. */
  readonly glareOverBoxes: number;
  /** The form's registration marks found near each corner (image pixels), null where none is. */
  readonly marks: Readonly<Record<CornerName, Point | null>>;
  /** Sides of the sheet cut off by the image's border: a mark missing there, the sheet running off the image. */
  readonly cutSides: readonly Side[];
  /** The longer over the shorter of each pair of opposite sides of the marks' (else the corners') quadrilateral; 1 when unknown. */
  readonly keystone: number;
  /**
   * Missing corners whose cut reaches the form's boxes or its QR label (how far the cut runs,
   * along lines across the corner, against where the form prints them); a corner cut or off the
   * image short of them lost only margin and the party names' column, not what is read.
   */
  readonly cutIntoForm: readonly CornerName[];
  /**
   * The table's corners, the form's other anchors: the ends of its head (the realistic form's bar,
   * the older form's rule) and of its bottom rule where they end on paper; null for an end not
   * found or cut by the image's border. Null when the sheet was not placed (no corners).
   */
  readonly tableCorners: Readonly<Record<CornerName, Point | null>> | null;
  /** Whether the table's head is where the form puts it (another document has none). */
  readonly tableHead: boolean;
}

export type Side = 'top' | 'right' | 'bottom' | 'left';

/** Otsu's threshold of a 256-bin histogram: the level that best splits it in two classes. */
export function otsuThreshold(histogram: ArrayLike<number>): number {
  let total = 0;
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    total += histogram[i]!;
    sum += i * histogram[i]!;
  }
  let background = 0;
  let backgroundSum = 0;
  let best = 0;
  let threshold = 127;
  for (let i = 0; i < 256; i++) {
    background += histogram[i]!;
    if (background === 0) continue;
    const foreground = total - background;
    if (foreground === 0) break;
    backgroundSum += i * histogram[i]!;
    const meanB = backgroundSum / background;
    const meanF = (sum - backgroundSum) / foreground;
    const between = background * foreground * (meanB - meanF) ** 2;
    if (between > best) {
      best = between;
      threshold = i;
    }
  }
  return threshold;
}

function percentile(histogram: ArrayLike<number>, count: number, share: number): number {
  const target = count * share;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= target) return i;
  }
  return histogram.length - 1;
}

/**
 * For each line (row or column), where paper starts and ends: the first and last run of at
 * least `run` paper pixels. -1 where the line holds none.
 */
function spans(
  image: Grey,
  threshold: number,
  run: number,
  byRow: boolean,
): { start: Int32Array; end: Int32Array } {
  const { data, width, height } = image;
  const lines = byRow ? height : width;
  const length = byRow ? width : height;
  const step = byRow ? 1 : width;
  const start = new Int32Array(lines).fill(-1);
  const end = new Int32Array(lines).fill(-1);
  for (let line = 0; line < lines; line++) {
    const base = byRow ? line * width : line;
    let streak = 0;
    for (let i = 0; i < length; i++) {
      streak = data[base + i * step]! > threshold ? streak + 1 : 0;
      if (streak >= run) {
        start[line] = i - run + 1;
        break;
      }
    }
    if (start[line] === -1) continue;
    streak = 0;
    for (let i = length - 1; i >= 0; i--) {
      streak = data[base + i * step]! > threshold ? streak + 1 : 0;
      if (streak >= run) {
        end[line] = i + run - 1;
        break;
      }
    }
  }
  return { start, end };
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[values.length >> 1] ?? 0;
}

/**
 * A sheet edge as a line `position = slope · line + offset`, from the edge positions of the
 * lines between `from` and `to`: among the lines through the medians of two of its four
 * quarters, the one most positions lie within 3 pixels of (a cut-off corner or a thumb can
 * take a whole quarter, never most of the edge), then refitted by least squares on those.
 */
function fitEdge(positions: Int32Array, from: number, to: number): { slope: number; offset: number } | null {
  const span = to - from;
  if (span < 8) return null;
  const quarter = Math.floor(span / 4);
  const medians: { at: number; value: number }[] = [];
  for (let q = 0; q < 4; q++) {
    const values: number[] = [];
    for (let i = from + q * quarter; i < from + (q + 1) * quarter; i++)
      if (positions[i]! >= 0) values.push(positions[i]!);
    if (values.length >= 3) medians.push({ at: from + (q + 0.5) * quarter, value: median(values) });
  }
  if (medians.length < 2) return null;
  const inliers = (slope: number, offset: number) => {
    let count = 0;
    for (let i = from; i < to; i++) {
      const p = positions[i]!;
      if (p >= 0 && Math.abs(p - (slope * i + offset)) <= 3) count++;
    }
    return count;
  };
  let slope = 0;
  let offset = 0;
  let best = -1;
  const pairs: [number, number][] = [];
  for (let a = 0; a < medians.length; a++) for (let b = a + 1; b < medians.length; b++) pairs.push([a, b]);
  // The longest baseline first, so it wins a tie.
  pairs.sort((x, y) => medians[y[1]]!.at - medians[y[0]]!.at - (medians[x[1]]!.at - medians[x[0]]!.at));
  for (const [a, b] of pairs) {
    const p = medians[a]!;
    const q = medians[b]!;
    const s = (q.value - p.value) / (q.at - p.at);
    const o = p.value - s * p.at;
    const count = inliers(s, o);
    if (count > best) {
      best = count;
      slope = s;
      offset = o;
    }
  }
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = from; i < to; i++) {
    const p = positions[i]!;
    if (p < 0 || Math.abs(p - (slope * i + offset)) > 3) continue;
    n++;
    sx += i;
    sy += p;
    sxx += i * i;
    sxy += i * p;
  }
  const det = n * sxx - sx * sx;
  if (n >= 8 && det !== 0) {
    slope = (n * sxy - sx * sy) / det;
    offset = (sy - slope * sx) / n;
  }
  return { slope, offset };
}

/** Where x = a·y + b (a vertical edge) meets y = c·x + d (a horizontal one). */
function meet(
  vertical: { slope: number; offset: number },
  horizontal: { slope: number; offset: number },
): Point {
  const x = (vertical.slope * horizontal.offset + vertical.offset) / (1 - vertical.slope * horizontal.slope);
  return { x, y: horizontal.slope * x + horizontal.offset };
}

/**
 * Skew beyond which edges are not fitted as near-vertical and near-horizontal lines: past about
 * 10°, a corner of a letter page falls inside the middle rows whose ends the left and right
 * edges are fitted to, and the fit mixes two edges. Such a sheet is refused for its skew anyway.
 */
const EDGE_FIT_LIMIT_DEGREES = 10;
/** The moments' turn up to which the edges are still fitted (a torn or cut corner turns them). */
const TORN_FIT_LIMIT_DEGREES = 35;

/** The level the paper is brought to by the light's normalisation: room above it for a reflection. */
const PAPER = 230;
/** A cell of the light's grid is a cast shadow under this share of the paper's light around it. */
export const SHADOW_LIGHT = 0.6;
/** The physical resolution sharpness is measured at: blur is judged as a reader at this resolution sees it. */
export const SHARPNESS_DPI = 100;
/** A letter-size acta is 8.5 inches wide. */
export const SHEET_INCHES = 8.5;
/** Where the table's boxes are on the form, as shares of the page's width and height (acta_form.ts boxRect). */
const BOXES = { left: 0.69, right: 0.935, top: 0.25, bottom: 0.86 } as const;
/** A box's height over the page's width (boxRect: 60 of 1700 px), and a mark's side (40 of 1700). */
const BOX_WIDTH_SHARE = 420 / 1700;
const BOX_HEIGHT_SHARE = 60 / 1700;
const MARK_SHARE = 40 / 1700;
/** A registration mark's centre from the page's corner, in shares of its width and height (acta_form.ts: 45 + 20 of 1700 × 2200). */
const MARK_CENTRE = { x: 65 / 1700, y: 65 / 2200 } as const;
/** A letter page in millimetres. */
const PAGE_MM = { width: 215.9, height: 279.4 } as const;
/**
 * From each corner, the form's nearest boxes or QR label (acta_form.ts: the label 74–94% across,
 * 5–20% down; the boxes BOXES), in millimetres across plus down: a cut corner shorter than this
 * takes neither.
 */
const FORM_DISTANCE_MM: Readonly<Record<CornerName, number>> = (() => {
  const label = { left: 0.74, right: 0.94, top: 0.05, bottom: 0.2 };
  const distance = (left: boolean, top: boolean) =>
    Math.min(
      ...[label, BOXES].map(
        (r) => (left ? r.left : 1 - r.right) * PAGE_MM.width + (top ? r.top : 1 - r.bottom) * PAGE_MM.height,
      ),
    );
  return {
    top_left: distance(true, true),
    top_right: distance(false, true),
    bottom_right: distance(false, false),
    bottom_left: distance(true, false),
  };
})();

/** Solves the normal equations `a · x = b` (n × n, row-major) by elimination; null when singular. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array | null {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (Math.abs(a[pivot * n + col]!) < 1e-9) return null;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const t = a[col * n + k]!;
        a[col * n + k] = a[pivot * n + k]!;
        a[pivot * n + k] = t;
      }
      const t = b[col]!;
      b[col] = b[pivot]!;
      b[pivot] = t;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col]! / a[col * n + col]!;
      if (f === 0) continue;
      for (let k = col; k < n; k++) a[r * n + k]! -= f * a[col * n + k]!;
      b[r]! -= f * b[col]!;
    }
  }
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = b[i]! / a[i * n + i]!;
  return x;
}

/**
 * The light on the paper: the image cut into a coarse grid of cells (about 32 across), each
 * cell's bright level (its 90th percentile: the paper, whatever ink it holds), and a quadratic
 * surface fitted to the cells that are paper — first those near the bright cells' level (the
 * table is darker, a reflection brighter), then, thrice, every cell within −20%…+12% of the
 * surface (a light table, 70–90% of the paper's light, stays out), so a shadow, a reflection and the table fall out of the fit while a gradient or vignetting
 * across the sheet is what the surface follows.
 */
interface Light {
  readonly cell: number;
  readonly columns: number;
  readonly rows: number;
  /** Each cell's bright level. */
  readonly bright: Uint8Array;
  /** The surface's coefficients over u = 2x/width − 1, v = 2y/height − 1: 1, u, v, u², uv, v². */
  readonly surface: Float64Array;
}

function light(image: Grey): Light {
  const { data, width, height } = image;
  const cell = Math.max(4, Math.round(Math.max(width, height) / 32));
  const columns = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  const bright = new Uint8Array(columns * rows);
  const histogram = new Uint32Array(256);
  const cellHistogram = new Uint32Array(256);
  const step = cell >= 8 ? 2 : 1;
  for (let cy = 0; cy < rows; cy++)
    for (let cx = 0; cx < columns; cx++) {
      cellHistogram.fill(0);
      let count = 0;
      const y1 = Math.min(height, (cy + 1) * cell);
      const x1 = Math.min(width, (cx + 1) * cell);
      for (let y = cy * cell; y < y1; y += step)
        for (let x = cx * cell, i = y * width + x; x < x1; x += step, i += step) {
          cellHistogram[data[i]!]!++;
          count++;
        }
      const level = percentile(cellHistogram, count, 0.9);
      bright[cy * columns + cx] = level;
      histogram[level]!++;
    }
  // The paper to start from: near the bright cells' level (the 80th percentile: the sheet covers
  // a good part of any acceptable image), below a reflection's few cells, above the table.
  const reference = percentile(histogram, columns * rows, 0.8);
  const n = bright.length;
  const us = new Float64Array(n);
  const vs = new Float64Array(n);
  for (let cy = 0; cy < rows; cy++)
    for (let cx = 0; cx < columns; cx++) {
      us[cy * columns + cx] = (2 * Math.min(width, (cx + 0.5) * cell)) / width - 1;
      vs[cy * columns + cx] = (2 * Math.min(height, (cy + 0.5) * cell)) / height - 1;
    }
  let inlier = (i: number) => bright[i]! >= reference * 0.8 && bright[i]! <= reference * 1.12;
  // A flat surface at the paper cells' mean when no fit is possible (a tiny or uniform image).
  let paperSum = 0;
  let paperCount = 0;
  for (let i = 0; i < n; i++)
    if (inlier(i)) {
      paperSum += bright[i]!;
      paperCount++;
    }
  let surface = new Float64Array([paperCount === 0 ? 255 : paperSum / paperCount, 0, 0, 0, 0, 0]);
  for (let round = 0; round < 4; round++) {
    // The first round fits a plane: a quadratic through only the brighter half would run wild beyond it.
    const terms = round === 0 ? 3 : 6;
    const a = new Float64Array(terms * terms);
    const b = new Float64Array(terms);
    const basis = new Float64Array(6);
    let used = 0;
    for (let i = 0; i < n; i++) {
      if (!inlier(i)) continue;
      const u = us[i]!;
      const v = vs[i]!;
      basis[0] = 1;
      basis[1] = u;
      basis[2] = v;
      basis[3] = u * u;
      basis[4] = u * v;
      basis[5] = v * v;
      for (let r = 0; r < terms; r++) {
        b[r]! += basis[r]! * bright[i]!;
        for (let c = 0; c < terms; c++) a[r * terms + c]! += basis[r]! * basis[c]!;
      }
      used++;
    }
    if (used < terms * 3) break;
    const fit = solve(a, b, terms);
    if (fit === null) break;
    surface = new Float64Array(6);
    surface.set(fit);
    const fitted = surface;
    inlier = (i: number) => {
      const u = us[i]!;
      const v = vs[i]!;
      const p =
        fitted[0]! +
        fitted[1]! * u +
        fitted[2]! * v +
        fitted[3]! * u * u +
        fitted[4]! * u * v +
        fitted[5]! * v * v;
      return bright[i]! >= p * 0.8 && bright[i]! <= p * 1.12;
    };
  }
  return { cell, columns, rows, bright, surface };
}

/** The paper's expected level at (x, y). */
function paperAt(l: Light, x: number, y: number, width: number, height: number): number {
  const u = (2 * x) / width - 1;
  const v = (2 * y) / height - 1;
  const s = l.surface;
  return Math.max(8, s[0]! + s[1]! * u + s[2]! * v + s[3]! * u * u + s[4]! * u * v + s[5]! * v * v);
}

/**
 * The image with the light taken out: each pixel over the paper's expected level there, paper at
 * `PAPER`; and the histogram of the result (on every other row). The factor is computed every 16 pixels along a row and
 * interpolated between (the surface is smooth): a division per pixel cost more than the rest.
 */
function normalise(image: Grey, l: Light): { normal: Uint8Array; histogram: Uint32Array } {
  const { data, width, height } = image;
  const out = new Uint8Array(data.length);
  const histogram = new Uint32Array(256);
  const s = l.surface;
  const STEP = 16;
  for (let y = 0; y < height; y++) {
    const v = (2 * y) / height - 1;
    // Along a row the surface is a quadratic in u: a + b·u + c·u².
    const a = s[0]! + s[2]! * v + s[5]! * v * v;
    const b = s[1]! + s[4]! * v;
    const c = s[3]!;
    const factor = (x: number) => {
      const u = (2 * x) / width - 1;
      return PAPER / Math.max(8, a + b * u + c * u * u);
    };
    const row = y * width;
    // Every other row's histogram: Otsu's split comes out the same.
    const counted = (y & 1) === 0;
    for (let x0 = 0; x0 < width; x0 += STEP) {
      const x1 = Math.min(width, x0 + STEP);
      const f0 = factor(x0);
      const df = (factor(x0 + STEP) - f0) / STEP;
      let f = f0;
      if (counted)
        for (let x = x0; x < x1; x++, f += df) {
          const value = Math.min(255, data[row + x]! * f) | 0;
          out[row + x] = value;
          histogram[value]!++;
        }
      else for (let x = x0; x < x1; x++, f += df) out[row + x] = Math.min(255, data[row + x]! * f);
    }
  }
  return { normal: out, histogram };
}

/** Whether (x, y) lies inside the quadrilateral (corners in order). */
function inQuad(q: readonly Point[], x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const a = q[i]!;
    const b = q[(i + 1) % 4]!;
    const cross = (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
    if (cross === 0) continue;
    const s = cross > 0 ? 1 : -1;
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

/** A point of the sheet given as shares (s across, t down) of its corners' quadrilateral. */
function onSheet(c: Readonly<Record<CornerName, Point>>, s: number, t: number): Point {
  const top = {
    x: c.top_left.x + (c.top_right.x - c.top_left.x) * s,
    y: c.top_left.y + (c.top_right.y - c.top_left.y) * s,
  };
  const bottom = {
    x: c.bottom_left.x + (c.bottom_right.x - c.bottom_left.x) * s,
    y: c.bottom_left.y + (c.bottom_right.y - c.bottom_left.y) * s,
  };
  return { x: top.x + (bottom.x - top.x) * t, y: top.y + (bottom.y - top.y) * t };
}

/**
 * Connected regions of a mask inside a window (4-connected, by an explicit stack): for each,
 * its pixel count, its bounding box, and whether it touches the window's border. Calls `visit`
 * for each region; `mask` is consumed (cleared as it is visited).
 */
function regions(
  mask: Uint8Array,
  width: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  visit: (r: {
    count: number;
    left: number;
    top: number;
    right: number;
    bottom: number;
    open: boolean;
  }) => void,
): void {
  const stack: number[] = [];
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const start = y * width + x;
      if (mask[start] === 0) continue;
      mask[start] = 0;
      stack.push(start);
      let count = 0;
      let left = x;
      let right = x;
      let top = y;
      let bottom = y;
      let open = false;
      while (stack.length > 0) {
        const i = stack.pop()!;
        const px = i % width;
        const py = (i - px) / width;
        count++;
        if (px < left) left = px;
        if (px > right) right = px;
        if (py < top) top = py;
        if (py > bottom) bottom = py;
        if (px === x0 || py === y0 || px === x1 - 1 || py === y1 - 1) open = true;
        if (px > x0 && mask[i - 1] !== 0) {
          mask[i - 1] = 0;
          stack.push(i - 1);
        }
        if (px < x1 - 1 && mask[i + 1] !== 0) {
          mask[i + 1] = 0;
          stack.push(i + 1);
        }
        if (py > y0 && mask[i - width] !== 0) {
          mask[i - width] = 0;
          stack.push(i - width);
        }
        if (py < y1 - 1 && mask[i + width] !== 0) {
          mask[i + width] = 0;
          stack.push(i + width);
        }
      }
      visit({ count, left, top, right, bottom, open });
    }
}

/**
 * The registration mark near a corner of the sheet: a solid dark square of about the mark's
 * side, alone on paper (a margin of half its side all round is clear — the QR label's finder
 * centres, as big and as solid, have a dark ring one module away), in a window reaching in
 * from the corner a tenth of the sheet's width. Null when none is there.
 */
function findMark(
  normal: Uint8Array,
  width: number,
  height: number,
  corner: Point,
  inward: Point,
  sheetWidth: number,
  dark: number,
  reachShare = 0.11,
): Point | null {
  const side = sheetWidth * MARK_SHARE;
  if (side < 3) return null;
  const reach = sheetWidth * reachShare;
  // From a little outside the corner, so a mark cut by the image's border touches the window's
  // outer side there, not an inner one.
  const slack = 3;
  const xa = corner.x - inward.x * slack;
  const xb = corner.x + inward.x * reach;
  const ya = corner.y - inward.y * slack;
  const yb = corner.y + inward.y * reach;
  const x0 = Math.max(0, Math.floor(Math.min(xa, xb)));
  const x1 = Math.min(width, Math.ceil(Math.max(xa, xb)));
  const y0 = Math.max(0, Math.floor(Math.min(ya, yb)));
  const y1 = Math.min(height, Math.ceil(Math.max(ya, yb)));
  if (x1 - x0 < side * 2 || y1 - y0 < side * 2) return null;
  // The window's own mask, in window coordinates.
  const ww = x1 - x0;
  const mask = new Uint8Array(ww * (y1 - y0));
  for (let y = y0; y < y1; y++)
    for (let x = x0, i = y * width + x0, j = (y - y0) * ww; x < x1; x++, i++, j++)
      mask[j] = normal[i]! < dark ? 1 : 0;
  let best: Point | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  regions(mask, ww, 0, 0, ww, y1 - y0, (local) => {
    const r = {
      ...local,
      left: local.left + x0,
      right: local.right + x0,
      top: local.top + y0,
      bottom: local.bottom + y0,
    };
    // Cut by the window's inner sides, it is something bigger; by the image's own border, it is a
    // mark the scan cut through (a sliver off the margin leaves the page whole).
    const inner =
      (r.left === x0 && x0 > 0) ||
      (r.top === y0 && y0 > 0) ||
      (r.right === x1 - 1 && x1 < width) ||
      (r.bottom === y1 - 1 && y1 < height);
    if (inner) return;
    const w = r.right - r.left + 1;
    const h = r.bottom - r.top + 1;
    // Squeezed or stretched up to about 2 : 1 in strong perspective, where they matter most.
    if (w < side * 0.45 || w > side * 2.2 || h < side * 0.45 || h > side * 2.2) return;
    if (w / h > 2.2 || h / w > 2.2 || r.count < w * h * 0.7) return;
    // Clear paper all round: no dark pixel within half its width across, half its height down —
    // except on its outer sides, towards the sheet's edge, where a curled sheet or a corner
    // cut close to the mark brings the table near (a finder pattern of the label, far inside,
    // has its dark ring on every side).
    const mx = Math.max(2, Math.round(w * 0.5));
    const my = Math.max(2, Math.round(h * 0.5));
    for (let y = Math.max(0, r.top - my); y <= Math.min(height - 1, r.bottom + my); y++)
      for (let x = Math.max(0, r.left - mx); x <= Math.min(width - 1, r.right + mx); x++) {
        if (x >= r.left && x <= r.right && y >= r.top && y <= r.bottom) continue;
        if ((inward.x > 0 ? x < r.left : x > r.right) || (inward.y > 0 ? y < r.top : y > r.bottom)) continue;
        if (normal[y * width + x]! < dark) return;
      }
    const centre = { x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2 };
    const distance = Math.hypot(centre.x - corner.x, centre.y - corner.y);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = centre;
    }
  });
  return best;
}

/** The form's page width in its own pixels (acta_form.ts PAGE: 200 dpi). */
const FORM_WIDTH = 1700;
/** The table's rules on the form (acta_form.ts): from MARGIN to the width less MARGIN; the head's top where the realistic form's bar starts (TABLE_TOP − 62) or the older form's rule is (TABLE_TOP − 20). */
const TABLE_LEFT = 110;
const TABLE_RIGHT = FORM_WIDTH - 110;
const HEAD_FROM = 560 - 62;
const HEAD_TO = 560 - 20;
/** The bottom rule is at least this far above the page's bottom (pageHeight: tableBottom + 280). */
const BOTTOM_CLEARANCE = 280;
/** A table rule is darker than this in the normalised image (the paper is at PAPER; the form's light row rules stay above). */
const RULE_DARK = 185;

/**
 * Where the form's pixels (u across, v down, at 200 dpi) are in the image: the perspective that
 * takes a quadrilateral whose form coordinates are known (u0…u1 across, v0…v1 down) to its place
 * in the image (Heckbert's square-to-quadrilateral mapping), so a photo's keystone moves the
 * table's rules no further than the quadrilateral's own error.
 */
interface FormFrame {
  readonly u0: number;
  readonly u1: number;
  readonly v0: number;
  readonly v1: number;
  /** The page's height in form pixels (the form grows with the ballot). */
  readonly pageHeight: number;
  /** x = (a·s + b·t + c) / (g·s + h·t + 1), y = (d·s + e·t + f) / (…), s and t the shares across and down. */
  readonly m: readonly [number, number, number, number, number, number, number, number];
}

function formPoint(f: FormFrame, u: number, v: number): Point {
  const s = (u - f.u0) / (f.u1 - f.u0);
  const t = (v - f.v0) / (f.v1 - f.v0);
  const [a, b, c, d, e, ff, g, h] = f.m;
  const w = g * s + h * t + 1;
  return { x: (a * s + b * t + c) / w, y: (d * s + e * t + ff) / w };
}

/** The frame a quadrilateral gives whose top side spans `u0`…`u1` of the form from `v0` down: its height in form pixels from its sides' lengths against its width. */
function frameOf(quad: Readonly<Record<CornerName, Point>>, u0: number, u1: number, v0: number): FormFrame {
  const length = (a: Point, b: Point) => Math.hypot(b.x - a.x, b.y - a.y);
  const across = (length(quad.top_left, quad.top_right) + length(quad.bottom_left, quad.bottom_right)) / 2;
  const down = (length(quad.top_left, quad.bottom_left) + length(quad.top_right, quad.bottom_right)) / 2;
  const v1 = v0 + (across === 0 ? 0 : ((u1 - u0) * down) / across);
  const p0 = quad.top_left;
  const p1 = quad.top_right;
  const p2 = quad.bottom_right;
  const p3 = quad.bottom_left;
  const dx1 = p1.x - p2.x;
  const dx2 = p3.x - p2.x;
  const dx3 = p0.x - p1.x + p2.x - p3.x;
  const dy1 = p1.y - p2.y;
  const dy2 = p3.y - p2.y;
  const dy3 = p0.y - p1.y + p2.y - p3.y;
  const den = dx1 * dy2 - dx2 * dy1;
  const g = den === 0 ? 0 : (dx3 * dy2 - dx2 * dy3) / den;
  const h = den === 0 ? 0 : (dx1 * dy3 - dx3 * dy1) / den;
  const m = [
    p1.x - p0.x + g * p1.x,
    p3.x - p0.x + h * p3.x,
    p0.x,
    p1.y - p0.y + g * p1.y,
    p3.y - p0.y + h * p3.y,
    p0.y,
    g,
    h,
  ] as const;
  // The quadrilateral is inset from the page's edges as much at the bottom as at the top.
  return { u0, u1, v0, v1, pageHeight: v1 + v0, m };
}

export interface TableRules {
  /** The table's corners: each end of its head and of its bottom rule, where it ends on paper; null where not found or cut by the image's border. */
  readonly corners: Record<CornerName, Point | null>;
  /** Blank paper beyond the corner, along its rule: the form's margin, not a cut through the table. */
  readonly margin: Record<CornerName, boolean>;
  /** Sides where a table rule runs into the image's border (the image cut through the table). */
  readonly runsOff: Side[];
  readonly head: boolean;
  readonly bottom: boolean;
}

/**
 * The table's head and bottom rules, found where the form puts them: on lines of the form across
 * the table (sampled through the frame), the share of samples dark within a pixel; the head is the
 * first line from the top of its band where most are (the realistic form's bar, the older form's
 * rule), the bottom the lowest one above the signatures that runs unbroken most of the table's
 * width (the signatures' lines are three, with gaps). Each is then followed pixel by pixel from
 * the middle outwards, along its own dark run (a curl bends it, a thick dark thing — a finger,
 * the table under the sheet — ends it), to where it stops on paper or runs into the image's border.
 */
function tableRules(
  normal: Uint8Array,
  width: number,
  height: number,
  frame: FormFrame,
  sheetWidth: number,
  /** The sheet runs off the image's bottom or a bottom corner is missing: the page's height from the frame is short, the bottom rule is looked for down to the image's end. */
  openBelow: boolean,
  /** The paper's split from what is not paper, in the normalised image. */
  paper: number,
): TableRules {
  const corners: Record<CornerName, Point | null> = {
    top_left: null,
    top_right: null,
    bottom_right: null,
    bottom_left: null,
  };
  const margin: Record<CornerName, boolean> = {
    top_left: false,
    top_right: false,
    bottom_right: false,
    bottom_left: false,
  };
  const runsOff: Side[] = [];
  const scale = sheetWidth / FORM_WIDTH;
  // Nothing to follow on a sheet too small, and no page to search where the frame is not one: a
  // sheet wider than the image many times over, or a page under half its width long or over four,
  // comes from corners extrapolated off nearly parallel edges (noise), and would make the searches
  // below run over billions of lines.
  const sane =
    sheetWidth >= 200 &&
    sheetWidth <= 4 * Math.max(width, height) &&
    frame.m.every(Number.isFinite) &&
    frame.pageHeight >= FORM_WIDTH / 2 &&
    frame.pageHeight <= 4 * FORM_WIDTH;
  if (!sane) return { corners, margin, runsOff, head: false, bottom: false };
  const darkAt = (x: number, y: number) => {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || px >= width) return false;
    for (let yy = Math.max(0, py - 1); yy <= Math.min(height - 1, py + 1); yy++)
      if (normal[yy * width + px]! < RULE_DARK) return true;
    return false;
  };
  const SAMPLES = 48;
  const score = (v: number) => {
    let inImage = 0;
    let dark = 0;
    // Every fourth sample first: most lines of the page are no rule, and a quarter says so.
    for (let pass = 0; pass < 4; pass++) {
      for (let k = pass; k < SAMPLES; k += 4) {
        const u = TABLE_LEFT + 20 + ((TABLE_RIGHT - TABLE_LEFT - 40) * (k + 0.5)) / SAMPLES;
        const p = formPoint(frame, u, v);
        if (p.x < 0 || p.y < 0 || p.x > width - 1 || p.y > height - 1) continue;
        inImage++;
        if (darkAt(p.x, p.y)) dark++;
      }
      if (pass === 0 && dark < inImage * 0.4) return 0;
    }
    return inImage * 2 < SAMPLES ? 0 : dark / inImage;
  };
  // The dark run through (x, y): its top and bottom (thick: longer than the head's bar, no rule), or null where (x, y ± 1) is paper.
  const runAt = (x: number, y: number): { top: number; bottom: number; thick: boolean } | null => {
    const px = Math.round(x);
    if (px < 0 || px >= width) return null;
    let start = -1;
    let best = 256;
    for (let yy = Math.max(0, Math.round(y) - 1); yy <= Math.min(height - 1, Math.round(y) + 1); yy++) {
      const value = normal[yy * width + px]!;
      if (value < RULE_DARK && value < best) {
        best = value;
        start = yy;
      }
    }
    if (start < 0) return null;
    let top = start;
    let bottom = start;
    // The realistic form's bar is 42 form pixels tall: a run much thicker is something else.
    const limit = Math.round(56 * scale) + 3;
    while (top > 0 && normal[(top - 1) * width + px]! < RULE_DARK && bottom - top < limit) top--;
    while (bottom < height - 1 && normal[(bottom + 1) * width + px]! < RULE_DARK && bottom - top < limit)
      bottom++;
    return { top, bottom, thick: bottom - top >= limit };
  };
  // Follows a rule from (x0, its run there) both ways: its ends, and whether each runs into the border.
  const traceFrom = (x0: number, first: { top: number; bottom: number }, slope: number) => {
    const gapLimit = Math.max(2, Math.round(8 * scale));
    const ends: { end: Point; off: boolean; margin: boolean }[] = [];
    for (const dir of [-1, 1]) {
      let x = Math.round(x0);
      let centre = (first.top + first.bottom) / 2;
      let last = { x, y: centre };
      let gap = 0;
      let off = false;
      for (;;) {
        x += dir;
        centre += slope * dir;
        if (x < 0 || x >= width || centre < 0 || centre > height - 1) {
          off = gap <= 1;
          break;
        }
        const r = runAt(x, centre);
        if (r === null || r.top === 0 || r.bottom === height - 1) {
          if (++gap > gapLimit) break;
          continue;
        }
        // A thick dark thing (a finger, the table under the sheet): the rule ends here.
        if (r.thick) break;
        gap = 0;
        centre = (r.top + r.bottom) / 2;
        last = { x, y: centre };
      }
      // The form's margin beyond a rule's end is blank paper; a cut through the table leaves the
      // table under the sheet there instead.
      let margin = !off;
      for (const d of [20, 40, 60]) {
        const px = Math.round(last.x + dir * d * scale);
        const py = Math.round(last.y + slope * dir * d * scale);
        if (px < 0 || py < 0 || px >= width || py >= height || normal[py * width + px]! <= paper)
          margin = false;
      }
      ends.push({ end: last, off, margin });
    }
    return { left: ends[0]!, right: ends[1]!, length: ends[1]!.end.x - ends[0]!.end.x };
  };
  const slopeAt = (u: number, v: number) => {
    const a = formPoint(frame, u, v);
    const b = formPoint(frame, u + 100, v);
    return (b.y - a.y) / Math.max(1e-6, b.x - a.x);
  };
  // Follows the rule on the form's line v from the middle of the table, or near it where a word
  // or a stroke breaks the rule there.
  const trace = (v: number) => {
    for (const du of [0, -120, 120, -240, 240]) {
      const mid = formPoint(frame, FORM_WIDTH / 2 + du, v);
      const first = runAt(mid.x, mid.y);
      if (first !== null && !first.thick) return traceFrom(mid.x, first, slopeAt(FORM_WIDTH / 2, v));
    }
    return null;
  };
  // Where the frame is off by a few degrees (a sheet's outline bent by a cut or a light table),
  // its lines cross a rule rather than run along it: then each dark run down a column of the
  // table's middle, between `from` and `to`, is followed on its own.
  const traceColumn = (
    from: number,
    to: number,
    accept: (t: NonNullable<ReturnType<typeof traceFrom>>) => boolean,
  ) => {
    for (const du of [0, -150, 150]) {
      const u = FORM_WIDTH / 2 + du;
      const a = formPoint(frame, u, from);
      const b = formPoint(frame, u, to);
      // At most a walk across the image and back (a frame in strong perspective stretches it).
      const n = Math.min(2 * (width + height), Math.ceil(Math.hypot(b.x - a.x, b.y - a.y)));
      if (!Number.isFinite(n)) continue;
      let inRun = false;
      for (let k = 0; k <= n; k++) {
        const x = Math.round(a.x + ((b.x - a.x) * k) / Math.max(1, n));
        const y = Math.round(a.y + ((b.y - a.y) * k) / Math.max(1, n));
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const dark = normal[y * width + x]! < RULE_DARK;
        if (dark && !inRun) {
          const first = runAt(x, y);
          if (first !== null && !first.thick) {
            const t = traceFrom(x, first, slopeAt(u, from));
            if (accept(t)) return t;
          }
        }
        inRun = dark;
      }
    }
    return null;
  };
  const step = Math.max(0.5, 0.8 / scale);
  const tableWidth = (TABLE_RIGHT - TABLE_LEFT) * scale;
  // A rule long enough to be the table's: most of its width, or a good part running off the image.
  const long = (t: NonNullable<ReturnType<typeof trace>>) =>
    t.length >= tableWidth * 0.7 || ((t.left.off || t.right.off) && t.length >= tableWidth * 0.4);
  // The head: its band two hundred form pixels either way of where the form puts it (a frame
  // from a cut sheet's outline is short by the cut).
  let head: ReturnType<typeof trace> = null;
  let headV = -1;
  for (let v = HEAD_FROM - 200; v <= HEAD_TO + 200; v += step) {
    if (score(v) >= 0.6) {
      const t = trace(v);
      if (t !== null && long(t)) {
        head = t;
        headV = v;
        break;
      }
    }
  }
  if (head === null) head = traceColumn(HEAD_FROM - 200, HEAD_TO + 200, long);
  // The bottom rule: the lowest long one between the head's boxes and the signatures.
  let bottom: ReturnType<typeof trace> = null;
  const lowest = frame.pageHeight - (openBelow ? -400 : BOTTOM_CLEARANCE - 40);
  const highest = (headV < 0 ? HEAD_TO : headV) + 4 * 72;
  for (let v = lowest; v >= highest; v -= step)
    if (score(v) >= 0.6) {
      const t = trace(v);
      if (t !== null && long(t)) {
        bottom = t;
        break;
      }
    }
  if (bottom === null) bottom = traceColumn(lowest, highest, long);
  for (const [rule, left, right] of [
    [head, 'top_left', 'top_right'],
    [bottom, 'bottom_left', 'bottom_right'],
  ] as const) {
    if (rule === null) continue;
    if (rule.left.off) runsOff.includes('left') || runsOff.push('left');
    else corners[left] = rule.left.end;
    if (rule.right.off) runsOff.includes('right') || runsOff.push('right');
    else corners[right] = rule.right.end;
    // And blank towards the page's corner too: a cut that passes just outside the table's corner
    // may still take what the form prints there (the label, the last box's corner on a short page).
    const clear = (end: Point, ox: number, oy: number) => {
      for (const d of [20, 40, 60]) {
        const px = Math.round(end.x + ox * d * scale);
        const py = Math.round(end.y + oy * d * scale);
        if (px < 0 || py < 0 || px >= width || py >= height || normal[py * width + px]! <= paper)
          return false;
      }
      return true;
    };
    const oy = left === 'top_left' ? -1 : 1;
    margin[left] = rule.left.margin && clear(rule.left.end, -1, oy);
    margin[right] = rule.right.margin && clear(rule.right.end, 1, oy);
  }
  return { corners, margin, runsOff, head: head !== null, bottom: bottom !== null };
}

export function measure(image: Grey): Measures {
  const { data, width, height } = image;
  const l = light(image);
  const { normal, histogram } = normalise(image, l);
  let threshold = otsuThreshold(histogram);
  const normalImage: Grey = { data: normal, width, height };
  // Paper: runs of 1% of the image's width, so ink specks on a dark table are not a sheet.
  const run = Math.max(3, Math.round(width * 0.01));
  let rows = spans(normalImage, threshold, run, true);
  // A light table (laminate, a pale desk: 70–90% of the paper's light, or lit brighter on one
  // side) falls inside the light's fit and above the ink's split, and the sheet runs into the
  // image's border there — no corner, no mark where they are looked for. Then the split between
  // table and paper is the brighter class's own split, taken when it leaves a sheet of plausible
  // size clearly smaller (a sheet that truly runs off the image keeps running off with it).
  const filled = (s: { start: Int32Array; end: Int32Array }) => {
    let n = 0;
    for (let y = 0; y < height; y++) if (s.start[y]! >= 0) n += s.end[y]! - s.start[y]! + 1;
    return n;
  };
  const margin = Math.max(1, Math.round(width * 0.005));
  const border = (s: { start: Int32Array; end: Int32Array }) => {
    let n = 0;
    for (let y = 0; y < height; y++) {
      if (s.start[y]! < 0) continue;
      if (s.start[y]! <= margin) n++;
      if (s.end[y]! >= width - 1 - margin) n++;
    }
    for (const y of [0, height - 1]) if (s.start[y]! >= 0) n += s.end[y]! - s.start[y]! + 1;
    return n / (2 * (width + height));
  };
  const area0 = filled(rows);
  if (border(rows) > 0.2) {
    const upper = new Uint32Array(256);
    for (let i = threshold + 1; i < 256; i++) upper[i] = histogram[i]!;
    const split = otsuThreshold(upper);
    let below = 0;
    let belowSum = 0;
    let above = 0;
    let aboveSum = 0;
    for (let i = threshold + 1; i < 256; i++)
      if (i <= split) {
        below += upper[i]!;
        belowSum += i * upper[i]!;
      } else {
        above += upper[i]!;
        aboveSum += i * upper[i]!;
      }
    // Two classes of light apart by a tenth at least, each a good part of the image.
    const total = below + above;
    if (below > total * 0.1 && above > total * 0.3 && aboveSum / above > (belowSum / below) * 1.1) {
      const sheet = spans(normalImage, split, run, true);
      const share = filled(sheet) / (width * height);
      if (share >= 0.3 && share <= area0 / (width * height) - 0.03) {
        threshold = split;
        rows = sheet;
      }
    }
  }
  // The sheet, filled row by row between its first and last paper, and its moments.
  let area = 0;
  let mx = 0;
  let my = 0;
  let mxx = 0;
  let myy = 0;
  let mxy = 0;
  let top = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    const l0 = rows.start[y]!;
    const r = rows.end[y]!;
    if (l0 < 0) continue;
    if (top < 0) top = y;
    bottom = y;
    const n = r - l0 + 1;
    const sumX = (n * (l0 + r)) / 2;
    const sumXX = (r * (r + 1) * (2 * r + 1) - (l0 - 1) * l0 * (2 * l0 - 1)) / 6;
    area += n;
    mx += sumX;
    my += n * y;
    mxx += sumXX;
    myy += n * y * y;
    mxy += sumX * y;
  }
  const noMarks: Record<CornerName, Point | null> = {
    top_left: null,
    top_right: null,
    bottom_right: null,
    bottom_left: null,
  };
  const histogramOf = () => {
    const rawHistogram = new Uint32Array(256);
    for (let i = 0; i < data.length; i++) rawHistogram[data[i]!]!++;
    return rawHistogram;
  };
  if (area < width * height * 0.05) {
    const rawHistogram = histogramOf();
    return {
      sheetShare: 0,
      skewDegrees: 0,
      sideways: false,
      corners: null,
      missingCorners: [...CORNERS],
      sheetWidth: 0,
      paperLevel: percentile(rawHistogram, data.length, 0.5),
      inkLevel: percentile(rawHistogram, data.length, 0.01),
      clippedShare: 0,
      washedTiles: 0,
      sharpnessX: 0,
      sharpnessY: 0,
      tableEvidence: 0,
      shadowShare: 0,
      shadowContrast: 255,
      glareOverBoxes: 0,
      marks: noMarks,
      cutSides: [],
      keystone: 1,
      cutIntoForm: [],
      tableCorners: null,
      tableHead: false,
    };
  }
  const cx = mx / area;
  const cy = my / area;
  const cxx = mxx / area - cx * cx;
  const cyy = myy / area - cy * cy;
  const cxy = mxy / area - cx * cy;
  // The long axis's angle from the x axis; a portrait sheet's is near ±90°.
  const axis = (0.5 * Math.atan2(2 * cxy, cxx - cyy) * 180) / Math.PI;
  const sideways = Math.abs(axis) < 45;
  const skewDegrees = sideways ? axis : axis > 0 ? axis - 90 : axis + 90;

  // Corners: only for a sheet near upright (a strongly turned one is refused for its skew).
  let corners: Measures['corners'] = null;
  const missingCorners: CornerName[] = [];
  let sheetWidth = Math.sqrt(cxx * 12);
  let skew = skewDegrees;
  let columns: ReturnType<typeof spans> | null = null;
  // A sheet with a corner torn or cut away has moments turned by up to ~30° while its edges are
  // straight: past the limit the edges are still fitted, and kept when they agree with each other
  // (top with bottom, left with right, both within the limit) — a truly turned sheet's fit mixes
  // two edges and does not agree.
  const pastLimit = Math.abs(skewDegrees) > EDGE_FIT_LIMIT_DEGREES;
  if (Math.abs(skewDegrees) <= TORN_FIT_LIMIT_DEGREES && !sideways) {
    columns = spans(normalImage, threshold, run, false);
    let firstColumn = -1;
    let lastColumn = -1;
    for (let x = 0; x < width; x++)
      if (columns.start[x]! >= 0) {
        if (firstColumn < 0) firstColumn = x;
        lastColumn = x;
      }
    const band = (a: number, b: number) =>
      [Math.round(a + (b - a) * 0.15), Math.round(a + (b - a) * 0.85)] as const;
    const [rowFrom, rowTo] = band(top, bottom);
    const [colFrom, colTo] = band(firstColumn, lastColumn);
    let left = fitEdge(rows.start, rowFrom, rowTo);
    let right = fitEdge(rows.end, rowFrom, rowTo);
    let upper = fitEdge(columns.start, colFrom, colTo);
    let lower = fitEdge(columns.end, colFrom, colTo);
    const angle = (e: { slope: number } | null) => (e === null ? 0 : (Math.atan(e.slope) * 180) / Math.PI);
    if (pastLimit && left !== null && right !== null && upper !== null && lower !== null) {
      // A cut corner longer than half an edge takes the middle of that edge's band: its fit is the
      // cut's diagonal. The edge that disagrees with its partner and with the other pair (whose
      // turn is the sheet's) is refitted at its partner's slope through its outermost paper
      // (the cut only takes paper away).
      const refit = (positions: Int32Array, from: number, to: number, slope: number, outer: 1 | -1) => {
        const residuals: number[] = [];
        for (let i = from; i < to; i++) if (positions[i]! >= 0) residuals.push(positions[i]! - slope * i);
        residuals.sort((a, b) => a - b);
        const at = outer === 1 ? 0.95 : 0.05;
        return { slope, offset: residuals[Math.floor((residuals.length - 1) * at)] ?? 0 };
      };
      const vertical = (angle(left) + angle(right)) / 2;
      const horizontal = (angle(upper) + angle(lower)) / 2;
      if (Math.abs(angle(upper) - angle(lower)) >= 3 && Math.abs(angle(left) - angle(right)) < 3) {
        if (Math.abs(angle(upper) + vertical) > Math.abs(angle(lower) + vertical))
          upper = refit(columns.start, colFrom, colTo, lower.slope, -1);
        else lower = refit(columns.end, colFrom, colTo, upper.slope, 1);
      } else if (Math.abs(angle(left) - angle(right)) >= 3 && Math.abs(angle(upper) - angle(lower)) < 3) {
        if (Math.abs(angle(left) + horizontal) > Math.abs(angle(right) + horizontal))
          left = refit(rows.start, rowFrom, rowTo, right.slope, -1);
        else right = refit(rows.end, rowFrom, rowTo, left.slope, 1);
      }
    }
    const agree =
      !pastLimit ||
      (Math.abs(angle(upper) - angle(lower)) < 3 &&
        Math.abs(angle(left) - angle(right)) < 3 &&
        Math.abs(angle(upper) + angle(lower) - angle(left) - angle(right)) / 4 <= EDGE_FIT_LIMIT_DEGREES);
    if (!agree) columns = null;
    else if (left !== null && right !== null && upper !== null && lower !== null) {
      corners = {
        top_left: meet(left, upper),
        top_right: meet(right, upper),
        bottom_right: meet(right, lower),
        bottom_left: meet(left, lower),
      };
      sheetWidth =
        (Math.hypot(corners.top_right.x - corners.top_left.x, corners.top_right.y - corners.top_left.y) +
          Math.hypot(
            corners.bottom_right.x - corners.bottom_left.x,
            corners.bottom_right.y - corners.bottom_left.y,
          )) /
        2;
      // Near upright, the skew is the edges' mean turn (the moments mistake a sheared page for a
      // turned one): top and bottom against the horizontal, left and right against the vertical.
      const degrees = (slope: number) => (Math.atan(slope) * 180) / Math.PI;
      skew = (degrees(upper.slope) + degrees(lower.slope) - degrees(left.slope) - degrees(right.slope)) / 4;
      const tolerance = Math.max(2, Math.round(width * 0.005));
      const paperAtPixel = (x: number, y: number) => {
        const px = Math.round(x);
        const py = Math.round(y);
        return px >= 0 && py >= 0 && px < width && py < height && normal[py * width + px]! > threshold;
      };
      const inset = Math.max(2, Math.round(width * 0.004));
      for (const name of CORNERS) {
        const corner = corners[name];
        const outside =
          corner.x < -tolerance ||
          corner.y < -tolerance ||
          corner.x > width - 1 + tolerance ||
          corner.y > height - 1 + tolerance;
        // Along both fitted edges from the corner, just inside them, there must be paper: away
        // from the corner by 3–9% of the sheet's width, so a registration mark (further in,
        // and dark on a dark table) is never what is looked at.
        const index = CORNERS.indexOf(name);
        const along = [CORNERS[(index + 1) % 4]!, CORNERS[(index + 3) % 4]!];
        let samples = 0;
        let paper = 0;
        for (const towards of along) {
          const other = corners[towards];
          const length = Math.hypot(other.x - corner.x, other.y - corner.y);
          if (length === 0) continue;
          const ux = (other.x - corner.x) / length;
          const uy = (other.y - corner.y) / length;
          // Inward: towards the sheet's middle, across the edge.
          const nx = cx - corner.x;
          const ny = cy - corner.y;
          const dot = nx * -uy + ny * ux;
          const ix = dot >= 0 ? -uy : uy;
          const iy = dot >= 0 ? ux : -ux;
          for (const share of [0.03, 0.06, 0.09]) {
            const d = sheetWidth * share;
            samples++;
            if (paperAtPixel(corner.x + ux * d + ix * inset, corner.y + uy * d + iy * inset)) paper++;
          }
        }
        if (outside || paper * 2 < samples) missingCorners.push(name);
      }
    } else missingCorners.push(...CORNERS);
  }

  // On a scanner lid as white as the paper the sheet's edges are not seen: the sheet found is
  // the whole image, its corners the image's, and a sheet turned a few degrees leaves white lid
  // in them that looks washed out. The form's registration marks then place the sheet: searched
  // from the image's corners, further in than usual (the sheet lies turned or shifted on the
  // glass); three or four found, the sheet's corners are where the form puts them around the
  // marks (a missing fourth mark where the other three say).
  let markedSheet: readonly Point[] | null = null;
  if (corners !== null && area >= width * height * 0.97) {
    const frame: Record<CornerName, Point> = {
      top_left: { x: 0, y: 0 },
      top_right: { x: width - 1, y: 0 },
      bottom_right: { x: width - 1, y: height - 1 },
      bottom_left: { x: 0, y: height - 1 },
    };
    const search = (reachShare: number) =>
      CORNERS.map((name) =>
        findMark(
          normal,
          width,
          height,
          frame[name],
          { x: name.endsWith('left') ? 1 : -1, y: name.startsWith('top') ? 1 : -1 },
          width,
          PAPER * 0.5,
          reachShare,
        ),
      );
    // The usual windows first (a sheet square on the glass: most scans); the wide ones, which
    // cost more than the rest of the measures on a scan, only when a mark is not in them.
    let seen = search(0.11);
    if (seen.some((p) => p === null)) seen = search(0.3);
    const lost = seen.filter((p) => p === null).length;
    if (lost <= 1) {
      const quad = seen.map((p, i) => {
        if (p !== null) return p;
        const a = seen[(i + 1) % 4]!;
        const b = seen[(i + 3) % 4]!;
        const o = seen[(i + 2) % 4]!;
        return { x: a.x + b.x - o.x, y: a.y + b.y - o.y };
      });
      const marked = {
        top_left: quad[0]!,
        top_right: quad[1]!,
        bottom_right: quad[2]!,
        bottom_left: quad[3]!,
      };
      const s0 = -MARK_CENTRE.x / (1 - 2 * MARK_CENTRE.x);
      const t0 = -MARK_CENTRE.y / (1 - 2 * MARK_CENTRE.y);
      corners = {
        top_left: onSheet(marked, s0, t0),
        top_right: onSheet(marked, 1 - s0, t0),
        bottom_right: onSheet(marked, 1 - s0, 1 - t0),
        bottom_left: onSheet(marked, s0, 1 - t0),
      };
      const c = corners;
      sheetWidth =
        (Math.hypot(c.top_right.x - c.top_left.x, c.top_right.y - c.top_left.y) +
          Math.hypot(c.bottom_right.x - c.bottom_left.x, c.bottom_right.y - c.bottom_left.y)) /
        2;
      const turn = (a: Point, b: Point, vertical: boolean) =>
        vertical
          ? (-Math.atan2(b.x - a.x, b.y - a.y) * 180) / Math.PI
          : (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
      skew =
        (turn(c.top_left, c.top_right, false) +
          turn(c.bottom_left, c.bottom_right, false) +
          turn(c.top_left, c.bottom_left, true) +
          turn(c.top_right, c.bottom_right, true)) /
        4;
      // Its marks found, a corner beyond the glass's edge lost only the margin outside them: the
      // corners missing are those without paper found at the image's corners (a cut corner on a
      // darker lid), or found blank further on (on a white one).
      markedSheet = CORNERS.map((n) => c[n]);
    }
  }

  // Inside the sheet: grey levels (as taken: exposure), the normalised ones (contrast), and the
  // edge steepness in each direction at SHARPNESS_DPI — on every other row, which gives the same
  // percentiles for half the time.
  const inside = new Uint32Array(256);
  const insideNormal = new Uint32Array(256);
  const gradX = new Uint32Array(256);
  const gradY = new Uint32Array(256);
  let insideCount = 0;
  let gradCount = 0;
  let clipped = 0;
  let energyX = 0;
  let energyY = 0;
  const lowerFrom = top + (bottom - top) * 0.35;
  const lowerTo = top + (bottom - top) * 0.9;
  // One pixel at SHARPNESS_DPI is `reach` pixels here (below 1 when the image is coarser).
  const reach = Math.max(0.25, sheetWidth / SHEET_INCHES / SHARPNESS_DPI);
  const whole = Math.floor(reach);
  const weight = Math.round((reach - whole) * 256);
  const span = whole + 1;
  for (let y = top; y <= bottom; y += 2) {
    const l0 = rows.start[y]!;
    const r = rows.end[y]!;
    if (l0 < 0) continue;
    const row = y * width;
    const lower = y >= lowerFrom && y <= lowerTo;
    insideCount += r - l0 + 1;
    for (let x = l0; x <= r; x++) {
      const v = data[row + x]!;
      inside[v]!++;
      insideNormal[normal[row + x]!]!++;
      if (v >= 254) clipped++;
    }
    if (y + span > bottom || rows.start[y + span]! < 0) continue;
    // Away from the sheet's own edges, which are steep in every photo.
    const from = Math.max(l0, rows.start[y + span]!) + run;
    const to = Math.min(r, rows.end[y + span]!) - run - span;
    const down = row + whole * width;
    for (let x = from; x < to; x++) {
      const v = normal[row + x]!;
      const ax = normal[row + x + whole]!;
      const bx = normal[row + x + whole + 1]!;
      const ay = normal[down + x]!;
      const by = normal[down + width + x]!;
      // In fixed point (8 bits of fraction): integer arithmetic, the hot loop of the measures.
      const dx = Math.abs((ax << 8) + (bx - ax) * weight - (v << 8)) >> 8;
      const dy = Math.abs((ay << 8) + (by - ay) * weight - (v << 8)) >> 8;
      gradX[dx]!++;
      gradY[dy]!++;
      gradCount++;
      if (lower) {
        energyX += Math.abs(normal[row + x + 1]! - v);
        energyY += Math.abs(normal[row + width + x]! - v);
      }
    }
  }
  const paperLevel = percentile(inside, insideCount, 0.5);
  const inkLevel = percentile(inside, insideCount, 0.01);
  const contrast = Math.max(
    1,
    percentile(insideNormal, insideCount, 0.5) - percentile(insideNormal, insideCount, 0.01),
  );

  // Washed-out tiles: a grid over the sheet; a tile counts when it is on the sheet and on average
  // brighter than the paper's expected level there, halfway to white (a lamp's reflection; blank
  // paper stays at the paper's level, and a gradient is in the expected level).
  const tilesX = 10;
  const tilesY = 14;
  let washed = 0;
  let tiles = 0;
  const sheetLeft = Math.max(0, Math.round(cx - Math.sqrt(cxx * 3)));
  const sheetRight = Math.min(width - 1, Math.round(cx + Math.sqrt(cxx * 3)));
  for (let ty = 0; ty < tilesY; ty++) {
    const y0 = Math.round(top + ((bottom - top) * ty) / tilesY);
    const y1 = Math.round(top + ((bottom - top) * (ty + 1)) / tilesY);
    for (let tx = 0; tx < tilesX; tx++) {
      const x0 = Math.round(sheetLeft + ((sheetRight - sheetLeft) * tx) / tilesX);
      const x1 = Math.round(sheetLeft + ((sheetRight - sheetLeft) * (tx + 1)) / tilesX);
      let sum = 0;
      let count = 0;
      let onSheetTile = true;
      for (let y = y0; y < y1 && onSheetTile; y += 2) {
        if (rows.start[y]! < 0 || rows.start[y]! > x0 || rows.end[y]! < x1) onSheetTile = false;
        for (let x = x0; x < x1; x += 2) {
          sum += data[y * width + x]!;
          count++;
        }
      }
      if (!onSheetTile || count === 0) continue;
      // The lid around a sheet placed by its marks is no part of it.
      if (markedSheet !== null && !inQuad(markedSheet, (x0 + x1) / 2, (y0 + y1) / 2)) continue;
      tiles++;
      // Where the paper is expected at white (a whitening scanner), white is no reflection. A
      // reflection is brighter than the sheet's paper, not only than the light's fit there: on a
      // whitened scan the paper is at white while a heavy JPEG's blocks or the boxes' shading pull
      // the fit a few levels under it.
      const expected = Math.max(paperAt(l, (x0 + x1) / 2, (y0 + y1) / 2, width, height), paperLevel);
      if (expected < 254 && sum / count > expected + (255 - expected) * 0.5) washed++;
    }
  }

  // Cast shadows over the boxes: cells of the light's grid within the boxes' column whose paper
  // is under SHADOW_LIGHT of the light the surface expects there (the surface follows a gradient,
  // not a shadow's sharp fall). Only there: a hand holding the margin hides no box.
  let shadowShare = 0;
  let shadowContrast = 255;
  let glareOverBoxes = 0;
  const marks: Record<CornerName, Point | null> = { ...noMarks };
  const cutSides: Side[] = [];
  let keystone = 1;
  const cutIntoForm: CornerName[] = [];
  let tableCorners: Record<CornerName, Point | null> | null = null;
  let tableHead = false;
  const blankCorners = new Set<CornerName>();
  if (corners !== null && columns !== null) {
    const region = [
      onSheet(corners, BOXES.left, BOXES.top),
      onSheet(corners, BOXES.right, BOXES.top),
      onSheet(corners, BOXES.right, BOXES.bottom),
      onSheet(corners, BOXES.left, BOXES.bottom),
    ];
    let boxCells = 0;
    let shaded = 0;
    const shadowPaper: number[] = [];
    for (let gy = 0; gy < l.rows; gy++)
      for (let gx = 0; gx < l.columns; gx++) {
        const x = Math.min(width, (gx + 0.5) * l.cell);
        const y = Math.min(height, (gy + 0.5) * l.cell);
        if (!inQuad(region, x, y)) continue;
        boxCells++;
        const c = gy * l.columns + gx;
        if (l.bright[c]! < SHADOW_LIGHT * paperAt(l, x, y, width, height)) {
          shaded++;
          shadowPaper.push(l.bright[c]!);
        }
      }
    shadowShare = boxCells === 0 ? 0 : shaded / boxCells;
    // The ink darkens with its paper: in the shadow it keeps the share of the paper's level it
    // keeps in the light. The shadow's paper is its cells' median (the cells along its edge,
    // half in the light, are a minority).
    if (shaded > 0) shadowContrast = median(shadowPaper) * (1 - inkLevel / Math.max(1, paperLevel));

    // Saturated blobs over the boxes: pixels at white where the paper around is not expected at
    // white (a whitening scanner's paper is, and is no reflection). On a sheet whose paper is
    // itself at white (overexposed, on a bright table that pulls the light's fit down) the white
    // is the paper: whether its ink survived is the exposure's measure, not this one.
    const rx0 = Math.max(0, Math.floor(Math.min(...region.map((p) => p.x))));
    const rx1 = Math.min(width, Math.ceil(Math.max(...region.map((p) => p.x))));
    const ry0 = Math.max(0, Math.floor(Math.min(...region.map((p) => p.y))));
    const ry1 = Math.min(height, Math.ceil(Math.max(...region.map((p) => p.y))));
    if (rx1 > rx0 && ry1 > ry0 && paperLevel < 254) {
      const rw = rx1 - rx0;
      const mask = new Uint8Array(rw * (ry1 - ry0));
      let any = false;
      for (let y = ry0; y < ry1; y++) {
        const v = (2 * y) / height - 1;
        const s = l.surface;
        const a = s[0]! + s[2]! * v + s[5]! * v * v;
        const b = s[1]! + s[4]! * v;
        for (let x = rx0, i = y * width + rx0; x < rx1; x++, i++) {
          if (data[i]! < 253) continue;
          const u = (2 * x) / width - 1;
          if (a + b * u + s[3]! * u * u < 240 && inQuad(region, x, y)) {
            mask[(y - ry0) * rw + x - rx0] = 1;
            any = true;
          }
        }
      }
      if (any) {
        let largest = 0;
        regions(mask, rw, 0, 0, rw, ry1 - ry0, (r) => {
          if (r.count > largest) largest = r.count;
        });
        const boxArea = sheetWidth * BOX_WIDTH_SHARE * sheetWidth * BOX_HEIGHT_SHARE;
        glareOverBoxes = boxArea === 0 ? 0 : largest / boxArea;
      }
    }

    // The registration marks, each searched for from its corner of the sheet inwards.
    const dark = PAPER * 0.5;
    for (const name of CORNERS) {
      const corner = corners[name];
      const inward = { x: name.endsWith('left') ? 1 : -1, y: name.startsWith('top') ? 1 : -1 };
      // The sheet's width along the corner's own edge: in perspective the near edge is wider,
      // and its marks bigger, than the far one.
      const [a, b] = name.startsWith('top')
        ? [corners.top_left, corners.top_right]
        : [corners.bottom_left, corners.bottom_right];
      const localWidth = Math.hypot(b.x - a.x, b.y - a.y);
      marks[name] = findMark(normal, width, height, corner, inward, localWidth, dark);
    }
    // A sheet's edge lost in a light table, a shadow or a finger puts its corners, and the windows
    // its marks are looked for in, in the wrong place. The marks found say where the others are:
    // the fourth completes the parallelogram of three; two along one side are the form's
    // width (or height) away across it. Each is looked for around that place.
    const predicted: Partial<Record<CornerName, Point>> = {};
    const at = (n: CornerName) => marks[n]!;
    const lostMarks = CORNERS.filter((n) => marks[n] === null);
    if (lostMarks.length === 1) {
      const i = CORNERS.indexOf(lostMarks[0]!);
      const a = at(CORNERS[(i + 1) % 4]!);
      const b = at(CORNERS[(i + 3) % 4]!);
      const o = at(CORNERS[(i + 2) % 4]!);
      predicted[lostMarks[0]!] = { x: a.x + b.x - o.x, y: a.y + b.y - o.y };
    } else if (lostMarks.length === 2) {
      // The marks' rectangle: 1570 across by 2070 down on the form.
      const aspect = (1 - 2 * MARK_CENTRE.x) / (1 - 2 * MARK_CENTRE.y) / (PAGE_MM.height / PAGE_MM.width);
      const across = (from: Point, to: Point, share: number, sign: 1 | -1) => {
        // The side from → to turned a quarter (clockwise for sign 1 in image coordinates), scaled.
        const dx = to.x - from.x;
        const dy = to.y - from.y;
        return { x: -dy * share * sign, y: dx * share * sign };
      };
      const pair = (
        keep: [CornerName, CornerName],
        lose: [CornerName, CornerName],
        share: number,
        sign: 1 | -1,
      ) => {
        if (
          marks[keep[0]] === null ||
          marks[keep[1]] === null ||
          marks[lose[0]] !== null ||
          marks[lose[1]] !== null
        )
          return;
        const v = across(at(keep[0]), at(keep[1]), share, sign);
        predicted[lose[0]] = { x: at(keep[0]).x + v.x, y: at(keep[0]).y + v.y };
        predicted[lose[1]] = { x: at(keep[1]).x + v.x, y: at(keep[1]).y + v.y };
      };
      // Right side found (top to bottom): the left marks lie across it to the left.
      pair(['top_right', 'bottom_right'], ['top_left', 'bottom_left'], aspect, 1);
      pair(['top_left', 'bottom_left'], ['top_right', 'bottom_right'], aspect, -1);
      // Top side found (left to right): the bottom marks lie below it.
      pair(['top_left', 'top_right'], ['bottom_left', 'bottom_right'], 1 / aspect, 1);
      pair(['bottom_left', 'bottom_right'], ['top_left', 'top_right'], 1 / aspect, -1);
    }
    for (const name of CORNERS) {
      const p = predicted[name];
      if (p === undefined) continue;
      // A window an eighth of the sheet's width each way around the predicted place (a photo's
      // perspective foreshortens the form by up to a sixth).
      const half = sheetWidth * 0.125;
      const inward = { x: name.endsWith('left') ? 1 : -1, y: name.startsWith('top') ? 1 : -1 };
      marks[name] = findMark(
        normal,
        width,
        height,
        { x: p.x - inward.x * half, y: p.y - inward.y * half },
        inward,
        sheetWidth,
        dark,
        (2 * half) / sheetWidth,
      );
    }
    const found = CORNERS.filter((n) => marks[n] !== null);
    // On a white scanner lid a corner cut off looks like paper: its mark missing on a marked form,
    // and not one dark pixel where the mark should be (a finger, a blurred or faded mark leave
    // some), the corner is gone.
    if (found.length >= 2)
      for (const name of CORNERS) {
        if (marks[name] !== null || missingCorners.includes(name)) continue;
        const corner = corners[name];
        const inward = { x: name.endsWith('left') ? 1 : -1, y: name.startsWith('top') ? 1 : -1 };
        const reach = sheetWidth * 0.25;
        const xa = Math.round(corner.x + inward.x * reach * 0.1);
        const xb = Math.round(corner.x + inward.x * reach);
        const ya = Math.round(corner.y + inward.y * reach * 0.1);
        const yb = Math.round(corner.y + inward.y * reach);
        const x0 = Math.max(0, Math.min(xa, xb));
        const x1 = Math.min(width - 1, Math.max(xa, xb));
        const y0 = Math.max(0, Math.min(ya, yb));
        const y1 = Math.min(height - 1, Math.max(ya, yb));
        if (x1 - x0 < 4 || y1 - y0 < 4) continue;
        let blank = true;
        for (let y = y0; y <= y1 && blank; y++)
          for (let x = x0, i = y * width + x0; x <= x1; x++, i++)
            if (normal[i]! < dark) {
              blank = false;
              break;
            }
        if (blank) {
          missingCorners.push(name);
          blankCorners.add(name);
        }
      }
    for (const name of missingCorners) {
      const reach = FORM_DISTANCE_MM[name];
      const across = name.endsWith('left') ? 1 : -1;
      const down = name.startsWith('top') ? 1 : -1;
      const sAt = (mm: number) => (across === 1 ? mm / PAGE_MM.width : 1 - mm / PAGE_MM.width);
      const tAt = (mm: number) => (down === 1 ? mm / PAGE_MM.height : 1 - mm / PAGE_MM.height);
      // The cut, on a dark table, is where no paper is; on a white scanner lid (a corner found
      // blank), where not one dark pixel is. Both are swept along the lines at `mm` millimetres
      // from the corner (across plus down: a cut corner's edge), up to where the form's content
      // nearest that corner begins.
      const blank = blankCorners.has(name);
      const pxPerMm = sheetWidth / PAGE_MM.width;
      let cut = true;
      for (let mm = 2; mm <= reach && cut; mm += 1) {
        // A sample a pixel and a half apart; no more than the image holds (corners extrapolated
        // off nearly parallel edges put a noisy image's sheet millions of pixels wide).
        const n = Math.min(2 * (width + height), Math.max(4, Math.ceil(mm * pxPerMm * 0.7)));
        let paper = 0;
        let counted = 0;
        let ink = false;
        for (let k = 0; k <= n; k++) {
          const a = (mm * k) / n;
          const b = mm - a;
          // The sheet's own edges are blurred into the table: not looked at.
          if (a < 1.5 || b < 1.5 || a > PAGE_MM.width || b > PAGE_MM.height) continue;
          const p = onSheet(corners, sAt(a), tAt(b));
          const px = Math.round(p.x);
          const py = Math.round(p.y);
          counted++;
          if (px < 0 || py < 0 || px >= width || py >= height) continue;
          const v = normal[py * width + px]!;
          if (v > threshold) paper++;
          if (v < dark) ink = true;
        }
        if (counted === 0) continue;
        cut = blank ? !ink : paper * 2 < counted;
      }
      if (cut) cutIntoForm.push(name);
    }
    const edge = Math.max(2, Math.round(width * 0.005));
    // A side is cut when the sheet runs into the image's border along it and both marks at its
    // ends are missing while another is found (so this is a marked form), or when both its
    // corners are missing.
    // The sheet runs off the image along a side when the image's outermost line there is paper
    // over most of the sheet's extent (a cut corner's triangle of table leaves part of it dark).
    const across = (span: { start: Int32Array; end: Int32Array }, line: number, extent: number) =>
      span.start[line]! >= 0 && span.end[line]! - span.start[line]! >= extent * 0.85;
    const sheetHeight = Math.hypot(
      corners.bottom_left.x - corners.top_left.x,
      corners.bottom_left.y - corners.top_left.y,
    );
    const touches: Record<Side, boolean> = {
      top: across(rows, edge, sheetWidth),
      right: across(columns, width - 1 - edge, sheetHeight),
      bottom: across(rows, height - 1 - edge, sheetWidth),
      left: across(columns, edge, sheetHeight),
    };
    const ends: Record<Side, readonly [CornerName, CornerName]> = {
      top: ['top_left', 'top_right'],
      right: ['top_right', 'bottom_right'],
      bottom: ['bottom_right', 'bottom_left'],
      left: ['bottom_left', 'top_left'],
    };
    // The table's rules, placed by the four marks when found (the sheet's outline may be a
    // finger's or a shadow's), else by the sheet's corners.
    const frame =
      found.length === 4
        ? frameOf(
            marks as Record<CornerName, Point>,
            MARK_CENTRE.x * FORM_WIDTH,
            FORM_WIDTH - MARK_CENTRE.x * FORM_WIDTH,
            MARK_CENTRE.x * FORM_WIDTH,
          )
        : frameOf(corners, 0, FORM_WIDTH, 0);
    const table = tableRules(
      normal,
      width,
      height,
      frame,
      sheetWidth,
      touches.bottom || missingCorners.includes('bottom_left') || missingCorners.includes('bottom_right'),
      threshold,
    );
    tableCorners = table.corners;
    tableHead = table.head;
    // A missing corner whose table corner is found with the form's blank margin beyond it lost no
    // box: a cut across a corner reaches the table's corner first. Not the top right, where the
    // label stands above the table; not on a lid as white as the margin.
    for (let i = cutIntoForm.length - 1; i >= 0; i--) {
      const name = cutIntoForm[i]!;
      if (name !== 'top_right' && !blankCorners.has(name) && table.margin[name]) cutIntoForm.splice(i, 1);
    }
    for (const side of ['top', 'right', 'bottom', 'left'] as const) {
      const [a, b] = ends[side];
      const markLost = found.length > 0 && marks[a] === null && marks[b] === null;
      const bothMissing = missingCorners.includes(a) && missingCorners.includes(b);
      // All four marks where the form puts them: the page is whole to its marks, whatever its
      // outline looks like under a fold, a shadow, fingers or a table as light as the paper.
      // A table rule that runs into the image's border there: the image cut through the table,
      // whatever marks a cut through them left looking found.
      const ruleOff = table.runsOff.includes(side);
      // Both table corners on that side found where the rules end on paper: the table is whole
      // there, whatever the marks and the outline say (a light table taken for paper, a finger on
      // a mark); what lies beyond it is margin, or the label, which is read on its own.
      const wholeTable = table.corners[a] !== null && table.corners[b] !== null;
      if (found.length < 4 && ((((touches[side] && markLost) || bothMissing) && !wholeTable) || ruleOff))
        cutSides.push(side);
    }
    // Perspective: the marks' quadrilateral when all four are found, else the sheet's corners.
    // Fewer marks (a finger on one, one cut), the table's corners when all four are found: they
    // are printed, where the sheet's outline is a guess under a curl, a shadow or a light table.
    const tableQuad = CORNERS.every((n) => table.corners[n] !== null);
    const q =
      found.length === 4
        ? CORNERS.map((n) => marks[n]!)
        : tableQuad
          ? CORNERS.map((n) => table.corners[n]!)
          : missingCorners.length === 0
            ? CORNERS.map((n) => corners![n])
            : null;
    if (q !== null) {
      const length = (a: Point, b: Point) => Math.hypot(b.x - a.x, b.y - a.y);
      const ratio = (a: number, b: number) => (Math.min(a, b) === 0 ? 1 : Math.max(a, b) / Math.min(a, b));
      keystone = Math.max(
        ratio(length(q[0]!, q[1]!), length(q[3]!, q[2]!)),
        ratio(length(q[0]!, q[3]!), length(q[1]!, q[2]!)),
      );
    }
  }
  return {
    sheetShare: area / (width * height),
    skewDegrees: skew,
    sideways,
    corners,
    missingCorners,
    sheetWidth,
    paperLevel,
    inkLevel,
    clippedShare: clipped / Math.max(1, insideCount),
    washedTiles: tiles === 0 ? 0 : washed / tiles,
    sharpnessX: percentile(gradX, gradCount, 0.997) / contrast,
    sharpnessY: percentile(gradY, gradCount, 0.997) / contrast,
    tableEvidence: energyY === 0 ? 0 : energyX / energyY,
    shadowShare,
    shadowContrast,
    glareOverBoxes,
    marks,
    cutSides,
    keystone,
    cutIntoForm,
    tableCorners,
    tableHead,
  };
}
