/**
 * What the publisher reads to build a cut (the snapshot port): the election and its catalog,
 * when the PREP closes, and a snapshot of the published actas per contest with the journal
 * head they correspond to; and the one write a final cut needs first, closing intake. Capture's
 * publication service implements it (src/capture/publication.ts); the wiring hands it to the publisher.
 */
import type { PublishedActa } from '../domain/acta.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import type { JournalHead } from '../journal/journal_port.ts';

export interface PublicationSnapshot {
  readonly head: JournalHead;
  /** The published actas of each contest of the election. */
  readonly actas: Map<string, PublishedActa[]>;
}

export interface PublicationSource {
  readonly election: ElectionDefinition;
  readonly catalog: Catalog;
  /** The catalog as stored at setup, byte for byte (the cut publishes it). */
  readonly catalogCsv: string;
  /** When the PREP closes: a cut at or after it is the final one. */
  readonly closesAt: number;
  /** Whether intake is closed (a final cut is being or has been published). */
  intakeClosed(): Promise<boolean>;
  /** Closes intake ahead of the final cut's snapshot, journaled once. */
  closeIntake(at: number, reason: string): Promise<void>;
  /** What a cut publishes, per contest, and the journal head it corresponds to. */
  snapshot(): Promise<PublicationSnapshot>;
}
