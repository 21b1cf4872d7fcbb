/**
 * Secrets at rest (TOTP seeds): AES-256-GCM under a key kept in the data folder's keys/
 * directory (mode 0600), with the owner's id as associated data, so a sealed secret copied to
 * another account does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileDurably } from '../platform/durable_file.ts';

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('a secret box key is 32 bytes');
    this.#key = key;
  }

  /** Loads the key file, creating it (random, 0600) the first time. */
  static async open(file: string): Promise<SecretBox> {
    try {
      return new SecretBox(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const key = randomBytes(32);
      await writeFileDurably(file, `${key.toString('base64')}\n`, 0o600);
      return new SecretBox(key);
    }
  }

  seal(plaintext: Uint8Array, owner: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(owner, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `v1.${iv.toString('base64url')}.${body.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
  }

  /** Null when the box was sealed for someone else, under another key, or altered. */
  open(sealed: string, owner: string): Buffer | null {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || body === undefined || tag === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(owner, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
    } catch {
      return null;
    }
  }
}
