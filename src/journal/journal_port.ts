/**
 * The journal as its writers and readers need it from a database (the journal port): its head,
 * its leaf hashes and entries, the checkpoints signed over it and the cuts published from it,
 * and, inside a transaction, appending. Every part that records a fact appends its entry in the
 * same transaction as the change (one transaction per fact), so each part's transaction view
 * includes JournalTx. Implemented by both adapters in src/store/.
 */
import type { Transactional } from '../platform/group_commit.ts';
import type { JournalEntry } from './entries.ts';

export interface JournalHead {
  readonly size: number;
  readonly rootHash: Buffer;
}

export interface CheckpointRow {
  readonly size: number;
  readonly rootHash: Buffer;
  readonly note: string;
  readonly signedAt: number;
}

export interface CutRow {
  readonly sequence: number;
  readonly id: string;
  readonly cutTime: number;
  readonly journalSize: number;
  readonly manifestSha256: string;
  readonly final: boolean;
}

/** Journal writes inside a transaction. */
export interface JournalTx {
  /** Appends a journal entry; returns its leaf index. */
  appendJournal(entry: JournalEntry): Promise<number>;
  addCheckpoint(checkpoint: CheckpointRow): Promise<void>;
  addCut(cut: CutRow): Promise<void>;
}

/** Journal reads, outside any transaction. */
export interface JournalReads {
  journalHead(): Promise<JournalHead>;
  /** Leaf hashes [start, end). */
  journalLeafHashes(start: number, end: number): Promise<Buffer[]>;
  /** Raw entries [start, end). */
  journalEntries(start: number, end: number): Promise<Buffer[]>;
  checkpoints(): Promise<CheckpointRow[]>;
  /**
   * The newest checkpoint alone, or null before the first: what the public checkpoint route and
   * the metrics read, without reading the night's thousands of checkpoints each time.
   */
  latestCheckpoint(): Promise<CheckpointRow | null>;
  cuts(): Promise<CutRow[]>;
}

/** The journal port: its reads, and transactions that append to it. */
export interface JournalPort extends JournalReads, Transactional<JournalTx> {}
