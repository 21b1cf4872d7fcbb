/**
 * C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature) with Ed25519, signature type
 * 0x04: a witness signs `cosignature/v1\ntime <unix seconds>\n` followed by a checkpoint body,
 * and its line under the checkpoint note is `— <name> base64(key id || 8-byte big-endian
 * time || 64-byte signature)`. A cosigned checkpoint is the log's note with such extra lines,
 * which the log's own `openNote` ignores (unknown keys). The browser's copy of the checking
 * half is src/platform/web/cosignature.ts; both are held to the same vectors.
 */
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { err, ok, type Result } from '../domain/result.ts';
import { rawPublicKeyOf } from './note.ts';

export const COSIGNATURE_V1 = 0x04;
const EM_DASH = '\u2014';
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const LINE_BLOB_BYTES = 4 + 8 + 64;

export interface WitnessKey {
  readonly name: string;
  readonly keyId: Buffer; // 4 bytes
  readonly publicKey: KeyObject;
  readonly rawPublicKey: Buffer; // 32 bytes
}

export interface WitnessSigner {
  readonly name: string;
  readonly privateKey: KeyObject;
}

/** A cosignature line found under a note, verified against one of the given witness keys. */
export interface Cosignature {
  readonly name: string;
  readonly keyIdHex: string;
  /** Unix seconds the witness says it cosigned at. */
  readonly time: number;
  /** The whole line, without its newline: what the center stores and the manifest carries. */
  readonly line: string;
}

export type CosignatureError = 'bad-witness-key' | 'malformed' | 'bad-cosignature';

function validKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !/\p{C}/u.test(name);
}

/** key id = SHA-256(name || 0x0A || 0x04 || public key)[:4] */
export function cosignatureKeyId(name: string, rawPublicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, COSIGNATURE_V1]))
    .update(rawPublicKey)
    .digest()
    .subarray(0, 4);
}

/** `<name>+<key id hex>+base64(0x04 || public key)`: what goes into the election definition. */
export function formatWitnessKey(name: string, rawPublicKey: Uint8Array): string {
  if (!validKeyName(name)) throw new Error(`bad witness name ${JSON.stringify(name)}`);
  const encoded = Buffer.concat([Buffer.from([COSIGNATURE_V1]), rawPublicKey]).toString('base64');
  return `${name}+${cosignatureKeyId(name, rawPublicKey).toString('hex')}+${encoded}`;
}

export function witnessKeyOf(signer: WitnessSigner): WitnessKey {
  const parsed = parseWitnessKey(formatWitnessKey(signer.name, rawPublicKeyOf(signer.privateKey)));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

export function parseWitnessKey(text: string): Result<WitnessKey, 'bad-witness-key'> {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  if (first < 0 || second < 0)
    return err('bad-witness-key', 'a witness key is <name>+<key id hex>+<base64 key>');
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const encoded = trimmed.slice(second + 1);
  if (!validKeyName(name)) return err('bad-witness-key', `bad witness name ${JSON.stringify(name)}`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) return err('bad-witness-key', `key id "${idHex}" is not 8 hex digits`);
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded || bytes.length !== 33)
    return err('bad-witness-key', 'the key is not base64 of a type byte and a 32-byte Ed25519 public key');
  if (bytes[0] !== COSIGNATURE_V1)
    return err(
      'bad-witness-key',
      `the key's type byte is 0x${bytes[0]!.toString(16).padStart(2, '0')}, not 0x04 (cosignature/v1)`,
    );
  const rawPublicKey = Buffer.from(bytes.subarray(1));
  const id = cosignatureKeyId(name, rawPublicKey);
  if (id.toString('hex') !== idHex)
    return err('bad-witness-key', `key id ${idHex} does not match the key (expected ${id.toString('hex')})`);
  const publicKey = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, rawPublicKey]),
    format: 'der',
    type: 'spki',
  });
  return ok({ name, keyId: id, publicKey, rawPublicKey });
}

