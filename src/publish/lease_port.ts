/**
 * What the cut scheduler needs from a database (the lease port): a named role only one
 * process may hold at a time, taken and renewed in a transaction. Implemented by both adapters
 * in src/store/.
 */
import type { Transactional } from '../platform/group_commit.ts';

/** A role only one process may hold at a time, held until `expiresAt` unless renewed. */
export interface LeaseRow {
  readonly name: string;
  readonly holder: string;
  readonly expiresAt: number;
}

/** Leases, inside a transaction. */
export interface LeaseTx {
  getLease(name: string): Promise<LeaseRow | null>;
  putLease(lease: LeaseRow): Promise<void>;
}

/** The lease port: transactions over leases. */
export interface LeasePort extends Transactional<LeaseTx> {}
