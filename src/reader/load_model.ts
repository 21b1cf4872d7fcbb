/**
 * The committed digit model, read from src/reader/model/digits.json (shipped with the code: no
 * download at run time). An unreadable file is an error value.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Result } from '../domain/result.ts';
import { type DigitModel, type ModelErrorCode, type ModelProvenance, parseModel } from './model.ts';

export const MODEL_FILE = path.join(import.meta.dirname, 'model', 'digits.json');

let cached: Result<{ model: DigitModel; provenance: ModelProvenance }, ModelErrorCode> | undefined;

export function loadDigitModel(
  file = MODEL_FILE,
): Result<{ model: DigitModel; provenance: ModelProvenance }, ModelErrorCode> {
  if (file !== MODEL_FILE) return readModel(file);
  cached ??= readModel(file);
  return cached;
}

function readModel(file: string): Result<{ model: DigitModel; provenance: ModelProvenance }, ModelErrorCode> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { ok: false, code: 'model_unreadable', message: `no digit model at ${file}` };
  }
  return parseModel(text);
}
