/**
 * Breached passwords (NIST SP 800-63B-4 §3.1.1.2: a password found in breach corpora is
 * refused), looked up the way HIBP's range API answers (k-anonymity): the password's SHA-1,
 * its first 5 hex characters naming a range, the other 35 matched against that range only.
 *
 * A corpus is read one range at a time, never whole (the real one is ~1e9 hashes, ~40 GB):
 *
 * - a folder of range files `00000.txt` … `FFFFF.txt`, each of `SUFFIX35:COUNT` lines, as the
 *   HIBP downloader writes them (a missing file is an empty range: a curated folder may hold a
 *   few);
 * - one file of `SHA1:COUNT` lines sorted by hash (HIBP's "ordered by hash" download, and what
 *   `openprep passwords corpus build` writes): a range is found by binary search on byte
 *   offsets, ~log2(size/4 KiB) reads of 256 bytes, then one read of the range.
 *
 * Counts of 0 are the range API's padding and do not count. Hex is compared in upper case;
 * CRLF line ends are accepted.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open, opendir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok, type Result } from '../domain/result.ts';
import { BLOCKLIST } from './blocklist.ts';

export type CorpusError = 'corpus-unreadable';
/** The suffixes (35 upper-case hex) of one range and their counts. */
export type Range = ReadonlyMap<string, number>;

export interface BreachCorpus {
  /** Where it comes from, for messages. */
  readonly description: string;
  /** The range of a 5-hex prefix (upper case). */
  range(prefix: string): Promise<Result<Range, CorpusError>>;
}

const PREFIX = /^[0-9A-F]{5}$/;
const SUFFIX_LINE = /^([0-9A-Fa-f]{35}):([0-9]+)\r?$/;
const HASH_LINE = /^([0-9A-Fa-f]{40}):([0-9]+)\r?$/;

/** The SHA-1 of a password as the corpus holds it: of its UTF-8 after NFKC (what is hashed with Argon2id too), upper-case hex. */
export function passwordSha1(password: string): string {
  return createHash('sha1').update(password.normalize('NFKC'), 'utf8').digest('hex').toUpperCase();
}

/** Whether a password's SHA-1 is in the corpus (with a count above 0). */
export async function inCorpus(corpus: BreachCorpus, sha1: string): Promise<Result<boolean, CorpusError>> {
  const range = await corpus.range(sha1.slice(0, 5));
  if (!range.ok) return range;
  return ok((range.value.get(sha1.slice(5)) ?? 0) > 0);
}

function unreadable(where: string, why: string) {
  return err('corpus-unreadable', `the breached-password corpus ${where}: ${why}`);
}

function parseRange(text: string, file: string): Result<Range, CorpusError> {
  const range = new Map<string, number>();
  let n = 0;
  for (const line of text.split('\n')) {
    n++;
    if (line === '' || line === '\r') continue;
    const m = SUFFIX_LINE.exec(line);
    if (m === null)
      return unreadable(file, `line ${n} is not SUFFIX:COUNT (35 hex digits, a colon, a count)`);
    const count = Number(m[2]);
    if (count > 0) range.set(m[1]!.toUpperCase(), count);
  }
  return ok(range);
}

/** A folder of HIBP range files, `PREFIX.txt` each. */
export class RangeFolderCorpus implements BreachCorpus {
  readonly description: string;
  readonly #folder: string;

  constructor(folder: string) {
    this.#folder = folder;
    this.description = `${folder} (range files)`;
  }

  async range(prefix: string): Promise<Result<Range, CorpusError>> {
    if (!PREFIX.test(prefix)) throw new Error(`a range prefix is 5 upper-case hex digits, not ${prefix}`);
    const file = join(this.#folder, `${prefix}.txt`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ok(new Map());
      return unreadable(file, (error as Error).message);
    }
    return parseRange(text, file);
  }
}

/** How many bytes a binary-search probe reads: several lines of ~45 bytes. */
const PROBE = 256;
/** Below this span the search reads forward instead. */
const SCAN_FROM = 4096;

