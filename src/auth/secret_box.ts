/**
 * Secrets at rest (TOTP seeds): AES-256-GCM under a key every node of an election holds the
 * same copy of — a file the deployment gives each node (OPENPREP_SECRETS_KEY_FILE, or a systemd
 * credential), or on the embedded default the data folder's keys/secrets.key, made on first
 * use (mode 0600) — with the owner's id as associated data, so a sealed secret copied to
 * another account does not open.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { err, ok, type Result } from '../domain/result.ts';
import { writeFileDurably } from '../platform/durable_file.ts';

export class SecretBox {
  readonly #key: Buffer;
  /** Derived keys by purpose, as key objects: an HMAC under a KeyObject costs a quarter of one under a Buffer. */
  readonly #derived = new Map<string, KeyObject>();

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('a secret box key is 32 bytes');
    this.#key = key;
  }

  /** A new random key, as the text of its file (base64 and a newline). */
  static newKeyText(): string {
    return `${randomBytes(32).toString('base64')}\n`;
  }

  /**
   * Loads a key file the deployment gave: it must exist, be readable by its owner alone (no
   * group or other bits), and hold 32 bytes in base64.
   */
  static async load(file: string): Promise<Result<SecretBox, 'secrets-key-unreadable'>> {
    const bad = (why: string) => err('secrets-key-unreadable', `the secrets key ${file}: ${why}`);
    let text: string;
    try {
      const { mode } = await stat(file);
      if ((mode & 0o077) !== 0)
        return bad(`others may read it (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
      text = await readFile(file, 'utf8');
    } catch (error) {
      return bad(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'there is no such file'
          : (error as Error).message,
      );
    }
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== 32 || key.toString('base64') !== text.trim())
      return bad(
        'it is not 32 bytes in base64 (make one with `openprep init`, or `head -c 32 /dev/urandom | base64`)',
      );
    return ok(new SecretBox(key));
  }

  /** Loads the key file, creating it (random, 0600) the first time (the embedded default). */
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

  /**
   * HMAC-SHA-256 of `data` under a key derived (HKDF-SHA-256) from this one for `purpose`:
   * a keyed fingerprint only the holders of the secrets key can compute, never the key itself.
   */
  mac(purpose: string, data: string): string {
    let key = this.#derived.get(purpose);
    if (key === undefined) {
      key = createSecretKey(this.derive(purpose));
      this.#derived.set(purpose, key);
    }
    return createHmac('sha256', key).update(data, 'utf8').digest('base64url');
  }

  /**
   * A key for another purpose (e.g. the leak check's fingerprints), derived with HKDF-SHA-256:
   * whoever holds it learns nothing of the sealing key, and each purpose gets its own.
   */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), `openprep:${purpose}`, 32));
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
