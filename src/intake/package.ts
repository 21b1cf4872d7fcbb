/**
 * The signed package a device sends: a canonical JSON header (which acta it claims to be, how
 * it was taken, by which device, its sequence number, and the image's SHA-256), signed with the
 * device's own Ed25519 key, plus the image bytes. And the receipt the center answers with: a
 * signed note naming the journal leaf that recorded the package. Pure: no I/O.
 *
 * Format and verification rules: docs/intake.md.
 */
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { formatIsoLocal } from '../domain/local_time.ts';
import { err, ok, type Result } from '../domain/result.ts';
import { canonicalJson } from '../platform/web/canonical_json.ts';
import { type NoteSigner, openNote, parseVerifierKey, signNote, type VerifierKey } from '../journal/note.ts';
import { type NoteOpening, openReceipt } from './receipt_body.ts';

import { PACKAGE_FORMAT } from './package_format.ts';

export { PACKAGE_FORMAT };

export const packageHeaderSchema = z
  .object({
    format: z.literal(PACKAGE_FORMAT),
    contest: z.string().regex(/^[A-Z0-9_]{1,16}$/, 'an election id such as PRES'),
    /** As read from the acta; it may be wrong (fuera de catálogo), but it is plain text. */
    claimedKey: z.string().regex(/^[0-9A-Z]{1,32}$/, 'digits and capital letters, at most 32'),
    origin: z.enum(['CASILLA', 'CATD']),
    digitization: z.enum(['MOVIL', 'ESCANER']),
    documentType: z.enum(['ACTA_PREP', 'COPIA_PE', 'ACTA_CONSEJO', 'ACTA_CONSEJO_S', 'COPIA_RPPCI']),
    transfer: z.enum(['D', 'F', 'I']).nullable(),
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64'),
    sequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    deviceTime: z.iso.datetime({ offset: true }),
    imageSha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
    /**
     * The device's operator confirmed the claimed key of an acta whose QR label does not read
     * or names another acta (docs/images.md); absent otherwise.
     */
    keyConfirmed: z.literal(true).optional(),
  })
  .strict();

export type PackageHeader = z.infer<typeof packageHeaderSchema>;

export interface ParsedPackage {
  readonly header: PackageHeader;
  /** The canonical header bytes: what the device signed. */
  readonly bytes: Buffer;
  /** SHA-256 of those bytes, hex: the package's identity. */
  readonly sha256: string;
}

export type PackageError = 'bad-header' | 'not-canonical' | 'bad-signature';

/** The exact bytes a device signs for a header. */
export function packageBytes(header: PackageHeader): Buffer {
  return Buffer.from(canonicalJson(header), 'utf8');
}