/** The bytes a witness signs: `cosignature/v1\ntime <t>\n` and the checkpoint body. */
export function cosignedMessage(checkpointBody: string, time: number): Buffer {
  if (!Number.isSafeInteger(time) || time < 0) throw new Error(`bad cosignature time ${time}`);
  return Buffer.from(`cosignature/v1\ntime ${time}\n${checkpointBody}`, 'utf8');
}

/** The signature line (without its newline) a witness adds under the checkpoint. */
export function cosignatureLine(checkpointBody: string, signer: WitnessSigner, time: number): string {
  const signature = sign(null, cosignedMessage(checkpointBody, time), signer.privateKey);
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(time));
  const id = cosignatureKeyId(signer.name, rawPublicKeyOf(signer.privateKey));
  return `${EM_DASH} ${signer.name} ${Buffer.concat([id, stamp, signature]).toString('base64')}`;
}

/** The note's body and its signature lines, without checking any of them. */
export function splitNote(text: string): Result<{ body: string; lines: string[] }, 'malformed'> {
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n'))
    return err('malformed', 'a note is a body, a blank line and signatures');
  const lines = text.slice(split + 2, -1).split('\n');
  for (const line of lines)
    if (!/^\u2014 \S+ [A-Za-z0-9+/=]+$/.test(line))
      return err('malformed', `bad signature line ${JSON.stringify(line.slice(0, 80))}`);
  return ok({ body: text.slice(0, split + 1), lines });
}

/** The note with `line` added under it, unless a line by the same key is already there. */
export function addCosignatureLine(note: string, line: string): string {
  const [, name, blob] = /^\u2014 (\S+) (\S+)$/.exec(line) ?? [];
  const id = blob === undefined ? '' : Buffer.from(blob, 'base64').subarray(0, 4).toString('hex');
  const present = note.split('\n').some((l) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(l);
    return m !== null && m[1] === name && Buffer.from(m[2]!, 'base64').subarray(0, 4).toString('hex') === id;
  });
  return present ? note : `${note}${line}\n`;
}

/**
 * Every cosignature under the note by one of `witnesses` that verifies over the note's body.
 * Lines by other keys (the log's own, unknown witnesses) are passed over; a line that names a
 * listed witness but does not verify is `bad-cosignature`.
 */
export function openCosignatures(
  note: string,
  witnesses: readonly WitnessKey[],
): Result<{ body: string; cosignatures: Cosignature[] }, CosignatureError> {
  const split = splitNote(note);
  if (!split.ok) return split;
  const { body, lines } = split.value;
  const found: Cosignature[] = [];
  for (const line of lines) {
    const [, name, encoded] = /^\u2014 (\S+) (\S+)$/.exec(line)!;
    const blob = Buffer.from(encoded!, 'base64');
    if (blob.length < 4) return err('malformed', 'a signature line carries a key id and a signature');
    const witness = witnesses.find((w) => w.name === name && w.keyId.equals(blob.subarray(0, 4)));
    if (witness === undefined) continue;
    if (blob.length !== LINE_BLOB_BYTES)
      return err(
        'bad-cosignature',
        `the cosignature by ${name} is ${blob.length} bytes, not ${LINE_BLOB_BYTES}`,
      );
    const stamp = blob.readBigUInt64BE(4);
    if (stamp > BigInt(Number.MAX_SAFE_INTEGER))
      return err('bad-cosignature', `the cosignature by ${name} has an impossible time`);
    const time = Number(stamp);
    if (!verify(null, cosignedMessage(body, time), witness.publicKey, blob.subarray(12)))
      return err('bad-cosignature', `the cosignature by ${name} does not verify`);
    if (!found.some((f) => f.keyIdHex === witness.keyId.toString('hex')))
      found.push({ name: witness.name, keyIdHex: witness.keyId.toString('hex'), time, line });
  }
  return ok({ body, cosignatures: found });
}
