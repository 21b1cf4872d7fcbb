/**
 * A lock between processes sharing a folder: a file created with O_EXCL naming its owner
 * (`host pid`). A lock left by a process of this machine that is gone — killed mid-work — is
 * taken over at once; one of another machine (a shared file system) only once it is older
 * than any holding should last. A live owner is waited for. Used around the checkpoint
 * signer's state file, which `serve` and `cut` processes on one data folder all update.
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
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
    if (Date.now() - info.mtimeMs > STALE_MS) return true;
    const [host, pidText] = text.trim().split(' ');
    const pid = Number(pidText);
    if (host !== hostname()) return false;
    return !Number.isInteger(pid) || pid <= 0 || !processAlive(pid);
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
        await handle.writeFile(`${hostname()} ${process.pid}`);
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
