/**
 * Keyed fingerprints of identifying values: HMAC-SHA-256 under a key only the center holds
 * (derived from the secrets key, never the sealing key itself). Keyed because many of these
 * values have little entropy (a name, a short id): an unkeyed hash of "ana.lopez" is found by
 * anyone who hashes a list of names, so a published set of plain hashes would leak the data it
 * stands for. Values are normalised first (NFKC, trimmed, case-folded, inner spaces collapsed)
 * so that a dump re-typed or re-encoded still matches.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** The purpose the fingerprint key is derived for (SecretBox.derive). */
export const FINGERPRINT_PURPOSE = 'leak-fingerprints-v1';

export function normalise(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Hex HMAC-SHA-256 of the normalised value; '' for a value that is empty once normalised. */
export function fingerprint(key: Buffer, value: string): string {
  return fingerprintNormal(key, normalise(value));
}

/** The key as a KeyObject, made once: HMAC with a raw Buffer key makes one per call (most of the cost). */
const keyObjects = new WeakMap<Buffer, KeyObject>();

/** As fingerprint, of a value already normalised. */
export function fingerprintNormal(key: Buffer, normal: string): string {
  if (normal === '') return '';
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    keyObject = createSecretKey(key);
    keyObjects.set(key, keyObject);
  }
  return createHmac('sha256', keyObject).update(normal, 'utf8').digest('hex');
}
