/**
 * The cut scheduler of `openprep cut --every N`, safe to run on several nodes: only the holder
 * of the `cut-builder` lease (a row in the store, renewed every few seconds) publishes; when it
 * stops renewing — its node killed, its network cut — another takes the lease once it expires
 * and carries on from the last published cut, including a cut that came due meanwhile. A cut
 * is due at each multiple of the interval after the last one published (or after the
 * scheduler started, before the first).
 */
import type { BlobStore } from '../images/blob_store.ts';
import type { CutRelease } from './cut_builder.ts';
import type { CutStore } from './cut_store.ts';
import type { Transactional } from '../platform/group_commit.ts';
import type { LeasePort, LeaseTx } from './lease_port.ts';
import { type PublishedCut, type Publisher, publishCut } from './publisher.ts';

export const CUT_BUILDER_LEASE = 'cut-builder';

/** Takes or renews a lease in one transaction: free, expired, or already ours. */
export async function acquireLease(
  store: Transactional<LeaseTx>,
  lease: { readonly name: string; readonly holder: string; readonly now: number; readonly ttlMs: number },
): Promise<boolean> {
  return store.transaction(async (tx) => {
    const current = await tx.getLease(lease.name);
    if (current !== null && current.holder !== lease.holder && current.expiresAt > lease.now) return false;
    await tx.putLease({ name: lease.name, holder: lease.holder, expiresAt: lease.now + lease.ttlMs });
    return true;
  });
}

/** Gives a lease back (if still ours), so another node need not wait for it to expire. */
export async function releaseLease(
  store: Transactional<LeaseTx>,
  name: string,
  holder: string,
): Promise<void> {
  await store.transaction(async (tx) => {
    const current = await tx.getLease(name);
    if (current?.holder === holder) await tx.putLease({ name, holder, expiresAt: 0 });
  });
}

export type SchedulerEvent =
  | { readonly kind: 'leading' }
  | { readonly kind: 'standing-by'; readonly holder: string | null }
  | { readonly kind: 'published'; readonly cut: PublishedCut }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string };

export async function runCutScheduler(options: {
  /** The publisher's parts (the snapshot, the journal, the signers, the cuts folder) and the lease port. */
  readonly node: Publisher & { readonly leases: LeasePort };
  readonly intervalMs: number;
  /** Who this process is, in the lease: host, pid and a random part. */
  readonly holder: string;
  readonly signal: AbortSignal;
  readonly clock: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly tickMs?: number;
  /** Must be well above the time a cut takes to build (a national cut: ~10 s). */
  readonly leaseMs?: number;
  /** Simulated milliseconds per real one (tests run the clock fast); 1 in production. */
  readonly timeScale?: number;
  /** False to leave the lease to expire, as a killed process would (tests). */
  readonly releaseOnStop?: boolean;
  /** The center's image store: each cut's images are made public beside it (publishCut). */
  readonly images?: BlobStore;
  /** Where the cuts go: the node's `cuts/` folder by default (publishCut). */
  readonly cuts?: CutStore;
  /** The release building the cuts, named in each (publishCut); null: a development checkout. */
  readonly release?: CutRelease | null;
  readonly onEvent?: (event: SchedulerEvent) => void;
}): Promise<{ readonly published: number; readonly final: boolean }> {
  // Images already public, remembered across this process's cuts (a stat each is spared).
  const publishedImages = new Set<string>();
  const { node, intervalMs } = options;
  const store = node.leases;
  const tickMs = options.tickMs ?? 5_000;
  const leaseMs = options.leaseMs ?? 30_000;
  const nextMultiple = (t: number) => (Math.floor(t / intervalMs) + 1) * intervalMs;
  const firstDue = nextMultiple(options.clock());
  let leading: boolean | null = null;
  let published = 0;
  let final = false;
  try {
    while (!options.signal.aborted && !final) {
      const now = options.clock();
      const lead = await acquireLease(store, {
        name: CUT_BUILDER_LEASE,
        holder: options.holder,
        now,
        ttlMs: leaseMs,
      });
      if (lead !== leading) {
        leading = lead;
        if (lead) options.onEvent?.({ kind: 'leading' });
        else {
          const holder = await store.transaction((tx) => tx.getLease(CUT_BUILDER_LEASE));
          options.onEvent?.({ kind: 'standing-by', holder: holder?.holder ?? null });
        }
      }
      if (lead) {
        const last = (await node.journal.cuts()).at(-1);
        if (last?.final === true) final = true;
        else if (now >= (last === undefined ? firstDue : nextMultiple(last.cutTime))) {
          // Building a cut takes a while: the lease is renewed meanwhile, so that no other node
          // takes it and builds the same cut.
          const heartbeat = setInterval(
            () => {
              void acquireLease(store, {
                name: CUT_BUILDER_LEASE,
                holder: options.holder,
                now: options.clock(),
                ttlMs: leaseMs,
              }).catch(() => undefined);
            },
            tickMs / (options.timeScale ?? 1),
          );
          const cut = await publishCut(node, {
            cutTime: now,
            ...(options.images === undefined
              ? {}
              : { images: { blobs: options.images, known: publishedImages } }),
            ...(options.cuts === undefined ? {} : { cuts: options.cuts }),
            release: options.release ?? null,
          }).finally(() => clearInterval(heartbeat));
          if (cut.ok) {
            published++;
            final = cut.value.final;
            options.onEvent?.({ kind: 'published', cut: cut.value });
          } else {
            options.onEvent?.({ kind: 'failed', code: cut.code, message: cut.message });
            if (cut.code === 'closed') final = true;
          }
        }
      }
      if (!final) await options.sleep(tickMs, options.signal);
    }
  } finally {
    if (leading === true && (options.releaseOnStop ?? true))
      await releaseLease(store, CUT_BUILDER_LEASE, options.holder);
  }
  return { published, final };
}