/** One file of `SHA1:COUNT` lines sorted by hash, searched on disk. */
export class SortedFileCorpus implements BreachCorpus {
  readonly description: string;
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
    this.description = `${file} (sorted hashes)`;
  }

  async range(prefix: string): Promise<Result<Range, CorpusError>> {
    if (!PREFIX.test(prefix)) throw new Error(`a range prefix is 5 upper-case hex digits, not ${prefix}`);
    let handle: FileHandle;
    try {
      handle = await open(this.#file, 'r');
    } catch (error) {
      return unreadable(this.#file, (error as Error).message);
    }
    try {
      const size = (await handle.stat()).size;
      return await this.#search(handle, size, prefix);
    } catch (error) {
      return unreadable(this.#file, (error as Error).message);
    } finally {
      await handle.close();
    }
  }

  /** The first line starting at `offset` or after, and its hash's first 5 digits; null at the end. */
  async #lineAt(
    handle: FileHandle,
    offset: number,
    size: number,
  ): Promise<{ start: number; key: string } | null> {
    const buffer = Buffer.alloc(PROBE);
    // A line starts at `offset` when the byte before it ends a line.
    let from = Math.max(0, offset - 1);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, PROBE, from);
      if (bytesRead === 0) return null;
      const chunk = buffer.subarray(0, bytesRead);
      const newline = offset === 0 ? -1 : chunk.indexOf(10);
      if (offset !== 0 && newline < 0) {
        from += bytesRead;
        continue;
      }
      const start = from + newline + 1;
      if (start >= size) return null;
      if (newline + 6 <= bytesRead)
        return { start, key: chunk.toString('latin1', newline + 1, newline + 6).toUpperCase() };
      const { bytesRead: n } = await handle.read(buffer, 0, 5, start);
      return { start, key: buffer.toString('latin1', 0, n).toUpperCase() };
    }
  }

  async #search(handle: FileHandle, size: number, prefix: string): Promise<Result<Range, CorpusError>> {
    let lo = 0;
    let hi = size;
    // lo is always a line start whose hash sorts before the prefix (or the file's start).
    while (hi - lo > SCAN_FROM) {
      const mid = Math.floor((lo + hi) / 2);
      const line = await this.#lineAt(handle, mid, size);
      if (line === null || line.key >= prefix) hi = mid;
      else lo = line.start;
    }
    const range = new Map<string, number>();
    let carry = '';
    let position = lo;
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      const text = carry + buffer.toString('latin1', 0, bytesRead);
      position += bytesRead;
      const lines = text.split('\n');
      carry = bytesRead === 0 ? '' : lines.pop()!;
      for (const line of lines) {
        if (line === '' || line === '\r') continue;
        const m = HASH_LINE.exec(line);
        if (m === null)
          return unreadable(
            this.#file,
            `a line near byte ${position} is not SHA1:COUNT (40 hex digits, a colon, a count)`,
          );
        const hash = m[1]!.toUpperCase();
        const key = hash.slice(0, 5);
        if (key < prefix) continue;
        if (key > prefix) return ok(range);
        const count = Number(m[2]);
        if (count > 0) range.set(hash.slice(5), count);
      }
      if (bytesRead === 0) return ok(range);
    }
  }
}

/** Hashes held in memory (the shipped blocklist; tests). */
export class MemoryCorpus implements BreachCorpus {
  readonly description: string;
  readonly #ranges = new Map<string, Map<string, number>>();

  constructor(description: string, sha1s: Iterable<string>) {
    this.description = description;
    for (const sha1 of sha1s) {
      const hash = sha1.toUpperCase();
      const range = this.#ranges.get(hash.slice(0, 5)) ?? new Map<string, number>();
      range.set(hash.slice(5), (range.get(hash.slice(5)) ?? 0) + 1);
      this.#ranges.set(hash.slice(0, 5), range);
    }
  }

  async range(prefix: string): Promise<Result<Range, CorpusError>> {
    return ok(this.#ranges.get(prefix) ?? new Map());
  }
}

/** Several corpora as one: a hash is in it when it is in any. */
export class UnionCorpus implements BreachCorpus {
  readonly description: string;
  readonly #parts: readonly BreachCorpus[];

  constructor(parts: readonly BreachCorpus[]) {
    this.#parts = parts;
    this.description = parts.map((p) => p.description).join(' and ');
  }

