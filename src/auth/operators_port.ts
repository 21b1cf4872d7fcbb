/**
 * Auth's vocabulary and what it needs from a database (the operators port): operators, their
 * sessions and WebAuthn keys. A purge also revokes the devices of its scope in the same
 * transaction (intake's devices), and every change commits with its journal entry, so the
 * port's transaction view is AccountsTx. Implemented by both adapters in src/store/.
 */
import type { DeviceRow } from '../domain/device.ts';
import type { JournalTx } from '../journal/journal_port.ts';
import type { Transactional } from '../platform/group_commit.ts';

export type Role =
  | 'acopio'
  | 'capturista'
  | 'verificador'
  | 'coordinador'
  | 'administrador'
  | 'publicador'
  | 'auditor'
  /** The security team: reads alerts and access reviews, changes nothing. */
  | 'seguridad';

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
  /**
   * For re-checking the password against a new breach corpus without keeping it
   * (breached_passwords.ts): its SHA-1's first 5 hex digits, the k-anonymity prefix the public
   * range API is sent, and an HMAC of the whole SHA-1 under a key derived from the secrets key.
   * Absent on accounts whose password was set before OpenPREP kept them (set at next sign-in).
   */
  readonly breachPrefix?: string;
  readonly breachMac?: string;
  /** Why the operator must change their password before doing anything else; absent when not. */
  readonly mustChangePassword?: PasswordChangeReason;
  readonly passwordChangedAt?: number;
}

/** Why a password must be changed: found in a breach corpus, or set by an administrator. */
export type PasswordChangeReason = 'breached' | 'reset';

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

/** Operators and sessions, inside a transaction. */
export interface OperatorTx {
  getOperator(id: string): Promise<OperatorRow | null>;
  getOperatorByUsername(username: string): Promise<OperatorRow | null>;
  /** Inserts or replaces an operator (same id). */
  putOperator(operator: OperatorRow): Promise<void>;
  operatorsInScope(scopePrefix: string | null): Promise<OperatorRow[]>;
  getSession(idHash: string): Promise<SessionRow | null>;
  putSession(session: SessionRow): Promise<void>;
  /** Revokes every live session of these operators; returns how many. */
  revokeSessions(operatorIds: readonly string[], at: number): Promise<number>;
}

/** What a purge needs of the enrolled devices: to read each one and write it back revoked. */
export interface DeviceRevocationTx {
  getDevice(id: string): Promise<DeviceRow | null>;
  putDevice(device: DeviceRow): Promise<void>;
}

/** Auth's transaction view: operators, the devices a purge revokes, and the journal. */
export type AccountsTx = OperatorTx & DeviceRevocationTx & JournalTx;

/** Operators and sessions, read outside any transaction. */
export interface Operators {
  operators(): Promise<OperatorRow[]>;
  getSession(idHash: string): Promise<SessionRow | null>;
  getOperator(id: string): Promise<OperatorRow | null>;
}

/** The operators port: its reads (and the device list a purge walks), and transactions in auth's view. */
export interface OperatorsPort extends Operators, Transactional<AccountsTx> {
  /** Every enrolled device, the list a purge walks. */
  devices(): Promise<DeviceRow[]>;
}
