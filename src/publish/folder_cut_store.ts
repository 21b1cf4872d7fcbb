/**
 * The cut store on a folder (the data folder's `cuts/`, the embedded default): a cut is written
 * in a temporary folder, every file fsynced, then renamed into place, so a reader never sees
 * half a cut; other files (the catalog, the public images) are written aside, synced and
 * renamed; the latest pointer is replaced durably, `latest.json` before `latest.sig`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { err, ok, type Result } from '../domain/result.ts';
import {
  closeFd,
  fsyncFd,
  openFd,
  pathExists,
  syncDirectory,
  writeAllFd,
  writeFileDurably,
} from '../platform/durable_file.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { CUT_ID, type CutStore, isCutStoreName, LATEST_JSON, LATEST_SIG } from './cut_store.ts';

/** At most this many files written and fsynced at once: the disk works on them together. */
const PARALLEL = 8;

export class FolderCutStore implements CutStore {
  readonly root: string;
  readonly location: string;
  /** Folders that got new entries since the last sync(). */
  readonly #touched = new Set<string>();

  constructor(root: string) {
    this.root = path.resolve(root);
    this.location = this.root;
  }

  whereIs(cutId: string): string {
    return path.join(this.root, cutId);
  }

  async check(): Promise<Result<void, 'unavailable'>> {
    await mkdir(this.root, { recursive: true });
    return ok(undefined);
  }

