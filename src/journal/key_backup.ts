/**
 * The election key's backup among custodians: the key's 32-byte Ed25519 seed split with
 * Shamir's secret sharing (the audited `shamir-secret-sharing` package, GF(2^8)) into N shares
 * of which any K rebuild it, K-1 telling nothing. Each share is a small text file a custodian
 * keeps (printed, or on a USB stick): it names the key and its public key, the backup it
 * belongs to, its index, N and K, and a checksum over all of it, so a mistyped or damaged
 * share is refused by name instead of rebuilding a wrong key. The rebuilt key is checked
 * against the public key the shares name before it is written.
 *
 * The seed rather than the PKCS#8 file is split: it is uniformly random (the library's advice),
 * and Node's PKCS#8 form of an Ed25519 key is a fixed 16-byte prefix and the seed, so the
 * exact key file is rebuilt from it.
 */
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';
import { type NoteSigner, rawPublicKeyOf } from './note.ts';
import { verifierKeyText } from './keys.ts';

export const SHARE_FORMAT = 'openprep-key-share/1';
/** DER of PKCS#8 for Ed25519 up to the 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface KeyShare {
  readonly format: typeof SHARE_FORMAT;
  /** The key's name, e.g. openprep.PEF2024.live. */
  readonly key: string;
  /** The election's verifier key (name+id+public key), as in its .pub file. */
  readonly publicKey: string;
  /** Random, the same in every share of one backup. */
  readonly backup: string;
  readonly index: number;
  readonly shares: number;
  readonly threshold: number;
  /** The share's bytes, base64. */
  readonly share: string;
  /** SHA-256 (hex) of every field above, one per line. */
  readonly checksum: string;
}

export type KeyBackupError =
  | 'bad-split'
  | 'not-ed25519'
  | 'unreadable-share'
  | 'damaged-share'
  | 'mixed-backups'
  | 'duplicate-share'
  | 'too-few-shares'
  | 'key-mismatch';

const shareSchema = z
  .object({
    format: z.literal(SHARE_FORMAT),
    key: z.string().min(1).max(200),
    publicKey: z.string().min(1).max(400),
    backup: z.string().regex(/^[0-9a-f]{32}$/),
    index: z.number().int().min(1).max(255),
    shares: z.number().int().min(2).max(255),
    threshold: z.number().int().min(2).max(255),
    share: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
    checksum: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

function checksumOf(share: Omit<KeyShare, 'checksum'>): string {
  const lines = [
    share.format,
    share.key,
    share.publicKey,
    share.backup,
    String(share.index),
    String(share.shares),
    String(share.threshold),
    share.share,
  ];
  return createHash('sha256')
    .update(`${lines.join('\n')}\n`)
    .digest('hex');
}

function seedOf(signer: NoteSigner): Result<Buffer, 'not-ed25519'> {
  if (signer.privateKey.asymmetricKeyType !== 'ed25519') return err('not-ed25519', 'the key is not Ed25519');
  const der = signer.privateKey.export({ format: 'der', type: 'pkcs8' });
  if (der.length !== 48 || !der.subarray(0, 16).equals(PKCS8_ED25519_PREFIX))
    return err('not-ed25519', 'the key is not an Ed25519 PKCS#8 key of the usual form');
  return ok(der.subarray(16));
}

/** Splits the key into `shares` shares, any `threshold` of which rebuild it. */
export async function splitSigningKey(
  signer: NoteSigner,
  shares: number,
  threshold: number,
): Promise<Result<KeyShare[], 'bad-split' | 'not-ed25519'>> {
  if (
    !Number.isInteger(shares) ||
    !Number.isInteger(threshold) ||
    threshold < 2 ||
    shares < threshold ||
    shares > 255
  )
    return err(
      'bad-split',
      `cannot split into ${shares} shares with threshold ${threshold}: need 2 ≤ K ≤ N ≤ 255`,
    );
  const seed = seedOf(signer);
  if (!seed.ok) return seed;
  const parts = await split(new Uint8Array(seed.value), shares, threshold);
  const backup = randomBytes(16).toString('hex');
  const publicKey = verifierKeyText(signer);
  return ok(
    parts.map((bytes, i) => {
      const body = {
        format: SHARE_FORMAT,
        key: signer.name,
        publicKey,
        backup,
        index: i + 1,
        shares,
        threshold,
        share: Buffer.from(bytes).toString('base64'),
      } as const;
      return { ...body, checksum: checksumOf(body) };
    }),
  );
}

/** A share file's text: JSON, one field a line, so it can be printed and typed back. */
export function formatShare(share: KeyShare): string {
  return `${JSON.stringify(share, null, 1)}\n`;
}

/** Parses one share file's text, checking its checksum. `label` names it in messages. */
export function parseShare(
  text: string,
  label: string,
): Result<KeyShare, 'unreadable-share' | 'damaged-share'> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return err('unreadable-share', `${label} is not a key share (not JSON: ${(error as Error).message})`);
  }
  const parsed = shareSchema.safeParse(json);
  if (!parsed.success)
    return err(
      'unreadable-share',
      `${label} is not a key share: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
    );
  const { checksum, ...body } = parsed.data;
  if (checksumOf(body) !== checksum)
    return err('damaged-share', `${label} is damaged or mistyped: its checksum does not match its contents`);
  if (body.threshold > body.shares)
    return err('damaged-share', `${label} says threshold ${body.threshold} of ${body.shares} shares`);
  return ok(parsed.data);
}

/** Rebuilds the key from shares of one backup: at least its threshold, each once. */
export async function recoverSigningKey(
  shares: readonly { readonly share: KeyShare; readonly label: string }[],
): Promise<Result<NoteSigner, KeyBackupError>> {
  const first = shares[0];
  if (first === undefined) return err('too-few-shares', 'no shares given');
  for (const { share, label } of shares)
    if (
      share.backup !== first.share.backup ||
      share.key !== first.share.key ||
      share.publicKey !== first.share.publicKey ||
      share.shares !== first.share.shares ||
      share.threshold !== first.share.threshold
    )
      return err(
        'mixed-backups',
        `${label} belongs to another backup (${share.key} ${share.backup.slice(0, 8)}…) than ${first.label} (${first.share.key} ${first.share.backup.slice(0, 8)}…)`,
      );
  const seen = new Map<number, string>();
  for (const { share, label } of shares) {
    const other = seen.get(share.index);
    if (other !== undefined)
      return err('duplicate-share', `${label} and ${other} are the same share (${share.index})`);
    seen.set(share.index, label);
  }
  const { threshold } = first.share;
  if (shares.length < threshold)
    return err(
      'too-few-shares',
      `${shares.length} share${shares.length === 1 ? '' : 's'} given; this backup needs ${threshold} of its ${first.share.shares}`,
    );
  const seed = await combine(shares.map(({ share }) => new Uint8Array(Buffer.from(share.share, 'base64'))));
  if (seed.length !== 32) return err('key-mismatch', 'the shares do not rebuild a 32-byte key');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const signer: NoteSigner = { name: first.share.key, privateKey };
  if (verifierKeyText(signer) !== first.share.publicKey)
    return err(
      'key-mismatch',
      `the shares rebuild a key whose public key (${rawPublicKeyOf(privateKey).toString('base64')}) is not the one they name: a share is wrong`,
    );
  return ok(signer);
}
