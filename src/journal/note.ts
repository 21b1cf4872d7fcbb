/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys: a UTF-8 text ending in a
 * newline, a blank line, then signature lines `— <key name> <base64(key id || signature)>`.
 * Checkpoints, manifest signatures and the latest pointer all use this one format.
 */
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { err, ok, type Result } from '../domain/result.ts';

const EM_DASH = '\u2014';
const ED25519_ALGORITHM = 0x01;
const MAX_SIGNATURES = 100;
// The SubjectPublicKeyInfo DER prefix of an Ed25519 key: lets node:crypto import 32 raw bytes.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface NoteSigner {
  readonly name: string;
  readonly privateKey: KeyObject;
}

export interface VerifierKey {
  readonly name: string;
  readonly keyId: Buffer; // 4 bytes
  readonly publicKey: KeyObject;
  readonly rawPublicKey: Buffer; // 32 bytes
}

export type NoteError =
  | 'malformed'
  | 'control-characters'
  | 'no-known-signature'
  | 'bad-signature'
  | 'too-many-signatures';

export type VerifierKeyError = 'bad-verifier-key';

function validKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !/\p{C}/u.test(name);
}

/** key id = SHA-256(name || 0x0A || 0x01 || public key)[:4] */
export function keyId(name: string, rawPublicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519_ALGORITHM]))
    .update(rawPublicKey)
    .digest()
    .subarray(0, 4);
}

export function rawPublicKeyOf(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const x = publicKey.export({ format: 'jwk' }).x;
  if (x === undefined) throw new Error('not an Ed25519 key');
  return Buffer.from(x, 'base64url');
}

/** `<name>+<key id hex>+<base64(0x01 || public key)>`: how a public key is distributed. */
export function formatVerifierKey(name: string, rawPublicKey: Uint8Array): string {
  if (!validKeyName(name)) throw new Error(`bad key name ${JSON.stringify(name)}`);
  const encoded = Buffer.concat([Buffer.from([ED25519_ALGORITHM]), rawPublicKey]).toString('base64');
  return `${name}+${keyId(name, rawPublicKey).toString('hex')}+${encoded}`;
}

export function parseVerifierKey(text: string): Result<VerifierKey, VerifierKeyError> {
  // The base64 key may itself contain '+': split at the first two only.
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  if (first < 0 || second < 0)
    return err('bad-verifier-key', 'a verifier key is <name>+<key id hex>+<base64 key>');
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const encoded = trimmed.slice(second + 1);
  if (!validKeyName(name)) return err('bad-verifier-key', `bad key name ${JSON.stringify(name)}`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) return err('bad-verifier-key', `key id "${idHex}" is not 8 hex digits`);
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded || bytes.length !== 33 || bytes[0] !== ED25519_ALGORITHM)
    return err('bad-verifier-key', 'the key is not base64 of 0x01 followed by a 32-byte Ed25519 public key');
  const rawPublicKey = bytes.subarray(1);
  const id = keyId(name, rawPublicKey);
  if (id.toString('hex') !== idHex)
    return err('bad-verifier-key', `key id ${idHex} does not match the key (expected ${id.toString('hex')})`);
  const publicKey = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, rawPublicKey]),
    format: 'der',
    type: 'spki',
  });
  return ok({ name, keyId: id, publicKey, rawPublicKey: Buffer.from(rawPublicKey) });
}

export function verifierKeyOf(signer: NoteSigner): VerifierKey {
  const raw = rawPublicKeyOf(signer.privateKey);
  const parsed = parseVerifierKey(formatVerifierKey(signer.name, raw));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

function hasForbiddenControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x0a) || code === 0x7f) return true;
  }
  return false;
}

/** Key ids by signing key: deriving the public key and its id costs more than the signature (receipts sign thousands). */
const KEY_IDS = new WeakMap<KeyObject, Map<string, Buffer>>();

