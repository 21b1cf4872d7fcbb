/**
 * What intake needs from a database (the devices port): enrolled devices, the packages they
 * sent, and the declared territory of each CATD and CAE; with the dashboard's counts of both.
 * Enrolment, revocation and a territory declaration commit with their journal entry, so the
 * port's transaction view is DevicesTx (devices and journal). Implemented by both adapters in
 * src/store/.
 */
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import type { DeviceRow } from '../domain/device.ts';
import type { TerritoryRow } from '../domain/territory.ts';
import type { JournalTx } from '../journal/journal_port.ts';
import type { Transactional } from '../platform/group_commit.ts';

/**
 * A package a device sent, as first received: accepted with the receipt it was answered with
 * (byte for byte), or refused as a conflict (its image kept aside for review).
 */
export type PackageRow = {
  readonly deviceId: string;
  readonly sequence: number;
  readonly packageSha256: string;
  readonly imageSha256: string;
  readonly recordId: string;
  readonly acopioAt: number;
} & (
  | { readonly outcome: 'accepted'; readonly receipt: string }
  | { readonly outcome: 'conflict'; readonly receipt: null }
);

export interface CatdActivity {
  /** The CATD (or CAE) the devices are bound to. */
  readonly catd: string;
  readonly accepted: number;
  /** Packages refused as conflicts: another image already holds that acta (docs/intake.md). */
  readonly conflicts: number;
  readonly acceptedSince: number;
  readonly conflictsSince: number;
}

export interface Activity {
  readonly actas: Readonly<Record<ActaRecord['status'], number>>;
  readonly catds: readonly CatdActivity[];
}

/** One device's packages of one outcome, in all and since a time: a row of the stores' activity query. */
export interface DevicePackageCount {
  readonly deviceId: string;
  readonly outcome: 'accepted' | 'conflict';
  readonly n: number;
  readonly since: number;
}

/**
 * Packages by CATD from counts by device: the stores count packages per device on an index of
 * their own (package_activity), and the devices are few, so they are put together here rather
 * than by joining every package to its device (840 ms against 71 ms at a national night's
 * 513,000 packages, measured on SQLite).
 */
export function catdActivity(
  counts: readonly DevicePackageCount[],
  boundTo: ReadonlyMap<string, string>,
): CatdActivity[] {
  const byCatd = new Map<
    string,
    { accepted: number; conflicts: number; acceptedSince: number; conflictsSince: number }
  >();
  for (const row of counts) {
    const catd = boundTo.get(row.deviceId);
    if (catd === undefined) continue;
    const totals = byCatd.get(catd) ?? { accepted: 0, conflicts: 0, acceptedSince: 0, conflictsSince: 0 };
    if (row.outcome === 'accepted') {
      totals.accepted += Number(row.n);
      totals.acceptedSince += Number(row.since);
    } else {
      totals.conflicts += Number(row.n);
      totals.conflictsSince += Number(row.since);
    }
    byCatd.set(catd, totals);
  }
  // Code-unit order, as both stores ordered their rows (SQLite's BINARY, PostgreSQL's "C").
  return [...byCatd]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([catd, totals]) => ({ catd, ...totals }));
}

/** Devices, packages and territory, inside a transaction. */
export interface DeviceTx {
  getDevice(id: string): Promise<DeviceRow | null>;
  /** Inserts a device, or updates one with the same id (revocation). */
  putDevice(device: DeviceRow): Promise<void>;
  getPackage(deviceId: string, sequence: number): Promise<PackageRow | null>;
  addPackage(row: PackageRow): Promise<void>;
  /** Replaces the whole declared territory (docs/territory.md): the imported file is all of it. */
  replaceTerritory(rows: readonly TerritoryRow[]): Promise<void>;
}

/** The devices port's transaction view: devices, and the journal their events are entered in. */
export type DevicesTx = DeviceTx & JournalTx;

/** Devices, packages and territory, read outside any transaction. */
export interface Devices {
  getDevice(id: string): Promise<DeviceRow | null>;
  devices(): Promise<DeviceRow[]>;
  /**
   * Whether a CATD or CAE has any declared area, and its rows for these areas (distritoKey or
   * CLAVE_CASILLA; all its rows when omitted). Read on every package, by the primary key: as
   * cheap for a CATD of a thousand casillas as for one distrito.
   */
  territoryOf(
    unit: string,
    areas?: readonly string[],
  ): Promise<{ readonly declared: boolean; readonly rows: TerritoryRow[] }>;
  /** The whole declared territory, by unit then area. */
  territory(): Promise<TerritoryRow[]>;
  /** How many packages a device has had accepted (for tests and the dashboard). */
  packageCount(deviceId?: string): Promise<number>;
  /** What the CATD dashboard shows: actas by status; packages by CATD, in all and since `since`. */
  activity(since: number): Promise<Activity>;
  /** Actas by status alone (what /metrics reports): an index scan, without the packages' counts. */
  actaCounts(): Promise<Activity['actas']>;
}

/** The devices port: its reads, and transactions in its view. */
export interface DevicesPort extends Devices, Transactional<DevicesTx> {}
