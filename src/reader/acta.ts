/**
 * Reads every box of an acta straightened to the form. The reader runs in shadow: what it reads
 * is set beside the capturistas' values and never published on its own (docs/reader.md).
 */
import type { Rect } from '../domain/acta_form.ts';
import { type BoxReading, type PageImage, readBox } from './box.ts';
import type { DigitModel } from './model.ts';

/**
 * At or above this confidence a reading counts as confident: the lowest threshold at which the
 * confident boxes of pages written with the mnist TRAIN split were at least 99.8 % right (60
 * actas, seed 77: 99.82 % at a 70 % share), a margin for the test digits being harder. Never
 * chosen on the test split.
 */
export const CONFIDENT = 0.995;

export function readActa(
  image: PageImage,
  boxes: readonly (Rect & { readonly key: string })[],
  model: DigitModel,
): Record<string, BoxReading> {
  const out: Record<string, BoxReading> = {};
  for (const box of boxes) out[box.key] = readBox(image, box, model);
  return out;
}
