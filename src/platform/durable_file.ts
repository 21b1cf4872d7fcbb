import { close, fsync, open as openFile, write } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';

/**
 * Plain file descriptors for the intake hot path (a FileHandle per image costs more than the
 * write): open, write all of a buffer, fsync, close.
 */
const openAsync = promisify(openFile) as (file: string, flags: string, mode?: number) => Promise<number>;
const writeFd = promisify(write) as (
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
) => Promise<{ bytesWritten: number; buffer: Buffer }>;
const fsyncAsync = promisify(fsync);
export const closeFd = promisify(close);

export type FileOperation = 'open' | 'write' | 'fsync';

/**
 * Test seam: an error to raise instead of doing the I/O, as a full or failing disk would
 * (ENOSPC, EIO…), so that every test environment can exercise it without a real full disk.
 * Null in production.
 */
let injected: ((operation: FileOperation) => Error | null) | null = null;

/** Sets (or, with null, clears) the fault injected into openFd, writeAllFd and fsyncFd. */
export function injectFileFault(fault: ((operation: FileOperation) => Error | null) | null): void {
  injected = fault;
}

/** An error shaped as node:fs raises it, for tests that inject one. */
export function errnoError(
  code: 'ENOSPC' | 'EIO' | 'EDQUOT' | 'EROFS',
  syscall: string,
): NodeJS.ErrnoException {
  const messages = {
    ENOSPC: 'no space left on device',
    EIO: 'i/o error',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
  };
  return Object.assign(new Error(`${code}: ${messages[code]}, ${syscall}`), { code, syscall });
}

function raiseInjected(operation: FileOperation): void {
  const error = injected?.(operation) ?? null;
  if (error !== null) throw error;
}

export async function openFd(file: string, flags: string, mode?: number): Promise<number> {
  if (flags !== 'r') raiseInjected('open');
  return openAsync(file, flags, mode);
}

export async function fsyncFd(fd: number): Promise<void> {
  raiseInjected('fsync');
  return fsyncAsync(fd);
}

/** Writes all of `data` to `fd` from its current position. */
export async function writeAllFd(fd: number, data: Buffer): Promise<void> {
  raiseInjected('write');
  for (let at = 0; at < data.length; ) at += (await writeFd(fd, data, at, data.length - at)).bytesWritten;
}

/**
 * Replaces a file so that after a crash it holds either the old or the new bytes, never a mix:
 * write a temporary file, fsync it, rename over the target, fsync the directory (a rename is
 * not durable until its directory is).
 */
export async function writeFileDurably(file: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const directory = path.dirname(file);
  const temporary = path.join(directory, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(temporary, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  await syncDirectory(directory);
}

/** fsync of a directory, so the names created or renamed in it survive a crash. */
export async function syncDirectory(directory: string): Promise<void> {
  const fd = await openFd(directory, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** Whether something is at `file`; an error other than "no such file" (permissions, I/O) is thrown. */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
