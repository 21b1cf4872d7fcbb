/**
 * Decoys and canaries as the parts that meet them see them (auth at sign-in, intake at a
 * package): a value that no legitimate work ever uses, and whose use is therefore evidence of
 * an intruder or a leak. The security room (src/security/tripwire.ts) implements the tripwire;
 * auth and intake are given it by the wiring, since they may not import security.
 */
export type DecoyKind = 'operator' | 'device' | 'record';

/** A decoy (or an export's canary, kind 'record') that a value named. */
export interface DecoyHit {
  readonly decoyId: string;
  readonly kind: DecoyKind;
}

export interface Tripwire {
  /** The decoy or canary this value (a username, an operator or device id) is, if any. */
  match(value: string): Promise<DecoyHit | null>;
  /**
   * Whether this use is journaled now (with how many uses of the same decoy went unjournaled
   * since its last entry), or only counted (null): an attacker must not flood the journal.
   */
  admit(
    hit: DecoyHit,
    address: string | undefined,
    at: number,
  ): { readonly unjournaledBefore: number } | null;
}
