/**
 * How well the quality gate does on a labelled set of synthetic actas (`openprep quality
 * evaluate`): the set is rendered and judged by worker threads (each renders and judges its
 * share of the images; every image's look comes from its own seed, so the split changes
 * nothing), and the judgements are scored against the ground truth — recall on the defective
 * images, good images refused, per defect and per style, QR identification, and images accepted
 * under a wrong CLAVE_ACTA (a share of the images is sent claiming another acta's key, as a
 * device would after a slip of the operator). The same records feed the calibration
 * (calibrate.ts).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { IMAGE_DEFECTS, type ImageDefect } from './defects.ts';
import type { Measures } from '../../gate/measure.ts';
import type { QualityThresholds } from '../../gate/quality_config.ts';
import type { QualityReasonCode, QualityVerdict } from '../../gate/quality_gate.ts';

export interface EvaluationSettings {
  readonly count: number;
  readonly seed: number;
  readonly phoneShare: number;
  readonly defectiveShare: number;
  /** Share of images sent claiming another acta's key. */
  readonly wrongClaimShare: number;
  readonly thresholds: QualityThresholds;
}

/** One image as judged, with its ground truth. */
export interface JudgedImage {
  readonly index: number;
  readonly actaKey: string;
  readonly claimedKey: string;
  readonly style: 'scanner' | 'phone';
  readonly defects: readonly ImageDefect[];
  readonly verdict: QualityVerdict;
  readonly reasons: readonly QualityReasonCode[];
  readonly qr: string | null;
  readonly measures: (Measures & { readonly dpi: number; readonly jpegQuality: number | null }) | null;
  /** The gate's time for this image, in ms (wall, in a worker sharing the machine). */
  readonly ms: number;
}

/** The reason an operator should be given for each defect (another reason still counts as caught). */
export const EXPECTED_REASONS: Readonly<Record<ImageDefect, readonly QualityReasonCode[]>> = {
  blur: ['blurry'],
  motion_blur: ['motion_blur', 'blurry'],
  too_dark: ['too_dark'],
  overexposed: ['overexposed'],
  glare: ['glare'],
  low_resolution: ['low_resolution'],
  cut_corner: ['missing_corner'],
  rotated: ['skewed'],
  heavy_jpeg: ['heavy_compression'],
  qr_missing: ['qr_unreadable'],
  qr_damaged: ['qr_unreadable'],
  wrong_document: ['not_an_acta'],
};

/** The targets (issue 5). */
export const TARGETS = {
  recallDefective: 0.95,
  falseRejectGood: 0.02,
  qrIdentified: 0.995,
  wrongKeyAccepted: 0,
} as const;

/** Renders and judges the set on `jobs` worker threads; records in index order. */
export async function judgeSet(
  settings: EvaluationSettings,
  jobs = Math.max(1, os.availableParallelism()),
  onProgress?: (done: number) => void,
): Promise<JudgedImage[]> {
  const records: JudgedImage[] = [];
  await Promise.all(
    Array.from({ length: Math.min(jobs, settings.count) }, (_, worker) => {
      return new Promise<void>((resolve, reject) => {
        const thread = new Worker(new URL('./evaluate_worker.ts', import.meta.url), {
          workerData: { settings, worker, workers: jobs },
        });
        thread.on('message', (record: JudgedImage) => {
          records.push(record);
          onProgress?.(records.length);
        });
        thread.on('error', reject);
        thread.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`evaluation worker ${worker} exited with ${code}`)),
        );
      });
    }),
  );
  return records.sort((a, b) => a.index - b.index);
}

const share = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 10000) / 10000;

export interface DefectScore {
  readonly images: number;
  readonly caught: number;
  readonly recall: number | null;
  /** Share of these images given the reason their defect calls for (EXPECTED_REASONS). */
  readonly reason_named: number | null;
  /** Every reason given to these images, counted. */
  readonly reasons: Readonly<Record<string, number>>;
}

