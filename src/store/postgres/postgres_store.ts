/**
 * The store on PostgreSQL, for several nodes on one database (selected with DATABASE_URL).
 * Same tables, same rules and the same contract tests as SQLite (src/store/store.contract.ts).
 *
 * Write transactions take one transaction-scoped advisory lock first, so they are serialised
 * across every node exactly as SQLite serialises them in one: the journal's leaf indices are
 * strictly ordered and gap-free whoever writes, the frontier row always describes the leaves
 * below it, and a read-modify-write of an acta cannot lose an update. Commits are durable
 * (PostgreSQL's default synchronous_commit). Reads go straight to the pool; a snapshot reads
 * the records and the journal head in one REPEATABLE READ transaction.
 */
import pg from 'pg';
import type { ActaRecord } from '../../domain/acta_lifecycle.ts';
import { err, ok, type Result } from '../../domain/result.ts';
import type { TerritoryRow } from '../../domain/territory.ts';
import { encodeEntry } from '../../journal/entries.ts';
import { CompactRange, hashLeaf } from '../../journal/merkle.ts';
import { catdActivity, type DevicePackageCount } from '../../intake/devices_port.ts';
import type {
  Activity,
  AddressBlock,
  CheckpointRow,
  CosignatureRow,
  CutRow,
  DecoyRow,
  DeviceRow,
  ExportRow,
  ImageRow,
  JournalHead,
  OperatorRow,
  PackageRow,
  PoolStats,
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
  sessionOf,
  toCaptureTask,
  toDeviceRow,
  toImageRow,
  toPackageRow,
  TERRITORY_COLUMNS,
  type TerritoryDbRow,
  toTerritoryRow,
} from '../rows.ts';
import { PG_MIGRATIONS, PG_OLDEST_READER } from './migrations.ts';
import type { Reading } from '../../domain/reader_score.ts';
import type { UnreadImage } from '../../reading/readings_port.ts';
import type { LastUse } from '../../security/access_port.ts';

export type PostgresOpenError = 'database-newer-than-code' | 'database-unreadable';

/** Advisory lock keys ("OPREP" + a purpose digit): one for writes, one for migrations. */
const WRITE_LOCK = 0x4f5052455001;
const MIGRATION_LOCK = 0x4f5052455002;

// BIGINT (oid 20) as a number: every value stored is an epoch millisecond, an index or a count.
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

type Queryable = Pick<pg.PoolClient, 'query'>;

async function rows<T>(db: Queryable, sql: string, values: unknown[] = []): Promise<T[]> {
  return (await db.query(sql, values)).rows as T[];
}

async function first<T>(db: Queryable, sql: string, values: unknown[] = []): Promise<T | undefined> {
  return (await rows<T>(db, sql, values))[0];
}

async function readFrontier(db: Queryable): Promise<CompactRange> {
  const row = await first<{ size: number; hashes: string }>(
    db,
    'SELECT size, hashes FROM journal_frontier WHERE id = 1',
  );
  if (row === undefined) return new CompactRange();
  return CompactRange.fromJSON({ size: row.size, hashes: JSON.parse(row.hashes) as string[] });
}

const parseRecord = (row: { record: string }) => JSON.parse(row.record) as ActaRecord;
const parseOperator = (row: { record: string } | undefined) =>
  row === undefined ? null : (JSON.parse(row.record) as OperatorRow);

