/**
 * The quality gate's measurements on a decoded grey image (src/gate/quality_gate.ts decodes
 * it): where the sheet is (its extent row by row and column by column, its corners, its skew),
 * its exposure and contrast, its sharpness in each direction, washed-out areas, and how much the
 * page looks like a table of boxes. Pure arithmetic over pixels, no I/O; what is acceptable is
 * decided elsewhere, from the reviewed thresholds (quality_thresholds.json).
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
}

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
 * lines between `from` and `to`: through the medians of its first and last quarter (a cut-off
 * corner or a thumb is a minority of either), then refitted by least squares on the points
 * within 3 pixels of that line.
 */
function fitEdge(positions: Int32Array, from: number, to: number): { slope: number; offset: number } | null {
  const span = to - from;
  if (span < 8) return null;
  const quarter = Math.floor(span / 4);
  const first: number[] = [];
  const last: number[] = [];
  for (let i = from; i < from + quarter; i++) if (positions[i]! >= 0) first.push(positions[i]!);
  for (let i = to - quarter; i < to; i++) if (positions[i]! >= 0) last.push(positions[i]!);
  if (first.length < 3 || last.length < 3) return null;
  const y1 = from + quarter / 2;
  const y2 = to - quarter / 2;
  let slope = (median(last) - median(first)) / (y2 - y1);
  let offset = median(first) - slope * y1;
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

export function measure(image: Grey): Measures {
  const { data, width, height } = image;
  const histogram = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) histogram[data[i]!]!++;
  const threshold = otsuThreshold(histogram);
  // Paper: runs of 1% of the image's width, so ink specks on a dark table are not a sheet.
  const run = Math.max(3, Math.round(width * 0.01));
  const rows = spans(image, threshold, run, true);
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
    const l = rows.start[y]!;
    const r = rows.end[y]!;
    if (l < 0) continue;
    if (top < 0) top = y;
    bottom = y;
    const n = r - l + 1;
    const sumX = (n * (l + r)) / 2;
    const sumXX = (r * (r + 1) * (2 * r + 1) - (l - 1) * l * (2 * l - 1)) / 6;
    area += n;
    mx += sumX;
    my += n * y;
    mxx += sumXX;
    myy += n * y * y;
    mxy += sumX * y;
  }
  const none: Measures = {
    sheetShare: 0,
    skewDegrees: 0,
    sideways: false,
    corners: null,
    missingCorners: [...CORNERS],
    sheetWidth: 0,
    paperLevel: percentile(histogram, data.length, 0.5),
    inkLevel: percentile(histogram, data.length, 0.01),
    clippedShare: 0,
    washedTiles: 0,
    sharpnessX: 0,
    sharpnessY: 0,
    tableEvidence: 0,
  };
  if (area < width * height * 0.05) return none;
  const cx = mx / area;
  const cy = my / area;
  const cxx = mxx / area - cx * cx;
  const cyy = myy / area - cy * cy;
  const cxy = mxy / area - cx * cy;
  // The long axis's angle from the x axis; a portrait sheet's is near ±90°.
  const axis = (0.5 * Math.atan2(2 * cxy, cxx - cyy) * 180) / Math.PI;
  const sideways = Math.abs(axis) < 45;
  const skewDegrees = sideways ? axis : axis > 0 ? axis - 90 : axis + 90;

  // Inside the sheet: grey levels, and edge steepness in each direction — on every other row,
  // which gives the same percentiles for half the time.
  const inside = new Uint32Array(256);
  const gradX = new Uint32Array(256);
  const gradY = new Uint32Array(256);
  let insideCount = 0;
  let gradCount = 0;
  let clipped = 0;
  let energyX = 0;
  let energyY = 0;
  const lowerFrom = top + (bottom - top) * 0.35;
  const lowerTo = top + (bottom - top) * 0.9;
  for (let y = top; y <= bottom; y += 2) {
    const l = rows.start[y]!;
    const r = rows.end[y]!;
    if (l < 0) continue;
    const row = y * width;
    const lower = y >= lowerFrom && y <= lowerTo;
    insideCount += r - l + 1;
    for (let x = l; x <= r; x++) {
      const v = data[row + x]!;
      inside[v]!++;
      if (v >= 254) clipped++;
    }
    if (y + 1 > bottom || rows.start[y + 1]! < 0) continue;
    // Away from the sheet's own edges, which are steep in every photo.
    const from = Math.max(l, rows.start[y + 1]!) + run;
    const to = Math.min(r, rows.end[y + 1]!) - run;
    for (let x = from; x < to; x++) {
      const v = data[row + x]!;
      const dx = Math.abs(data[row + x + 1]! - v);
      const dy = Math.abs(data[row + width + x]! - v);
      gradX[dx]!++;
      gradY[dy]!++;
      gradCount++;
      if (lower) {
        energyX += dx;
        energyY += dy;
      }
    }
  }
  const paperLevel = percentile(inside, insideCount, 0.5);
  const inkLevel = percentile(inside, insideCount, 0.01);
  const contrast = Math.max(1, paperLevel - inkLevel);

  // Washed-out tiles: a grid over the sheet; a tile counts when it is on the sheet and on average
  // brighter than the paper, halfway to white (a lamp's reflection; blank paper stays at the
  // paper's level).
  const tilesX = 10;
  const tilesY = 14;
  let washed = 0;
  let tiles = 0;
  const washedFrom = paperLevel + (255 - paperLevel) * 0.5;
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
      let onSheet = true;
      for (let y = y0; y < y1 && onSheet; y += 2) {
        if (rows.start[y]! < 0 || rows.start[y]! > x0 || rows.end[y]! < x1) onSheet = false;
        for (let x = x0; x < x1; x += 2) {
          sum += data[y * width + x]!;
          count++;
        }
      }
      if (!onSheet || count === 0) continue;
      tiles++;
      if (sum / count > washedFrom) washed++;
    }
  }

  // Corners: only for a sheet near upright (a strongly turned one is refused for its skew).
  let corners: Measures['corners'] = null;
  const missingCorners: CornerName[] = [];
  let sheetWidth = Math.sqrt(cxx * 12);
  let skew = skewDegrees;
  if (Math.abs(skewDegrees) <= EDGE_FIT_LIMIT_DEGREES && !sideways) {
    const columns = spans(image, threshold, run, false);
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
    const left = fitEdge(rows.start, rowFrom, rowTo);
    const right = fitEdge(rows.end, rowFrom, rowTo);
    const upper = fitEdge(columns.start, colFrom, colTo);
    const lower = fitEdge(columns.end, colFrom, colTo);
    if (left !== null && right !== null && upper !== null && lower !== null) {
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
      for (const name of CORNERS) {
        const corner = corners[name];
        const outside =
          corner.x < -tolerance ||
          corner.y < -tolerance ||
          corner.x > width - 1 + tolerance ||
          corner.y > height - 1 + tolerance;
        // Just inside the corner, towards the sheet's middle, there must be paper.
        const px = Math.round(corner.x + (cx - corner.x) * 0.04);
        const py = Math.round(corner.y + (cy - corner.y) * 0.04);
        const paper =
          py >= 0 && py < height && rows.start[py]! >= 0 && px >= rows.start[py]! && px <= rows.end[py]!;
        if (outside || !paper) missingCorners.push(name);
      }
    } else missingCorners.push(...CORNERS);
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
  };
}
