/**
 * Journal entries are canonical JSON (object keys sorted, no whitespace): the same fact always
 * has the same bytes, so its leaf hash is reproducible by anyone.
 */
import { err, ok, type Result } from '../domain/result.ts';
import { canonicalJson } from '../platform/web/canonical_json.ts';

export interface JournalEntry {
  readonly type: string;
  readonly at: number; // epoch ms
  readonly [field: string]: unknown;
}

export function encodeEntry(entry: JournalEntry): Uint8Array {
  return Buffer.from(canonicalJson(entry), 'utf8');
}

export function decodeEntry(bytes: Uint8Array): Result<JournalEntry, 'bad-entry'> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return err('bad-entry', `entry is not UTF-8 JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return err('bad-entry', 'entry is not a JSON object');
  const entry = value as Record<string, unknown>;
  if (typeof entry['type'] !== 'string' || typeof entry['at'] !== 'number')
    return err('bad-entry', 'entry lacks a string type and a numeric at');
  if (canonicalJson(entry) !== Buffer.from(bytes).toString('utf8'))
    return err('bad-entry', 'entry is not in canonical form');
  return ok(entry as JournalEntry);
}
