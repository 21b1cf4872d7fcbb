import { close, fsync, open as openFile, write } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';

/**
 * Plain file descriptors for the intake hot path (a FileHandle per image costs more than the
 * write): open, write all of a buffer, fsync, close.
 */
export const openFd = promisify(openFile);
const writeFd = promisify(write) as (
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
) => Promise<{ bytesWritten: number; buffer: Buffer }>;
export const fsyncFd = promisify(fsync);
export const closeFd = promisify(close);

/** Writes all of `data` to `fd` from its current position. */
export async function writeAllFd(fd: number, data: Buffer): Promise<void> {
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
