/**
 * Keyed fingerprints of identifying values: HMAC-SHA-256 under a key only the center holds
 * (derived from the secrets key, never the sealing key itself). Keyed because many of these
 * values have little entropy (a name, a short id): an unkeyed hash of "ana.lopez" is found by
 * anyone who hashes a list of names, so a published set of plain hashes would leak the data it
 * stands for. Values are normalised first (NFKC, trimmed, case-folded, inner spaces collapsed)
 * so that a dump re-typed or re-encoded still matches.
 */
import { createHmac } from 'node:crypto';

/** The purpose the fingerprint key is derived for (SecretBox.derive). */
export const FINGERPRINT_PURPOSE = 'leak-fingerprints-v1';

export function normalise(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Hex HMAC-SHA-256 of the normalised value; '' for a value that is empty once normalised. */
export function fingerprint(key: Buffer, value: string): string {
  const normal = normalise(value);
  if (normal === '') return '';
  return createHmac('sha256', key).update(normal, 'utf8').digest('hex');
}
