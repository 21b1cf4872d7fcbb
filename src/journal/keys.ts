/**
 * The election's signing keys: one Ed25519 key per election and mode, named
 * `openprep.<ELECTION_ID>.<mode>`, so a drill's signatures can never pass for a live election's.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ElectionMode } from '../domain/election.ts';
import { err, ok, type Result } from '../domain/result.ts';
import { writeFileDurably } from '../platform/durable_file.ts';
import { formatVerifierKey, type NoteSigner, rawPublicKeyOf } from './note.ts';

export function keyNameFor(electionId: string, mode: ElectionMode): string {
  return `openprep.${electionId}.${mode}`;
}

export function generateSigningKey(name: string): NoteSigner {
  return { name, privateKey: generateKeyPairSync('ed25519').privateKey };
}

export function verifierKeyText(signer: NoteSigner): string {
  return formatVerifierKey(signer.name, rawPublicKeyOf(signer.privateKey));
}

/** Writes `<name>.key` (PKCS#8 PEM, readable by the owner only) and `<name>.pub` (the verifier key). */
export async function saveSigningKey(
  directory: string,
  signer: NoteSigner,
): Promise<{ key: string; pub: string }> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const key = path.join(directory, `${signer.name}.key`);
  const pub = path.join(directory, `${signer.name}.pub`);
  await writeFileDurably(key, signer.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
  await writeFileDurably(pub, `${verifierKeyText(signer)}\n`, 0o644);
  return { key, pub };
}

export async function loadSigningKey(
  file: string,
): Promise<Result<NoteSigner, 'key-unreadable' | 'not-ed25519'>> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    return err('key-unreadable', `cannot read signing key ${file}: ${(error as Error).message}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    return err('not-ed25519', `${file} is not a PEM private key: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') return err('not-ed25519', `${file} is not an Ed25519 key`);
  return ok({ name: path.basename(file, '.key'), privateKey });
}