  async range(prefix: string): Promise<Result<Range, CorpusError>> {
    const merged = new Map<string, number>();
    for (const part of this.#parts) {
      const range = await part.range(prefix);
      if (!range.ok) return range;
      for (const [suffix, count] of range.value) merged.set(suffix, (merged.get(suffix) ?? 0) + count);
    }
    return ok(merged);
  }
}

/** The curated blocklist shipped with OpenPREP (blocklist.ts), always applied. */
export function shippedBlocklist(): BreachCorpus {
  return new MemoryCorpus('the shipped blocklist', BLOCKLIST.map(passwordSha1));
}

/**
 * The corpus at `path` (a folder of range files, or one sorted file) joined with the shipped
 * blocklist; only the blocklist when `path` is undefined. Checks that the path holds a corpus
 * before anything relies on it: a folder must hold a range file, a file must start with a
 * SHA1:COUNT line.
 */
export async function openBreachCorpus(path: string | undefined): Promise<Result<BreachCorpus, CorpusError>> {
  const blocklist = shippedBlocklist();
  if (path === undefined) return ok(blocklist);
  let kind: 'folder' | 'file';
  try {
    const s = await stat(path);
    if (s.isDirectory()) kind = 'folder';
    else if (s.isFile()) kind = 'file';
    else return unreadable(path, 'it is neither a file nor a folder');
  } catch (error) {
    return unreadable(
      path,
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'there is no such file or folder'
        : (error as Error).message,
    );
  }
  if (kind === 'folder') {
    try {
      const dir = await opendir(path);
      let found = false;
      for await (const entry of dir)
        if (/^[0-9A-Fa-f]{5}\.txt$/.test(entry.name)) {
          found = true;
          break;
        }
      if (!found) return unreadable(path, 'the folder holds no range file (00000.txt … FFFFF.txt)');
    } catch (error) {
      return unreadable(path, (error as Error).message);
    }
    return ok(new UnionCorpus([new RangeFolderCorpus(path), blocklist]));
  }
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(128);
      const { bytesRead } = await handle.read(buffer, 0, 128, 0);
      const first = buffer.toString('latin1', 0, bytesRead).split('\n')[0] ?? '';
      if (bytesRead > 0 && !HASH_LINE.test(first))
        return unreadable(
          path,
          'its first line is not SHA1:COUNT (a folder of range files is given as the folder)',
        );
    } finally {
      await handle.close();
    }
  } catch (error) {
    return unreadable(path, (error as Error).message);
  }
  return ok(new UnionCorpus([new SortedFileCorpus(path), blocklist]));
}

/**
 * What identifies a corpus between two starts of a node: where it is, its size and times (a
 * folder's own: replacing its range files in place changes none of them, so touch the folder
 * after an update in place), and the shipped blocklist's content. A node re-checks the kept
 * fingerprints when this changes.
 */
export async function corpusIdentity(path: string | undefined): Promise<string> {
  const blocklist = createHash('sha256').update(BLOCKLIST.join('\n')).digest('hex');
  if (path === undefined) return JSON.stringify({ blocklist });
  const s = await stat(path);
  return JSON.stringify({ path, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, blocklist });
}

/** What `openprep passwords corpus` reads: one password a line, or `SHA1[:COUNT]` lines. */
export type CorpusSource = 'passwords' | 'hashes';

/**
 * The hashes of a list, with their counts summed: a password list's lines (a trailing CR
 * dropped, empty lines skipped), or `SHA1` / `SHA1:COUNT` lines. Held in memory: this is for
 * curated lists and tests, not for rebuilding HIBP's download (which is used as it comes).
 */
export function corpusHashes(text: string, source: CorpusSource): Result<Map<string, number>, 'bad-list'> {
  const hashes = new Map<string, number>();
  let n = 0;
  for (const raw of text.split('\n')) {
    n++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    let hash: string;
    let count = 1;
    if (source === 'passwords') hash = passwordSha1(line);
    else {
      const m = /^([0-9A-Fa-f]{40})(?::([0-9]{1,12}))?$/.exec(line.trim());
      if (m === null)
        return err('bad-list', `line ${n} is not SHA1 or SHA1:COUNT (40 hex digits, a colon, a count)`);
      hash = m[1]!.toUpperCase();
      if (m[2] !== undefined) count = Number(m[2]);
    }
    hashes.set(hash, (hashes.get(hash) ?? 0) + count);
  }
  return ok(hashes);
}

/** The sorted `SHA1:COUNT` lines of a corpus file (CRLF-free). */
export function sortedCorpusText(hashes: ReadonlyMap<string, number>): string {
  return [...hashes]
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([hash, count]) => `${hash}:${count}\n`)
    .join('');
}

/** The range files of a corpus folder: file name (`PREFIX.txt`) and its `SUFFIX:COUNT` lines. */
export function rangeFiles(hashes: ReadonlyMap<string, number>): Map<string, string> {
  const files = new Map<string, string>();
  for (const line of sortedCorpusText(hashes).split('\n')) {
    if (line === '') continue;
    const name = `${line.slice(0, 5)}.txt`;
    files.set(name, `${files.get(name) ?? ''}${line.slice(5)}\r\n`);
  }
  return files;
}
