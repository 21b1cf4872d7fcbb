/**
 * The acta reader scored on realistic pages (src/sim/acta_images/realistic/page.ts) whose numbers
 * are written with handwritten digits from one split of the mnist samples — `test` for the figures
 * we report (digits the model never saw in training), `train` for choosing the confidence
 * threshold. Each page's values are drawn from the seed: counts as a casilla gives them, some
 * boxes illegible (crossed out) and some empty.
 */
import type { BoxReading, PageImage } from '../reader/box.ts';
import { CONFIDENT, readActa } from '../reader/acta.ts';
import type { DigitModel } from '../reader/model.ts';
import { sampleActaContent } from './acta_images/acta_set.ts';
import { describeSampleId } from './acta_images/realistic/handwriting.ts';
import { renderRealisticPage } from './acta_images/realistic/page.ts';
import type { DigitSplit } from './acta_images/realistic/types.ts';
import type { ActaContent, BoxValue } from './acta_images/synthetic_acta.ts';
import { createRandom } from './random.ts';

export interface ReaderEvaluationSettings {
  readonly count: number;
  readonly seed: number;
  readonly split: DigitSplit;
  readonly threshold?: number;
}

export interface BoxOutcome {
  readonly truth: BoxValue;
  readonly reading: BoxReading;
  readonly right: boolean;
}

/** What is written on the `index`-th acta of the set. */
export function evaluationContent(seed: number, index: number): ActaContent {
  const random = createRandom(`reader-evaluate:${seed}:${index}`);
  const base = sampleActaContent(
    `01${String(1000 + (index % 9000)).padStart(4, '0')}B01${String(index).padStart(4, '0')}`.slice(0, 13),
  );
  return {
    ...base,
    boxes: base.boxes.map((box) => {
      const roll = random.next();
      let value: BoxValue;
      if (roll < 0.03) value = 'ilegible';
      else if (roll < 0.06) value = 'sin_dato';
      else if (roll < 0.12) value = random.int(0, 9);
      else if (roll < 0.4) value = random.int(10, 99);
      else value = random.int(100, box.key.startsWith('vote:') ? 450 : 750);
      return { ...box, value };
    }),
  };
}

/** Renders and reads every acta of the set; calls `onActa` after each. */
export async function readSet(
  settings: ReaderEvaluationSettings,
  model: DigitModel,
  onActa?: (done: number) => void,
): Promise<{ outcomes: BoxOutcome[][]; foreignDigits: number; boxes: number; ms: number }> {
  const outcomes: BoxOutcome[][] = [];
  let foreignDigits = 0;
  let boxes = 0;
  let ms = 0;
  for (let index = 0; index < settings.count; index++) {
    const page = await renderRealisticPage(evaluationContent(settings.seed, index), {
      seed: `${settings.seed}:${index}`,
      digitSplit: settings.split,
    });
    if (!page.ok) throw new Error(page.message);
    for (const id of page.value.digitSamples)
      if (describeSampleId(id).split !== settings.split) foreignDigits++;
    const image: PageImage = { ...page.value.pixels, channels: 3 };
    const started = performance.now();
    const readings = readActa(image, page.value.layout.boxes, model);
    ms += performance.now() - started;
    boxes += page.value.layout.boxes.length;
    outcomes.push(
      page.value.layout.boxes.map((box) => {
        const truth = page.value.boxes[box.key]!;
        const reading = readings[box.key]!;
        return { truth, reading, right: reading.value === truth };
      }),
    );
    onActa?.(index + 1);
  }
  return { outcomes, foreignDigits, boxes, ms };
}

/** Area under the ROC curve of `confidence` telling right readings from wrong (ties count half). */
export function auc(outcomes: readonly BoxOutcome[]): number | null {
  const right = outcomes.filter((o) => o.right).map((o) => o.reading.confidence);
  const wrong = outcomes.filter((o) => !o.right).map((o) => o.reading.confidence);
  if (right.length === 0 || wrong.length === 0) return null;
  // Rank-sum (Mann–Whitney): O(n log n).
  const all = [...right.map((c) => ({ c, r: true })), ...wrong.map((c) => ({ c, r: false }))].sort(
    (a, b) => a.c - b.c,
  );
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.c === all[i]!.c) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.r) rankSum += rank;
    i = j;
  }
  return (rankSum - (right.length * (right.length + 1)) / 2) / (right.length * wrong.length);
}

const round4 = (n: number) => Math.round(n * 10000) / 10000;

export function scoreReadings(outcomes: readonly (readonly BoxOutcome[])[], threshold = CONFIDENT) {
  const all = outcomes.flat();
  const confident = all.filter((o) => o.reading.confidence >= threshold);
  const kind = (v: BoxValue) => (typeof v === 'number' ? 'number' : v);
  const errors: Record<string, number> = {};
  for (const o of all)
    if (!o.right) {
      const key = `${kind(o.truth)}→${kind(o.reading.value)}${o.reading.confidence >= threshold ? ' (confident)' : ''}`;
      errors[key] = (errors[key] ?? 0) + 1;
    }
  const ratio = (a: number, b: number) => (b === 0 ? null : round4(a / b));
  return {
    actas: outcomes.length,
    boxes: all.length,
    box_accuracy: ratio(all.filter((o) => o.right).length, all.length),
    confidence_threshold: threshold,
    confident_boxes: confident.length,
    confident_share: ratio(confident.length, all.length),
    confident_box_accuracy: ratio(confident.filter((o) => o.right).length, confident.length),
    confident_wrong: confident.filter((o) => !o.right).length,
    auc: (() => {
      const a = auc(all);
      return a === null ? null : round4(a);
    })(),
    acta_exact_agreement: ratio(outcomes.filter((a) => a.every((o) => o.right)).length, outcomes.length),
    acta_all_confident_share: ratio(
      outcomes.filter((a) => a.every((o) => o.reading.confidence >= threshold)).length,
      outcomes.length,
    ),
    acta_all_confident_exact: ratio(
      outcomes.filter((a) => a.every((o) => o.reading.confidence >= threshold) && a.every((o) => o.right))
        .length,
      outcomes.filter((a) => a.every((o) => o.reading.confidence >= threshold)).length,
    ),
    errors,
  };
}
