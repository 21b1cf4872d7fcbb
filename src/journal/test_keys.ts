import { createPrivateKey, createHash } from 'node:crypto';
import type { NoteSigner } from './note.ts';

/** A deterministic Ed25519 key for tests: the seed is SHA-256 of a label. */
export function testSigner(name: string, label = name): NoteSigner {
  const seed = createHash('sha256').update(label).digest();
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return { name, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
}
