/**
 * The quality gate's thresholds: one reviewed file (quality_thresholds.json), parsed here so a
 * mistyped or missing threshold stops the program at start rather than judging with undefined.
 * `openprep quality calibrate` proposes new values from labelled images (docs/images.md).
 */
import { z } from 'zod';
import reviewed from './quality_thresholds.json' with { type: 'json' };

export const QualityThresholdsSchema = z.strictObject({
  $comment: z.string().optional(),
  /** What calibration produced these values: its command, seed, count and date. */
  calibration: z.string().min(1),
  /** Decoded pixels allowed at most (a PNG that decompresses to gigapixels stops here). */
  maxPixels: z.number().int().min(1_000_000).max(1_000_000_000),
  /** The sheet covers at least this share of the image. */
  minSheetShare: z.number().min(0).max(1),
  /** The sheet's long axis within this many degrees of upright. */
  maxSkewDegrees: z.number().min(0).max(45),
  /** The sheet's width in pixels over 8.5 inches. */
  minDpi: z.number().min(1).max(1200),
  /** The paper's grey level (the median of the sheet) at least this. */
  minPaperLevel: z.number().min(0).max(255),
  /** The ink's grey level (1st percentile) at most this. */
  maxInkLevel: z.number().min(0).max(255),
  minContrast: z.number().min(0).max(255),
  /** At most this share of the sheet at full white… */
  maxClippedShare: z.number().min(0).max(1),
  /** …unless the ink stays at most this dark (a scanner that whitens its paper to 255 keeps its ink). */
  maxClippedInkLevel: z.number().min(0).max(255),
  /** At most this share of the sheet's tiles washed out (white, no ink). */
  maxWashedTiles: z.number().min(0).max(1),
  /** The largest saturated blob over the boxes at most this many boxes' areas (a reflection erasing digits). */
  maxGlareOverBoxes: z.number().min(0).max(20),
  /** At most this share of the boxes' column in a cast shadow (under 60% of the light expected there). */
  maxShadowShare: z.number().min(0).max(1),
  /** …when the ink in it keeps less than this contrast, in grey levels (a person reads through a lighter shadow). */
  minShadowContrast: z.number().min(0).max(255),
  /** The registration marks' (else the corners') opposite sides differ at most by this ratio (perspective). */
  maxKeystone: z.number().min(1).max(3),
  /** The steepest edges over the contrast at 100 dpi (measure.ts SHARPNESS_DPI), in both directions, at least this. */
  minSharpness: z.number().min(0).max(2),
  /** A JPEG's encoder quality at least this. */
  minJpegQuality: z.number().int().min(1).max(100),
  /** Vertical over horizontal edge energy in the lower sheet at least this (a table of boxes). */
  minTableEvidence: z.number().min(0).max(10),
});
export type QualityThresholds = z.infer<typeof QualityThresholdsSchema>;

export const THRESHOLDS_FILE = new URL('./quality_thresholds.json', import.meta.url);

export function parseThresholds(text: string): QualityThresholds {
  return QualityThresholdsSchema.parse(JSON.parse(text));
}

/**
 * The reviewed thresholds (imported, so a browser bundle carries them too); a bad file is a bug
 * of the release, so it throws at load.
 */
export const defaultThresholds: QualityThresholds = QualityThresholdsSchema.parse(reviewed);
