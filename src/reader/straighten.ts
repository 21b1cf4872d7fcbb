/**
 * Straightening a photographed or scanned acta onto the form's pixels: the four registration marks
 * (solid squares near the corners, src/domain/acta_form.ts) are found in the image, and the
 * homography that takes each mark's centre on the form to its centre in the image gives, for every
 * pixel of the form, where to sample the image. The result is a grey page in the form's pixels,
 * ready for readBox. Pure: no I/O.
 */
import { PAGE, type Rect, REGISTRATION_MARK, registrationMarks } from '../domain/acta_form.ts';
import type { PageImage } from './box.ts';

export interface Point {
  readonly x: number;
  readonly y: number;
}

export type StraightenFailure = 'marks_not_found';

function grey(image: PageImage, x: number, y: number): number {
  const i = (y * image.width + x) * image.channels;
  if (image.channels === 1) return image.data[i]!;
  return (image.data[i]! * 299 + image.data[i + 1]! * 587 + image.data[i + 2]! * 114) / 1000;
}

/**
 * The centre of the registration mark nearest `corner` of the image, searched within a window
 * of that corner: the dark, nearly square, nearly solid blob closest to the corner.
 */
export function findMark(image: PageImage, corner: 0 | 1 | 2 | 3, scale: number): Point | null {
  const ww = Math.round(image.width * 0.2);
  const wh = Math.round(image.height * 0.15);
  const left = corner === 1 || corner === 2 ? image.width - ww : 0;
  const top = corner === 2 || corner === 3 ? image.height - wh : 0;
  const dark = new Uint8Array(ww * wh);
  for (let y = 0; y < wh; y++)
    for (let x = 0; x < ww; x++) if (grey(image, left + x, top + y) < 90) dark[y * ww + x] = 1;
  const side = REGISTRATION_MARK * scale;
  const seen = new Uint8Array(ww * wh);
  let best: Point | null = null;
  let bestDistance = Infinity;
  const stack: number[] = [];
  for (let start = 0; start < dark.length; start++) {
    if (dark[start] === 0 || seen[start] === 1) continue;
    seen[start] = 1;
    stack.push(start);
    let area = 0;
    let sx = 0;
    let sy = 0;
    let x0 = ww;
    let y0 = wh;
    let x1 = 0;
    let y1 = 0;
    while (stack.length > 0) {
      const p = stack.pop()!;
      const px = p % ww;
      const py = (p - px) / ww;
      area++;
      sx += px;
      sy += py;
      if (px < x0) x0 = px;
      if (py < y0) y0 = py;
      if (px > x1) x1 = px;
      if (py > y1) y1 = py;
      for (const q of [p - 1, p + 1, p - ww, p + ww]) {
        if (q < 0 || q >= dark.length || dark[q] === 0 || seen[q] === 1) continue;
        if ((q === p - 1 && px === 0) || (q === p + 1 && px === ww - 1)) continue;
        seen[q] = 1;
        stack.push(q);
      }
    }
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    // A mark: about its printed size (a photo shrinks or grows it a little), square, solid.
    if (bw < side * 0.6 || bw > side * 1.6 || bh < side * 0.6 || bh > side * 1.6) continue;
    if (area < bw * bh * 0.7) continue;
    const cx = left + sx / area + 0.5;
    const cy = top + sy / area + 0.5;
    const ex = corner === 1 || corner === 2 ? image.width : 0;
    const ey = corner === 2 || corner === 3 ? image.height : 0;
    const distance = Math.hypot(cx - ex, cy - ey);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = { x: cx, y: cy };
    }
  }
  return best;
}

/** The 3 × 3 homography (h33 = 1) taking each `from` point to its `to` point (four pairs). */
export function homography(from: readonly Point[], to: readonly Point[]): Float64Array {
  // Eight equations in eight unknowns, solved by Gaussian elimination with partial pivoting.
  const a: number[][] = [];
  for (let k = 0; k < 4; k++) {
    const { x, y } = from[k]!;
    const { x: u, y: v } = to[k]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const row = a[col]!;
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / row[col]!;
      for (let c = col; c < 9; c++) a[r]![c] = a[r]![c]! - f * row[c]!;
    }
  }
  const h = new Float64Array(9);
  for (let k = 0; k < 8; k++) h[k] = a[k]![8]! / a[k]![k]!;
  h[8] = 1;
  return h;
}

export function project(h: Float64Array, x: number, y: number): Point {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  return { x: (h[0]! * x + h[1]! * y + h[2]!) / w, y: (h[3]! * x + h[4]! * y + h[5]!) / w };
}

/**
 * The page in the form's pixels (grey, `PAGE.width` × `pageHeight`), sampled bilinearly from
 * `image` through the homography its four registration marks give; or why not.
 */
export function straighten(
  image: PageImage,
  pageHeight: number,
  /** Only this part of the form is resampled (the rest stays white): the boxes are a sixth of a page. */
  only?: Rect,
): { ok: true; value: PageImage } | { ok: false; code: StraightenFailure; message: string } {
  // The image's scale against the form, from its width (a phone's sheet fills most of the frame).
  const scale = Math.min(image.width / PAGE.width, image.height / pageHeight);
  const found: Point[] = [];
  for (const corner of [0, 1, 2, 3] as const) {
    const mark = findMark(image, corner, scale);
    if (mark === null)
      return {
        ok: false,
        code: 'marks_not_found',
        message: 'no se encontraron las cuatro marcas de registro',
      };
    found.push(mark);
  }
  const form = registrationMarks(pageHeight).map((m) => ({ x: m.x + m.width / 2, y: m.y + m.height / 2 }));
  const h = homography(form, found);
  const width = PAGE.width;
  const data = new Uint8Array(width * pageHeight);
  const fromX = only === undefined ? 0 : Math.max(0, Math.floor(only.x));
  const toX = only === undefined ? width : Math.min(width, Math.ceil(only.x + only.width));
  const fromY = only === undefined ? 0 : Math.max(0, Math.floor(only.y));
  const toY = only === undefined ? pageHeight : Math.min(pageHeight, Math.ceil(only.y + only.height));
  if (only !== undefined) data.fill(255);
  for (let y = fromY; y < toY; y++)
    for (let x = fromX; x < toX; x++) {
      const p = project(h, x + 0.5, y + 0.5);
      const sx = p.x - 0.5;
      const sy = p.y - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= image.width || y0 + 1 >= image.height) {
        data[y * width + x] = 255;
        continue;
      }
      const fx = sx - x0;
      const fy = sy - y0;
      const top = grey(image, x0, y0) * (1 - fx) + grey(image, x0 + 1, y0) * fx;
      const bottom = grey(image, x0, y0 + 1) * (1 - fx) + grey(image, x0 + 1, y0 + 1) * fx;
      data[y * width + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  return { ok: true, value: { data, width, height: pageHeight, channels: 1 } };
}
