/**
 * The agent's durable outbox: SQLite (WAL, synchronous=FULL) for the packages and their state,
 * the images beside it named by their SHA-256. A package is signed once, when it is queued, and
 * its bytes never change after: every retry, on any channel or in a USB bundle, is the same
 * package, which the center recognises.
 *
 * Order of writes, so a crash or power cut at any moment loses nothing acknowledged and leaves
 * nothing half-done: the image (file fsynced, then its directory), then the row in one
 * transaction. An image without a row is re-queued by the next scan; a row never exists
 * without its image.
 */
import { createHash, type KeyObject, sign } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { formatIsoLocal } from '../domain/local_time.ts';
import { PACKAGE_FORMAT, type PackageHeader, packageBytes } from '../intake/package.ts';
import { writeFileDurably } from '../platform/durable_file.ts';
import type { ItemState, OutboxItem, OutboxStore } from './transport.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS item (
  sequence INTEGER PRIMARY KEY,
  package_text TEXT NOT NULL,
  signature TEXT NOT NULL,
  package_sha256 TEXT NOT NULL UNIQUE,
  image_sha256 TEXT NOT NULL,
  content_type TEXT NOT NULL,
  contest TEXT NOT NULL,
  claimed_key TEXT NOT NULL,
  source TEXT NOT NULL,
  queued_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'refused')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  receipt TEXT,
  delivered_via TEXT,
  done_at INTEGER,
  exported_at INTEGER,
  UNIQUE (image_sha256, contest, claimed_key)
);
CREATE INDEX IF NOT EXISTS item_due ON item (state, next_attempt_at);
`;

export interface QueueRequest {
  readonly image: Uint8Array;
  readonly contentType: 'image/jpeg' | 'image/png';
  readonly contest: string;
  readonly claimedKey: string;
  /** Where it came from, for the operator (a file name). */
  readonly source: string;
  /** The operator confirmed the key of an acta whose QR label does not read or disagrees. */
  readonly keyConfirmed?: boolean;
}

export interface DeviceIdentity {
  readonly deviceId: string;
  readonly origin: 'CASILLA' | 'CATD';
  readonly privateKey: KeyObject;
  readonly utcOffsetMinutes: number;
}

export interface OutboxCounts {
  readonly pending: number;
  readonly delivered: number;
  readonly refused: number;
  readonly oldestPendingAt: number | null;
}

interface ItemRow {
  sequence: number;
  package_text: string;
  signature: string;
  package_sha256: string;
  image_sha256: string;
  content_type: string;
  contest: string;
  claimed_key: string;
  source: string;
  queued_at: number;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  receipt: string | null;
  delivered_via: string | null;
  done_at: number | null;
  exported_at: number | null;
}

export interface ListedItem extends OutboxItem {
  readonly contest: string;
  readonly claimedKey: string;
  readonly source: string;
  readonly queuedAt: number;
  readonly exportedAt: number | null;
}

function itemOf(row: ItemRow): ListedItem {
  return {
    sequence: row.sequence,
    packageText: row.package_text,
    signature: row.signature,
    packageSha256: row.package_sha256,
    imageSha256: row.image_sha256,
    contentType: row.content_type === 'image/png' ? 'image/png' : 'image/jpeg',
    state: row.state as ItemState,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    receipt: row.receipt,
    deliveredVia: row.delivered_via,
    contest: row.contest,
    claimedKey: row.claimed_key,
    source: row.source,
    queuedAt: row.queued_at,
    exportedAt: row.exported_at,
  };
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

export class SqliteOutbox implements OutboxStore {
  readonly #db: DatabaseSync;
  readonly #images: string;
  readonly #device: DeviceIdentity;
  readonly #clock: () => number;

  private constructor(db: DatabaseSync, root: string, device: DeviceIdentity, clock: () => number) {
    this.#db = db;
    this.#images = path.join(root, 'images');
    this.#device = device;
    this.#clock = clock;
  }

  static async open(root: string, device: DeviceIdentity, clock: () => number): Promise<SqliteOutbox> {
    await mkdir(path.join(root, 'images'), { recursive: true });
    const db = new DatabaseSync(path.join(root, 'outbox.db'));
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec(SCHEMA);
    return new SqliteOutbox(db, root, device, clock);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #imageFile(imageSha256: string, contentType: string): string {
    return path.join(this.#images, `${imageSha256}.${contentType === 'image/png' ? 'png' : 'jpg'}`);
  }

  /**
   * Queues an image as a signed package. The same image for the same acta is queued once:
   * queueing it again returns the item already there.
   */
  async queue(request: QueueRequest): Promise<{ item: ListedItem; queued: boolean }> {
    const imageSha256 = sha256(request.image);
    const existing = this.#db
      .prepare('SELECT * FROM item WHERE image_sha256 = ? AND contest = ? AND claimed_key = ?')
      .get(imageSha256, request.contest, request.claimedKey) as ItemRow | undefined;
    if (existing !== undefined) return { item: itemOf(existing), queued: false };
    await writeFileDurably(this.#imageFile(imageSha256, request.contentType), request.image);
    const now = this.#clock();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const last = this.#db.prepare('SELECT MAX(sequence) AS last FROM item').get() as {
        last: number | null;
      };
      const sequence = (last.last ?? -1) + 1;
      const header: PackageHeader = {
        format: PACKAGE_FORMAT,
        contest: request.contest,
        claimedKey: request.claimedKey,
        origin: this.#device.origin,
        digitization: this.#device.origin === 'CATD' ? 'ESCANER' : 'MOVIL',
        documentType: 'ACTA_PREP',
        transfer: null,
        deviceId: this.#device.deviceId,
        sequence,
        deviceTime: formatIsoLocal(now, this.#device.utcOffsetMinutes),
        imageSha256,
        ...(request.keyConfirmed === true ? { keyConfirmed: true as const } : {}),
      };
      const bytes = packageBytes(header);
      this.#db
        .prepare(
          `INSERT INTO item (sequence, package_text, signature, package_sha256, image_sha256, content_type,
             contest, claimed_key, source, queued_at, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
        )
        .run(
          sequence,
          bytes.toString('utf8'),
          sign(null, bytes, this.#device.privateKey).toString('base64'),
          sha256(bytes),
          imageSha256,
          request.contentType,
          request.contest,
          request.claimedKey,
          request.source,
          now,
        );
      this.#db.exec('COMMIT');
      return { item: this.#get(sequence)!, queued: true };
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #get(sequence: number): ListedItem | null {
    const row = this.#db.prepare('SELECT * FROM item WHERE sequence = ?').get(sequence) as
      | ItemRow
      | undefined;
    return row === undefined ? null : itemOf(row);
  }

  async get(sequence: number): Promise<ListedItem | null> {
    return this.#get(sequence);
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    return (
      this.#db
        .prepare(
          "SELECT * FROM item WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY sequence LIMIT ?",
        )
        .all(now, limit) as unknown as ItemRow[]
    ).map(itemOf);
  }

  async nextDue(): Promise<number | null> {
    const row = this.#db
      .prepare("SELECT MIN(next_attempt_at) AS next FROM item WHERE state = 'pending'")
      .get() as { next: number | null };
    return row.next;
  }

  async image(item: OutboxItem): Promise<Uint8Array> {
    const bytes = await readFile(this.#imageFile(item.imageSha256, item.contentType));
    // The bytes on disk are what the signature covers; a damaged copy must not be sent as if it were.
    if (sha256(bytes) !== item.imageSha256)
      throw new Error(`the outbox copy of image ${item.imageSha256} is damaged`);
    return bytes;
  }

  async markDelivered(sequence: number, receipt: string, via: string): Promise<void> {
    this.#db
      .prepare(
        "UPDATE item SET state = 'delivered', receipt = ?, delivered_via = ?, done_at = ?, last_error = NULL WHERE sequence = ? AND state = 'pending'",
      )
      .run(receipt, via, this.#clock(), sequence);
  }

  async markRefused(sequence: number, reason: string): Promise<void> {
    this.#db
      .prepare(
        "UPDATE item SET state = 'refused', last_error = ?, done_at = ?, attempts = attempts + 1 WHERE sequence = ? AND state = 'pending'",
      )
      .run(reason, this.#clock(), sequence);
  }

  async markRetry(sequence: number, nextAttemptAt: number, reason: string): Promise<void> {
    this.#db
      .prepare(
        "UPDATE item SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE sequence = ? AND state = 'pending'",
      )
      .run(nextAttemptAt, reason, sequence);
  }

  /** Marks pending items as written to a USB bundle (they stay pending until a receipt arrives). */
  markExported(sequences: readonly number[], at: number): void {
    const statement = this.#db.prepare('UPDATE item SET exported_at = ? WHERE sequence = ?');
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const s of sequences) statement.run(at, s);
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  list(state?: ItemState): ListedItem[] {
    const rows =
      state === undefined
        ? this.#db.prepare('SELECT * FROM item ORDER BY sequence').all()
        : this.#db.prepare('SELECT * FROM item WHERE state = ? ORDER BY sequence').all(state);
    return (rows as unknown as ItemRow[]).map(itemOf);
  }

  counts(): OutboxCounts {
    const rows = this.#db
      .prepare(
        "SELECT state, COUNT(*) AS n, MIN(CASE WHEN state = 'pending' THEN queued_at END) AS oldest FROM item GROUP BY state",
      )
      .all() as { state: string; n: number; oldest: number | null }[];
    const n = (state: string) => rows.find((r) => r.state === state)?.n ?? 0;
    return {
      pending: n('pending'),
      delivered: n('delivered'),
      refused: n('refused'),
      oldestPendingAt: rows.find((r) => r.state === 'pending')?.oldest ?? null,
    };
  }

  /** Whether an image (by content) is already queued, for any acta: the watcher's cheap skip. */
  hasImage(imageSha256: string): boolean {
    return (
      this.#db.prepare('SELECT 1 FROM item WHERE image_sha256 = ? LIMIT 1').get(imageSha256) !== undefined
    );
  }
}
