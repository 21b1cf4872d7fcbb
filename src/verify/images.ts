/**
 * V13's files: the acta images in a folder, found by their SHA-256 name (flat, or fanned out
 * as `sha256/ab/cdef….jpg`), for the images room of the core to hash.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkImages, type ImageFile } from './core/images.ts';
import type { VerifierCrypto } from './core/ports.ts';
import type { Failures } from './core/report.ts';

export async function checkImageFolder(
  checks: Failures,
  crypto: VerifierCrypto,
  folder: string,
  hashes: ReadonlySet<string>,
): Promise<number> {
  const available = new Map<string, ImageFile>();
  const scan = async (dir: string, depth: number): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 4) await scan(full, depth + 1);
      else if (entry.isFile()) {
        const stem = entry.name.split('.')[0]!;
        const rel = path.relative(folder, full).split(path.sep).join('');
        const candidate = /^[0-9a-f]{64}$/.test(stem) ? stem : rel.replace(/^sha256/, '').split('.')[0]!;
        if (/^[0-9a-f]{64}$/.test(candidate))
          available.set(candidate, { name: path.basename(full), read: () => readFile(full) });
      }
    }
  };
  try {
    await scan(folder, 0);
  } catch (error) {
    checks.fail('V13', `cannot read ${folder}: ${(error as Error).message}`);
    return 0;
  }
  return checkImages(checks, crypto, hashes, available);
}
