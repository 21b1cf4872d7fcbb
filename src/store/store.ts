/**
 * The store: every port of the parts in one database. Each part owns the interface it needs
 * (capture/records_port.ts, journal/journal_port.ts, intake/devices_port.ts,
 * auth/operators_port.ts, publish/lease_port.ts, security/access_port.ts, security/decoys_port.ts, security/alerts_port.ts, reading/readings_port.ts); SQLite and PostgreSQL implement them all,
 * held to the contract suite in store.contract.ts, and the wiring (src/center/) opens this
 * composite and hands each part its port. Promise-based because the distributed adapter is.
 *
 * Every change of state happens inside `transaction`, and so does the journal entry that
 * records it: either both commit or neither does. A transaction spans the ports, so a part
 * may declare its view of it as the intersection it needs.
 */
import type { OperatorTx, Operators } from '../auth/operators_port.ts';
import type { ActaRecords, CaptureTx } from '../capture/records_port.ts';
import type { DeviceTx, Devices } from '../intake/devices_port.ts';
import type { JournalReads } from '../journal/journal_port.ts';
import type { LeaseTx } from '../publish/lease_port.ts';
import type { AccessActivity } from '../security/access_port.ts';
import type { ReadingsPort } from '../reading/readings_port.ts';
import type { DecoysPort, DecoysTx } from '../security/decoys_port.ts';

type DecoyReads = Pick<DecoysPort, 'decoys' | 'exports' | 'sessionIdHashes'>;
import type { SecurityReads, SecurityTx } from '../security/alerts_port.ts';

export type { OperatorRow, Role, Scope, SessionRow, WebAuthnKey } from '../auth/operators_port.ts';
export type { CaptureTask, ImageRow, QueuePosition } from '../capture/records_port.ts';
export type { DeviceOrigin, DeviceRow } from '../domain/device.ts';
export type { Activity, CatdActivity, PackageRow } from '../intake/devices_port.ts';
export type { CheckpointRow, CosignatureRow, CutRow, JournalHead } from '../journal/journal_port.ts';
export type { LeaseRow } from '../publish/lease_port.ts';
export type { DecoyRow, ExportRow } from '../security/decoys_port.ts';
export type { AddressBlock, SecurityAlertRow } from '../security/alerts_port.ts';

/** Reads and writes inside one transaction: every port's view at once. */
export type StoreTransaction = CaptureTx & DeviceTx & OperatorTx & LeaseTx & DecoysTx & SecurityTx;

/** A connection pool's state now (PostgreSQL's; the metrics). */
export interface PoolStats {
  readonly max: number;
  readonly inUse: number;
  readonly idle: number;
  /** Requests waiting for a connection. */
  readonly waiting: number;
}

export interface Store
  extends ActaRecords,
    JournalReads,
    Devices,
    Operators,
    AccessActivity,
    DecoyReads,
    SecurityReads,
    ReadingsPort {
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  /** The pool's state, for a store that has one (PostgreSQL; SQLite has one connection and none). */
  poolStats?(): PoolStats;
  close(): Promise<void>;
}
