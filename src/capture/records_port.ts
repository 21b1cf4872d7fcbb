/**
 * What capture needs from a database (the acta records port): acta records and the images of
 * each, the election's settings (definition, catalog, the closed flag), capture claims, holds
 * and the capture queue, the mismatch queue and the snapshot a cut is built from. A change and
 * its journal entry commit together, so capture's transaction view is CaptureTx (records and
 * journal). Implemented by both adapters in src/store/.
 */
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import type { JournalHead, JournalTx } from '../journal/journal_port.ts';
import type { Transactional } from '../platform/group_commit.ts';

export interface ImageRow {
  readonly sha256: string;
  readonly recordId: string;
  readonly receivedAt: number;
  /** 'record' (image of record), 'additional' (a later image of the same acta), 'conflict' (same bytes claimed for another acta). */
  readonly role: 'record' | 'additional' | 'conflict';
  readonly source: string;
}

export interface CaptureTask {
  readonly recordId: string;
  readonly contest: string;
  readonly status: 'received' | 'captured_once';
  readonly acopioAt: number;
}

/** Where a page of the capture queue ends, to ask for the next one. */
export interface QueuePosition {
  readonly acopioAt: number;
  readonly recordId: string;
}

/** Acta records, inside a transaction. */
export interface ActaRecordsTx {
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  getActa(recordId: string): Promise<ActaRecord | null>;
  putActa(record: ActaRecord, acopioAt: number | null): Promise<void>;
  imagesBySha(sha256: string): Promise<ImageRow[]>;
  addImage(image: ImageRow): Promise<void>;
  /** The operators holding an unexpired claim on each of these actas. */
  captureClaims(recordIds: readonly string[], now: number): Promise<Map<string, string[]>>;
  /** The actas (and verification claims) this operator holds an unexpired claim on. */
  claimsOf(operatorId: string, now: number): Promise<string[]>;
  putCaptureClaim(recordId: string, operatorId: string, expiresAt: number): Promise<void>;
  deleteCaptureClaim(recordId: string, operatorId: string): Promise<void>;
  /**
   * Actas awaiting a capture that are not held (see setCaptureHold), oldest acopio first, from
   * an index of exactly those: however many capturistas hold actas at the head of the queue,
   * finding a free one is not a scan past theirs.
   */
  captureQueue(options: {
    readonly contest?: string;
    readonly limit: number;
    readonly after?: QueuePosition;
  }): Promise<CaptureTask[]>;
  /** Marks an acta as held by as many capturistas as it needs, until `until`; 0 puts it back in the queue. */
  setCaptureHold(recordId: string, until: number): Promise<void>;
  /** Puts back in the queue every acta whose hold ended at or before `now`. */
  releaseCaptureHolds(now: number): Promise<void>;
}

/** Capture's transaction view: its records, and the journal its facts are entered in. */
export type CaptureTx = ActaRecordsTx & JournalTx;

/** Acta records, read outside any transaction. */
export interface ActaRecords {
  getMeta(key: string): Promise<string | null>;
  getActa(recordId: string): Promise<ActaRecord | null>;
  /**
   * Whether asking for the next acta can give anything: this operator holds a claim, the
   * capture queue is not empty, or a hold has ended. A read, so that capturistas waiting on an
   * empty queue cost no write transaction.
   */
  mayHaveCaptureWork(options: {
    readonly operatorId: string;
    readonly contest?: string;
    readonly now: number;
  }): Promise<boolean>;
  /** Actas whose two captures differ, oldest first. */
  mismatchQueue(limit: number): Promise<ActaRecord[]>;
  /** Every acta record, with the journal head they correspond to, read in one snapshot. */
  snapshot(): Promise<{ readonly head: JournalHead; readonly records: ActaRecord[] }>;
  images(recordId: string): Promise<ImageRow[]>;
}

/** The acta records port: its reads, and transactions in capture's view. */
export interface ActaRecordsPort extends ActaRecords, Transactional<CaptureTx> {}
