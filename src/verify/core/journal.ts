/**
 * The journal room: the checkpoint the cut is signed against (V05), each contest's Merkle root
 * over its acta rows (V06), and the link to the previous cut with the journal's consistency
 * proof (V12's first half). The checkpoint is read here from the C2SP format itself rather
 * than through src/journal/, so the browser can run it; the proof is verified by the function
 * the caller passes (src/journal/merkle.ts's in the CLI).
 */
import { fromBase64, toBase64, toHex } from '../../platform/web/web_crypto.ts';
import { HEADER_LINE_COUNT } from '../../domain/results_layout.ts';
import type { Manifest } from './manifest.ts';
import type { VerifierCrypto } from './ports.ts';
import type { Failures } from './report.ts';

interface CheckpointBody {
  readonly origin: string;
  readonly size: number;
  readonly rootText: string;
}

/** `origin\nsize\nbase64 root\n` (https://c2sp.org/tlog-checkpoint), or why not. */
function parseCheckpointBody(body: string): { value: CheckpointBody } | { message: string } {
  const lines = body.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '')
    return { message: 'a checkpoint is an origin, a size and a root, each on its own line' };
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin.length === 0) return { message: 'empty origin' };
  // C2SP tlog-checkpoint: optional extension lines follow the root, each non-empty; they are ignored.
  if (lines.slice(3, -1).some((line) => line.length === 0))
    return { message: 'an empty line after the root: extension lines are non-empty' };
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    return { message: `tree size "${sizeText}" is not a decimal without leading zeros` };
  const root = fromBase64(rootText);
  if (root === null || root.length !== 32 || toBase64(root) !== rootText)
    return { message: 'the root is not the base64 of 32 bytes' };
  return { value: { origin, size: Number(sizeText), rootText } };
}

/** V05: the checkpoint is signed by the key, under `<key>/log`, and states the manifest's size and root. */
export async function checkCheckpoint(
  checks: Failures,
  crypto: VerifierCrypto,
  manifest: Manifest,
): Promise<void> {
  const note = await crypto.openNote(manifest.journal.checkpoint);
  const checkpoint = note.ok ? parseCheckpointBody(note.body) : { message: note.message };
  if ('message' in checkpoint) {
    checks.fail('V05', `checkpoint: ${checkpoint.message}`);
    return;
  }
  const { origin, size, rootText } = checkpoint.value;
  if (origin !== `${crypto.keyName}/log`)
    checks.fail('V05', `checkpoint origin "${origin}" is not "${crypto.keyName}/log"`);
  if (size !== manifest.journal.size) checks.fail('V05', 'checkpoint size differs from the manifest');
  if (rootText !== manifest.journal.rootHash) checks.fail('V05', 'checkpoint root differs from the manifest');
}

export function checkpointSummary(manifest: Manifest): string {
  return `journal of ${manifest.journal.size} entries, root ${manifest.journal.rootHash}`;
}

type Contest = Manifest['contests'][number];

/** V06, before the rows are hashed: as many acta rows as the manifest counts. */
export function checkActaRowCount(checks: Failures, entry: Contest, rows: number): void {
  if (rows !== entry.actaRows)
    checks.fail('V06', `${entry.id}: ${rows} rows, manifest says ${entry.actaRows}`);
}

/** V06: the RFC 6962 root over the rows is the manifest's. */
export function checkActaRoot(checks: Failures, entry: Contest, rootHex: string): void {
  if (rootHex !== entry.actaMerkleRoot) checks.fail('V06', `${entry.id}: Merkle root differs`);
}

/**
 * RFC 6962 tree hash over leaf data, level by level (an unpaired last node moves up as is),
 * with an asynchronous SHA-256 (WebCrypto's). The CLI folds rows into a compact range instead.
 */
export async function merkleRoot(
  leaves: readonly Uint8Array[],
  sha256: (bytes: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const digest = async (prefix: number, ...parts: Uint8Array[]) => {
    const length = parts.reduce((n, p) => n + p.length, 1);
    const input = new Uint8Array(length);
    input[0] = prefix;
    let at = 1;
    for (const p of parts) {
      input.set(p, at);
      at += p.length;
    }
    return sha256(input);
  };
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  let level: Uint8Array[] = await Promise.all(leaves.map((leaf) => digest(0x00, leaf)));
  while (level.length > 1) {
    const next: Promise<Uint8Array>[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(digest(0x01, level[i]!, level[i + 1]!));
    const carried = level.length % 2 === 1 ? level[level.length - 1]! : null;
    level = await Promise.all(next);
    if (carried !== null) level.push(carried);
  }
  return level[0]!;
}

export const merkleRootHex = async (
  leaves: readonly Uint8Array[],
  sha256: (bytes: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>,
): Promise<string> => toHex(await merkleRoot(leaves, sha256));

/** The acta rows of a results CSV (line 8 on), each without its `\r`, split outside quotes: the leaves. */
export function csvRowBytes(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let quoted = false;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x22) quoted = !quoted;
    else if (b === 0x0d && !quoted) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines.slice(HEADER_LINE_COUNT);
}

/** The journal's consistency proof, base64 hashes as the manifest states them. */
export type VerifyConsistency = (input: {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: string;
  readonly newRoot: string;
  readonly proof: readonly string[];
}) => boolean;

/** V12's link: this cut names the previous one, follows it in sequence (by exactly one) and time, and extends its journal. */
export function checkExtends(
  checks: Failures,
  manifest: Manifest,
  previous: Manifest,
  previousManifestSha256: string,
  verifyConsistency: VerifyConsistency,
): boolean {
  const link = manifest.previous;
  if (link === null) {
    checks.fail('V12', 'this cut names no previous cut');
    return false;
  }
  if (link.id !== previous.cut.id) checks.fail('V12', `this cut follows ${link.id}, not ${previous.cut.id}`);
  if (link.manifestSha256 !== previousManifestSha256)
    checks.fail('V12', "the previous manifest's SHA-256 differs from the one this cut names");
  if (link.journalSize !== previous.journal.size) checks.fail('V12', 'previous journal size differs');
  // The publisher numbers each cut its predecessor's sequence + 1 and names that predecessor
  // (src/publish/publisher.ts), so between a cut and the one it names there is no gap.
  if (manifest.cut.sequence <= previous.cut.sequence)
    checks.fail('V12', 'the cut sequence does not increase');
  else if (manifest.cut.sequence !== previous.cut.sequence + 1)
    checks.fail(
      'V12',
      `the cut sequence ${manifest.cut.sequence} is not the previous cut's + 1 (${previous.cut.sequence + 1})`,
    );
  // Written so that an unparseable time on either side fails too (NaN compares false).
  if (!(Date.parse(manifest.cut.timeUtc) > Date.parse(previous.cut.timeUtc)))
    checks.fail('V12', 'the cut time does not move forward from the previous cut');
  if (manifest.journal.size < previous.journal.size) checks.fail('V12', 'the journal shrank: a rollback');
  const consistent = verifyConsistency({
    oldSize: previous.journal.size,
    newSize: manifest.journal.size,
    oldRoot: previous.journal.rootHash,
    newRoot: manifest.journal.rootHash,
    proof: manifest.journal.consistencyProof,
  });
  if (!consistent)
    checks.fail('V12', 'the journal is not an extension of the previous one: history was rewritten');
  return true;
}