export interface EvaluationReport {
  readonly images: number;
  readonly defective: number;
  readonly good: number;
  readonly recall_defective: number | null;
  readonly false_reject_good: number | null;
  readonly qr_identified: number | null;
  readonly wrong_key_claims: number;
  readonly wrong_key_accepted: number;
  readonly targets_met: boolean;
  readonly per_defect: Readonly<Record<string, DefectScore>>;
  readonly by_style: Readonly<
    Record<string, { good: number; good_refused: number; defective: number; defective_caught: number }>
  >;
  /** Good images refused (up to 20), and defective images accepted (up to 20): what a reviewer looks at. */
  readonly good_refused_examples: readonly { actaKey: string; style: string; reasons: readonly string[] }[];
  readonly defective_accepted_examples: readonly {
    actaKey: string;
    style: string;
    defects: readonly string[];
  }[];
  readonly gate_ms_median: number;
}

export function scoreJudgements(records: readonly JudgedImage[]): EvaluationReport {
  const defective = records.filter((r) => r.defects.length > 0);
  const good = records.filter((r) => r.defects.length === 0);
  const truthful = good.filter((r) => r.claimedKey === r.actaKey);
  const goodRefused = truthful.filter((r) => r.verdict !== 'accept');
  const caught = defective.filter((r) => r.verdict !== 'accept');
  const identified = good.filter((r) => r.qr === r.actaKey);
  const wrongClaims = records.filter((r) => r.claimedKey !== r.actaKey);
  // Accepted under a key that is not the acta's: claimed wrongly, or a label misread.
  const wrongKeyAccepted = records.filter(
    (r) => r.verdict === 'accept' && (r.claimedKey !== r.actaKey || r.qr !== r.actaKey),
  ).length;
  const perDefect: Record<string, DefectScore> = {};
  for (const defect of IMAGE_DEFECTS) {
    const these = defective.filter((r) => r.defects.includes(defect));
    const named = these.filter((r) => r.reasons.some((code) => EXPECTED_REASONS[defect].includes(code)));
    const theseCaught = these.filter((r) => r.verdict !== 'accept');
    const reasons: Record<string, number> = {};
    for (const r of these) for (const code of r.reasons) reasons[code] = (reasons[code] ?? 0) + 1;
    perDefect[defect] = {
      images: these.length,
      caught: theseCaught.length,
      recall: share(theseCaught.length, these.length),
      reason_named: share(named.length, these.length),
      reasons,
    };
  }
  const byStyle: Record<
    string,
    { good: number; good_refused: number; defective: number; defective_caught: number }
  > = {};
  for (const style of ['scanner', 'phone'] as const) {
    byStyle[style] = {
      good: truthful.filter((r) => r.style === style).length,
      good_refused: goodRefused.filter((r) => r.style === style).length,
      defective: defective.filter((r) => r.style === style).length,
      defective_caught: caught.filter((r) => r.style === style).length,
    };
  }
  const recall = share(caught.length, defective.length);
  const falseReject = share(goodRefused.length, truthful.length);
  const qr = share(identified.length, good.length);
  const times = records.map((r) => r.ms).sort((a, b) => a - b);
  return {
    images: records.length,
    defective: defective.length,
    good: good.length,
    recall_defective: recall,
    false_reject_good: falseReject,
    qr_identified: qr,
    wrong_key_claims: wrongClaims.length,
    wrong_key_accepted: wrongKeyAccepted,
    targets_met:
      (recall === null || recall >= TARGETS.recallDefective) &&
      (falseReject === null || falseReject <= TARGETS.falseRejectGood) &&
      (qr === null || qr >= TARGETS.qrIdentified) &&
      wrongKeyAccepted <= TARGETS.wrongKeyAccepted,
    per_defect: perDefect,
    by_style: byStyle,
    good_refused_examples: goodRefused
      .slice(0, 20)
      .map((r) => ({ actaKey: r.actaKey, style: r.style, reasons: r.reasons })),
    defective_accepted_examples: defective
      .filter((r) => r.verdict === 'accept')
      .slice(0, 20)
      .map((r) => ({ actaKey: r.actaKey, style: r.style, defects: r.defects })),
    gate_ms_median: Math.round((times[times.length >> 1] ?? 0) * 10) / 10,
  };
}
