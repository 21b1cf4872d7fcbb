/**
 * One-time codes: HOTP (RFC 4226) and TOTP (RFC 6238), with the acceptance rule OpenPREP uses:
 * the current 30-second step or one either side, and never a step at or before the last one
 * accepted for the account — so a code, or any earlier code, works at most once.
 *
 * Written here rather than taken from a library: it is thirty lines over node:crypto's HMAC,
 * and the RFC's own test vectors (totp.test.ts) pin it down.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../domain/result.ts';

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpOptions {
  readonly stepSeconds?: number;
  readonly digits?: number;
  readonly algorithm?: TotpAlgorithm;
}

export const TOTP_DEFAULTS = { stepSeconds: 30, digits: 6, algorithm: 'sha1' as TotpAlgorithm };

/** RFC 4226 §5.3: HMAC of the 8-byte big-endian counter, dynamic truncation, modulo 10^digits. */
export function hotp(
  secret: Uint8Array,
  counter: number,
  digits = 6,
  algorithm: TotpAlgorithm = 'sha1',
): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
}

export function totpStep(epochMs: number, stepSeconds = 30): number {
  return Math.floor(epochMs / 1000 / stepSeconds);
}

export function totp(secret: Uint8Array, epochMs: number, options: TotpOptions = {}): string {
  const o = { ...TOTP_DEFAULTS, ...options };
  return hotp(secret, totpStep(epochMs, o.stepSeconds), o.digits, o.algorithm);
}

/**
 * Checks a code at `epochMs`. Returns the step it matched, which the caller stores as the
 * account's last used step in the same transaction that accepts the sign-in.
 */
export function verifyTotp(input: {
  readonly secret: Uint8Array;
  readonly code: string;
  readonly epochMs: number;
  readonly lastUsedStep: number | null;
  readonly options?: TotpOptions;
}): Result<{ readonly step: number }, 'bad-code' | 'replayed'> {
  const o = { ...TOTP_DEFAULTS, ...input.options };
  if (!new RegExp(`^[0-9]{${o.digits}}$`).test(input.code)) return err('bad-code', 'the code is not valid');
  const now = totpStep(input.epochMs, o.stepSeconds);
  let matched: number | null = null;
  for (const step of [now - 1, now, now + 1]) {
    if (step < 0) continue;
    const expected = Buffer.from(hotp(input.secret, step, o.digits, o.algorithm));
    if (timingSafeEqual(expected, Buffer.from(input.code))) matched = step;
  }
  if (matched === null) return err('bad-code', 'the code is not valid');
  if (input.lastUsedStep !== null && matched <= input.lastUsedStep)
    return err('replayed', 'this code, or a later one, was already used');
  return ok({ step: matched });
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as authenticator apps expect in otpauth URIs. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

/** The URI an authenticator app reads from a QR code (Key Uri Format). */
export function otpauthUri(secret: Uint8Array, account: string, issuer: string): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  return `otpauth://totp/${label}?secret=${base32(secret)}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`;
}

/** Reads RFC 4648 base32 (no padding), as shown to people enrolling an authenticator. */
export function fromBase32(text: string): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text.toUpperCase().replace(/=+$/, '')) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(char)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}
