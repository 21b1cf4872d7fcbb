/**
 * Journal entries are canonical JSON (object keys sorted, no whitespace): the same fact always
 * has the same bytes, so its leaf hash is reproducible by anyone. Their types and fields are
 * closed (entry_types.ts): writers are typed against them, and `readEntry` checks them.
 */
import { err, ok, type Result } from '../domain/result.ts';
import { canonicalJson } from '../platform/web/canonical_json.ts';
import { type JournalEntry, journalEntrySchema } from './entry_types.ts';

export type { EntryOf, JournalEntry, JournalEntryType, SecurityEntry, UntimedEntry } from './entry_types.ts';
export { journalEntrySchema } from './entry_types.ts';

/**
 * An entry as the bytes say, before its type is checked: what every journal holds, whatever
 * wrote it (decodeEntry asks no more, so the tree checks never depend on the entry types).
 */
export interface DecodedEntry {
  readonly type: string;
  readonly at: number; // epoch ms
  readonly [field: string]: unknown;
}

export function encodeEntry(entry: JournalEntry): Uint8Array {
  return Buffer.from(canonicalJson(entry), 'utf8');
}

export function decodeEntry(bytes: Uint8Array): Result<DecodedEntry, 'bad-entry'> {
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
  return ok(entry as DecodedEntry);
}

/** A decoded entry as one of the known types, with exactly its fields. */
export function checkEntry(entry: DecodedEntry): Result<JournalEntry, 'bad-entry'> {
  const parsed = journalEntrySchema.safeParse(entry);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    return err('bad-entry', `not a ${entry.type} entry as written${where}: ${issue?.message ?? 'invalid'}`);
  }
  return ok(parsed.data);
}

/** decodeEntry, then checkEntry: the typed reading, for readers that switch on the type. */
export function readEntry(bytes: Uint8Array): Result<JournalEntry, 'bad-entry'> {
  const decoded = decodeEntry(bytes);
  return decoded.ok ? checkEntry(decoded.value) : decoded;
}
