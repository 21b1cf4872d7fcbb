/**
 * The acta as the capture screen shows it: turned upright and cropped to the sheet found by the
 * quality gate, so the capturista reads boxes, not the table around them. A derived image made
 * on request; the original bytes — whose SHA-256 is published — are never altered or replaced.
 * (sharp offers affine transforms, not perspective: a photo's small keystone is left as is.)
 */
import sharp from 'sharp';
import type { CornerName, Point } from './measure.ts';

/** Width of the view, in pixels: enough to read handwriting on a capture screen. */
export const SHEET_VIEW_WIDTH = 1200;

export interface SheetView {
  readonly jpeg: Buffer;
  readonly width: number;
  readonly height: number;
  /** The turn applied, in degrees (the sheet's measured skew, undone). */
  readonly rotatedDegrees: number;
}

/**
 * Turns the image by the angle of the sheet's top and bottom edges and crops it to the sheet's
 * corners (given in the displayed image's pixels, as QualityReport.corners).
 */
export async function sheetView(
  bytes: Uint8Array,
  corners: Readonly<Record<CornerName, Point>>,
): Promise<SheetView> {
  const angleOf = (a: Point, b: Point) => Math.atan2(b.y - a.y, b.x - a.x);
  const angle =
    (angleOf(corners.top_left, corners.top_right) + angleOf(corners.bottom_left, corners.bottom_right)) / 2;
  const degrees = (-angle * 180) / Math.PI;
  const oriented = await sharp(bytes).autoOrient().toBuffer({ resolveWithObject: true });
  const { width, height } = oriented.info;
  const turned = await sharp(oriented.data)
    .rotate(degrees, { background: '#ffffff' })
    .toBuffer({ resolveWithObject: true });
  // Where the corners went: the turn is about the image's centre, onto a canvas grown to fit.
  const cos = Math.cos(-angle);
  const sin = Math.sin(-angle);
  const moved = Object.values(corners).map((p) => {
    const x = p.x - width / 2;
    const y = p.y - height / 2;
    return {
      x: x * cos - y * sin + turned.info.width / 2,
      y: x * sin + y * cos + turned.info.height / 2,
    };
  });
  const clamp = (v: number, max: number) => Math.max(0, Math.min(max, Math.round(v)));
  const left = clamp(Math.min(...moved.map((p) => p.x)), turned.info.width - 1);
  const top = clamp(Math.min(...moved.map((p) => p.y)), turned.info.height - 1);
  const right = clamp(Math.max(...moved.map((p) => p.x)), turned.info.width);
  const bottom = clamp(Math.max(...moved.map((p) => p.y)), turned.info.height);
  const view = await sharp(turned.data)
    .extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) })
    .resize({ width: SHEET_VIEW_WIDTH, withoutEnlargement: true })
    .jpeg({ quality: 85 })
    .toBuffer({ resolveWithObject: true });
  return { jpeg: view.data, width: view.info.width, height: view.info.height, rotatedDegrees: degrees };
}
