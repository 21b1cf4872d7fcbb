/**
 * Security events (failed and throttled sign-ins, refused authorisations) in the journal, at
 * most SECURITY_EVENTS_JOURNALED_PER_MINUTE a minute: an attacker controls how many there are,
 * and each journaled one is a write every node replicates and every auditor reads. Past the
 * budget an event is only logged (by the route that answered it); the next journaled one says
 * how many were left out, as intake does for refused packages.
 */
import type { SecurityEntry } from '../journal/entries.ts';
import type { JournalTx } from '../journal/journal_port.ts';
import type { Commits } from '../platform/group_commit.ts';

export const SECURITY_EVENTS_JOURNALED_PER_MINUTE = 120;

export class SecurityJournal {
  readonly #commits: Commits<JournalTx>;
  readonly #clock: () => number;
  #window = { since: Number.NEGATIVE_INFINITY, journaled: 0, skipped: 0 };

  constructor(commits: Commits<JournalTx>, clock: () => number) {
    this.#commits = commits;
    this.#clock = clock;
  }

  /** The entry to journal now, with the count left out before it; null when over the budget. */
  #admit(entry: SecurityEntry): SecurityEntry | null {
    const now = this.#clock();
    if (now - this.#window.since >= 60_000 || now < this.#window.since)
      this.#window = { since: now, journaled: 0, skipped: this.#window.skipped };
    if (this.#window.journaled >= SECURITY_EVENTS_JOURNALED_PER_MINUTE) {
      this.#window.skipped++;
      return null;
    }
    this.#window.journaled++;
    const skipped = this.#window.skipped;
    this.#window.skipped = 0;
    return skipped > 0 ? { ...entry, unjournaledBefore: skipped } : entry;
  }

  /** Journals the event in a commit shared with other writers; false when only logged. */
  async record(entry: SecurityEntry): Promise<boolean> {
    const admitted = this.#admit(entry);
    if (admitted === null) return false;
    await this.#commits.run((tx) => tx.appendJournal(admitted));
    return true;
  }

  /** As record, inside a transaction the caller holds (with the change the event goes with). */
  async recordIn(tx: JournalTx, entry: SecurityEntry): Promise<boolean> {
    const admitted = this.#admit(entry);
    if (admitted === null) return false;
    await tx.appendJournal(admitted);
    return true;
  }
}
