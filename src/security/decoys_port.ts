/**
 * What security operations keep in the store: decoys (operator accounts, device keys and
 * records that no legitimate work uses), the canaries planted in each export of internal data,
 * and the register of those exports. Only keyed fingerprints of a decoy's identifying values
 * are kept here (fingerprint.ts): the operator account or device a decoy is lives in its own
 * table like any other, so that nothing in those tables tells it apart. Implemented by both
 * adapters in src/store/, held to the contract suite.
 */
import type { DecoyKind } from '../domain/decoy.ts';
import type { JournalTx } from '../journal/journal_port.ts';
import type { Transactional } from '../platform/group_commit.ts';

export interface DecoyRow {
  readonly id: string;
  readonly kind: DecoyKind;
  /** For the security team (`openprep decoy list`), e.g. where it was planted. */
  readonly label: string;
  /** The operator id or device id the decoy is (kinds operator and device); null for a record. */
  readonly subject: string | null;
  /** Keyed fingerprints of the values that identify it (id, username, public key...). */
  readonly fingerprints: readonly string[];
  /** The export it is a canary of; null for a decoy made by `openprep decoy create`. */
  readonly exportId: string | null;
  readonly createdAt: number;
  readonly by: string;
}

export type ExportKind = 'operators' | 'devices';

export interface ExportRow {
  readonly id: string;
  readonly kind: ExportKind;
  readonly format: 'csv' | 'json';
  /** Who it was given to, as the person who made it wrote it. */
  readonly recipient: string;
  readonly by: string;
  readonly at: number;
  /** Rows in the file, canaries included. */
  readonly rows: number;
  readonly canaries: number;
}

export interface DecoysTx {
  putDecoy(decoy: DecoyRow): Promise<void>;
  putExport(exported: ExportRow): Promise<void>;
}

export interface DecoysPort extends Transactional<DecoysTx & JournalTx> {
  decoys(): Promise<DecoyRow[]>;
  exports(): Promise<ExportRow[]>;
  /** The hashes of every session id ever issued (what a leak of the session table would show). */
  sessionIdHashes(): Promise<string[]>;
}
