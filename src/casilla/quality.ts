/**
 * The phone's own quality check, before an acta photo is queued: is it sharp, is it exposed
 * well enough to read? Pure (grey pixels in, verdict out) so it runs the same in the browser,
 * on a canvas's pixels, and in tests. The full gate (sheet, corners, skew, QR) joins with the
 * images issue; this one catches the two commonest retakes at the moment the photo is taken.
 *
 * Sharpness is the variance of the Laplacian (a blurred photo has few strong second
 * derivatives); exposure is the mean grey level and the share of clipped pixels. The
 * reasons are in Spanish, for the CAE holding the phone, and say what to do.
 */

export interface QualityThresholds {
  /** Below this variance of the Laplacian, the photo is blurred. */
  readonly minSharpness: number;
  readonly minMeanGrey: number;
  readonly maxMeanGrey: number;
  /** Share of pixels at 250 or above beyond which highlights are burnt (glare, flash). */
  readonly maxClippedWhite: number;
  readonly minWidth: number;
  readonly minHeight: number;
}

/** Reviewed defaults, for a photo scaled so its longer side is about 1,000 pixels. */
export const DEFAULT_THRESHOLDS: QualityThresholds = {
  minSharpness: 100,
  minMeanGrey: 60,
  maxMeanGrey: 235,
  maxClippedWhite: 0.35,
  minWidth: 480,
  minHeight: 480,
};

export type QualityProblem = 'too-small' | 'blurred' | 'too-dark' | 'overexposed';

export interface QualityVerdict {
  readonly accepted: boolean;
  readonly problems: readonly QualityProblem[];
  /** One line per problem, for the person holding the phone. */
  readonly advice: readonly string[];
  readonly measures: { readonly sharpness: number; readonly meanGrey: number; readonly clippedWhite: number };
}

export const ADVICE: Readonly<Record<QualityProblem, string>> = {
  'too-small': 'resolución insuficiente: acérquese al acta o use la cámara principal y repita',
  blurred: 'borrosa: sostenga el teléfono firme, espere a que enfoque y repita',
  'too-dark': 'muy oscura: busque más luz o encienda una lámpara y repita',
  overexposed: 'sobreexpuesta: evite el reflejo directo o el flash y repita',
};

/** Grey level of RGBA pixels (ITU-R BT.601 weights), as canvases give them. */
export function greyOfRgba(rgba: Uint8ClampedArray | Uint8Array): Uint8Array {
  const grey = new Uint8Array(rgba.length / 4);
  for (let i = 0, j = 0; j < grey.length; i += 4, j++)
    grey[j] = (rgba[i]! * 299 + rgba[i + 1]! * 587 + rgba[i + 2]! * 114) / 1000;
  return grey;
}

export function assessQuality(
  grey: Uint8Array,
  width: number,
  height: number,
  thresholds: QualityThresholds = DEFAULT_THRESHOLDS,
): QualityVerdict {
  if (grey.length !== width * height) throw new Error('grey pixels do not match width × height');
  let sum = 0;
  let clipped = 0;
  for (const g of grey) {
    sum += g;
    if (g >= 250) clipped++;
  }
  const n = Math.max(1, grey.length);
  const meanGrey = sum / n;
  const clippedWhite = clipped / n;
  // Variance of the 4-neighbour Laplacian over the interior.
  let lapSum = 0;
  let lapSquares = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++)
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap = grey[i - 1]! + grey[i + 1]! + grey[i - width]! + grey[i + width]! - 4 * grey[i]!;
      lapSum += lap;
      lapSquares += lap * lap;
      count++;
    }
  const sharpness = count === 0 ? 0 : lapSquares / count - (lapSum / count) ** 2;
  const problems: QualityProblem[] = [];
  if (width < thresholds.minWidth || height < thresholds.minHeight) problems.push('too-small');
  if (sharpness < thresholds.minSharpness) problems.push('blurred');
  if (meanGrey < thresholds.minMeanGrey) problems.push('too-dark');
  if (meanGrey > thresholds.maxMeanGrey || clippedWhite > thresholds.maxClippedWhite)
    problems.push('overexposed');
  return {
    accepted: problems.length === 0,
    problems,
    advice: problems.map((p) => ADVICE[p]),
    measures: { sharpness, meanGrey, clippedWhite },
  };
}
