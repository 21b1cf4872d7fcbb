/**
 * Rows as both SQL adapters read them (snake_case columns) and as the store hands them out:
 * one mapping, so SQLite and PostgreSQL cannot drift apart.
 */
import type { TerritoryRow } from '../domain/territory.ts';
import type { CaptureTask, DeviceRow, ImageRow, PackageRow, SecurityAlertRow, SessionRow } from './store.ts';

/** The meta key under which the security monitor keeps its journal position and state. */
export const SECURITY_MONITOR_META = 'security_monitor';

/** A kept alert: its JSON record (the engine's fields) and when it was raised. */
export function securityAlertOf(record: string, raisedAt: number): SecurityAlertRow {
  return { ...(JSON.parse(record) as Omit<SecurityAlertRow, 'raisedAt'>), raisedAt };
}

export interface CaptureDbRow {
  record_id: string;
  contest: string;
  status: CaptureTask['status'];
  acopio_at: number;
}

export function toCaptureTask(row: CaptureDbRow): CaptureTask {
  return { recordId: row.record_id, contest: row.contest, status: row.status, acopioAt: row.acopio_at };
}

export interface ImageDbRow {
  sha256: string;
  record_id: string;
  received_at: number;
  role: ImageRow['role'];
  source: string;
}

export function toImageRow(row: ImageDbRow): ImageRow {
  return {
    sha256: row.sha256,
    recordId: row.record_id,
    receivedAt: row.received_at,
    role: row.role,
    source: row.source,
  };
}

export interface DeviceDbRow {
  id: string;
  public_key: string;
  origin: DeviceRow['origin'];
  bound_to: string;
  label: string;
  enrolled_at: number;
  revoked_at: number | null;
}

export function toDeviceRow(row: DeviceDbRow | undefined): DeviceRow | null {
  if (row === undefined) return null;
  return {
    id: row.id,
    publicKey: row.public_key,
    origin: row.origin,
    boundTo: row.bound_to,
    label: row.label,
    enrolledAt: row.enrolled_at,
    revokedAt: row.revoked_at,
  };
}

export interface PackageDbRow {
  device_id: string;
  sequence: number;
  package_sha256: string;
  image_sha256: string;
  record_id: string;
  acopio_at: number;
  outcome: 'accepted' | 'conflict';
  receipt: string | null;
}

export function toPackageRow(row: PackageDbRow | undefined): PackageRow | null {
  if (row === undefined) return null;
  const base = {
    deviceId: row.device_id,
    sequence: row.sequence,
    packageSha256: row.package_sha256,
    imageSha256: row.image_sha256,
    recordId: row.record_id,
    acopioAt: row.acopio_at,
  };
  if (row.outcome === 'accepted' && row.receipt !== null)
    return { ...base, outcome: 'accepted', receipt: row.receipt };
  return { ...base, outcome: 'conflict', receipt: null };
}

export interface SessionDbRow {
  id_hash: string;
  operator_id: string;
  created_at: number;
  last_seen_at: number;
  csrf_hash: string;
  webauthn_at: number | null;
  revoked_at: number | null;
}

export function sessionOf(r: SessionDbRow | undefined): SessionRow | null {
  if (r === undefined) return null;
  return {
    idHash: r.id_hash,
    operatorId: r.operator_id,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    csrfHash: r.csrf_hash,
    webauthnAt: r.webauthn_at,
    revokedAt: r.revoked_at,
  };
}

export interface TerritoryDbRow {
  readonly unit: string;
  readonly unit_kind: string;
  readonly area_kind: string;
  readonly area: string;
}

export const TERRITORY_COLUMNS = 'SELECT unit, unit_kind, area_kind, area FROM territory';

export function toTerritoryRow(row: TerritoryDbRow): TerritoryRow {
  return {
    unit: row.unit,
    unitKind: row.unit_kind as TerritoryRow['unitKind'],
    areaKind: row.area_kind as TerritoryRow['areaKind'],
    area: row.area,
  };
}
