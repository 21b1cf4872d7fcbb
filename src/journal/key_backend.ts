/**
 * Where the election's private key lives, seen only through what signing needs of it: its
 * name, its public half, and "sign these bytes". The file backend holds a PKCS#8 PEM file in
 * memory; a hardware token (PKCS#11: an HSM or a smart card holding a non-exportable Ed25519
 * key, signing with CKM_EDDSA) is a second implementation of this same interface, not written
 * yet (docs/deployment.md, "The signer"). Signing is asynchronous because a token's is.
 */
import { type KeyObject, sign } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { err, ok, type Result } from '../domain/result.ts';
import { loadSigningKey } from './keys.ts';
import { type NoteSigner, rawPublicKeyOf } from './note.ts';

export interface KeyBackend {
  /** The C2SP key name (`openprep.<ELECTION_ID>.<mode>`). */
  readonly name: string;
  /** The 32 bytes of the Ed25519 public key. */
  readonly rawPublicKey: Buffer;
  /** An Ed25519 signature (64 bytes) of the message. */
  sign(message: Uint8Array): Promise<Buffer>;
  /** What the backend says about itself in logs: never the key. */
  readonly describe: string;
}

/** A key already in memory (the embedded default's, tests'). */
export function memoryKeyBackend(signer: NoteSigner, describe = 'in memory'): KeyBackend {
  const privateKey: KeyObject = signer.privateKey;
  return {
    name: signer.name,
    rawPublicKey: rawPublicKeyOf(privateKey),
    sign: async (message) => sign(null, message, privateKey),
    describe,
  };
}

export type KeyFileError = 'key-unreadable' | 'not-ed25519' | 'key-file-open';

/**
 * The file backend: `<name>.key`, PKCS#8 PEM. A file that others than its owner may read or
 * write is refused — the signer's folder is the one place the key is kept.
 */
export async function fileKeyBackend(file: string): Promise<Result<KeyBackend, KeyFileError>> {
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0)
      return err(
        'key-file-open',
        `${file} may be read by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`,
      );
  } catch (error) {
    return err('key-unreadable', `cannot read signing key ${file}: ${(error as Error).message}`);
  }
  const loaded = await loadSigningKey(file);
  return loaded.ok ? ok(memoryKeyBackend(loaded.value, `file ${file}`)) : loaded;
}