function keyIdOf(signer: NoteSigner): Buffer {
  let byName = KEY_IDS.get(signer.privateKey);
  if (byName === undefined) {
    byName = new Map();
    KEY_IDS.set(signer.privateKey, byName);
  }
  let id = byName.get(signer.name);
  if (id === undefined) {
    id = keyId(signer.name, rawPublicKeyOf(signer.privateKey));
    byName.set(signer.name, id);
  }
  return id;
}

function signatureLine(body: string, signer: NoteSigner): string {
  const signature = sign(null, Buffer.from(body, 'utf8'), signer.privateKey);
  return `${EM_DASH} ${signer.name} ${Buffer.concat([keyIdOf(signer), signature]).toString('base64')}\n`;
}

function checkBody(body: string): void {
  if (!body.endsWith('\n') || body.includes('\n\n') || hasForbiddenControl(body))
    throw new Error('a note body ends in one newline, has no blank line and no control characters');
}

/** Signs a note body (which must end in a newline) with one or more keys. */
export function signNote(body: string, ...signers: readonly NoteSigner[]): string {
  checkBody(body);
  if (signers.length === 0) throw new Error('a note needs at least one signature');
  return `${body}\n${signers.map((signer) => signatureLine(body, signer)).join('')}`;
}

/**
 * Opens a note: returns its body when at least one known key signed it. Unknown keys are
 * ignored (others may cosign); a known key whose signature fails rejects the whole note.
 */
export function openNote(
  text: string,
  verifiers: readonly VerifierKey[],
): Result<{ body: string; verifiedBy: string[] }, NoteError> {
  if (hasForbiddenControl(text)) return err('control-characters', 'the note holds control characters');
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n'))
    return err('malformed', 'a note is a body, a blank line and signatures');
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES)
    return err('too-many-signatures', `more than ${MAX_SIGNATURES} signatures`);
  const verifiedBy: string[] = [];
  for (const line of lines) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (match === null) return err('malformed', `bad signature line ${JSON.stringify(line.slice(0, 80))}`);
    const name = match[1]!;
    const blob = Buffer.from(match[2]!, 'base64');
    if (blob.length < 5) return err('malformed', 'a signature line carries a key id and a signature');
    const id = blob.subarray(0, 4);
    const verifier = verifiers.find((v) => v.name === name && v.keyId.equals(id));
    if (verifier === undefined) continue;
    const signature = blob.subarray(4);
    if (signature.length !== 64 || !verify(null, Buffer.from(body, 'utf8'), verifier.publicKey, signature))
      return err('bad-signature', `the signature by ${name} does not verify`);
    verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) return err('no-known-signature', 'no signature by a known key');
  return ok({ body, verifiedBy });
}

/**
 * A signer that does not hand out its key: a key backend (a file, later a token) or the
 * signer service over its channel. It returns the whole signed note.
 */
export interface BodySigner {
  readonly name: string;
  signBody(body: string): Promise<string>;
}

/** The key in hand (the embedded default, tests) or a signer that keeps it (the signer service). */
export type AnyNoteSigner = NoteSigner | BodySigner;

export async function signNoteBy(body: string, signer: AnyNoteSigner): Promise<string> {
  return 'privateKey' in signer ? signNote(body, signer) : signer.signBody(body);
}

/** The same note as signNote, signed by anything that signs bytes with an Ed25519 key (a KeyBackend). */
export async function signNoteWith(
  body: string,
  key: {
    readonly name: string;
    readonly rawPublicKey: Uint8Array;
    sign(message: Uint8Array): Promise<Buffer>;
  },
): Promise<string> {
  checkBody(body);
  const signature = await key.sign(Buffer.from(body, 'utf8'));
  const line = `${EM_DASH} ${key.name} ${Buffer.concat([keyId(key.name, key.rawPublicKey), signature]).toString('base64')}\n`;
  return `${body}\n${line}`;
}

/**
 * Thrown by a BodySigner whose signer service cannot be reached, deep inside a cut being
 * built; the publisher turns it into its `signer-unavailable` result.
 */
export class SignerUnavailable extends Error {
  override readonly name = 'SignerUnavailable';
}
