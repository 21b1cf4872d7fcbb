/**
 * Capture's side of publication: what a cut is built from (publish/snapshot_port.ts, which this
 * satisfies; the wiring checks it) — the election and its catalog, when the PREP closes, a
 * snapshot of the published actas per contest with the journal head they correspond to — and
 * closing intake ahead of the final cut. Apart from the services that change actas because the
 * publisher only reads them, through this.
 */
import type { PublishedActa } from '../domain/acta.ts';
import { publishedActaOf } from '../domain/acta_lifecycle.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import type { JournalHead } from '../journal/journal_port.ts';
import type { CaptureCore } from './core.ts';

/** What the publisher snapshots. */
export class CapturePublication {
  readonly #core: CaptureCore;

  constructor(core: CaptureCore) {
    this.#core = core;
  }

  get election(): ElectionDefinition {
    return this.#core.settings.election;
  }

  get catalog(): Catalog {
    return this.#core.settings.catalog;
  }

  get catalogCsv(): string {
    return this.#core.settings.catalogCsv;
  }

  get closesAt(): number {
    return this.#core.closesAt;
  }

  intakeClosed(): Promise<boolean> {
    return this.#core.intakeClosed();
  }

  closeIntake(at: number, reason: string): Promise<void> {
    return this.#core.closeIntake(at, reason);
  }

  /** What a cut publishes, per contest, and the journal head it corresponds to. */
  async snapshot(): Promise<{ head: JournalHead; actas: Map<string, PublishedActa[]> }> {
    const { head, records } = await this.#core.records.snapshot();
    const actas = new Map<string, PublishedActa[]>(this.election.contests.map((c) => [c.id, []]));
    for (const record of records) {
      const contest = this.#core.contests.get(record.contest);
      if (contest === undefined) continue;
      const published = publishedActaOf(record, this.#core.context(contest, record.casillaKey));
      if (published !== null) actas.get(contest.id)!.push(published);
    }
    return { head, actas };
  }
}
