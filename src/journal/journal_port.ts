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

/**
 * A witness's cosignature (C2SP tlog-cosignature v1) of the checkpoint of `size`, kept as the
 * line it adds under that checkpoint's note (src/journal/cosignature.ts).
 */
export interface CosignatureRow {
  readonly size: number;
  /** The witness's key name and key id (hex): one cosignature a witness key and checkpoint. */
  readonly witness: string;
  readonly keyId: string;
  readonly line: string;
  /** When the witness says it cosigned (unix seconds), and when the center received it (ms). */
  readonly cosignedAt: number;
  readonly receivedAt: number;
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
  /** Keeps a witness's cosignature; the same witness and checkpoint again changes nothing. */
  addCosignature(cosignature: CosignatureRow): Promise<void>;
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
  /** The checkpoint signed at exactly this size, or null. */
  checkpointOfSize(size: number): Promise<CheckpointRow | null>;
  /** The witnesses' cosignatures of the checkpoint of this size, in the order received. */
  cosignatures(size: number): Promise<CosignatureRow[]>;
}

/** The journal port: its reads, and transactions that append to it. */
export interface JournalPort extends JournalReads, Transactional<JournalTx> {}
