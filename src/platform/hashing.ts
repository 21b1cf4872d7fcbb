/** SHA-256 in hex, as every published name and manifest writes it (Node; the browser's is in web/web_crypto.ts). */
import { createHash } from 'node:crypto';

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
