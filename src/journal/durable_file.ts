import { close, fsync, open as openFile } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';

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

const openFd = promisify(openFile);
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/** fsync of a directory, so the names created or renamed in it survive a crash. */
export async function syncDirectory(directory: string): Promise<void> {
  const fd = await openFd(directory, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}
