/**
 * A drill's clock: a past night replayed at real speed from a simulated start. Kept in the
 * store (not in one process's memory) so that every command on the election — serve on each
 * node, `openprep cut` run by hand or by its scheduler, device enrolment, bundle import — reads
 * the same simulated time and decides alike, above all whether a cut is the final one.
 */
import { z } from 'zod';
import type { StoreTransaction } from '../store/store.ts';

const META_DRILL_CLOCK = 'drill_clock';

const drillClockSchema = z.strictObject({
  /** The simulated time at `realStart`. */
  simulatedStart: z.number().int(),
  /** The machine's time when the drill clock was (last) started. */
  realStart: z.number().int(),
});
export type DrillClockRecord = z.infer<typeof drillClockSchema>;

interface MetaStore {
  getMeta(key: string): Promise<string | null>;
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
}

/**
 * Starts (or restarts, as a restarted drill node does) the drill clock: from now on this
 * store's simulated time is `simulatedStart` plus the real time elapsed since `realStart`.
 */
export async function recordDrillClock(store: MetaStore, record: DrillClockRecord): Promise<void> {
  await store.transaction((tx) => tx.setMeta(META_DRILL_CLOCK, JSON.stringify(record)));
}

/** The recorded drill clock, or null outside a drill. */
export async function readDrillClock(store: MetaStore): Promise<DrillClockRecord | null> {
  const text = await store.getMeta(META_DRILL_CLOCK);
  if (text === null) return null;
  const parsed = drillClockSchema.safeParse(JSON.parse(text));
  // Only this module writes it: a record that does not parse is a bug, not an input.
  if (!parsed.success) throw new Error(`the stored drill clock does not parse: ${parsed.error.message}`);
  return parsed.data;
}

export function simulatedClock(record: DrillClockRecord, now: () => number): () => number {
  return () => record.simulatedStart + (now() - record.realStart);
}
