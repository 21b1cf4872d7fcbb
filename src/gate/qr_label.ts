/**
 * Reading the QR label stuck on an acta at acopio, which carries its CLAVE_ACTA: with jsQR,
 * first where the label goes (the sheet's top right), then on the whole image.
 */
import jsqrModule from 'jsqr';
import type { Grey, Measures } from './measure.ts';

// jsQR is CommonJS whose function is its `default` export.
type Decode = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  options?: { inversionAttempts?: 'dontInvert' | 'onlyInvert' | 'attemptBoth' | 'invertFirst' },
) => { data: string } | null;
export const jsQR =
  (jsqrModule as unknown as { default?: Decode }).default ?? (jsqrModule as unknown as Decode);

/** The grey pixels of a region, as the RGBA jsQR reads. */
function rgba(image: Grey, x0: number, y0: number, w: number, h: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  let i = 0;
  for (let y = y0; y < y0 + h; y++)
    for (let x = x0; x < x0 + w; x++) {
      const v = image.data[y * image.width + x]!;
      out[i++] = v;
      out[i++] = v;
      out[i++] = v;
      out[i++] = 255;
    }
  return out;
}

/** Reads the QR label: first where it is stuck on (the sheet's top right), then on the whole image. */
export function readQrLabel(image: Grey, corners: Measures['corners']): string | null {
  const tryRegion = (x0: number, y0: number, x1: number, y1: number) => {
    const x = Math.max(0, Math.floor(x0));
    const y = Math.max(0, Math.floor(y0));
    const w = Math.min(image.width, Math.ceil(x1)) - x;
    const h = Math.min(image.height, Math.ceil(y1)) - y;
    if (w < 21 || h < 21) return null;
    return jsQR(rgba(image, x, y, w, h), w, h, { inversionAttempts: 'dontInvert' })?.data ?? null;
  };
  if (corners !== null) {
    const left = Math.min(corners.top_left.x, corners.bottom_left.x);
    const right = Math.max(corners.top_right.x, corners.bottom_right.x);
    const top = Math.min(corners.top_left.y, corners.top_right.y);
    const bottom = Math.max(corners.bottom_left.y, corners.bottom_right.y);
    // The label goes on the top right corner (acta_form.ts: 74–94% across, 5–20% down on a
    // letter page, less down a longer one); a margin around it for a photo's turn.
    const found = tryRegion(
      left + (right - left) * 0.66,
      top - (bottom - top) * 0.01,
      right + (right - left) * 0.02,
      top + (bottom - top) * 0.25,
    );
    if (found !== null) return found;
  }
  return tryRegion(0, 0, image.width, image.height);
}

/**
 * Judges an image of an acta. `claimedKey`: the CLAVE_ACTA the device says it is (compared with
 * the QR label); without it only the image's quality and the label's legibility are judged.
 */
