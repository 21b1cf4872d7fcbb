/**
 * An installed release checked against its manifest, file by file: what is missing, what
 * changed (content, size, or a link's target), whose mode differs, and what is there that the
 * manifest does not list under the folders that hold code (bin/, src/, dist/, node_modules/).
 * Elsewhere (docs/, deploy/) an extra file runs nothing, so it is not reported.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { err, ok, type Result } from '../domain/result.ts';
import {
  isSymlink,
  parseReleaseManifest,
  RELEASE_MANIFEST_FILE,
  type ReleaseFile,
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

/** Files read and hashed at once. */
/** Files checked between two turns of the event loop (serve's periodic re-check must not stall it). */
const FILES_PER_TURN = 64;
const READ_BUFFER_BYTES = 1024 * 1024;

type FileRead = { readonly info: Stats; readonly sha256: string } | 'missing' | 'not-a-file';

/**
 * One open, fstat and read loop per file, into one reused buffer: ~10,000 files cost about a
 * third of a second warm, where lstat then readFile (a new buffer each) took 1.5 s, 16 at a time
 * on libuv's threads or one by one (`npm run bench -- release`, docs/benchmarks.md). A link is
 * not followed (O_NOFOLLOW): a file the manifest lists that became a link is not that file.
 */
function readFileChecked(file: string, buffer: Buffer): FileRead {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    if (code === 'ELOOP') return 'not-a-file';
    throw error;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return 'not-a-file';
    const hash = createHash('sha256');
    for (let read = readSync(fd, buffer, 0, buffer.length, null); read > 0; ) {
      hash.update(buffer.subarray(0, read));
      read = readSync(fd, buffer, 0, buffer.length, null);
    }
    return { info, sha256: hash.digest('hex') };
  } finally {
    closeSync(fd);
  }
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
  const listed = new Set(manifest.files.map((file) => file.path));
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const checkOne = (file: ReleaseFile): void => {
    const absolute = path.join(root, ...file.path.split('/'));
    if (isSymlink(file)) {
      let target: string | null;
      try {
        target = lstatSync(absolute).isSymbolicLink() ? readlinkSync(absolute) : null;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          differences.push({ path: file.path, problem: 'missing' });
          return;
        }
        throw error;
      }
      if (target !== file.symlink) differences.push({ path: file.path, problem: 'changed' });
      return;
    }
    const read = readFileChecked(absolute, buffer);
    if (read === 'missing') {
      differences.push({ path: file.path, problem: 'missing' });
      return;
    }
    if (read === 'not-a-file' || read.info.size !== file.bytes || read.sha256 !== file.sha256) {
      differences.push({ path: file.path, problem: 'changed' });
      return;
    }
    if (modeText(read.info.mode) !== file.mode) differences.push({ path: file.path, problem: 'mode' });
  };
  for (const [i, file] of manifest.files.entries()) {
    if (i > 0 && i % FILES_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    checkOne(file);
  }
  const present: string[] = [];
  for (const folder of CODE_FOLDERS) await walk(root, folder, present);
  for (const file of present) if (!listed.has(file)) differences.push({ path: file, problem: 'unexpected' });
  return { differences: sortReleaseFiles(differences) };
}
