/**
 * What security operations need from a database (the alerts port): the alerts raised, each
 * once (insert-if-absent on its alertId, with its SECURITY_ALERT entry in the same
 * transaction), the addresses the `throttle` response refuses, the sessions the `step-up`
 * response sends back to the security key, and where the monitor stopped reading the journal.
 * Implemented by both adapters in src/store/, held to store.contract.ts.
 */
import type { Transactional } from '../platform/group_commit.ts';
import type { Alert } from './detections.ts';

/** An alert as kept: the engine's alert and when the monitor raised it. */
export interface SecurityAlertRow extends Alert {
  readonly raisedAt: number;
}

/** An address refused sign-ins until `until` (epoch ms), because of an alert. */
export interface AddressBlock {
  readonly address: string;
  readonly until: number;
  readonly alertId: string;
}

/** Inside a transaction. */
export interface SecurityTx {
  /** Keeps the alert unless one with its alertId is kept already; true when it was new. */
  insertSecurityAlert(alert: SecurityAlertRow): Promise<boolean>;
  /** Refuses the address until `until`; a block already longer is kept as it is. */
  blockAddress(block: AddressBlock): Promise<void>;
  /** The operator's live sessions must prove a security key again; returns how many. */
  requireStepUp(operatorId: string): Promise<number>;
  /** The monitor's journal position and detection state (JSON), null before its first run. */
  getSecurityMonitor(): Promise<string | null>;
  putSecurityMonitor(state: string): Promise<void>;
}

/** Outside any transaction. */
export interface SecurityReads {
  /** The newest alerts first, at most `limit`. */
  securityAlerts(limit: number): Promise<SecurityAlertRow[]>;
  /** The addresses refused at `now`. */
  addressBlocks(now: number): Promise<AddressBlock[]>;
}

export interface SecurityAlertsPort extends SecurityReads, Transactional<SecurityTx> {}
