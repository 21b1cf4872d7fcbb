/**
 * Checking C2SP tlog-cosignature v1 lines (Ed25519, type 0x04) with WebCrypto only, so the
 * site's verify page and the verifier's pure core read witnesses the same way. The signing
 * half, and the same checks with node:crypto, are src/journal/cosignature.ts; both are held
 * to the same vectors (src/journal/cosignature.test.ts).
 */
import { fromBase64, toHex } from './web_crypto.ts';

const subtle = globalThis.crypto.subtle;

export interface WebWitnessKey {
  readonly name: string;
  readonly keyIdHex: string;
  readonly key: CryptoKey;
}

export interface WebCosignature {
  readonly name: string;
  readonly keyIdHex: string;
  readonly time: number;
}

/** `<name>+<key id hex>+base64(0x04 || key)`, the id checked against the key; or why not. */
export async function parseWitnessKeyWeb(text: string): Promise<WebWitnessKey | { problem: string }> {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  if (first <= 0 || second < 0) return { problem: 'a witness key is <name>+<key id hex>+<base64 key>' };
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const bytes = fromBase64(trimmed.slice(second + 1));
  if (bytes === null || bytes.length !== 33 || !/^[0-9a-f]{8}$/.test(idHex) || /[\s+]/u.test(name))
    return { problem: `${name}: not a witness key` };
  if (bytes[0] !== 0x04) return { problem: `${name}: the key's type byte is not 0x04 (cosignature/v1)` };
  const raw = bytes.slice(1);
  const idInput = new Uint8Array([...new TextEncoder().encode(name), 0x0a, 0x04, ...raw]);
  const keyIdHex = toHex(new Uint8Array(await subtle.digest('SHA-256', idInput)).slice(0, 4));
  if (keyIdHex !== idHex) return { problem: `${name}: key id ${idHex} does not match the key` };
  const key = await subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
  return { name, keyIdHex, key };
}

/**
 * The cosignatures under `note` by the given witnesses that verify, one per witness, and the
 * problems met: a line naming a listed witness that fails is a problem, not a cosignature.
 */
export async function openCosignaturesWeb(
  note: string,
  witnesses: readonly WebWitnessKey[],
): Promise<{ cosignatures: WebCosignature[]; problems: string[] }> {
  const problems: string[] = [];
  const cosignatures: WebCosignature[] = [];
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n'))
    return { cosignatures, problems: ['the checkpoint is not a signed note'] };
  const body = note.slice(0, split + 1);
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (match === null) {
      problems.push('a signature line of the checkpoint is malformed');
      continue;
    }
    const blob = fromBase64(match[2]!);
    if (blob === null || blob.length < 4) continue;
    const idHex = toHex(blob.slice(0, 4));
    const witness = witnesses.find((w) => w.name === match[1] && w.keyIdHex === idHex);
    if (witness === undefined) continue;
    if (blob.length !== 76) {
      problems.push(`${witness.name}: the cosignature is ${blob.length} bytes, not 76`);
      continue;
    }
    const stamp = new DataView(blob.buffer, blob.byteOffset + 4, 8).getBigUint64(0);
    if (stamp > BigInt(Number.MAX_SAFE_INTEGER)) {
      problems.push(`${witness.name}: impossible cosignature time`);
      continue;
    }
    const time = Number(stamp);
    const message = new TextEncoder().encode(`cosignature/v1\ntime ${time}\n${body}`);
    const valid = await subtle.verify({ name: 'Ed25519' }, witness.key, blob.slice(12), message);
    if (!valid) problems.push(`${witness.name}: the cosignature does not verify`);
    else if (!cosignatures.some((c) => c.keyIdHex === witness.keyIdHex))
      cosignatures.push({ name: witness.name, keyIdHex: witness.keyIdHex, time });
  }
  return { cosignatures, problems };
}
