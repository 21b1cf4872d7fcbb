/**
 * The conditions of the realistic set (shared names, docs/images.md "Realistic scenes and
 * severities"): what a scene does to a page, each graded in five severities from clearly fine
 * (1) to clearly unusable (5), in physical units of the sheet (mm, stops, dpi, degrees, % cut
 * off), and the gate reasons that count as the condition's "own" when the image is unreadable.
 * The severity says how hard the scene is; whether a person can still read the boxes is decided
 * from the image itself (scene.ts `readability`).
 */
import type { QualityReasonCode } from '../../../gate/quality_gate.ts';

/** Readable at every severity: the gate must accept these. */
export const BENIGN_CONDITIONS = [
  'clean',
  'light_gradient',
  'scanner_whitening',
  'curl',
  'fold',
  'clutter',
  'fingers_at_edge',
  'dark_table',
  'mild_keystone',
  'noise_jpeg_sharpen',
] as const;

/** Defects graded from harmless to unusable. */
export const GRADED_CONDITIONS = [
  'blur',
  'motion_blur',
  'too_dark',
  'overexposed',
  'glare',
  'shadow',
  'low_resolution',
  'cut_edge',
  'cut_corner',
  'rotated',
  'keystone',
  'heavy_jpeg',
] as const;

/** Drawn into the page rather than done by the scene: no severity. */
export const PAGE_CONDITIONS = ['wrong_document', 'qr_missing', 'qr_damaged'] as const;

export type BenignCondition = (typeof BENIGN_CONDITIONS)[number];
export type GradedCondition = (typeof GRADED_CONDITIONS)[number];
export type PageCondition = (typeof PAGE_CONDITIONS)[number];
export type Condition = BenignCondition | GradedCondition | PageCondition;

/** What a condition draws into the page itself (the label's state, another document), before any scene. */
export function pageOf(condition: Condition | 'acta'): {
  readonly label: 'present' | 'missing' | 'damaged';
  readonly document: 'acta' | 'other';
} {
  return {
    label: condition === 'qr_missing' ? 'missing' : condition === 'qr_damaged' ? 'damaged' : 'present',
    document: condition === 'wrong_document' ? 'other' : 'acta',
  };
}
export type Severity = 1 | 2 | 3 | 4 | 5;
export const SEVERITIES: readonly Severity[] = [1, 2, 3, 4, 5];

/**
 * Gate reasons the condition calls for (the first is the one an operator should be told; the
 * others also count as its own). The reasons `shadow`, `cut_edge` and `keystone` are new in the
 * gate (issue 18): typed as strings here so the set does not wait for them.
 */
export type ExpectedReason = QualityReasonCode | 'shadow' | 'cut_edge' | 'keystone';

export const OWN_REASONS: Readonly<Record<Condition, readonly ExpectedReason[]>> = {
  clean: [],
  light_gradient: [],
  scanner_whitening: [],
  curl: [],
  fold: [],
  clutter: [],
  fingers_at_edge: [],
  dark_table: [],
  mild_keystone: [],
  noise_jpeg_sharpen: [],
  blur: ['blurry'],
  motion_blur: ['motion_blur', 'blurry'],
  too_dark: ['too_dark'],
  overexposed: ['overexposed', 'glare'],
  glare: ['glare'],
  shadow: ['shadow'],
  low_resolution: ['low_resolution'],
  cut_edge: ['cut_edge', 'missing_corner'],
  cut_corner: ['missing_corner', 'cut_edge'],
  rotated: ['skewed', 'sideways'],
  keystone: ['keystone'],
  heavy_jpeg: ['heavy_compression'],
  wrong_document: ['not_an_acta'],
  qr_missing: ['qr_unreadable'],
  qr_damaged: ['qr_unreadable'],
};

/** The five steps of each condition, in the unit named (index 0 is severity 1). */
export interface SeverityScale {
  readonly unit: string;
  readonly steps: readonly [number, number, number, number, number];
  /** Which capture styles the condition happens in. */
  readonly styles: readonly ('phone' | 'scanner')[];
}

