/**
 * A lock between processes on one machine (or one shared folder): a file created with
 * O_EXCL holding the owner's pid. A lock left by a process that is gone — killed mid-work —
 * is taken over; a live owner is waited for. Used around the checkpoint signer's state file,
 * which `serve` and `cut` processes on one data folder both update.
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import process from 'node:process';

/** A lock file older than this is stale whoever it names (a reused pid cannot hold it forever). */
const STALE_MS = 60_000;

/** Whether a process of this machine still runs (a permission error means it does). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stale(lockFile: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockFile, 'utf8'), stat(lockFile)]);
    const pid = Number(text.trim());
    return !Number.isInteger(pid) || pid <= 0 || !processAlive(pid) || Date.now() - info.mtimeMs > STALE_MS;
  } catch {
    // Gone meanwhile (released), or written half-way by an owner that died at once.
    return true;
  }
}

export async function withFileLock<T>(
  lockFile: string,
  work: () => Promise<T>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await stale(lockFile)) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockFile} held by another process for ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 20)));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockFile, { force: true });
  }
}
