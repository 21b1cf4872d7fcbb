/**
 * The phone's quality check, before an acta photo is queued: the quality gate's own judgement
 * (src/gate/judge.ts — the sheet and its corners, a cut edge, skew, perspective, resolution,
 * light, glare, a cast shadow, sharpness, whether it is an acta) with the reviewed thresholds, on the pixels of a canvas the photo was
 * drawn on, scaled so its longer side is the gate's working size. The QR label is read by the
 * center's gate when the package arrives (a label that does not read, or names another acta,
 * is flagged there for a person). Pure, so it runs the same in the browser and in tests; the
 * reasons are in Spanish, for the CAE holding the phone, and say what to do.
 */
import { judgeGrey, type QualityReport, WORKING_SIZE } from '../gate/judge.ts';
import type { QualityThresholds } from '../gate/quality_config.ts';
import reviewed from '../gate/quality_thresholds.json' with { type: 'json' };

export { WORKING_SIZE };

export interface PhotoVerdict {
  readonly accepted: boolean;
  /** One line per problem, for the person holding the phone. */
  readonly advice: readonly string[];
  readonly report: QualityReport;
}

/** Grey level of RGBA pixels (ITU-R BT.601 weights), as canvases give them. */
export function greyOfRgba(rgba: Uint8ClampedArray | Uint8Array): Uint8Array {
  const grey = new Uint8Array(rgba.length / 4);
  for (let i = 0, j = 0; j < grey.length; i += 4, j++)
    grey[j] = (rgba[i]! * 299 + rgba[i + 1]! * 587 + rgba[i + 2]! * 114) / 1000;
  return grey;
}

/**
 * Judges a photo from its grey pixels (`width` × `height`, the photo scaled to the working
 * size) and the size it was taken at (`taken`), which its resolution is judged on.
 */
export function assessActaPhoto(
  grey: Uint8Array,
  width: number,
  height: number,
  taken: { readonly width: number; readonly height: number },
  thresholds: QualityThresholds = reviewed as QualityThresholds,
): PhotoVerdict {
  if (grey.length !== width * height) throw new Error('grey pixels do not match width × height');
  const report = judgeGrey(
    { data: grey, width, height },
    { width: taken.width, height: taken.height, jpegQuality: null, thresholds, readQr: null },
  );
  return { accepted: report.verdict === 'accept', advice: report.reasons.map((r) => r.message), report };
}
