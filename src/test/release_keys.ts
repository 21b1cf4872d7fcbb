/**
 * Maintainers' release keys for tests: `openprep release keygen` for each name into `folder`,
 * the pinned-keys file a node reads (every key, `threshold 2`), and `release sign` by some of
 * them — all through the given CLI runner (the installed release's own, in the release tests).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

type Run = (args: readonly string[]) => { code: number | null; stdout: string; stderr: string };

/** Makes a key per name (`openprep-release.<name>`) and writes the pinned-keys file; returns the key lines. */
export async function pinMaintainers(
  run: Run,
  folder: string,
  names: readonly string[],
  keysFile: string,
): Promise<string[]> {
  const lines: string[] = [];
  for (const name of names) {
    const made = run(['release', 'keygen', '--name', `openprep-release.${name}`, '--out', folder]);
    assert.equal(made.code, 0, made.stderr);
    lines.push(made.stdout.split('\n')[0]!);
  }
  await writeFile(keysFile, `# the maintainers\n${lines.join('\n')}\nthreshold 2\n`);
  return lines;
}

/** `release sign` of the manifest by each named maintainer whose key is in `folder`. */
export function signRelease(run: Run, manifest: string, folder: string, names: readonly string[]): void {
  for (const name of names) {
    const signed = run([
      'release',
      'sign',
      manifest,
      '--key',
      path.join(folder, `openprep-release.${name}.key`),
    ]);
    assert.equal(signed.code, 0, signed.stderr);
  }
}