  #file(name: string): string {
    if (!isCutStoreName(name)) throw new Error(`not a name in the cuts root: ${JSON.stringify(name)}`);
    return path.join(this.root, ...name.split('/'));
  }

  async has(name: string): Promise<Result<boolean, 'unavailable'>> {
    return ok(await pathExists(this.#file(name)));
  }

  async read(name: string): Promise<Result<Buffer, 'not-found' | 'unavailable'>> {
    const file = this.#file(name);
    try {
      return ok(await readWhole(file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return err('not-found', `no ${file}`);
      throw error;
    }
  }

  async putFile(name: string, bytes: Buffer): Promise<Result<'written' | 'present', 'different'>> {
    const target = this.#file(name);
    const existing = await readFile(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (existing !== null)
      return sha256Hex(existing) === sha256Hex(bytes)
        ? ok('present')
        : err('different', `${target} holds other bytes: a published file never changes`);
    const directory = path.dirname(target);
    await mkdir(directory, { recursive: true });
    // Whole or absent: written aside, synced, renamed into place.
    const temporary = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = await openFd(temporary, 'w', 0o644);
    try {
      await writeAllFd(fd, bytes);
      await fsyncFd(fd);
    } finally {
      await closeFd(fd);
    }
    await rename(temporary, target);
    for (let d = directory; d.startsWith(this.root) && d !== path.dirname(this.root); d = path.dirname(d))
      this.#touched.add(d);
    return ok('written');
  }

  async sync(): Promise<void> {
    // Deepest first, so that a folder's entry is durable only after what it holds.
    const folders = [...this.#touched].sort((a, b) => b.length - a.length);
    this.#touched.clear();
    for (const folder of folders) await syncDirectory(folder);
  }

  async putCut(
    cutId: string,
    files: ReadonlyMap<string, Buffer>,
  ): Promise<Result<'written' | 'present', 'cut-exists'>> {
    const folder = this.#file(cutId);
    await mkdir(this.root, { recursive: true });
    if (await pathExists(folder)) {
      // Renamed into place whole: the same manifest is the same cut.
      const manifest = await readFile(path.join(folder, 'manifest.json')).catch(() => null);
      const mine = files.get('manifest.json');
      return manifest !== null && mine !== undefined && manifest.equals(mine)
        ? ok('present')
        : err('cut-exists', `cut ${cutId} is already published; a cut never changes`);
    }
    const temporary = path.join(this.root, `.${cutId}.${process.pid}.tmp`);
    await rm(temporary, { recursive: true, force: true });
    const directories = new Set<string>([temporary]);
    for (const relative of files.keys()) {
      if (!isCutStoreName(relative)) throw new Error(`not a name in a cut: ${JSON.stringify(relative)}`);
      directories.add(path.dirname(path.join(temporary, relative)));
    }
    for (const directory of [...directories].sort()) await mkdir(directory, { recursive: true });
    const queue = [...files].map(([relative, data]) => [path.join(temporary, relative), data] as const);
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < queue.length) {
        const [file, data] = queue[next++]!;
        await writeSynced(file, data);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, writer));
    for (const directory of [...directories].sort().reverse()) await syncDirectory(directory);
    await rename(temporary, folder);
    await syncDirectory(this.root);
    return ok('written');
  }

  async listCuts(): Promise<Result<string[], 'unavailable'>> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const cuts: string[] = [];
    for (const name of names.filter((n) => CUT_ID.test(n)).sort())
      if (await pathExists(path.join(this.root, name, 'manifest.json'))) cuts.push(name);
    return ok(cuts);
  }

  async writeLatest(json: Buffer, sig: Buffer): Promise<Result<void, 'unavailable'>> {
    await mkdir(this.root, { recursive: true });
    await writeFileDurably(path.join(this.root, LATEST_JSON), json);
    await writeFileDurably(path.join(this.root, LATEST_SIG), sig);
    return ok(undefined);
  }

  cleanLeftovers(now: number): Promise<string[]> {
    return cleanLeftoverTemporaries(this.root, now);
  }

  close(): void {}
}

async function writeSynced(file: string, data: Buffer): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A file's bytes in one read of its size, where readFile asks libuv's pool once per 512 KiB:
 * a previous cut's CSV of 50 MB is a hundred turns in a pool the cut's deflating keeps busy.
 * If the file changes meanwhile, what was read does not match its manifest's hash.
 */
async function readWhole(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(bytes, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return bytes.subarray(0, at);
  } finally {
    await handle.close();
  }
}

/**
 * A temporary touched this recently may be another process's write in progress — on this
 * machine or on another sharing the folder, whose pids cannot be checked from here. Writing a
 * national cut takes seconds; one image, far less.
 */
const IN_PROGRESS_MS = 10 * 60_000;
/** Past this, no write is in progress whatever the pid says (pids are reused). */
const ABANDONED_MS = 2 * 3_600_000;
/** `.<cut>.<pid>.tmp`, as putCut names a cut being written. */
const CUT_TEMPORARY = /^\.\d{8}_\d{4}\.(\d+)\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ageMs(file: string, now: number): Promise<number | null> {
  try {
    return now - (await stat(file)).mtimeMs;
  } catch {
    return null; // gone meanwhile: its writer renamed it into place
  }
}

/**
 * Removes what a publisher that crashed left in the cuts folder: its temporary cut folders and
 * half-copied public images. Run when `openprep cut` starts. Returns what it removed (relative).
 */
export async function cleanLeftoverTemporaries(cutsRoot: string, now: number): Promise<string[]> {
  const removed: string[] = [];
  const names = async (folder: string) => readdir(folder).catch(() => [] as string[]);
  for (const name of await names(cutsRoot)) {
    const pid = CUT_TEMPORARY.exec(name)?.[1];
    if (pid === undefined) continue;
    const age = await ageMs(path.join(cutsRoot, name), now);
    if (age === null || age < IN_PROGRESS_MS) continue;
    if (age < ABANDONED_MS && processAlive(Number(pid))) continue;
    await rm(path.join(cutsRoot, name), { recursive: true, force: true });
    removed.push(name);
  }
  const images = path.join(cutsRoot, 'imagenes', 'sha256');
  for (const prefix of await names(images))
    for (const name of await names(path.join(images, prefix))) {
      if (!name.endsWith('.tmp')) continue;
      const file = path.join(images, prefix, name);
      const age = await ageMs(file, now);
      if (age === null || age < IN_PROGRESS_MS) continue;
      await rm(file, { force: true });
      removed.push(path.join('imagenes', 'sha256', prefix, name));
    }
  return removed;
}
