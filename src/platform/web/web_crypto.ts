/**
 * What the phone needs of cryptography, with the platform's WebCrypto only (the browser's, or
 * Node's in tests): its own Ed25519 key, made on the phone and never exportable; signing the
 * canonical package header; SHA-256; and checking a receipt — a C2SP signed note — against
 * the election's verifier key, exactly as the center's `openNote` does.
 */
import { canonicalJson } from './canonical_json.ts';

const subtle = globalThis.crypto.subtle;

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

export async function sha256Hex(data: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(await subtle.digest('SHA-256', data));
}

/** A new device key pair; the private half cannot be exported, even by the app itself. */
export async function newDeviceKey(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
}

/** Raw public key, base64: what the center enrols. */
export async function publicKeyBase64(key: CryptoKey): Promise<string> {
  return toBase64(new Uint8Array(await subtle.exportKey('raw', key)));
}

/** The canonical header text and its signature (base64), as the center verifies them. */
export async function signHeader(
  header: Record<string, string | number | boolean | null>,
  privateKey: CryptoKey,
): Promise<{ text: string; signature: string; sha256: string }> {
  const text = canonicalJson(header);
  const bytes = new TextEncoder().encode(text);
  const signature = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, privateKey, bytes));
  return { text, signature: toBase64(signature), sha256: await sha256Hex(bytes) };
}

export interface WebVerifierKey {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly key: CryptoKey;
}

/** `<name>+<key id hex>+<base64(0x01 || key)>`, the id checked against the key. */
export async function parseVerifierKeyWeb(text: string): Promise<WebVerifierKey | null> {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  if (first <= 0 || second < 0) return null;
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const bytes = fromBase64(trimmed.slice(second + 1));
  if (bytes === null || bytes.length !== 33 || bytes[0] !== 1 || !/^[0-9a-f]{8}$/.test(idHex)) return null;
  const raw = bytes.slice(1);
  const name8 = new TextEncoder().encode(name);
  const idInput = new Uint8Array([...name8, 0x0a, 0x01, ...raw]);
  const keyId = new Uint8Array(await subtle.digest('SHA-256', idInput)).slice(0, 4);
  if (toHex(keyId) !== idHex) return null;
  const key = await subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
  return { name, keyId, key };
}

/** The body of a note signed by `verifier`, or null (no such signature, or it fails). */
export async function openNoteWeb(text: string, verifier: WebVerifierKey): Promise<string | null> {
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n')) return null;
  const body = text.slice(0, split + 1);
  for (const line of text.slice(split + 2, -1).split('\n')) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (match === null) return null;
    if (match[1] !== verifier.name) continue;
    const blob = fromBase64(match[2]!);
    if (blob === null || blob.length !== 68) return null;
    if (toHex(blob.slice(0, 4)) !== toHex(verifier.keyId)) continue;
    const valid = await subtle.verify(
      { name: 'Ed25519' },
      verifier.key,
      blob.slice(4),
      new TextEncoder().encode(body),
    );
    return valid ? body : null;
  }
  return null;
}

/** WebCrypto's way of opening notes, for openReceipt (src/intake/receipt_body.ts). */
export const WEB_NOTES = { parseKey: parseVerifierKeyWeb, open: openNoteWeb } as const;
