/**
 * What the access review needs from a database (the access port): the accounts and devices,
 * each one's latest use, and the journal the recertification is entered in. The latest uses are
 * read on indexes of their own (a session's operator and last activity, a package's device and
 * sequence), so a review costs one scan of the sessions' index and one seek per device, not a
 * walk of the journal. Implemented by both adapters in src/store/.
 */
import type { OperatorRow } from '../auth/operators_port.ts';
import type { DeviceRow } from '../domain/device.ts';
import type { TerritoryRow } from '../domain/territory.ts';
import type { JournalTx } from '../journal/journal_port.ts';
import type { Transactional } from '../platform/group_commit.ts';

/** When something was last used: an operator's or a device's id and a time (epoch ms). */
export interface LastUse {
  readonly id: string;
  readonly at: number;
}

/** The latest use of every account and device that was ever used, read outside any transaction. */
export interface AccessActivity {
  /** Each operator's latest session activity (its sessions' greatest lastSeenAt); never-used ones are absent. */
  operatorsLastUse(): Promise<LastUse[]>;
  /** Each device's latest package (the acopio time of its highest sequence); devices that sent none are absent. */
  devicesLastPackage(): Promise<LastUse[]>;
}

/**
 * The access port: the accounts, devices and declared territory (which entidades a CATD's
 * reviewer belongs to), their latest use, and transactions to journal the recertification in.
 */
export interface AccessPort extends AccessActivity, Transactional<JournalTx> {
  operators(): Promise<OperatorRow[]>;
  devices(): Promise<DeviceRow[]>;
  territory(): Promise<TerritoryRow[]>;
}
