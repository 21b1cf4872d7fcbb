/**
 * A digit as the model sees it, the way MNIST was made: the ink's bounding box scaled so its
 * longer side is 20 pixels (aspect kept), laid in a 28 × 28 field with its centre of mass at the
 * centre. The same function prepares a training sample and a digit cut from an acta's box, so the
 * model never meets a digit framed differently from how it learnt them.
 */

export const SIDE = 28;
const FIT = 20;

/** Ink levels 0..1, row-major, `width` × `height`. */
export interface InkPatch {
  readonly ink: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** The bounding box of the ink above `floor`, or null when there is none. */
function inkBox(patch: InkPatch, floor: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = patch.width;
  let y0 = patch.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < patch.height; y++)
    for (let x = 0; x < patch.width; x++)
      if (patch.ink[y * patch.width + x]! > floor) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/**
 * The 28 × 28 input (0..1) for `patch`: area-averaged into a 20-pixel box, then shifted so the
 * centre of mass sits at (14, 14). An empty patch gives an empty field.
 */
export function normaliseDigit(
  patch: InkPatch,
  out: Float32Array = new Float32Array(SIDE * SIDE),
): Float32Array {
  out.fill(0);
  const box = inkBox(patch, 0.05);
  if (box === null) return out;
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const scale = FIT / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale));
  const h = Math.max(1, Math.round(bh * scale));
  // Area averaging: each output pixel is the mean of the source area it covers (exact for downscaling).
  const small = new Float32Array(w * h);
  const sx = bw / w;
  const sy = bh / h;
  for (let oy = 0; oy < h; oy++) {
    const fy0 = box.y0 + oy * sy;
    const fy1 = fy0 + sy;
    for (let ox = 0; ox < w; ox++) {
      const fx0 = box.x0 + ox * sx;
      const fx1 = fx0 + sx;
      let sum = 0;
      let area = 0;
      // Clamped: fy1 may pass the box's edge by a rounding error.
      for (let y = Math.floor(fy0); y < Math.min(box.y1, Math.ceil(fy1)); y++) {
        const wy = Math.min(fy1, y + 1) - Math.max(fy0, y);
        if (wy <= 0) continue;
        for (let x = Math.floor(fx0); x < Math.min(box.x1, Math.ceil(fx1)); x++) {
          const wx = Math.min(fx1, x + 1) - Math.max(fx0, x);
          if (wx <= 0) continue;
          sum += patch.ink[y * patch.width + x]! * wx * wy;
          area += wx * wy;
        }
      }
      small[oy * w + ox] = area > 0 ? sum / area : 0;
    }
  }
  // Upscaled thin strokes come out faint after averaging: stretch so the darkest stroke is full ink, as in MNIST.
  let peak = 0;
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = small[y * w + x]!;
      if (v > peak) peak = v;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  if (mass <= 0) return out;
  const gain = peak > 0 ? 1 / peak : 1;
  const left = Math.round(SIDE / 2 - (mx / mass + 0.5));
  const top = Math.round(SIDE / 2 - (my / mass + 0.5));
  for (let y = 0; y < h; y++) {
    const ty = y + top;
    if (ty < 0 || ty >= SIDE) continue;
    for (let x = 0; x < w; x++) {
      const tx = x + left;
      if (tx < 0 || tx >= SIDE) continue;
      out[ty * SIDE + tx] = Math.min(1, small[y * w + x]! * gain);
    }
  }
  return out;
}
