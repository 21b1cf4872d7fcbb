/**
 * The core's cryptography in Node: SHA-256 and signed notes with node:crypto (through
 * src/journal/), the journal's consistency proof, and the compact Merkle range the contest pass
 * folds each acta row into synchronously (a national contest is ~170,000 rows).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { verifyConsistency } from '../journal/merkle.ts';
import { openNote, type VerifierKey } from '../journal/note.ts';
import type { VerifyConsistency } from './core/journal.ts';
import type { VerifierCrypto } from './core/ports.ts';

// The core's manifest schema is zod's mini build, which has no messages of its own: the
// report quotes zod's English ones.
z.config(z.locales.en());

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function nodeVerifierCrypto(key: VerifierKey): VerifierCrypto {
  return {
    keyName: key.name,
    sha256Hex: async (bytes) => sha256Hex(bytes),
    openNote: async (text) => {
      const note = openNote(text, [key]);
      return note.ok ? { ok: true, body: note.value.body } : { ok: false, message: note.message };
    },
  };
}

export const nodeConsistency: VerifyConsistency = (input) =>
  verifyConsistency({
    oldSize: input.oldSize,
    newSize: input.newSize,
    oldRoot: Buffer.from(input.oldRoot, 'base64'),
    newRoot: Buffer.from(input.newRoot, 'base64'),
    proof: input.proof.map((h) => Buffer.from(h, 'base64')),
  });