/** Parses a header as received; only its canonical form is accepted, so a package has one encoding. */
export function parsePackageHeader(text: string): Result<ParsedPackage, PackageError> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err('bad-header', 'the package header is not JSON');
  }
  const parsed = packageHeaderSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return err(
      'bad-header',
      `package header: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const bytes = packageBytes(parsed.data);
  if (bytes.toString('utf8') !== text)
    return err('not-canonical', 'the package header is not in canonical form (sorted keys, no spaces)');
  return ok({ header: parsed.data, bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
}

/** Parsed keys by their base64 text (only enrolled devices' keys reach here, so it is bounded): building a KeyObject costs more than verifying a signature. */
const KEY_OBJECTS = new Map<string, KeyObject>();

/** A device's public key from its raw 32 bytes (base64), as enrolled. */
export function devicePublicKey(rawBase64: string): Result<KeyObject, 'bad-key'> {
  const cached = KEY_OBJECTS.get(rawBase64);
  if (cached !== undefined) return ok(cached);
  const raw = Buffer.from(rawBase64, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== rawBase64)
    return err('bad-key', 'a device key is 32 bytes of Ed25519 public key, base64');
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
    KEY_OBJECTS.set(rawBase64, key);
    return ok(key);
  } catch (error) {
    return err('bad-key', `not an Ed25519 public key: ${(error as Error).message}`);
  }
}

export function signPackage(header: PackageHeader, privateKey: KeyObject): string {
  return sign(null, packageBytes(header), privateKey).toString('base64');
}

/** Verifies on libuv's thread pool (the callback form of crypto.verify), off the event loop. */
export async function verifyPackageSignature(
  pkg: ParsedPackage,
  signatureBase64: string,
  publicKey: KeyObject,
): Promise<Result<void, 'bad-signature'>> {
  const signature = Buffer.from(signatureBase64, 'base64');
  if (signature.length !== 64 || signature.toString('base64') !== signatureBase64.trim())
    return err('bad-signature', 'the signature is not 64 bytes of base64');
  const valid = await new Promise<boolean>((resolve, reject) =>
    verify(null, pkg.bytes, publicKey, signature, (error, result) =>
      error ? reject(error) : resolve(result),
    ),
  );
  return valid
    ? ok(undefined)
    : err('bad-signature', "the signature does not verify with the device's enrolled key");
}

export interface ReceiptFacts {
  readonly pkg: ParsedPackage;
  readonly recordId: string;
  readonly leafIndex: number;
  readonly acopioAt: number;
  readonly utcOffsetMinutes: number;
}

/**
 * A node's receipt key with its certificate (receipt_body.ts): what a node that does not hold
 * the election's key signs receipts with. The certificate's window is checked by verifiers
 * against the receipt's acopio time.
 */
export interface CertifiedReceiptKey {
  readonly electionKeyName: string;
  readonly signer: NoteSigner;
  /** The certificate: a note signed by the election's key. */
  readonly certificate: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A node's current receipt key, renewed in the background; null when none is valid at `at`. */
export interface ReceiptKeys {
  current(at: number): CertifiedReceiptKey | null;
}

/**
 * The receipt: a signed note (C2SP signed-note, like the checkpoints) under the origin
 * `<key name>/receipt`. Whoever holds it can show the center accepted this package, when,
 * and at which journal leaf, and check it with the election's public key — directly, or
 * through the certificate of the node's receipt key it carries (`certificate <base64>`).
 */
export function signReceipt(facts: ReceiptFacts, signer: NoteSigner | CertifiedReceiptKey): string {
  const h = facts.pkg.header;
  const certified = 'certificate' in signer ? signer : null;
  return signNote(
    [
      `${certified === null ? (signer as NoteSigner).name : certified.electionKeyName}/receipt`,
      `package ${facts.pkg.sha256}`,
      `device ${h.deviceId} ${h.sequence}`,
      `image ${h.imageSha256}`,
      `record ${facts.recordId}`,
      `leaf ${facts.leafIndex}`,
      `acopio ${formatIsoLocal(facts.acopioAt, facts.utcOffsetMinutes)}`,
      ...(certified === null
        ? []
        : [`certificate ${Buffer.from(certified.certificate, 'utf8').toString('base64')}`]),
      '',
    ].join('\n'),
    certified === null ? (signer as NoteSigner) : certified.signer,
  );
}

export { parseReceiptBody, type Receipt } from './receipt_body.ts';

/** node:crypto's way of opening notes, for openReceipt. */
export const NODE_NOTES: NoteOpening<VerifierKey> = {
  parseKey: async (text) => {
    const key = parseVerifierKey(text);
    return key.ok ? key.value : null;
  },
  open: async (note, key) => {
    const opened = openNote(note, [key]);
    return opened.ok ? opened.value.body : null;
  },
};

/** A receipt's checked body (signed by the election's key, or by a receipt key it certified), or null. */
export function openReceiptNode(receipt: string, electionKey: VerifierKey): Promise<string | null> {
  return openReceipt(receipt, electionKey.name, electionKey, NODE_NOTES);
}
