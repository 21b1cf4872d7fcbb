/**
 * Where a cut's bytes come from: its folder, or its published zip. A zip is hostile input:
 * entry count and sizes are capped before anything is read, names must be plain file names,
 * and nothing is ever written to disk from inside it.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { err, ok, type Result } from '../domain/result.ts';
import { readZipEntries } from '../platform/zip.ts';
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
}

async function walk(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
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
    async read(relative) {
      if (!safeRelativePath(relative)) return null;
      try {
        return await readFile(path.join(folder, relative));
      } catch (error) {
        if (['ENOENT', 'EISDIR', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? ''))
          return null;
        throw error;
      }
    },
    async list() {
      return (await walk(folder)).filter((name) => !/^[0-9]{8}_[0-9]{4}_PREP\.zip$/.test(name));
    },
  };
}

async function zipSource(zipPath: string): Promise<Result<CutSource, 'bad-zip'>> {
  const outer = await readZipEntries(await readFile(zipPath));
  if (!outer.ok) return outer;
  const files = new Map<string, Buffer>();
  const problems: string[] = [];
  for (const [name, data] of outer.value) {
    if (name === 'manifest.json' || name === 'manifest.sig') {
      files.set(name, data);
      continue;
    }
    if (!/^[0-9]{8}_[0-9]{4}_PREP_[A-Z0-9_]+\.zip$/.test(name)) {
      problems.push(`unexpected entry ${name} in the zip`);
      continue;
    }
    const inner = await readZipEntries(data);
    if (!inner.ok) return err('bad-zip', `${name}: ${inner.message}`);
    for (const [innerName, innerData] of inner.value) {
      const existing = files.get(innerName);
      if (existing !== undefined && !existing.equals(innerData))
        problems.push(`${innerName} differs between the inner zips`);
      files.set(innerName, innerData);
    }
  }
  return ok({
    kind: 'zip',
    location: zipPath,
    problems,
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
  return zipSource(location);
}
