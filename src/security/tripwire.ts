/**
 * The tripwire auth and intake are given (src/domain/decoy.ts): whether a value names a decoy
 * or a canary, and whether a use of one is journaled now.
 *
 * DECOY_USED is never subject to the security events' budget (security_journal.ts): a decoy
 * touched during a flood of failed sign-ins is exactly what the team must see. Yet an attacker
 * who found a decoy could replay it to flood the journal, so a use is journaled when it is the
 * first of its (decoy, address) pair in DECOY_REPEAT_MS, within DECOY_USES_JOURNALED_PER_MINUTE
 * in all; any other use is counted, and the next journaled use of the same decoy carries the
 * count (`unjournaledBefore`). The first use from each new address is therefore always seen
 * while the attacker stays under the overall rate.
 */
import type { DecoyHit, Tripwire } from '../domain/decoy.ts';
import type { DecoyRow } from './decoys_port.ts';
import { fingerprint } from './fingerprint.ts';

export const DECOY_REPEAT_MS = 60_000;
export const DECOY_USES_JOURNALED_PER_MINUTE = 600;
/** How stale the decoy list may be when a value is not on it (decoys made by another node or the CLI). */
const DECOYS_FRESH_MS = 5_000;
/** (decoy, address) pairs remembered at most; past it the table starts again (each pair then journaled once more). */
const PAIRS_LIMIT = 100_000;

export class DecoyTripwire implements Tripwire {
  readonly #read: () => Promise<readonly DecoyRow[]>;
  readonly #key: Buffer;
  readonly #clock: () => number;
  #index: { readonly at: number; readonly hits: Map<string, DecoyHit> } | null = null;
  #loading: Promise<void> | null = null;
  readonly #lastJournaled = new Map<string, number>();
  readonly #unjournaled = new Map<string, number>();
  #window = { since: Number.NEGATIVE_INFINITY, journaled: 0 };

  constructor(options: {
    /** The decoys and canaries (the decoys port's `decoys`). */
    readonly decoys: () => Promise<readonly DecoyRow[]>;
    /** The fingerprint key (fingerprint.ts). */
    readonly key: Buffer;
    readonly clock: () => number;
  }) {
    this.#read = options.decoys;
    this.#key = options.key;
    this.#clock = options.clock;
  }

  async match(value: string): Promise<DecoyHit | null> {
    const print = fingerprint(this.#key, value);
    if (print === '') return null;
    const now = this.#clock();
    const index = this.#index;
    if (index === null || (!index.hits.has(print) && (now - index.at >= DECOYS_FRESH_MS || now < index.at))) {
      this.#loading ??= this.#read()
        .then((rows) => {
          const hits = new Map<string, DecoyHit>();
          for (const row of rows)
            for (const p of row.fingerprints) hits.set(p, { decoyId: row.id, kind: row.kind });
          this.#index = { at: now, hits };
        })
        .finally(() => {
          this.#loading = null;
        });
      await this.#loading;
    }
    return this.#index?.hits.get(print) ?? null;
  }

  admit(
    hit: DecoyHit,
    address: string | undefined,
    at: number,
  ): { readonly unjournaledBefore: number } | null {
    if (at - this.#window.since >= 60_000 || at < this.#window.since)
      this.#window = { since: at, journaled: 0 };
    const pair = `${hit.decoyId}\u0000${address ?? ''}`;
    const last = this.#lastJournaled.get(pair);
    const repeat = last !== undefined && at - last < DECOY_REPEAT_MS && at >= last;
    if (repeat || this.#window.journaled >= DECOY_USES_JOURNALED_PER_MINUTE) {
      this.#unjournaled.set(hit.decoyId, (this.#unjournaled.get(hit.decoyId) ?? 0) + 1);
      return null;
    }
    this.#window.journaled++;
    if (this.#lastJournaled.size >= PAIRS_LIMIT) this.#lastJournaled.clear();
    this.#lastJournaled.set(pair, at);
    const unjournaledBefore = this.#unjournaled.get(hit.decoyId) ?? 0;
    this.#unjournaled.delete(hit.decoyId);
    return { unjournaledBefore };
  }
}
