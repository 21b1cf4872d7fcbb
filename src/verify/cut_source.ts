/**
 * Where a cut's bytes come from: its folder, or its published zip. A zip is hostile input:
 * entry count and sizes are capped before anything is read, names must be plain file names,
 * and nothing is ever written to disk from inside it.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import yauzl from 'yauzl';
import { err, ok, type Result } from '../domain/result.ts';

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

export const ZIP_LIMITS = { entries: 256, entryBytes: 2 * 1024 ** 3, totalBytes: 6 * 1024 ** 3 } as const;

export function safeRelativePath(relative: string): boolean {
  return (
    relative.length > 0 &&
    !relative.startsWith('/') &&
    !relative.includes('\\') &&
    !relative.includes('\0') &&
    relative.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
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

/**
 * Reads every entry of a zip held in memory, within the limits. With `onEntry`, each entry is
 * handed over as it is inflated and not kept, so a large zip is checked in little memory.
 */
export function readZipEntries(
  zip: Buffer,
  onEntry?: (name: string, data: Buffer) => Promise<void> | void,
  limits: { readonly entries: number; readonly entryBytes: number; readonly totalBytes: number } = ZIP_LIMITS,
): Promise<Result<Map<string, Buffer>, 'bad-zip'>> {
  return new Promise((resolve) => {
    yauzl.fromBuffer(
      zip,
      { lazyEntries: true, validateEntrySizes: true, strictFileNames: true },
      (openError, file) => {
        if (openError || file === undefined) {
          resolve(err('bad-zip', `not a readable zip: ${openError?.message ?? 'unknown error'}`));
          return;
        }
        const entries = new Map<string, Buffer>();
        const names = new Set<string>();
        let total = 0;
        let settled = false;
        const fail = (message: string): void => {
          if (settled) return;
          settled = true;
          file.close();
          resolve(err('bad-zip', message));
        };
        if (file.entryCount > limits.entries) {
          fail(`the zip has ${file.entryCount} entries, more than ${limits.entries}`);
          return;
        }
        file.on('error', (error: Error) => fail(`zip error: ${error.message}`));
        file.on('end', () => {
          if (settled) return;
          settled = true;
          resolve(ok(entries));
        });
        file.on('entry', (entry: yauzl.Entry) => {
          const name = entry.fileName;
          if (!safeRelativePath(name) || name.includes('/') || name.endsWith('/')) {
            fail(`unsafe or nested zip entry name ${JSON.stringify(name)}`);
            return;
          }
          if (entries.has(name) || names.has(name)) {
            fail(`duplicate zip entry ${name}`);
            return;
          }
          total += entry.uncompressedSize;
          if (entry.uncompressedSize > limits.entryBytes || total > limits.totalBytes) {
            fail(`zip entry ${name} would expand beyond the size limits`);
            return;
          }
          file.openReadStream(entry, (streamError, stream) => {
            if (streamError || stream === undefined) {
              fail(`cannot read ${name}: ${streamError?.message ?? 'unknown error'}`);
              return;
            }
            const chunks: Buffer[] = [];
            stream.on('data', (chunk: Buffer) => chunks.push(chunk));
            stream.on('error', (error: Error) => fail(`cannot read ${name}: ${error.message}`));
            stream.on('end', () => {
              const data = Buffer.concat(chunks);
              if (onEntry === undefined) entries.set(name, data);
              else {
                names.add(name);
                Promise.resolve(onEntry(name, data)).then(
                  () => file.readEntry(),
                  (error: Error) => fail(`checking ${name}: ${error.message}`),
                );
                return;
              }
              file.readEntry();
            });
          });
        });
        file.readEntry();
      },
    );
  });
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
