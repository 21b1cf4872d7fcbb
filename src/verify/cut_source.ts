/**
 * Where a cut's bytes come from: its folder, or its published zip. A zip is hostile input:
 * entry count and sizes are capped before anything is read, names must be plain file names,
 * and nothing is ever written to disk from inside it.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { err, ok, type Result } from '../domain/result.ts';
import { readZipEntries, type ZipEntryTime } from '../platform/zip.ts';
import { errorMessage } from './core/report.ts';
import { safeRelativePath } from '../platform/web/paths.ts';

export interface CutSource {
  readonly kind: 'folder' | 'zip';
  readonly location: string;
  /** The file at a path relative to the cut folder, or null when absent. */
  read(relative: string): Promise<Buffer | null>;
  /** Every file present (relative paths), except the zip itself in folder mode. */
  list(): Promise<string[]>;
  /** Problems found while opening (unsafe zip entries and the like). */
  readonly problems: readonly string[];
  /** Zip mode: each inner zip's name and the names of its entries, in zip order (empty for a folder). */
  readonly innerZips: ReadonlyMap<string, readonly string[]>;
}

async function walk(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(path.join(root, relative), { withFileTypes: true });
  } catch (error) {
    // A folder removed while the cut is listed holds no file; any other error is the caller's
    // (the runner turns it into a FAIL of the check that listed).
    if (relative !== '' && (error as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw error;
  }
  for (const entry of entries) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await walk(root, child)));
    else out.push(child);
  }
  return out;
}

function folderSource(folder: string): CutSource {
  return {
    kind: 'folder',
    location: folder,
    problems: [],
    innerZips: new Map(),
    async read(relative) {
      if (!safeRelativePath(relative)) return null;
      try {
        return await readFile(path.join(folder, relative));
      } catch (error) {
        // Absent (or removed since it was listed): the check that wanted it reports it missing.
        if (['ENOENT', 'EISDIR', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? ''))
          return null;
        // Present but unreadable: thrown, and the runner makes it a FAIL of the check reading.
        throw new Error(`cannot read ${relative}: ${errorMessage(error)}`);
      }
    },
    async list() {
      return (await walk(folder)).filter((name) => !/^[0-9]{8}_[0-9]{4}_PREP\.zip$/.test(name));
    },
  };
}

/**
 * V14: every entry of a published zip, outer and inner, is dated 1980-01-01 00:00:00 (MS-DOS
 * date 0x0021, time 0), the fixed date that makes the same files always zip to the same bytes.
 */
export function zipEntryDateProblem(where: string, time: ZipEntryTime): string | null {
  return time.dosDate === 0x0021 && time.dosTime === 0 ? null : `${where} is not dated 1980-01-01 00:00`;
}

/** The zip's bytes, or why there are none (named `shownAs` in the message). */
export async function readZipFile(zipPath: string, shownAs = zipPath): Promise<Result<Buffer, 'bad-zip'>> {
  try {
    return ok(await readFile(zipPath));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return err(
      'bad-zip',
      code === 'ENOENT' ? `${shownAs} is missing` : `cannot read ${shownAs}: ${errorMessage(error)}`,
    );
  }
}

async function zipSource(zipPath: string): Promise<Result<CutSource, 'bad-zip'>> {
  const bytes = await readZipFile(zipPath);
  if (!bytes.ok) return bytes;
  const files = new Map<string, Buffer>();
  const problems: string[] = [];
  const date = (where: string, time: ZipEntryTime) => {
    const problem = zipEntryDateProblem(where, time);
    if (problem !== null) problems.push(problem);
  };
  let innerError: string | null = null;
  const innerZips = new Map<string, string[]>();
  const outer = await readZipEntries(bytes.value, async (name, data, time) => {
    date(name, time);
    if (name === 'manifest.json' || name === 'manifest.sig') {
      files.set(name, data);
      return;
    }
    if (!/^[0-9]{8}_[0-9]{4}_PREP_[A-Z0-9_]+\.zip$/.test(name)) {
      problems.push(`unexpected entry ${name} in the zip`);
      return;
    }
    const innerNames: string[] = [];
    innerZips.set(name, innerNames);
    const inner = await readZipEntries(data, (innerName, innerData, innerTime) => {
      innerNames.push(innerName);
      date(`${name}/${innerName}`, innerTime);
      const existing = files.get(innerName);
      if (existing !== undefined && !existing.equals(innerData))
        problems.push(`${innerName} differs between the inner zips`);
      files.set(innerName, innerData);
    });
    if (!inner.ok) innerError ??= `${name}: ${inner.message}`;
  });
  if (!outer.ok) return outer;
  if (innerError !== null) return err('bad-zip', innerError);
  return ok({
    kind: 'zip',
    location: zipPath,
    problems,
    innerZips,
    async read(relative) {
      return files.get(relative) ?? null;
    },
    async list() {
      return [...files.keys()];
    },
  });
}

export async function openCutSource(location: string): Promise<Result<CutSource, 'bad-zip' | 'not-found'>> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(location);
  } catch {
    return err('not-found', `${location} does not exist`);
  }
  if (info.isDirectory()) return ok(folderSource(location));
  if (!info.isFile()) return err('not-found', `${location} is neither a cut folder nor a zip`);
  return zipSource(location);
}