const BOTH = ['phone', 'scanner'] as const;
const PHONE = ['phone'] as const;
const SCANNER = ['scanner'] as const;

export const SCALES: Readonly<Record<BenignCondition | GradedCondition, SeverityScale>> = {
  clean: { unit: '—', steps: [0, 0, 0, 0, 0], styles: BOTH },
  // Light falling off across the sheet, end to end (phone: a lamp to one side; up to moderate).
  light_gradient: { unit: 'stops across the sheet', steps: [0.2, 0.4, 0.6, 0.8, 1], styles: PHONE },
  // Paper pushed to white by the scanner's levels: the share of the paper's brightest values clipped.
  scanner_whitening: {
    unit: 'grey levels of white point below the paper',
    steps: [2, 6, 10, 16, 24],
    styles: SCANNER,
  },
  curl: { unit: 'mm the sheet lifts at its edge', steps: [2, 4, 7, 10, 14], styles: PHONE },
  fold: { unit: 'crease shading depth (share of light)', steps: [0.04, 0.08, 0.12, 0.16, 0.2], styles: BOTH },
  clutter: { unit: 'objects on the table', steps: [1, 2, 3, 4, 5], styles: PHONE },
  fingers_at_edge: { unit: 'fingers on the margin', steps: [1, 2, 3, 4, 5], styles: PHONE },
  dark_table: { unit: 'table grey level', steps: [45, 32, 22, 14, 8], styles: PHONE },
  mild_keystone: { unit: 'far / near edge width', steps: [0.98, 0.96, 0.94, 0.92, 0.9], styles: PHONE },
  noise_jpeg_sharpen: { unit: 'sensor noise σ (grey levels)', steps: [2, 3, 4, 5, 6], styles: PHONE },
  blur: { unit: 'σ mm on the sheet', steps: [0.1, 0.25, 0.45, 0.85, 1.4], styles: BOTH },
  motion_blur: { unit: 'streak length mm on the sheet', steps: [0.5, 1, 1.6, 3.5, 6], styles: PHONE },
  too_dark: { unit: 'stops under', steps: [0.5, 1.5, 3, 6.5, 8], styles: BOTH },
  overexposed: { unit: 'stops over', steps: [0.5, 1, 2, 5.5, 7], styles: BOTH },
  // A lamp's reflection: the saturated core's diameter; from severity 3 on it is placed over the boxes.
  glare: { unit: 'saturated core diameter mm', steps: [8, 14, 20, 30, 55], styles: PHONE },
  // A hand's or body's cast shadow over the boxes: the share of light it takes away.
  shadow: {
    unit: 'share of light removed over the boxes',
    steps: [0.3, 0.55, 0.8, 0.985, 0.995],
    styles: PHONE,
  },
  low_resolution: { unit: 'dpi on the sheet', steps: [180, 140, 90, 45, 30], styles: BOTH },
  cut_edge: { unit: '% of the sheet cut off', steps: [0.5, 1.5, 3, 10, 18], styles: BOTH },
  cut_corner: { unit: 'mm of each edge missing', steps: [10, 25, 50, 110, 160], styles: BOTH },
  rotated: { unit: 'degrees', steps: [1.5, 4, 8, 20, 90], styles: BOTH },
  keystone: { unit: 'far / near edge width', steps: [0.9, 0.82, 0.72, 0.55, 0.42], styles: PHONE },
  // From severity 3 as a messaging app forwards a photo (long side 2048, 1600, 1280 px) or a
  // scanner's economy setting (150 dpi).
  heavy_jpeg: { unit: 'JPEG quality', steps: [75, 45, 25, 8, 3], styles: BOTH },
};

export function isGraded(condition: Condition): condition is GradedCondition {
  return (GRADED_CONDITIONS as readonly string[]).includes(condition);
}
export function isBenign(condition: Condition): condition is BenignCondition {
  return (BENIGN_CONDITIONS as readonly string[]).includes(condition);
}

/** The condition's styles (page conditions happen to both). */
export function stylesOf(condition: Condition): readonly ('phone' | 'scanner')[] {
  return isGraded(condition) || isBenign(condition) ? SCALES[condition].styles : BOTH;
}
