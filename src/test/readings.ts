/**
 * Test helpers for the acta reader's readings: the image hash a fixture casilla's acta is
 * registered under, and a reading that says exactly what `fields` say, box by box, in the form's
 * keys (what assist and the center's scoring take).
 */
import { createHash } from 'node:crypto';
import { applicableColumns } from '../domain/actas_esperadas.ts';
import type { Casilla } from '../domain/catalog.ts';
import { type ActaReading, boxKeys } from '../domain/reader_assist.ts';
import { capturedValue } from '../domain/reader_score.ts';
import type { ActaFields } from '../domain/values.ts';
import { actaKeyOf, CONTEST } from './fixtures.ts';

/** The SHA-256 a test registers `casilla`'s acta image under. */
export const imageOf = (casilla: Casilla): string => createHash('sha256').update(casilla.key).digest('hex');

/** A reading of `casilla`'s acta that reads `fields`, every box at `confidence`. */
export function readingOf(
  casilla: Casilla,
  fields: ActaFields,
  options: { readonly modelHash: string; readonly confidence?: number },
): ActaReading {
  const keys = boxKeys(applicableColumns(CONTEST, casilla));
  return {
    recordId: actaKeyOf(casilla),
    imageSha256: imageOf(casilla),
    modelHash: options.modelHash,
    boxes: Object.fromEntries(
      keys.map((key) => [key, { value: capturedValue(fields, key)!, confidence: options.confidence ?? 1 }]),
    ),
    failure: null,
  };
}
