/**
 * Calibration of the quality gate's thresholds (`openprep quality calibrate`): from the
 * measurements of a labelled set (evaluate.ts), each threshold is placed between the good
 * images and the defect it is there to catch — halfway between the worst good image and the
 * best defective one when the two do not overlap, else where the fewest images of both are on
 * the wrong side — and the report says which it was, so a reviewer sees how much margin each
 * threshold has. Thresholds that no synthetic defect exercises (the sheet's share of the image,
 * contrast, the pixel limit) are kept as reviewed.
 */
import { IMAGE_DEFECTS, type ImageDefect } from './defects.ts';
import type { JudgedImage, JudgedRealistic } from './evaluate.ts';
import type { QualityThresholds } from '../../gate/quality_config.ts';

type Measured = JudgedImage & { readonly measures: NonNullable<JudgedImage['measures']> };

interface Rule {
  readonly threshold: keyof QualityThresholds;
  /** `min`: images below the threshold are refused; `max`: above. */
  readonly direction: 'min' | 'max';
  readonly defects: readonly ImageDefect[];
  readonly value: (image: Measured) => number | null;
  /** Decimal places kept in the configuration. */
  readonly digits: number;
}

const RULES: readonly Rule[] = [
  {
    threshold: 'maxSkewDegrees',
    direction: 'max',
    defects: ['rotated'],
    value: (i) => Math.abs(i.measures.skewDegrees),
    digits: 1,
  },
  {
    threshold: 'minDpi',
    direction: 'min',
    defects: ['low_resolution'],
    value: (i) => i.measures.dpi,
    digits: 0,
  },
  {
    threshold: 'minPaperLevel',
    direction: 'min',
    defects: ['too_dark'],
    value: (i) => i.measures.paperLevel,
    digits: 0,
  },
  {
    threshold: 'maxClippedShare',
    direction: 'max',
    defects: ['overexposed'],
    value: (i) => i.measures.clippedShare,
    digits: 3,
  },
  {
    threshold: 'maxWashedTiles',
    direction: 'max',
    defects: ['glare'],
    value: (i) => i.measures.washedTiles,
    digits: 3,
  },
  {
    threshold: 'minSharpness',
    direction: 'min',
    defects: ['blur', 'motion_blur'],
    value: (i) => Math.min(i.measures.sharpnessX, i.measures.sharpnessY),
    digits: 3,
  },
  {
    threshold: 'minJpegQuality',
    direction: 'min',
    defects: ['heavy_jpeg'],
    value: (i) => i.measures.jpegQuality,
    digits: 0,
  },
  {
    threshold: 'minTableEvidence',
    direction: 'min',
    defects: ['wrong_document'],
    value: (i) => i.measures.tableEvidence,
    digits: 3,
  },
];

export interface ThresholdCalibration {
  readonly direction: 'min' | 'max';
  readonly defects: readonly ImageDefect[];
  readonly good: { readonly images: number; readonly worst: number | null };
  readonly defective: { readonly images: number; readonly best: number | null };
  /** True when every good image and every defective one fall on their own side, with room between. */
  readonly separated: boolean;
  readonly proposed: number;
  readonly previous: number;
  /** At the proposed value, on this set. */
  readonly good_refused: number;
  readonly defective_missed: number;
}

export interface Calibration {
  readonly thresholds: QualityThresholds;
  readonly report: Readonly<Record<string, ThresholdCalibration>>;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function calibrate(
  records: readonly JudgedImage[],
  current: QualityThresholds,
  provenance: string,
): Calibration {
  const measured = records.filter((r): r is Measured => r.measures !== null);
  const good = measured.filter((r) => r.defects.length === 0);
  const report: Record<string, ThresholdCalibration> = {};
  const thresholds: Record<string, unknown> = { ...current, calibration: provenance };
  for (const rule of RULES) {
    const values = (images: readonly Measured[]) =>
      images.map(rule.value).filter((v): v is number => v !== null && Number.isFinite(v));
    const goodValues = values(good);
    const badValues = values(measured.filter((r) => r.defects.some((d) => rule.defects.includes(d))));
    const refused = (t: number, v: number) => (rule.direction === 'min' ? v < t : v > t);
    // In the refusing direction: for `min`, good images are high and defective ones low.
    const worstGood =
      goodValues.length === 0
        ? null
        : rule.direction === 'min'
          ? Math.min(...goodValues)
          : Math.max(...goodValues);
    const bestBad =
      badValues.length === 0
        ? null
        : rule.direction === 'min'
          ? Math.max(...badValues)
          : Math.min(...badValues);
    const previous = current[rule.threshold] as number;
    let proposed = previous;
    let separated = false;
    if (worstGood !== null && bestBad !== null) {
      separated = rule.direction === 'min' ? bestBad < worstGood : bestBad > worstGood;
      if (separated) proposed = (worstGood + bestBad) / 2;
      else {
        // Overlap: the candidate (among all observed values) with the fewest on the wrong side,
        // a refused good image counting as much as a missed defective one.
        let best = Number.POSITIVE_INFINITY;
        for (const candidate of [...new Set([...goodValues, ...badValues])]) {
          const wrong =
            goodValues.filter((v) => refused(candidate, v)).length +
            badValues.filter((v) => !refused(candidate, v)).length;
          if (wrong < best) {
            best = wrong;
            proposed = candidate;
          }
        }
      }
      proposed = round(proposed, rule.digits);
    }
    thresholds[rule.threshold] = proposed;
    report[rule.threshold] = {
      direction: rule.direction,
      defects: rule.defects,
      good: {
        images: goodValues.length,
        worst: worstGood === null ? null : round(worstGood, rule.digits + 1),
      },
      defective: {
        images: badValues.length,
        best: bestBad === null ? null : round(bestBad, rule.digits + 1),
      },
      separated,
      proposed,
      previous,
      good_refused: goodValues.filter((v) => refused(proposed, v)).length,
      defective_missed: badValues.filter((v) => !refused(proposed, v)).length,
    };
  }
  return { thresholds: thresholds as QualityThresholds, report };
}

/**
 * The realistic set as calibration sees it: readable images (label on, sent under their own key)
 * are the good ones; unreadable ones are defective under their condition when calibration has a
 * rule for it; the rest (near a threshold or without a rule) place no threshold.
 */
export function calibrationRecords(records: readonly JudgedRealistic[]): JudgedImage[] {
  const known = new Set<string>(IMAGE_DEFECTS);
  const out: JudgedImage[] = [];
  for (const r of records) {
    // Near-threshold images are kept: the last readable and the first unreadable severity of a
    // condition are exactly the two sides a threshold must fall between.
    if (r.claimedKey !== r.actaKey) continue;
    let defects: ImageDefect[];
    if (r.readable && r.labelVisible && r.condition !== 'qr_missing' && r.condition !== 'qr_damaged')
      defects = [];
    else if (!r.readable && known.has(r.condition)) defects = [r.condition as ImageDefect];
    else continue;
    out.push({
      index: r.index,
      actaKey: r.actaKey,
      claimedKey: r.claimedKey,
      style: r.style,
      defects,
      verdict: r.verdict,
      reasons: r.reasons as JudgedImage['reasons'],
      qr: r.qr,
      measures: r.measures,
      ms: r.ms,
    });
  }
  return out;
}
