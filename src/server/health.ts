/**
 * The node's health: whether its store and its disk work. A request that fails on a fault of
 * either (src/platform/faults.ts) marks the node faulty; readiness then answers 503 so a balancer
 * stops sending work here, until a probe — a small durable write to the store and to the disk,
 * and enough free space — succeeds again. Damage that does not heal by itself (a corrupt page,
 * a commit of unknown durability) keeps the node unready until it is restarted.
 */
import { rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { closeFd, fsyncFd, openFd, writeAllFd } from '../platform/durable_file.ts';
import { classifyFault, type StoreFault } from '../platform/faults.ts';

/** Seconds a device is told to wait (Retry-After) on each kind of fault. */
export const RETRY_AFTER_SECONDS: Readonly<Record<StoreFault['kind'], number>> = {
  // A person must free space: no point in knocking every second.
  'disk-full': 60,
  'store-unavailable': 10,
};

/** The HTTP status and error code a fault is answered with: never a 4xx, which a device would give up on. */
export function faultResponse(fault: StoreFault): {
  status: 503 | 507;
  code: 'disk-full' | 'store-unavailable';
} {
  return fault.kind === 'disk-full'
    ? { status: 507, code: 'disk-full' }
    : { status: 503, code: 'store-unavailable' };
}

export type HealthEvent =
  | { readonly kind: 'fault'; readonly fault: StoreFault }
  | { readonly kind: 'recovered'; readonly fault: StoreFault };

export interface NodeHealthOptions {
  /** A small durable write to the store and to the disk; throws what it meets. */
  readonly probe: () => Promise<void>;
  /** Folders whose file systems must keep `minFreeBytes` free (the data folder, the images' staging). */
  readonly folders: readonly string[];
  readonly minFreeBytes: number;
  readonly onEvent: (event: HealthEvent) => void;
  /** Least time between two probes while faulty. */
  readonly probeIntervalMs?: number;
  /** Free bytes of a folder's file system; statfs by default (a test seam). */
  readonly freeBytes?: (folder: string) => Promise<number>;
}

export class NodeHealth {
  readonly #o: NodeHealthOptions;
  #fault: StoreFault | null = null;
  #lastProbeAt = 0;
  #probing: Promise<void> | null = null;

  constructor(options: NodeHealthOptions) {
    this.#o = options;
  }

  /** The current fault, or null when the node is healthy. */
  get fault(): StoreFault | null {
    return this.#fault;
  }

  /**
   * Classifies an error met while serving; a fault marks the node faulty (a permanent one
   * stays). Returns the fault, or null for anything else (a bug, the client's mistake).
   */
  report(error: unknown): StoreFault | null {
    const fault = classifyFault(error);
    if (fault !== null) this.#mark(fault);
    return fault;
  }

  /**
   * Whether the node can take work: free space on every folder, and, while faulty, a probe
   * (at most one per interval, one at a time). Returns the fault, or null when healthy.
   */
  async check(now = Date.now()): Promise<StoreFault | null> {
    const space = await this.#space();
    if (space !== null) {
      this.#mark(space);
      return space;
    }
    const current = this.#fault;
    if (current === null || current.permanent) return current;
    if (this.#probing === null && now - this.#lastProbeAt >= (this.#o.probeIntervalMs ?? 1000)) {
      this.#lastProbeAt = now;
      this.#probing = this.#probe(current).finally(() => {
        this.#probing = null;
      });
    }
    if (this.#probing !== null) await this.#probing;
    return this.#fault;
  }

  async #probe(current: StoreFault): Promise<void> {
    try {
      await this.#o.probe();
    } catch (error) {
      const fault = classifyFault(error);
      // A probe that fails on something else is a bug of the probe: still not healthy.
      this.#fault = fault ?? current;
      return;
    }
    if (this.#fault === current) {
      this.#fault = null;
      this.#o.onEvent({ kind: 'recovered', fault: current });
    }
  }

  async #space(): Promise<StoreFault | null> {
    const free = this.#o.freeBytes ?? freeBytes;
    for (const folder of this.#o.folders) {
      let bytes: number;
      try {
        bytes = await free(folder);
      } catch (error) {
        const fault = classifyFault(error);
        if (fault !== null) return fault;
        throw error;
      }
      if (bytes < this.#o.minFreeBytes)
        return {
          kind: 'disk-full',
          code: 'low-space',
          message: `${folder} has ${bytes} bytes free, under the ${this.#o.minFreeBytes} an upload needs`,
          permanent: false,
        };
    }
    return null;
  }

  #mark(fault: StoreFault): void {
    const previous = this.#fault;
    // A permanent fault is never replaced by a passing one.
    if (previous?.permanent === true) return;
    this.#fault = fault;
    if (previous === null || previous.code !== fault.code) this.#o.onEvent({ kind: 'fault', fault });
  }
}

async function freeBytes(folder: string): Promise<number> {
  const stats = await statfs(folder);
  return stats.bavail * stats.bsize;
}

/** Writes, fsyncs and removes a small file in `folder`: what a disk that is full or failing refuses. */
export async function probeDisk(folder: string): Promise<void> {
  const file = path.join(folder, `.health-probe-${process.pid}`);
  const fd = await openFd(file, 'w', 0o600);
  try {
    await writeAllFd(fd, Buffer.alloc(4096));
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
    await rm(file, { force: true });
  }
}
