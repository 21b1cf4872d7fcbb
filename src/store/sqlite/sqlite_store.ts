/**
 * The embedded store: SQLite through node:sqlite. One connection; transactions are serialised
 * by a promise queue so that awaits inside one can never interleave with another.
 *
 * Durability: a receipt promises the fact survives a power loss, so every commit must reach
 * the disk before anyone hears of it. In WAL mode that is one fsync of the WAL file per
 * commit. synchronous=FULL would do it inside COMMIT, on the event loop — ~4–5 ms per group
 * commit on a virtual disk, a quarter of a busy center's event loop. So the connection runs
 * synchronous=NORMAL (COMMIT writes the WAL without syncing it; checkpoints still sync) and
 * the store fsyncs the WAL file itself on the thread pool after each COMMIT, before the
 * transaction resolves and before the queue lets any reader or writer see the new state.
 * Same guarantee as FULL; the event loop serves HTTP meanwhile. If that fsync fails the store
 * refuses all further work: what the kernel did with the unsynced pages is unknown.
 */
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { ActaRecord } from '../../domain/acta_lifecycle.ts';
import { err, ok, type Result } from '../../domain/result.ts';
import type { TerritoryRow } from '../../domain/territory.ts';
import { closeFd, fsyncFd, openFd, syncDirectory } from '../../platform/durable_file.ts';
import { encodeEntry } from '../../journal/entries.ts';
import { CompactRange, hashLeaf } from '../../journal/merkle.ts';
import { catdActivity, type DevicePackageCount } from '../../intake/devices_port.ts';
import type {
  Activity,
  CheckpointRow,
  CosignatureRow,
  CutRow,
  DecoyRow,
  DeviceRow,
  ExportRow,
  ImageRow,
  JournalHead,
  AddressBlock,
  OperatorRow,
  SecurityAlertRow,
  SessionRow,
  Store,
  StoreTransaction,
} from '../store.ts';
import {
  type CaptureDbRow,
  type DeviceDbRow,
  type ImageDbRow,
  type PackageDbRow,
  SECURITY_MONITOR_META,
  securityAlertOf,
  type SessionDbRow,
  sessionOf as sessionOfRow,
  toCaptureTask,
  toDeviceRow,
  toImageRow,
  toPackageRow,
  TERRITORY_COLUMNS,
  type TerritoryDbRow,
  toTerritoryRow,
} from '../rows.ts';
import { classifyFault, StoreFaultError } from '../../platform/faults.ts';
import { MIGRATIONS } from './migrations.ts';
import type { Reading } from '../../domain/reader_score.ts';
import type { UnreadImage } from '../../reading/readings_port.ts';
import type { LastUse } from '../../security/access_port.ts';

const sessionOf = (row: unknown) => sessionOfRow(row as SessionDbRow | undefined);

export type OpenError = 'database-newer-than-code' | 'database-unreadable';

interface CosignatureDbRow {
  size: number;
  witness: string;
  key_id: string;
  line: string;
  cosigned_at: number;
  received_at: number;
}

const toCosignatureRow = (row: CosignatureDbRow): CosignatureRow => ({
  size: Number(row.size),
  witness: row.witness,
  keyId: row.key_id,
  line: row.line,
  cosignedAt: Number(row.cosigned_at),
  receivedAt: Number(row.received_at),
});

interface Statements {
  getMeta: StatementSync;
  setMeta: StatementSync;
  getActa: StatementSync;
  putActa: StatementSync;
  imagesBySha: StatementSync;
  imagesByRecord: StatementSync;
  addImage: StatementSync;
  appendJournal: StatementSync;
  getFrontier: StatementSync;
  getFrontierSize: StatementSync;
  setFrontier: StatementSync;
  addCheckpoint: StatementSync;
  addCut: StatementSync;
  addCosignature: StatementSync;
  getDevice: StatementSync;
  putDevice: StatementSync;
  getPackage: StatementSync;
  addPackage: StatementSync;
  getOperator: StatementSync;
  getOperatorByUsername: StatementSync;
  putOperator: StatementSync;
  getSession: StatementSync;
  putSession: StatementSync;
}

function migrate(db: DatabaseSync): Result<void, 'database-newer-than-code'> {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  const current = row.version ?? 0;
  if (current > MIGRATIONS.length)
    return err(
      'database-newer-than-code',
      `the database is at schema version ${current}, this code knows ${MIGRATIONS.length}: upgrade OpenPREP`,
    );
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[version - 1]!);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        version,
        Date.now(),
      );
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return ok(undefined);
}

