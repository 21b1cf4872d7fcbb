/**
 * The images room (V13): every acta image the cut names by its CODIGO_INTEGRIDAD is present
 * and hashes to that name. Finding the files is the caller's (src/verify/images.ts scans a
 * folder).
 */
import type { VerifierCrypto } from './ports.ts';
import { errorMessage, type Failures } from './report.ts';

export interface ImageFile {
  readonly name: string;
  read(): Promise<Uint8Array>;
}

/** How many of `hashes` are present and hash to their name. */
export async function checkImages(
  checks: Failures,
  crypto: Pick<VerifierCrypto, 'sha256Hex'>,
  hashes: ReadonlySet<string>,
  available: ReadonlyMap<string, ImageFile>,
): Promise<number> {
  let count = 0;
  for (const hash of hashes) {
    const file = available.get(hash);
    if (file === undefined) {
      checks.fail('V13', `missing image ${hash}`);
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await file.read();
    } catch (error) {
      // Listed, then gone or unreadable: this image fails, the others are still checked.
      checks.fail('V13', `cannot read image ${file.name}: ${errorMessage(error)}`);
      continue;
    }
    if ((await crypto.sha256Hex(bytes)) !== hash)
      checks.fail('V13', `image ${file.name} does not hash to its name`);
    else count++;
  }
  return count;
}
