/**
 * Reads every box of an acta straightened to the form. The reader runs in shadow: what it reads
 * is set beside the capturistas' values and never published on its own (docs/reader.md).
 */
import type { Rect } from '../domain/acta_form.ts';
import { type BoxReading, type PageImage, readBox } from './box.ts';
import type { DigitModel } from './model.ts';

/**
 * At or above this confidence a reading counts as confident. Chosen on pages written with the
 * mnist TRAIN split (`openprep reader evaluate --split train --count 40 --seed 77`: 99.4 % right at a
 * 66 % share), never on the test split it is judged on.
 */
export const CONFIDENT = 0.99;

export function readActa(
  image: PageImage,
  boxes: readonly (Rect & { readonly key: string })[],
  model: DigitModel,
): Record<string, BoxReading> {
  const out: Record<string, BoxReading> = {};
  for (const box of boxes) out[box.key] = readBox(image, box, model);
  return out;
}
