/**
 * CPU time from /proc (Linux; elsewhere null or empty), for the benches that time processes
 * other than their own: a process's total, and its threads' by name.
 */
import { readdir, readFile } from 'node:fs/promises';

/** USER_HZ: 100 on every Linux Node supports. */
const CLOCK_TICKS = 100;

/** User + system CPU seconds in the text of a /proc `stat` file (a process's or a thread's). */
export function statCpuSeconds(stat: string): number {
  // The fields after the command name (which may hold spaces and parentheses), from the third on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds (user + system, every thread) a process has used so far; null when it cannot be read. */
export async function processCpuSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    return statCpuSeconds(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * CPU seconds of each thread of a process, with its name: the main thread, worker threads
 * (`WorkerThread`), V8's helpers (`V8Worker`: garbage collection, compilers), libvips' and
 * libuv's pools.
 */
export async function threadCpuSeconds(
  pid: number | undefined,
): Promise<Map<string, { name: string; seconds: number }>> {
  const threads = new Map<string, { name: string; seconds: number }>();
  if (pid === undefined) return threads;
  let tids: string[];
  try {
    tids = await readdir(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const [name, stat] = await Promise.all([
        readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8'),
        readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8'),
      ]);
      threads.set(tid, { name: name.trim(), seconds: statCpuSeconds(stat) });
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return threads;
}

/** Milliseconds per item by thread name between two readings of threadCpuSeconds, dearest first. */
export function perThread(
  before: Map<string, { name: string; seconds: number }>,
  after: Map<string, { name: string; seconds: number }>,
  items: number,
): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const [tid, { name, seconds }] of after)
    byName[name] = (byName[name] ?? 0) + seconds - (before.get(tid)?.seconds ?? 0);
  return Object.fromEntries(
    Object.entries(byName)
      .filter(([, seconds]) => seconds > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([name, seconds]) => [name, Math.round((seconds / items) * 10000) / 10]),
  );
}
