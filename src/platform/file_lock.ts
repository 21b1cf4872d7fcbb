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

/**
 * What to do about a lock file that exists: wait for its live owner, take it over from a dead
 * one, or try again at once because it is gone (released meanwhile). Gone must not be taken
 * for stale: removing "it" would remove the lock a third process has just taken.
 */
async function judge(lockFile: string): Promise<'wait' | 'take-over' | 'gone'> {
  let text: string;
  let modified: number;
  try {
    [text, modified] = await Promise.all([
      readFile(lockFile, 'utf8'),
      stat(lockFile).then((info) => info.mtimeMs),
    ]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  if (Date.now() - modified > STALE_MS) return 'take-over';
  // Empty: its owner has created it and not yet written its name — alive a moment ago.
  if (text.trim() === '') return 'wait';
  const [host, pidText] = text.trim().split(' ');
  const pid = Number(pidText);
  if (host !== hostname()) return 'wait';
  return !Number.isInteger(pid) || pid <= 0 || !processAlive(pid) ? 'take-over' : 'wait';
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
      const verdict = await judge(lockFile);
      if (verdict === 'gone') continue;
      if (verdict === 'take-over') {
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