class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #statements: Statements;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #cache = new Map<string, StatementSync>();
  #frontier: CompactRange;
  #closed = false;
  /** The WAL file this store fsyncs after each commit; null for ':memory:'. */
  readonly #walFile: string | null;
  #walFd: number | null = null;
  #failed: Error | null = null;

  constructor(db: DatabaseSync, walFile: string | null) {
    this.#db = db;
    this.#walFile = walFile;
    this.#statements = {
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      getActa: db.prepare('SELECT record FROM acta WHERE record_id = ?'),
      putActa: db.prepare(
        `INSERT INTO acta (record_id, contest, status, acopio_at, record) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (record_id) DO UPDATE SET status = excluded.status, acopio_at = excluded.acopio_at, record = excluded.record`,
      ),
      imagesBySha: db.prepare(
        'SELECT sha256, record_id, received_at, role, source FROM image WHERE sha256 = ? ORDER BY rowid',
      ),
      imagesByRecord: db.prepare(
        'SELECT sha256, record_id, received_at, role, source FROM image WHERE record_id = ? ORDER BY rowid',
      ),
      addImage: db.prepare(
        'INSERT INTO image (sha256, record_id, received_at, role, source) VALUES (?, ?, ?, ?, ?)',
      ),
      appendJournal: db.prepare('INSERT INTO journal (leaf_index, entry, leaf_hash) VALUES (?, ?, ?)'),
      getFrontier: db.prepare('SELECT size, hashes FROM journal_frontier WHERE id = 1'),
      getFrontierSize: db.prepare('SELECT size FROM journal_frontier WHERE id = 1'),
      setFrontier: db.prepare(
        'INSERT INTO journal_frontier (id, size, hashes) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET size = excluded.size, hashes = excluded.hashes',
      ),
      addCheckpoint: db.prepare(
        'INSERT OR IGNORE INTO checkpoint (size, root, note, signed_at) VALUES (?, ?, ?, ?)',
      ),
      addCosignature: db.prepare(
        'INSERT OR IGNORE INTO witness_cosignature (size, witness, key_id, line, cosigned_at, received_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      addCut: db.prepare(
        'INSERT INTO cut (sequence, id, cut_time, journal_size, manifest_sha256, final) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      getDevice: db.prepare(
        'SELECT id, public_key, origin, bound_to, label, enrolled_at, revoked_at FROM device WHERE id = ?',
      ),
      putDevice: db.prepare(
        `INSERT INTO device (id, public_key, origin, bound_to, label, enrolled_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at`,
      ),
      getPackage: db.prepare(
        `SELECT device_id, sequence, package_sha256, image_sha256, record_id, acopio_at, outcome, receipt
         FROM package WHERE device_id = ? AND sequence = ?`,
      ),
      addPackage: db.prepare(
        `INSERT INTO package (device_id, sequence, package_sha256, image_sha256, record_id, acopio_at, outcome, receipt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getOperator: db.prepare('SELECT record FROM operator WHERE id = ?'),
      getOperatorByUsername: db.prepare('SELECT record FROM operator WHERE username = ?'),
      putOperator: db.prepare(
        `INSERT INTO operator (id, username, role, scope, record) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, role = excluded.role, scope = excluded.scope, record = excluded.record`,
      ),
      getSession: db.prepare(
        'SELECT id_hash, operator_id, created_at, last_seen_at, csrf_hash, webauthn_at, revoked_at FROM session WHERE id_hash = ?',
      ),
      putSession: db.prepare(
        `INSERT INTO session (id_hash, operator_id, created_at, last_seen_at, csrf_hash, webauthn_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at, webauthn_at = excluded.webauthn_at, revoked_at = excluded.revoked_at`,
      ),
    };
    this.#frontier = this.#readFrontier();
  }

  /**
   * Another process on the same database (an `openprep device revoke` while `serve` runs, say)
   * may have appended to the journal: the cached frontier is checked against the stored size,
   * and reloaded when they differ, before it is used.
   */
  #refresh(): void {
    const row = this.#statements.getFrontierSize.get() as { size: number } | undefined;
    if ((row?.size ?? 0) !== this.#frontier.size) this.#frontier = this.#readFrontier();
  }

  #readFrontier(): CompactRange {
    const row = this.#statements.getFrontier.get() as { size: number; hashes: string } | undefined;
    if (row === undefined) return new CompactRange();
    return CompactRange.fromJSON({ size: row.size, hashes: JSON.parse(row.hashes) as string[] });
  }

  /** Makes everything committed so far durable (see the module comment). */
  async #syncWal(): Promise<void> {
    if (this.#walFile === null) return;
    try {
      if (this.#walFd === null) {
        // SQLite created the WAL file when the connection first read; its name must be durable too.
        this.#walFd = await openFd(this.#walFile, 'r');
        await syncDirectory(dirname(this.#walFile));
      }
      await fsyncFd(this.#walFd);
    } catch (error) {
      const fault = classifyFault(error);
      this.#failed = new StoreFaultError(
        {
          kind: fault?.kind ?? 'store-unavailable',
          code: fault?.code ?? 'fsync',
          message: `the store could not make a commit durable: ${(error as Error).message}`,
          permanent: true,
        },
        { cause: error },
      );
      throw this.#failed;
    }
  }

  /** A statement compiled once per connection: claims and the queue run several per capture. */
  #prepared(sql: string): StatementSync {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement;
  }

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.#closed) throw new Error('store is closed');
      if (this.#failed !== null) throw this.#failed;
      const db = this.#db;
      const s = this.#statements;
      const prepared = (sql: string) => this.#prepared(sql);
      // Set once the write lock is held (below): another process may have appended meanwhile.
      let frontier = this.#frontier;
      let journalChanged = false;
      const tx: StoreTransaction = {
        getMeta: async (key) => (s.getMeta.get(key) as { value: string } | undefined)?.value ?? null,
        setMeta: async (key, value) => {
          s.setMeta.run(key, value);
        },
        getActa: async (recordId) => {
          const row = s.getActa.get(recordId) as { record: string } | undefined;
          return row === undefined ? null : (JSON.parse(row.record) as ActaRecord);
        },
        putActa: async (record, acopioAt) => {
          s.putActa.run(record.recordId, record.contest, record.status, acopioAt, JSON.stringify(record));
        },
        imagesBySha: async (sha) => (s.imagesBySha.all(sha) as unknown as ImageDbRow[]).map(toImageRow),
        addImage: async (image) => {
          s.addImage.run(image.sha256, image.recordId, image.receivedAt, image.role, image.source);
        },
        appendJournal: async (entry) => {
          const bytes = encodeEntry(entry);
          const leafHash = hashLeaf(bytes);
          const index = frontier.size;
          s.appendJournal.run(index, bytes, leafHash);
          frontier.append(leafHash);
          journalChanged = true;
          return index;
        },
        addCheckpoint: async (checkpoint) => {
          s.addCheckpoint.run(checkpoint.size, checkpoint.rootHash, checkpoint.note, checkpoint.signedAt);
        },
        addCosignature: async (c) => {
          s.addCosignature.run(c.size, c.witness, c.keyId, c.line, c.cosignedAt, c.receivedAt);
        },
        addCut: async (cut) => {
          s.addCut.run(
            cut.sequence,
            cut.id,
            cut.cutTime,
            cut.journalSize,
            cut.manifestSha256,
            cut.final ? 1 : 0,
          );
        },
        getDevice: async (id) => toDeviceRow(s.getDevice.get(id) as DeviceDbRow | undefined),
        putDevice: async (d) => {
          s.putDevice.run(d.id, d.publicKey, d.origin, d.boundTo, d.label, d.enrolledAt, d.revokedAt);
        },
        getPackage: async (deviceId, sequence) =>
          toPackageRow(s.getPackage.get(deviceId, sequence) as PackageDbRow | undefined),
        addPackage: async (p) => {
          s.addPackage.run(
            p.deviceId,
            p.sequence,
            p.packageSha256,
            p.imageSha256,
            p.recordId,
            p.acopioAt,
            p.outcome,
            p.receipt,
          );
        },
        getOperator: async (id) => operatorOf(s.getOperator.get(id)),
        getOperatorByUsername: async (username) => operatorOf(s.getOperatorByUsername.get(username)),
        putOperator: async (o) => {
          s.putOperator.run(o.id, o.username, o.role, o.scope, JSON.stringify(o));
        },
        operatorsInScope: async (prefix) =>
          (
            prepared(
              'SELECT record FROM operator WHERE ? IS NULL OR scope = ? OR scope LIKE ? ORDER BY id',
            ).all(prefix, prefix, `${prefix ?? ''}:%`) as { record: string }[]
          ).map((row) => JSON.parse(row.record) as OperatorRow),
        getSession: async (idHash) => sessionOf(s.getSession.get(idHash)),
        putSession: async (x) => {
          s.putSession.run(
            x.idHash,
            x.operatorId,
            x.createdAt,
            x.lastSeenAt,
            x.csrfHash,
            x.webauthnAt,
            x.revokedAt,
          );
        },
        captureClaims: async (recordIds, now) => {
          const claims = new Map<string, string[]>();
          if (recordIds.length === 0) return claims;
          const rows = prepared(
            `SELECT record_id, operator_id FROM capture_claim
               WHERE record_id IN (SELECT value FROM json_each(?)) AND expires_at > ? ORDER BY record_id, operator_id`,
          ).all(JSON.stringify(recordIds), now) as { record_id: string; operator_id: string }[];
          for (const row of rows)
            claims.set(row.record_id, [...(claims.get(row.record_id) ?? []), row.operator_id]);
          return claims;
        },
        claimsOf: async (operatorId, now) =>
          (
            prepared(
              'SELECT record_id FROM capture_claim WHERE operator_id = ? AND expires_at > ? ORDER BY record_id',
            ).all(operatorId, now) as { record_id: string }[]
          ).map((row) => row.record_id),
        putCaptureClaim: async (recordId, operatorId, expiresAt) => {
          prepared(
            `INSERT INTO capture_claim (record_id, operator_id, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (record_id, operator_id) DO UPDATE SET expires_at = excluded.expires_at`,
          ).run(recordId, operatorId, expiresAt);
        },
        deleteCaptureClaim: async (recordId, operatorId) => {
          prepared('DELETE FROM capture_claim WHERE record_id = ? AND operator_id = ?').run(
            recordId,
            operatorId,
          );
        },
        captureQueue: async (options) => {
          const after = options.after;
          // The partial index, walked in order from where the last page ended: the planner
          // would otherwise pick the status index and sort every acta awaiting capture.
          const sql = `SELECT record_id, contest, status, acopio_at FROM acta INDEXED BY acta_capture_queue
             WHERE status IN ('received', 'captured_once') AND held_until = 0 AND (? IS NULL OR contest = ?)
             ${after === undefined ? '' : 'AND (acopio_at, record_id) > (?, ?)'}
             ORDER BY acopio_at, record_id LIMIT ?`;
          const contest = options.contest ?? null;
          const rows = (after === undefined
            ? prepared(sql).all(contest, contest, options.limit)
            : prepared(sql).all(
                contest,
                contest,
                after.acopioAt,
                after.recordId,
                options.limit,
              )) as unknown as CaptureDbRow[];
          return rows.map(toCaptureTask);
        },
        setCaptureHold: async (recordId, until) => {
          prepared('UPDATE acta SET held_until = ? WHERE record_id = ?').run(until, recordId);
        },
        releaseCaptureHolds: async (now) => {
          prepared('UPDATE acta SET held_until = 0 WHERE held_until > 0 AND held_until <= ?').run(now);
        },
        getLease: async (name) => {
          const row = prepared('SELECT name, holder, expires_at FROM lease WHERE name = ?').get(name) as
            | { name: string; holder: string; expires_at: number }
            | undefined;
          return row === undefined ? null : { name: row.name, holder: row.holder, expiresAt: row.expires_at };
        },
        putDecoy: async (decoy) => {
          prepared('INSERT INTO decoy (id, kind, export_id, created_at, record) VALUES (?, ?, ?, ?, ?)').run(
            decoy.id,
            decoy.kind,
            decoy.exportId,
            decoy.createdAt,
            JSON.stringify(decoy),
          );
        },
        putExport: async (exported) => {
          prepared('INSERT INTO security_export (id, at, record) VALUES (?, ?, ?)').run(
            exported.id,
            exported.at,
            JSON.stringify(exported),
          );
        },
        putLease: async (lease) => {
          prepared(
            `INSERT INTO lease (name, holder, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`,
          ).run(lease.name, lease.holder, lease.expiresAt);
        },
        replaceTerritory: async (rows) => {
          prepared('DELETE FROM territory').run();
          const insert = prepared(
            'INSERT INTO territory (unit, unit_kind, area_kind, area) VALUES (?, ?, ?, ?)',
          );
          for (const row of rows) insert.run(row.unit, row.unitKind, row.areaKind, row.area);
        },
        insertSecurityAlert: async (alert) => {
          const { raisedAt, ...fields } = alert;
          const result = prepared(
            'INSERT INTO security_alert (alert_id, raised_at, record) VALUES (?, ?, ?) ON CONFLICT (alert_id) DO NOTHING',
          ).run(alert.alertId, raisedAt, JSON.stringify(fields));
          return Number(result.changes) === 1;
        },
        blockAddress: async (block) => {
          prepared(
            `INSERT INTO address_block (address, until, alert_id) VALUES (?, ?, ?)
             ON CONFLICT (address) DO UPDATE SET until = excluded.until, alert_id = excluded.alert_id
             WHERE excluded.until > address_block.until`,
          ).run(block.address, block.until, block.alertId);
        },
        requireStepUp: async (operatorId) =>
          Number(
            prepared(
              'UPDATE session SET webauthn_at = NULL WHERE operator_id = ? AND revoked_at IS NULL AND webauthn_at IS NOT NULL',
            ).run(operatorId).changes,
          ),
        getSecurityMonitor: async () =>
          (s.getMeta.get(SECURITY_MONITOR_META) as { value: string } | undefined)?.value ?? null,
        putSecurityMonitor: async (state) => {
          s.setMeta.run(SECURITY_MONITOR_META, state);
        },
        revokeSessions: async (operatorIds, at) => {
          let revoked = 0;
          const statement = prepared(
            'UPDATE session SET revoked_at = ? WHERE operator_id = ? AND revoked_at IS NULL',
          );
          for (const id of operatorIds) revoked += Number(statement.run(at, id).changes);
          return revoked;
        },
      };
      let result: T;
      db.exec('BEGIN IMMEDIATE');
      try {
        this.#refresh();
        frontier = CompactRange.fromJSON(this.#frontier.toJSON());
        result = await work(tx);
        if (journalChanged) s.setFrontier.run(frontier.size, JSON.stringify(frontier.toJSON().hashes));
        db.exec('COMMIT');
        if (journalChanged) this.#frontier = frontier;
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
      await this.#syncWal();
      return result;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Reads run between transactions, never inside one, so they see only committed state. */
  #read<T>(read: () => T): Promise<T> {
    const guarded = (): T => {
      if (this.#failed !== null) throw this.#failed;
      return read();
    };
    const result = this.#queue.then(guarded, guarded);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  getMeta(key: string): Promise<string | null> {
    return this.#read(
      () => (this.#statements.getMeta.get(key) as { value: string } | undefined)?.value ?? null,
    );
  }

  getActa(recordId: string): Promise<ActaRecord | null> {
    return this.#read(() => {
      const row = this.#statements.getActa.get(recordId) as { record: string } | undefined;
      return row === undefined ? null : (JSON.parse(row.record) as ActaRecord);
    });
  }

  mayHaveCaptureWork(options: { operatorId: string; contest?: string; now: number }): Promise<boolean> {
    return this.#read(() => {
      const row = this.#prepared(
        `SELECT EXISTS (SELECT 1 FROM capture_claim WHERE operator_id = ? AND expires_at > ?)
             OR EXISTS (SELECT 1 FROM acta INDEXED BY acta_capture_queue
                        WHERE status IN ('received', 'captured_once') AND held_until = 0 AND (? IS NULL OR contest = ?))
             OR EXISTS (SELECT 1 FROM acta WHERE held_until > 0 AND held_until <= ?) AS work`,
      ).get(
        options.operatorId,
        options.now,
        options.contest ?? null,
        options.contest ?? null,
        options.now,
      ) as {
        work: number;
      };
      return row.work === 1;
    });
  }

  mismatchQueue(limit: number): Promise<ActaRecord[]> {
    return this.#read(() =>
      (
        this.#db
          .prepare("SELECT record FROM acta WHERE status = 'mismatch' ORDER BY acopio_at, record_id LIMIT ?")
          .all(limit) as { record: string }[]
      ).map((row) => JSON.parse(row.record) as ActaRecord),
    );
  }

  snapshot(): Promise<{ head: JournalHead; records: ActaRecord[] }> {
    return this.#read(() => {
      // One read transaction: the records and the journal head belong to the same committed
      // state, even while another process writes.
      this.#db.exec('BEGIN');
      try {
        this.#refresh();
        const records = (
          this.#db.prepare('SELECT record FROM acta ORDER BY record_id').all() as { record: string }[]
        ).map((row) => JSON.parse(row.record) as ActaRecord);
        return { head: { size: this.#frontier.size, rootHash: this.#frontier.root() }, records };
      } finally {
        this.#db.exec('COMMIT');
      }
    });
  }

  journalHead(): Promise<JournalHead> {
    return this.#read(() => {
      this.#refresh();
      return { size: this.#frontier.size, rootHash: this.#frontier.root() };
    });
  }

  journalLeafHashes(start: number, end: number): Promise<Buffer[]> {
    return this.#read(() =>
      (
        this.#db
          .prepare(
            'SELECT leaf_hash FROM journal WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index',
          )
          .all(start, end) as { leaf_hash: Uint8Array }[]
      ).map((row) => Buffer.from(row.leaf_hash)),
    );
  }

  journalEntries(start: number, end: number): Promise<Buffer[]> {
    return this.#read(() =>
      (
        this.#db
          .prepare('SELECT entry FROM journal WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index')
          .all(start, end) as { entry: Uint8Array }[]
      ).map((row) => Buffer.from(row.entry)),
    );
  }

  checkpoints(): Promise<CheckpointRow[]> {
    return this.#read(() =>
      (
        this.#db.prepare('SELECT size, root, note, signed_at FROM checkpoint ORDER BY size').all() as {
          size: number;
          root: Uint8Array;
          note: string;
          signed_at: number;
        }[]
      ).map((row) => ({
        size: row.size,
        rootHash: Buffer.from(row.root),
        note: row.note,
        signedAt: row.signed_at,
      })),
    );
  }
  checkpointOfSize(size: number): Promise<CheckpointRow | null> {
    return this.#read(() => {
      const row = this.#db
        .prepare('SELECT size, root, note, signed_at FROM checkpoint WHERE size = ?')
        .get(size) as { size: number; root: Uint8Array; note: string; signed_at: number } | undefined;
      return row === undefined
        ? null
        : { size: row.size, rootHash: Buffer.from(row.root), note: row.note, signedAt: row.signed_at };
    });
  }

  async putReading(reading: Reading): Promise<void> {
    await this.transaction(async () => {
      this.#prepared(
        'INSERT OR IGNORE INTO reader_reading (record_id, image_sha256, model_sha256, read_at, reading) VALUES (?, ?, ?, ?, ?)',
      ).run(
        reading.recordId,
        reading.imageSha256,
        reading.modelSha256,
        reading.readAt,
        JSON.stringify(reading),
      );
    });
  }

  readings(modelSha256: string): Promise<Reading[]> {
    return this.#read(() =>
      (
        this.#prepared(
          'SELECT reading FROM reader_reading WHERE model_sha256 = ? ORDER BY read_at, record_id, image_sha256',
        ).all(modelSha256) as { reading: string }[]
      ).map((row) => JSON.parse(row.reading) as Reading),
    );
  }

  unreadImages(modelSha256: string, limit: number): Promise<UnreadImage[]> {
    return this.#read(() =>
      (
        this.#prepared(
          `SELECT i.record_id, i.sha256 FROM image i WHERE i.role = 'record' AND NOT EXISTS (
             SELECT 1 FROM reader_reading r
             WHERE r.record_id = i.record_id AND r.image_sha256 = i.sha256 AND r.model_sha256 = ?)
           ORDER BY i.received_at, i.record_id LIMIT ?`,
        ).all(modelSha256, limit) as { record_id: string; sha256: string }[]
      ).map((row) => ({ recordId: row.record_id, imageSha256: row.sha256 })),
    );
  }

  cosignatures(size: number): Promise<CosignatureRow[]> {
    return this.#read(() =>
      (
        this.#db
          .prepare(
            'SELECT size, witness, key_id, line, cosigned_at, received_at FROM witness_cosignature WHERE size = ? ORDER BY received_at, witness',
          )
          .all(size) as unknown as CosignatureDbRow[]
      ).map(toCosignatureRow),
    );
  }

  latestCheckpoint(): Promise<CheckpointRow | null> {
    return this.#read(() => {
      const row = this.#db
        .prepare('SELECT size, root, note, signed_at FROM checkpoint ORDER BY size DESC LIMIT 1')
        .get() as { size: number; root: Uint8Array; note: string; signed_at: number } | undefined;
      return row === undefined
        ? null
        : { size: row.size, rootHash: Buffer.from(row.root), note: row.note, signedAt: row.signed_at };
    });
  }

  cuts(): Promise<CutRow[]> {
    return this.#read(() =>
      (
        this.#db
          .prepare(
            'SELECT sequence, id, cut_time, journal_size, manifest_sha256, final FROM cut ORDER BY sequence',
          )
          .all() as {
          sequence: number;
          id: string;
          cut_time: number;
          journal_size: number;
          manifest_sha256: string;
          final: number;
        }[]
      ).map((row) => ({
        sequence: row.sequence,
        id: row.id,
        cutTime: row.cut_time,
        journalSize: row.journal_size,
        manifestSha256: row.manifest_sha256,
        final: row.final === 1,
      })),
    );
  }

  images(recordId: string): Promise<ImageRow[]> {
    return this.#read(() =>
      (this.#statements.imagesByRecord.all(recordId) as unknown as ImageDbRow[]).map(toImageRow),
    );
  }

  getDevice(id: string): Promise<DeviceRow | null> {
    return this.#read(() => toDeviceRow(this.#statements.getDevice.get(id) as DeviceDbRow | undefined));
  }

  devices(): Promise<DeviceRow[]> {
    return this.#read(() =>
      (
        this.#db
          .prepare(
            'SELECT id, public_key, origin, bound_to, label, enrolled_at, revoked_at FROM device ORDER BY id',
          )
          .all() as unknown as DeviceDbRow[]
      ).map((row) => toDeviceRow(row)!),
    );
  }

  territoryOf(
    unit: string,
    areas?: readonly string[],
  ): Promise<{ readonly declared: boolean; readonly rows: TerritoryRow[] }> {
    return this.#read(() => {
      const rows = (areas === undefined
        ? this.#db.prepare(`${TERRITORY_COLUMNS} WHERE unit = ? ORDER BY area`).all(unit)
        : this.#db
            .prepare(
              `${TERRITORY_COLUMNS} WHERE unit = ? AND area IN (SELECT value FROM json_each(?)) ORDER BY area`,
            )
            .all(unit, JSON.stringify(areas))) as unknown as TerritoryDbRow[];
      const declared =
        rows.length > 0 ||
        this.#db.prepare('SELECT 1 FROM territory WHERE unit = ? LIMIT 1').get(unit) !== undefined;
      return { declared, rows: rows.map(toTerritoryRow) };
    });
  }

  territory(): Promise<TerritoryRow[]> {
    return this.#read(() =>
      (this.#db.prepare(`${TERRITORY_COLUMNS} ORDER BY unit, area`).all() as unknown as TerritoryDbRow[]).map(
        toTerritoryRow,
      ),
    );
  }

  operators(): Promise<OperatorRow[]> {
    return this.#read(() =>
      (this.#db.prepare('SELECT record FROM operator ORDER BY id').all() as { record: string }[]).map(
        (row) => JSON.parse(row.record) as OperatorRow,
      ),
    );
  }

  decoys(): Promise<DecoyRow[]> {
    return this.#read(() =>
      (this.#prepared('SELECT record FROM decoy ORDER BY created_at, id').all() as { record: string }[]).map(
        (row) => JSON.parse(row.record) as DecoyRow,
      ),
    );
  }

  exports(): Promise<ExportRow[]> {
    return this.#read(() =>
      (
        this.#prepared('SELECT record FROM security_export ORDER BY at, id').all() as { record: string }[]
      ).map((row) => JSON.parse(row.record) as ExportRow),
    );
  }

  sessionIdHashes(): Promise<string[]> {
    return this.#read(() =>
      (this.#prepared('SELECT id_hash FROM session ORDER BY id_hash').all() as { id_hash: string }[]).map(
        (row) => row.id_hash,
      ),
    );
  }

  getSession(idHash: string): Promise<SessionRow | null> {
    return this.#read(() => sessionOf(this.#statements.getSession.get(idHash)));
  }

  operatorsLastUse(): Promise<LastUse[]> {
    return this.#read(() =>
      (
        this.#prepared(
          'SELECT operator_id AS id, MAX(last_seen_at) AS at FROM session GROUP BY operator_id ORDER BY operator_id',
        ).all() as unknown as LastUse[]
      ).map((row) => ({ id: row.id, at: row.at })),
    );
  }

  devicesLastPackage(): Promise<LastUse[]> {
    return this.#read(() =>
      (
        this.#prepared(
          `SELECT id, at FROM (SELECT d.id AS id,
             (SELECT acopio_at FROM package p WHERE p.device_id = d.id ORDER BY sequence DESC LIMIT 1) AS at
           FROM device d) WHERE at IS NOT NULL ORDER BY id`,
        ).all() as unknown as LastUse[]
      ).map((row) => ({ id: row.id, at: row.at })),
    );
  }

  securityAlerts(limit: number): Promise<SecurityAlertRow[]> {
    return this.#read(() =>
      (
        this.#prepared(
          'SELECT raised_at, record FROM security_alert ORDER BY raised_at DESC, alert_id LIMIT ?',
        ).all(limit) as { raised_at: number; record: string }[]
      ).map((row) => securityAlertOf(row.record, row.raised_at)),
    );
  }

  addressBlocks(now: number): Promise<AddressBlock[]> {
    return this.#read(() =>
      (
        this.#prepared(
          'SELECT address, until, alert_id FROM address_block WHERE until > ? ORDER BY address',
        ).all(now) as { address: string; until: number; alert_id: string }[]
      ).map((row) => ({ address: row.address, until: row.until, alertId: row.alert_id })),
    );
  }

  getOperator(id: string): Promise<OperatorRow | null> {
    return this.#read(() => operatorOf(this.#statements.getOperator.get(id)));
  }

  packageCount(deviceId?: string): Promise<number> {
    return this.#read(
      () =>
        (
          this.#db
            .prepare('SELECT COUNT(*) AS n FROM package WHERE ? IS NULL OR device_id = ?')
            .get(deviceId ?? null, deviceId ?? null) as { n: number }
        ).n,
    );
  }

  activity(since: number): Promise<Activity> {
    return this.#read(() => {
      const actas = this.#actaCounts();
      const counts = this.#prepared(
        `SELECT device_id AS deviceId, outcome, COUNT(*) AS n, SUM(acopio_at >= ?) AS since
         FROM package GROUP BY device_id, outcome`,
      ).all(since) as unknown as DevicePackageCount[];
      const devices = this.#prepared('SELECT id, bound_to FROM device').all() as {
        id: string;
        bound_to: string;
      }[];
      return { actas, catds: catdActivity(counts, new Map(devices.map((d) => [d.id, d.bound_to]))) };
    });
  }

  actaCounts(): Promise<Activity['actas']> {
    return this.#read(() => this.#actaCounts());
  }

  #actaCounts(): Activity['actas'] {
    const actas = { received: 0, captured_once: 0, mismatch: 0, verified: 0, sin_acta: 0 };
    for (const row of this.#prepared('SELECT status, COUNT(*) AS n FROM acta GROUP BY status').all() as {
      status: keyof typeof actas;
      n: number;
    }[])
      actas[row.status] = row.n;
    return actas;
  }

  async close(): Promise<void> {
    await this.#queue;
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
    if (this.#walFd !== null) await closeFd(this.#walFd);
  }
}

function operatorOf(row: unknown): OperatorRow | null {
  return row === undefined ? null : (JSON.parse((row as { record: string }).record) as OperatorRow);
}

/** Opens (creating and migrating if needed) a SQLite store at `path`, or ':memory:'. */
export function openSqliteStore(path: string): Result<Store, OpenError> {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = WAL');
    // NORMAL plus the store's own fsync of the WAL after each commit: see the module comment.
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('PRAGMA busy_timeout = 5000');
    // A national night's store is ~1 GB; SQLite's default page cache is 2 MB, and every
    // capture then reads its B-tree pages back from the kernel. 256 MiB keeps the hot part.
    db.exec('PRAGMA cache_size = -262144');
  } catch (error) {
    return err('database-unreadable', `cannot open ${path}: ${(error as Error).message}`);
  }
  try {
    const migrated = migrate(db);
    if (!migrated.ok) {
      db.close();
      return migrated;
    }
    return ok(new SqliteStore(db, path === ':memory:' ? null : `${path}-wal`));
  } catch (error) {
    // A damaged file often shows only at the first read (the schema, the frontier).
    const fault = classifyFault(error);
    if (fault === null) throw error;
    db.close();
    return err('database-unreadable', `cannot read ${path}: ${fault.message} (${fault.code})`);
  }
}

/**
 * SQLite's `PRAGMA quick_check` on its own read-only connection: every page's structure,
 * without matching indexes to their tables (integrity_check's costly part). Run at start, so a
 * damaged file stops the service before its first acta instead of failing them one by one.
 */
export function quickCheckSqlite(path: string): Result<void, 'store-damaged'> {
  let db: DatabaseSync | null = null;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const rows = db.prepare('PRAGMA quick_check(20)').all() as { quick_check: string }[];
    const problems = rows.map((row) => row.quick_check).filter((line) => line !== 'ok');
    if (problems.length > 0)
      return err('store-damaged', `${path} is damaged: ${problems.slice(0, 3).join('; ')}`);
    return ok(undefined);
  } catch (error) {
    const fault = classifyFault(error);
    if (fault === null) throw error;
    return err('store-damaged', `${path} is damaged: ${fault.message} (${fault.code})`);
  } finally {
    db?.close();
  }
}
