/**
 * An installed release checked against its manifest, file by file: what is missing, what
 * changed (content, size, or a link's target), whose mode differs, and what is there that the
 * manifest does not list under the folders that hold code (bin/, src/, dist/, node_modules/).
 * Elsewhere (docs/, deploy/) an extra file runs nothing, so it is not reported.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { err, ok, type Result } from '../domain/result.ts';
import {
  isSymlink,
  parseReleaseManifest,
  RELEASE_MANIFEST_FILE,
  type ReleaseManifest,
  releaseHash,
  sortReleaseFiles,
} from './manifest.ts';

/** The folder this code runs from: an installed release's root, or a development checkout. */
export const RUNNING_ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * The release this code was installed from, as a cut names it (`{ version, sha256 }`), or null
 * in a development checkout (no release-manifest.json at its root). It does not check the
 * files: `openprep release verify` does.
 */
export async function readInstalledRelease(
  root: string = RUNNING_ROOT,
): Promise<Result<{ version: string; sha256: string } | null, 'bad-release-manifest'>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(root, RELEASE_MANIFEST_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ok(null);
    return err('bad-release-manifest', `cannot read ${RELEASE_MANIFEST_FILE}: ${(error as Error).message}`);
  }
  const manifest = parseReleaseManifest(bytes);
  if (!manifest.ok) return manifest;
  return ok({ version: manifest.value.version, sha256: releaseHash(bytes) });
}

export type InstalledProblem = 'missing' | 'changed' | 'unexpected' | 'mode';

export interface InstalledDifference {
  readonly path: string;
  readonly problem: InstalledProblem;
}

/** The folders whose every file must be listed: the code a node runs. */
export const CODE_FOLDERS: readonly string[] = ['bin', 'src', 'dist', 'node_modules'];

/**
 * Node's compile cache (bin/openprep.js puts it in node_modules/.cache at install time): not
 * part of the release, written on the machine. V8 takes an entry only for the source whose hash
 * it was made from, and whoever can write it can write the sources themselves.
 */
const NOT_RELEASED = 'node_modules/.cache';

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** Files and links under a folder (relative to root, '/'-separated), not following links. */
async function walk(root: string, relative: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(path.join(root, relative), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    const child = `${relative}/${entry.name}`;
    if (child === NOT_RELEASED) continue;
    if (entry.isDirectory()) await walk(root, child, out);
    else out.push(child);
  }
}

export async function checkInstalledRelease(
  root: string,
  manifest: ReleaseManifest,
): Promise<{ differences: InstalledDifference[] }> {
  const differences: InstalledDifference[] = [];
  const listed = new Set<string>();
  for (const file of manifest.files) {
    listed.add(file.path);
    const absolute = path.join(root, ...file.path.split('/'));
    let info: import('node:fs').Stats;
    try {
      info = await lstat(absolute);
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === 'ENOENT' ||
        (error as NodeJS.ErrnoException).code === 'ENOTDIR'
      ) {
        differences.push({ path: file.path, problem: 'missing' });
        continue;
      }
      throw error;
    }
    if (isSymlink(file)) {
      if (!info.isSymbolicLink() || (await readlink(absolute)) !== file.symlink)
        differences.push({ path: file.path, problem: 'changed' });
      continue;
    }
    if (!info.isFile() || info.size !== file.bytes || (await sha256Of(absolute)) !== file.sha256) {
      differences.push({ path: file.path, problem: 'changed' });
      continue;
    }
    if (modeText(info.mode) !== file.mode) differences.push({ path: file.path, problem: 'mode' });
  }
  const present: string[] = [];
  for (const folder of CODE_FOLDERS) await walk(root, folder, present);
  for (const file of present) if (!listed.has(file)) differences.push({ path: file, problem: 'unexpected' });
  return { differences: sortReleaseFiles(differences) };
}
