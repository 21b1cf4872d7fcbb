/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note body `origin\nsize\nbase64 root\n`.
 */
import type { KeyObject } from 'node:crypto';
import { err, ok, type Result } from '../domain/result.ts';
import { type NoteError, openNote, signNote, type VerifierKey } from './note.ts';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Buffer;
}

export function formatCheckpointBody(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.size}\n${checkpoint.rootHash.toString('base64')}\n`;
}

export function parseCheckpointBody(body: string): Result<Checkpoint, 'bad-checkpoint'> {
  const lines = body.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '')
    return err('bad-checkpoint', 'a checkpoint is an origin, a size and a root, each on its own line');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin.length === 0) return err('bad-checkpoint', 'empty origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    return err('bad-checkpoint', `tree size "${sizeText}" is not a decimal without leading zeros`);
  const rootHash = Buffer.from(rootText, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== rootText)
    return err('bad-checkpoint', 'the root is not the base64 of 32 bytes');
  return ok({ origin, size: Number(sizeText), rootHash });
}

export function signCheckpoint(
  checkpoint: Checkpoint,
  signer: { name: string; privateKey: KeyObject },
): string {
  return signNote(formatCheckpointBody(checkpoint), signer);
}

export function openCheckpoint(
  noteText: string,
  verifiers: readonly VerifierKey[],
): Result<Checkpoint, NoteError | 'bad-checkpoint'> {
  const note = openNote(noteText, verifiers);
  if (!note.ok) return note;
  return parseCheckpointBody(note.value.body);
}
