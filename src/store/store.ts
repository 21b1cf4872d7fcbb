/**
 * The store: what the pipeline and the publisher need from a database. SQLite implements it
 * now (embedded default); PostgreSQL implements the same interface next, and both must pass
 * the contract suite in contract.ts. Promise-based because the distributed adapter is.
 *
 * Every change of state happens inside `transaction`, and so does the journal entry that
 * records it: either both commit or neither does.
 */
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import type { TerritoryRow } from '../domain/territory.ts';
import type { JournalEntry } from '../journal/entries.ts';

export interface ImageRow {
  readonly sha256: string;
  readonly recordId: string;
  readonly receivedAt: number;
  /** 'record' (image of record), 'additional' (a later image of the same acta), 'conflict' (same bytes claimed for another acta). */
  readonly role: 'record' | 'additional' | 'conflict';
  readonly source: string;
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

export type DeviceOrigin = 'CASILLA' | 'CATD';

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

export interface DeviceRow {
  readonly id: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  readonly publicKey: string;
  readonly origin: DeviceOrigin;
  /** The CATD or CAE the device belongs to. */
  readonly boundTo: string;
  readonly label: string;
  readonly enrolledAt: number;
  readonly revokedAt: number | null;
}

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

export type Role =
  | 'acopio'
  | 'capturista'
  | 'verificador'
  | 'coordinador'
  | 'administrador'
  | 'publicador'
  | 'auditor';

/** Where an operator may act: the whole nation, one entidad (`entidad:NN`) or one CATD (`catd:ID`). */
export type Scope = string;

export interface OperatorRow {
  readonly id: string;
  readonly username: string;
  readonly name: string;
  readonly role: Role;
  readonly scope: Scope;
  readonly passwordHash: string;
  /** The TOTP seed sealed by the secret box; null until (re-)enrolled, e.g. after a purge. */
  readonly totpSealed: string | null;
  readonly totpLastStep: number | null;
  readonly failedAttempts: number;
  readonly lockedUntil: number | null;
  readonly expiresAt: number | null;
  /** The election the account was last (re)certified for; it cannot sign in for another. */
  readonly certifiedFor: string;
  /** Authenticators (administrators and publicadores need one for their work). */
  readonly webauthn?: readonly WebAuthnKey[];
  readonly createdAt: number;
  readonly disabledAt: number | null;
}

export interface SessionRow {
  /** SHA-256 of the session token, hex: the token itself is never stored. */
  readonly idHash: string;
  readonly operatorId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly csrfHash: string;
  /** When this session last proved a WebAuthn authenticator (step-up), if ever. */
  readonly webauthnAt: number | null;
  readonly revokedAt: number | null;
}

/** A WebAuthn authenticator registered by an operator. */
export interface WebAuthnKey {
  /** Credential id, base64url. */
  readonly id: string;
  /** COSE public key, base64url. */
  readonly publicKey: string;
  readonly counter: number;
  readonly registeredAt: number;
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

/** Reads and writes inside one transaction. */
export interface StoreTransaction {
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  getActa(recordId: string): Promise<ActaRecord | null>;
  putActa(record: ActaRecord, acopioAt: number | null): Promise<void>;
  imagesBySha(sha256: string): Promise<ImageRow[]>;
  addImage(image: ImageRow): Promise<void>;
  /** Appends a journal entry; returns its leaf index. */
  appendJournal(entry: JournalEntry): Promise<number>;
  addCheckpoint(checkpoint: CheckpointRow): Promise<void>;
  addCut(cut: CutRow): Promise<void>;
  getDevice(id: string): Promise<DeviceRow | null>;
  /** Inserts a device, or updates one with the same id (revocation). */
  putDevice(device: DeviceRow): Promise<void>;
  getPackage(deviceId: string, sequence: number): Promise<PackageRow | null>;
  addPackage(row: PackageRow): Promise<void>;
  getOperator(id: string): Promise<OperatorRow | null>;
  getOperatorByUsername(username: string): Promise<OperatorRow | null>;
  /** Inserts or replaces an operator (same id). */
  putOperator(operator: OperatorRow): Promise<void>;
  operatorsInScope(scopePrefix: string | null): Promise<OperatorRow[]>;
  getSession(idHash: string): Promise<SessionRow | null>;
  putSession(session: SessionRow): Promise<void>;
  /** Revokes every live session of these operators; returns how many. */
  revokeSessions(operatorIds: readonly string[], at: number): Promise<number>;
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
  getLease(name: string): Promise<LeaseRow | null>;
  putLease(lease: LeaseRow): Promise<void>;
  /** Replaces the whole declared territory (docs/territory.md): the imported file is all of it. */
  replaceTerritory(rows: readonly TerritoryRow[]): Promise<void>;
}

/** A role only one process may hold at a time, held until `expiresAt` unless renewed. */
export interface LeaseRow {
  readonly name: string;
  readonly holder: string;
  readonly expiresAt: number;
}

export interface JournalHead {
  readonly size: number;
  readonly rootHash: Buffer;
}

export interface Store {
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
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
  journalHead(): Promise<JournalHead>;
  /** Leaf hashes [start, end). */
  journalLeafHashes(start: number, end: number): Promise<Buffer[]>;
  /** Raw entries [start, end). */
  journalEntries(start: number, end: number): Promise<Buffer[]>;
  checkpoints(): Promise<CheckpointRow[]>;
  cuts(): Promise<CutRow[]>;
  images(recordId: string): Promise<ImageRow[]>;
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
  operators(): Promise<OperatorRow[]>;
  getSession(idHash: string): Promise<SessionRow | null>;
  getOperator(id: string): Promise<OperatorRow | null>;
  /** How many packages a device has had accepted (for tests and the dashboard). */
  packageCount(deviceId?: string): Promise<number>;
  /** What the CATD dashboard shows: actas by status; packages by CATD, in all and since `since`. */
  activity(since: number): Promise<Activity>;
  close(): Promise<void>;
}