class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  #closed = false;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  poolStats(): PoolStats {
    const pool = this.#pool;
    return {
      max: pool.options.max ?? 10,
      inUse: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    };
  }

  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('store is closed');
    const client = await this.#pool.connect();
    let frontier: CompactRange | null = null;
    let journalChanged = false;
    // The rows a transaction adds are sent at its end, several to a statement: inside the one
    // write lock every round trip counts, and intake adds four rows per package. Reads inside
    // the transaction see them (they look here first).
    const pending = new PendingRows();
    const tx: StoreTransaction = {
      getMeta: async (key) =>
        (await first<{ value: string }>(client, 'SELECT value FROM meta WHERE key = $1', [key]))?.value ??
        null,
      setMeta: async (key, value) => {
        await client.query(
          'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
          [key, value],
        );
      },
      getActa: async (recordId) => {
        const buffered = pending.actas.get(recordId);
        if (buffered !== undefined) return structuredClone(buffered.record);
        const row = await first<{ record: string }>(client, 'SELECT record FROM acta WHERE record_id = $1', [
          recordId,
        ]);
        return row === undefined ? null : parseRecord(row);
      },
      putActa: async (record, acopioAt) => {
        pending.actas.set(record.recordId, { record: structuredClone(record), acopioAt });
      },
      imagesBySha: async (sha) => [
        ...(
          await rows<ImageDbRow>(
            client,
            'SELECT sha256, record_id, received_at, role, source FROM image WHERE sha256 = $1 ORDER BY position',
            [sha],
          )
        ).map(toImageRow),
        ...pending.images.filter((image) => image.sha256 === sha),
      ],
      addImage: async (image) => {
        pending.images.push(image);
      },
      appendJournal: async (entry) => {
        frontier ??= await readFrontier(client);
        const bytes = encodeEntry(entry);
        const leafHash = hashLeaf(bytes);
        const index = frontier.size;
        pending.journal.push([index, bytes, leafHash]);
        frontier.append(leafHash);
        journalChanged = true;
        return index;
      },
      addCheckpoint: async (checkpoint) => {
        await client.query(
          'INSERT INTO checkpoint (size, root, note, signed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING',
          [checkpoint.size, checkpoint.rootHash, checkpoint.note, checkpoint.signedAt],
        );
      },
      addCosignature: async (c) => {
        await client.query(
          'INSERT INTO witness_cosignature (size, witness, key_id, line, cosigned_at, received_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
          [c.size, c.witness, c.keyId, c.line, c.cosignedAt, c.receivedAt],
        );
      },
      addCut: async (cut) => {
        await client.query(
          'INSERT INTO cut (sequence, id, cut_time, journal_size, manifest_sha256, final) VALUES ($1, $2, $3, $4, $5, $6)',
          [cut.sequence, cut.id, cut.cutTime, cut.journalSize, cut.manifestSha256, cut.final],
        );
      },
      getDevice: async (id) =>
        toDeviceRow(await first<DeviceDbRow>(client, `${DEVICE_COLUMNS} WHERE id = $1`, [id])),
      putDevice: async (d) => {
        await client.query(
          `INSERT INTO device (id, public_key, origin, bound_to, label, enrolled_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at`,
          [d.id, d.publicKey, d.origin, d.boundTo, d.label, d.enrolledAt, d.revokedAt],
        );
      },
      getPackage: async (deviceId, sequence) =>
        pending.packages.get(`${deviceId}\u0000${sequence}`) ??
        toPackageRow(
          await first<PackageDbRow>(
            client,
            `SELECT device_id, sequence, package_sha256, image_sha256, record_id, acopio_at, outcome, receipt
             FROM package WHERE device_id = $1 AND sequence = $2`,
            [deviceId, sequence],
          ),
        ),
      addPackage: async (p) => {
        const key = `${p.deviceId}\u0000${p.sequence}`;
        // As the table's primary key would, at once.
        if (pending.packages.has(key)) throw new Error(`package (${p.deviceId}, ${p.sequence}) added twice`);
        pending.packages.set(key, p);
      },
      getOperator: async (id) =>
        parseOperator(
          await first<{ record: string }>(client, 'SELECT record FROM operator WHERE id = $1', [id]),
        ),
      getOperatorByUsername: async (username) =>
        parseOperator(
          await first<{ record: string }>(client, 'SELECT record FROM operator WHERE username = $1', [
            username,
          ]),
        ),
      putDecoy: async (decoy) => {
        await client.query(
          'INSERT INTO decoy (id, kind, export_id, created_at, record) VALUES ($1, $2, $3, $4, $5)',
          [decoy.id, decoy.kind, decoy.exportId, decoy.createdAt, JSON.stringify(decoy)],
        );
      },
      putExport: async (exported) => {
        await client.query('INSERT INTO security_export (id, at, record) VALUES ($1, $2, $3)', [
          exported.id,
          exported.at,
          JSON.stringify(exported),
        ]);
      },
      putOperator: async (o) => {
        await client.query(
          `INSERT INTO operator (id, username, role, scope, record) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET username = excluded.username, role = excluded.role, scope = excluded.scope, record = excluded.record`,
          [o.id, o.username, o.role, o.scope, JSON.stringify(o)],
        );
      },
      operatorsInScope: async (prefix) =>
        (
          await rows<{ record: string }>(
            client,
            'SELECT record FROM operator WHERE $1::text IS NULL OR scope = $1 OR scope LIKE $2 ORDER BY id',
            [prefix, `${prefix ?? ''}:%`],
          )
        ).map((row) => JSON.parse(row.record) as OperatorRow),
      getSession: async (idHash) =>
        sessionOf(await first<SessionDbRow>(client, `${SESSION_COLUMNS} WHERE id_hash = $1`, [idHash])),
      putSession: async (x) => {
        await client.query(
          `INSERT INTO session (id_hash, operator_id, created_at, last_seen_at, csrf_hash, webauthn_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (id_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at, webauthn_at = excluded.webauthn_at, revoked_at = excluded.revoked_at`,
          [x.idHash, x.operatorId, x.createdAt, x.lastSeenAt, x.csrfHash, x.webauthnAt, x.revokedAt],
        );
      },
      captureClaims: async (recordIds, now) => {
        const claims = new Map<string, string[]>();
        if (recordIds.length === 0) return claims;
        for (const row of await rows<{ record_id: string; operator_id: string }>(
          client,
          `SELECT record_id, operator_id FROM capture_claim
           WHERE record_id = ANY($1::text[]) AND expires_at > $2 ORDER BY record_id, operator_id`,
          [[...recordIds], now],
        ))
          claims.set(row.record_id, [...(claims.get(row.record_id) ?? []), row.operator_id]);
        return claims;
      },
      claimsOf: async (operatorId, now) =>
        (
          await rows<{ record_id: string }>(
            client,
            'SELECT record_id FROM capture_claim WHERE operator_id = $1 AND expires_at > $2 ORDER BY record_id',
            [operatorId, now],
          )
        ).map((row) => row.record_id),
      putCaptureClaim: async (recordId, operatorId, expiresAt) => {
        await client.query(
          `INSERT INTO capture_claim (record_id, operator_id, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (record_id, operator_id) DO UPDATE SET expires_at = excluded.expires_at`,
          [recordId, operatorId, expiresAt],
        );
      },
      deleteCaptureClaim: async (recordId, operatorId) => {
        await client.query('DELETE FROM capture_claim WHERE record_id = $1 AND operator_id = $2', [
          recordId,
          operatorId,
        ]);
      },
      // The queue and holds are statements on the acta table: the actas this transaction has
      // written so far go there first.
      captureQueue: async (options) => {
        await pending.flushActas(client);
        const after = options.after;
        // Walks the partial index in order from where the last page ended.
        const sql = `SELECT record_id, contest, status, acopio_at FROM acta
           WHERE status IN ('received', 'captured_once') AND held_until = 0 AND ($1::text IS NULL OR contest = $1)
           ${after === undefined ? '' : 'AND (acopio_at, record_id) > ($3::bigint, $4::text)'}
           ORDER BY acopio_at, record_id LIMIT $2`;
        return (
          await rows<CaptureDbRow>(
            client,
            sql,
            after === undefined
              ? [options.contest ?? null, options.limit]
              : [options.contest ?? null, options.limit, after.acopioAt, after.recordId],
          )
        ).map(toCaptureTask);
      },
      setCaptureHold: async (recordId, until) => {
        await pending.flushActas(client);
        await client.query('UPDATE acta SET held_until = $1 WHERE record_id = $2', [until, recordId]);
      },
      releaseCaptureHolds: async (now) => {
        await pending.flushActas(client);
        await client.query('UPDATE acta SET held_until = 0 WHERE held_until > 0 AND held_until <= $1', [now]);
      },
      getLease: async (name) => {
        const row = await first<{ name: string; holder: string; expires_at: number }>(
          client,
          'SELECT name, holder, expires_at FROM lease WHERE name = $1',
          [name],
        );
        return row === undefined ? null : { name: row.name, holder: row.holder, expiresAt: row.expires_at };
      },
      putLease: async (lease) => {
        await client.query(
          `INSERT INTO lease (name, holder, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`,
          [lease.name, lease.holder, lease.expiresAt],
        );
      },
      replaceTerritory: async (territory) => {
        await client.query('DELETE FROM territory');
        // A national ARE assignment is ~170,000 rows: sent as arrays, a few thousand per statement.
        for (let start = 0; start < territory.length; start += 5_000) {
          const slice = territory.slice(start, start + 5_000);
          await client.query(
            `INSERT INTO territory (unit, unit_kind, area_kind, area)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
            [
              slice.map((r) => r.unit),
              slice.map((r) => r.unitKind),
              slice.map((r) => r.areaKind),
              slice.map((r) => r.area),
            ],
          );
        }
      },
      insertSecurityAlert: async (alert) => {
        const { raisedAt, ...fields } = alert;
        const result = await client.query(
          'INSERT INTO security_alert (alert_id, raised_at, record) VALUES ($1, $2, $3) ON CONFLICT (alert_id) DO NOTHING',
          [alert.alertId, raisedAt, JSON.stringify(fields)],
        );
        return result.rowCount === 1;
      },
      blockAddress: async (block) => {
        await client.query(
          `INSERT INTO address_block (address, until, alert_id) VALUES ($1, $2, $3)
           ON CONFLICT (address) DO UPDATE SET until = excluded.until, alert_id = excluded.alert_id
           WHERE excluded.until > address_block.until`,
          [block.address, block.until, block.alertId],
        );
      },
      requireStepUp: async (operatorId) =>
        (
          await client.query(
            'UPDATE session SET webauthn_at = NULL WHERE operator_id = $1 AND revoked_at IS NULL AND webauthn_at IS NOT NULL',
            [operatorId],
          )
        ).rowCount ?? 0,
      getSecurityMonitor: async () =>
        (
          await first<{ value: string }>(client, 'SELECT value FROM meta WHERE key = $1', [
            SECURITY_MONITOR_META,
          ])
        )?.value ?? null,
      putSecurityMonitor: async (state) => {
        await client.query(
          'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
          [SECURITY_MONITOR_META, state],
        );
      },
      revokeSessions: async (operatorIds, at) => {
        if (operatorIds.length === 0) return 0;
        const result = await client.query(
          'UPDATE session SET revoked_at = $1 WHERE operator_id = ANY($2::text[]) AND revoked_at IS NULL',
          [at, [...operatorIds]],
        );
        return result.rowCount ?? 0;
      },
    };
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      const result = await work(tx);
      await pending.flush(client);
      if (journalChanged && frontier !== null) {
        const range: CompactRange = frontier;
        await client.query('UPDATE journal_frontier SET size = $1, hashes = $2 WHERE id = 1', [
          range.size,
          JSON.stringify(range.toJSON().hashes),
        ]);
      }
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async getMeta(key: string): Promise<string | null> {
    return (
      (await first<{ value: string }>(this.#pool, 'SELECT value FROM meta WHERE key = $1', [key]))?.value ??
      null
    );
  }

  async getActa(recordId: string): Promise<ActaRecord | null> {
    const row = await first<{ record: string }>(this.#pool, 'SELECT record FROM acta WHERE record_id = $1', [
      recordId,
    ]);
    return row === undefined ? null : parseRecord(row);
  }

  async mayHaveCaptureWork(options: { operatorId: string; contest?: string; now: number }): Promise<boolean> {
    const row = await first<{ work: boolean }>(
      this.#pool,
      `SELECT EXISTS (SELECT 1 FROM capture_claim WHERE operator_id = $1 AND expires_at > $2)
           OR EXISTS (SELECT 1 FROM acta
                      WHERE status IN ('received', 'captured_once') AND held_until = 0 AND ($3::text IS NULL OR contest = $3))
           OR EXISTS (SELECT 1 FROM acta WHERE held_until > 0 AND held_until <= $2) AS work`,
      [options.operatorId, options.now, options.contest ?? null],
    );
    return row?.work === true;
  }

  async mismatchQueue(limit: number): Promise<ActaRecord[]> {
    return (
      await rows<{ record: string }>(
        this.#pool,
        "SELECT record FROM acta WHERE status = 'mismatch' ORDER BY acopio_at, record_id LIMIT $1",
        [limit],
      )
    ).map(parseRecord);
  }

  async snapshot(): Promise<{ head: JournalHead; records: ActaRecord[] }> {
    const client = await this.#pool.connect();
    try {
      // The records and the journal head of one committed state, whatever other nodes write.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const records = (
        await rows<{ record: string }>(client, 'SELECT record FROM acta ORDER BY record_id')
      ).map(parseRecord);
      const frontier = await readFrontier(client);
      await client.query('COMMIT');
      return { head: { size: frontier.size, rootHash: frontier.root() }, records };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async journalHead(): Promise<JournalHead> {
    const frontier = await readFrontier(this.#pool);
    return { size: frontier.size, rootHash: frontier.root() };
  }

  async journalLeafHashes(start: number, end: number): Promise<Buffer[]> {
    return (
      await rows<{ leaf_hash: Buffer }>(
        this.#pool,
        'SELECT leaf_hash FROM journal WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index',
        [start, end],
      )
    ).map((row) => row.leaf_hash);
  }

  async journalEntries(start: number, end: number): Promise<Buffer[]> {
    return (
      await rows<{ entry: Buffer }>(
        this.#pool,
        'SELECT entry FROM journal WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index',
        [start, end],
      )
    ).map((row) => row.entry);
  }

  async checkpoints(): Promise<CheckpointRow[]> {
    return (
      await rows<{ size: number; root: Buffer; note: string; signed_at: number }>(
        this.#pool,
        'SELECT size, root, note, signed_at FROM checkpoint ORDER BY size',
      )
    ).map((row) => ({ size: row.size, rootHash: row.root, note: row.note, signedAt: row.signed_at }));
  }

  async checkpointOfSize(size: number): Promise<CheckpointRow | null> {
    const [row] = await rows<{ size: number; root: Buffer; note: string; signed_at: number }>(
      this.#pool,
      'SELECT size, root, note, signed_at FROM checkpoint WHERE size = $1',
      [size],
    );
    return row === undefined
      ? null
      : { size: row.size, rootHash: row.root, note: row.note, signedAt: row.signed_at };
  }

  // Readings are no fact of the journal: one statement, outside the journal's write lock.
  async putReading(reading: Reading): Promise<void> {
    if (this.#closed) throw new Error('store is closed');
    await this.#pool.query(
      'INSERT INTO reader_reading (record_id, image_sha256, model_sha256, read_at, reading) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [reading.recordId, reading.imageSha256, reading.modelSha256, reading.readAt, JSON.stringify(reading)],
    );
  }

  async readings(modelSha256: string): Promise<Reading[]> {
    return (
      await rows<{ reading: string }>(
        this.#pool,
        'SELECT reading FROM reader_reading WHERE model_sha256 = $1 ORDER BY read_at, record_id, image_sha256',
        [modelSha256],
      )
    ).map((row) => JSON.parse(row.reading) as Reading);
  }

  async unreadImages(modelSha256: string, limit: number): Promise<UnreadImage[]> {
    return (
      await rows<{ record_id: string; sha256: string }>(
        this.#pool,
        `SELECT i.record_id, i.sha256 FROM image i WHERE i.role = 'record' AND NOT EXISTS (
           SELECT 1 FROM reader_reading r
           WHERE r.record_id = i.record_id AND r.image_sha256 = i.sha256 AND r.model_sha256 = $1)
         ORDER BY i.received_at, i.record_id LIMIT $2`,
        [modelSha256, limit],
      )
    ).map((row) => ({ recordId: row.record_id, imageSha256: row.sha256 }));
  }

  async cosignatures(size: number): Promise<CosignatureRow[]> {
    return (
      await rows<{
        size: number;
        witness: string;
        key_id: string;
        line: string;
        cosigned_at: number;
        received_at: number;
      }>(
        this.#pool,
        'SELECT size, witness, key_id, line, cosigned_at, received_at FROM witness_cosignature WHERE size = $1 ORDER BY received_at, witness',
        [size],
      )
    ).map((row) => ({
      size: Number(row.size),
      witness: row.witness,
      keyId: row.key_id,
      line: row.line,
      cosignedAt: Number(row.cosigned_at),
      receivedAt: Number(row.received_at),
    }));
  }

  async latestCheckpoint(): Promise<CheckpointRow | null> {
    const [row] = await rows<{ size: number; root: Buffer; note: string; signed_at: number }>(
      this.#pool,
      'SELECT size, root, note, signed_at FROM checkpoint ORDER BY size DESC LIMIT 1',
    );
    return row === undefined
      ? null
      : { size: row.size, rootHash: row.root, note: row.note, signedAt: row.signed_at };
  }

  async cuts(): Promise<CutRow[]> {
    return (
      await rows<{
        sequence: number;
        id: string;
        cut_time: number;
        journal_size: number;
        manifest_sha256: string;
        final: boolean;
      }>(
        this.#pool,
        'SELECT sequence, id, cut_time, journal_size, manifest_sha256, final FROM cut ORDER BY sequence',
      )
    ).map((row) => ({
      sequence: row.sequence,
      id: row.id,
      cutTime: row.cut_time,
      journalSize: row.journal_size,
      manifestSha256: row.manifest_sha256,
      final: row.final,
    }));
  }

  async images(recordId: string): Promise<ImageRow[]> {
    return (
      await rows<ImageDbRow>(
        this.#pool,
        'SELECT sha256, record_id, received_at, role, source FROM image WHERE record_id = $1 ORDER BY position',
        [recordId],
      )
    ).map(toImageRow);
  }

  async getDevice(id: string): Promise<DeviceRow | null> {
    return toDeviceRow(await first<DeviceDbRow>(this.#pool, `${DEVICE_COLUMNS} WHERE id = $1`, [id]));
  }

  async devices(): Promise<DeviceRow[]> {
    return (await rows<DeviceDbRow>(this.#pool, `${DEVICE_COLUMNS} ORDER BY id`)).map(
      (row) => toDeviceRow(row)!,
    );
  }

  async territoryOf(
    unit: string,
    areas?: readonly string[],
  ): Promise<{ readonly declared: boolean; readonly rows: TerritoryRow[] }> {
    const found =
      areas === undefined
        ? await rows<TerritoryDbRow>(this.#pool, `${TERRITORY_COLUMNS} WHERE unit = $1 ORDER BY area`, [unit])
        : await rows<TerritoryDbRow>(
            this.#pool,
            `${TERRITORY_COLUMNS} WHERE unit = $1 AND area = ANY($2::text[]) ORDER BY area`,
            [unit, [...areas]],
          );
    const declared =
      found.length > 0 ||
      (await first<{ one: number }>(this.#pool, 'SELECT 1 AS one FROM territory WHERE unit = $1 LIMIT 1', [
        unit,
      ])) !== undefined;
    return { declared, rows: found.map(toTerritoryRow) };
  }

  async territory(): Promise<TerritoryRow[]> {
    return (await rows<TerritoryDbRow>(this.#pool, `${TERRITORY_COLUMNS} ORDER BY unit, area`)).map(
      toTerritoryRow,
    );
  }

  async operators(): Promise<OperatorRow[]> {
    return (await rows<{ record: string }>(this.#pool, 'SELECT record FROM operator ORDER BY id')).map(
      (row) => JSON.parse(row.record) as OperatorRow,
    );
  }

  async operatorsLastUse(): Promise<LastUse[]> {
    return (
      await rows<{ id: string; at: string }>(
        this.#pool,
        'SELECT operator_id AS id, MAX(last_seen_at) AS at FROM session GROUP BY operator_id ORDER BY operator_id COLLATE "C"',
      )
    ).map((row) => ({ id: row.id, at: Number(row.at) }));
  }

  async devicesLastPackage(): Promise<LastUse[]> {
    return (
      await rows<{ id: string; at: string }>(
        this.#pool,
        `SELECT id, at FROM (SELECT d.id AS id,
           (SELECT acopio_at FROM package p WHERE p.device_id = d.id ORDER BY sequence DESC LIMIT 1) AS at
         FROM device d) AS last WHERE at IS NOT NULL ORDER BY id COLLATE "C"`,
      )
    ).map((row) => ({ id: row.id, at: Number(row.at) }));
  }

  async decoys(): Promise<DecoyRow[]> {
    return (
      await rows<{ record: string }>(this.#pool, 'SELECT record FROM decoy ORDER BY created_at, id')
    ).map((row) => JSON.parse(row.record) as DecoyRow);
  }

  async exports(): Promise<ExportRow[]> {
    return (
      await rows<{ record: string }>(this.#pool, 'SELECT record FROM security_export ORDER BY at, id')
    ).map((row) => JSON.parse(row.record) as ExportRow);
  }

  async sessionIdHashes(): Promise<string[]> {
    return (await rows<{ id_hash: string }>(this.#pool, 'SELECT id_hash FROM session ORDER BY id_hash')).map(
      (row) => row.id_hash,
    );
  }

  async getSession(idHash: string): Promise<SessionRow | null> {
    return sessionOf(
      await first<SessionDbRow>(this.#pool, `${SESSION_COLUMNS} WHERE id_hash = $1`, [idHash]),
    );
  }

  async securityAlerts(limit: number): Promise<SecurityAlertRow[]> {
    return (
      await rows<{ raised_at: number; record: string }>(
        this.#pool,
        'SELECT raised_at, record FROM security_alert ORDER BY raised_at DESC, alert_id LIMIT $1',
        [limit],
      )
    ).map((row) => securityAlertOf(row.record, Number(row.raised_at)));
  }

  async addressBlocks(now: number): Promise<AddressBlock[]> {
    return (
      await rows<{ address: string; until: number; alert_id: string }>(
        this.#pool,
        'SELECT address, until, alert_id FROM address_block WHERE until > $1 ORDER BY address',
        [now],
      )
    ).map((row) => ({ address: row.address, until: Number(row.until), alertId: row.alert_id }));
  }

  async getOperator(id: string): Promise<OperatorRow | null> {
    return parseOperator(
      await first<{ record: string }>(this.#pool, 'SELECT record FROM operator WHERE id = $1', [id]),
    );
  }

  async packageCount(deviceId?: string): Promise<number> {
    const row = await first<{ n: number }>(
      this.#pool,
      'SELECT COUNT(*)::bigint AS n FROM package WHERE $1::text IS NULL OR device_id = $1',
      [deviceId ?? null],
    );
    return row?.n ?? 0;
  }

  async activity(since: number): Promise<Activity> {
    const [actas, counts, devices] = await Promise.all([
      this.actaCounts(),
      rows<DevicePackageCount>(
        this.#pool,
        `SELECT device_id AS "deviceId", outcome, COUNT(*)::int AS n,
                COUNT(*) FILTER (WHERE acopio_at >= $1)::int AS since
         FROM package GROUP BY device_id, outcome`,
        [since],
      ),
      rows<{ id: string; bound_to: string }>(this.#pool, 'SELECT id, bound_to FROM device'),
    ]);
    return { actas, catds: catdActivity(counts, new Map(devices.map((d) => [d.id, d.bound_to]))) };
  }

  async actaCounts(): Promise<Activity['actas']> {
    const actas = { received: 0, captured_once: 0, mismatch: 0, verified: 0, sin_acta: 0 };
    for (const row of await rows<{ status: keyof typeof actas; n: number }>(
      this.#pool,
      'SELECT status, COUNT(*)::int AS n FROM acta GROUP BY status',
    ))
      actas[row.status] = row.n;
    return actas;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

/** Rows added in a transaction, written in a few multi-row statements when it ends. */
class PendingRows {
  readonly actas = new Map<string, { record: ActaRecord; acopioAt: number | null }>();
  readonly images: ImageRow[] = [];
  readonly journal: [index: number, entry: Uint8Array, leafHash: Uint8Array][] = [];
  readonly packages = new Map<string, PackageRow>();

  /** Writes the buffered actas now, for a statement that must see them (the capture queue). */
  async flushActas(client: Queryable): Promise<void> {
    if (this.actas.size === 0) return;
    await insertMany(
      client,
      `INSERT INTO acta (record_id, contest, status, acopio_at, record) VALUES %
       ON CONFLICT (record_id) DO UPDATE SET status = excluded.status, acopio_at = excluded.acopio_at, record = excluded.record`,
      [...this.actas.values()].map(({ record, acopioAt }) => [
        record.recordId,
        record.contest,
        record.status,
        acopioAt,
        JSON.stringify(record),
      ]),
    );
    this.actas.clear();
  }

  async flush(client: Queryable): Promise<void> {
    await this.flushActas(client);
    await insertMany(
      client,
      'INSERT INTO image (sha256, record_id, received_at, role, source) VALUES %',
      this.images.map((i) => [i.sha256, i.recordId, i.receivedAt, i.role, i.source]),
    );
    await insertMany(client, 'INSERT INTO journal (leaf_index, entry, leaf_hash) VALUES %', this.journal);
    await insertMany(
      client,
      `INSERT INTO package (device_id, sequence, package_sha256, image_sha256, record_id, acopio_at, outcome, receipt)
       VALUES %`,
      [...this.packages.values()].map((p) => [
        p.deviceId,
        p.sequence,
        p.packageSha256,
        p.imageSha256,
        p.recordId,
        p.acopioAt,
        p.outcome,
        p.receipt,
      ]),
    );
  }
}

/** `sql` with `%` standing for the VALUES tuples, sent for many rows at a time. */
async function insertMany(
  client: Queryable,
  sql: string,
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  const width = rows[0]?.length ?? 0;
  // PostgreSQL takes at most 65,535 parameters a statement.
  const perStatement = Math.max(1, Math.floor(60_000 / Math.max(width, 1)));
  for (let at = 0; at < rows.length; at += perStatement) {
    const chunk = rows.slice(at, at + perStatement);
    const tuples = chunk.map(
      (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`,
    );
    await client.query(sql.replace('%', tuples.join(', ')), chunk.flat());
  }
}

const DEVICE_COLUMNS = 'SELECT id, public_key, origin, bound_to, label, enrolled_at, revoked_at FROM device';
const SESSION_COLUMNS =
  'SELECT id_hash, operator_id, created_at, last_seen_at, csrf_hash, webauthn_at, revoked_at FROM session';

const META_OLDEST_READER = 'schema_oldest_reader';

/** The oldest code version the database's schema accepts: as recorded, or its own version. */
async function recordedOldestReader(client: pg.ClientBase, version: number): Promise<number> {
  const row = await first<{ value: string }>(client, 'SELECT value FROM meta WHERE key = $1', [
    META_OLDEST_READER,
  ]);
  const recorded = row === undefined ? Number.NaN : Number.parseInt(row.value, 10);
  return Number.isInteger(recorded) ? recorded : version;
}

/** This code's schema: its version and the oldest version whose code runs on it. */
export const POSTGRES_CODE_SCHEMA = { version: PG_MIGRATIONS.length, oldestReader: PG_OLDEST_READER };

/**
 * The database's schema version and the oldest code version that runs on it, read without
 * migrating anything (a rolling upgrade checks both releases accept it first); null for a
 * database no node has opened yet.
 */
export async function readPostgresSchema(options: {
  readonly url: string;
  readonly schema?: string;
}): Promise<Result<{ version: number; oldestReader: number } | null, 'database-unreadable'>> {
  const client = new pg.Client({
    connectionString: options.url,
    types: TYPES,
    ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const exists = await first<{ name: string | null }>(
      client,
      "SELECT to_regclass('schema_migrations')::text AS name",
    );
    if (exists?.name === null || exists === undefined) return ok(null);
    const version =
      (
        await first<{ version: number | null }>(
          client,
          'SELECT MAX(version) AS version FROM schema_migrations',
        )
      )?.version ?? 0;
    if (version === 0) return ok(null);
    return ok({ version, oldestReader: await recordedOldestReader(client, version) });
  } catch (error) {
    return err('database-unreadable', `cannot read the PostgreSQL schema: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function migrate(
  pool: pg.Pool,
  schema: string | undefined,
): Promise<Result<void, 'database-newer-than-code'>> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One migrator at a time, whichever node starts first.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    if (schema !== undefined)
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const current =
      (
        await first<{ version: number | null }>(
          client,
          'SELECT MAX(version) AS version FROM schema_migrations',
        )
      )?.version ?? 0;
    if (current > PG_MIGRATIONS.length) {
      // A newer release migrated: this code runs on it only if every migration since its own
      // version only added (expand/contract; PG_OLDEST_READER). Nothing is migrated down.
      const oldestReader = await recordedOldestReader(client, current);
      await client.query('ROLLBACK');
      if (oldestReader <= PG_MIGRATIONS.length) return ok(undefined);
      return err(
        'database-newer-than-code',
        `the database is at schema version ${current}, which code from schema version ${oldestReader} on runs on; this code knows ${PG_MIGRATIONS.length}: upgrade OpenPREP`,
      );
    }
    for (let version = current + 1; version <= PG_MIGRATIONS.length; version++) {
      await client.query(PG_MIGRATIONS[version - 1]!);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        version,
        Date.now(),
      ]);
    }
    if (current < PG_MIGRATIONS.length)
      await client.query(
        'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
        [META_OLDEST_READER, String(PG_OLDEST_READER)],
      );
    await client.query('COMMIT');
    return ok(undefined);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Opens (creating and migrating if needed) the store at `url` (a postgres:// URL, as in
 * DATABASE_URL). `schema` keeps one election's tables apart from another's in one database
 * (and each test's); by default the URL's own search path.
 */
export async function openPostgresStore(options: {
  readonly url: string;
  readonly schema?: string;
  readonly poolSize?: number;
}): Promise<Result<Store, PostgresOpenError>> {
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema))
    return err('database-unreadable', `schema "${options.schema}": lowercase letters, digits and _ only`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types: TYPES,
    ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client losing its server must not take the process down: the next query fails instead.
  pool.on('error', () => undefined);
  try {
    const migrated = await migrate(pool, options.schema);
    if (!migrated.ok) {
      await pool.end();
      return migrated;
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    return err('database-unreadable', `cannot open the PostgreSQL store: ${(error as Error).message}`);
  }
  return ok(new PostgresStore(pool));
}
