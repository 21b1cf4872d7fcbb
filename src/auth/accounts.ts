/**
 * Operator accounts: creation with a policy-checked password and a TOTP seed, sign-in with
 * both factors, sessions with idle and absolute timeouts, throttling of failed sign-ins (never
 * a lockout an attacker can set off), and the purge that revokes every session, second factor
 * and device key in a scope at once (the 2024 VPN-purge case).
 *
 * Every sign-in and every purge is a journal entry (failed and throttled ones within a budget
 * per minute, see security_journal.ts); no password, code, seed or token is ever written to
 * the journal or the log.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DecoyHit, Tripwire } from '../domain/decoy.ts';
import { type Err, err, type Ok, ok, type Result } from '../domain/result.ts';
import type { EntryOf, SecurityEntry } from '../journal/entries.ts';
import { type Commits, GroupCommit } from '../platform/group_commit.ts';
import { type BreachCorpus, inCorpus, passwordSha1, shippedBlocklist } from './breached_passwords.ts';
import type {
  AccountsTx,
  OperatorRow,
  OperatorsPort,
  Role,
  Scope,
  SessionRow,
  WebAuthnKey,
} from './operators_port.ts';
import {
  checkPasswordPolicy,
  decoyVerification,
  hashPassword,
  inHashingSlot,
  type PasswordPolicyError,
  verifyPassword,
} from './password.ts';
import type { SecretBox } from './secret_box.ts';
import { SecurityJournal } from './security_journal.ts';
import { newTotpSecret, otpauthUri, verifyTotp, base32 } from './totp.ts';

export const ROLES: readonly Role[] = [
  'acopio',
  'capturista',
  'verificador',
  'coordinador',
  'administrador',
  'publicador',
  'auditor',
  'seguridad',
];

export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
/**
 * Throttling, not lockout (NIST SP 800-63B-4 §3.2.2): after FREE_FAILURES failed sign-ins in a
 * row an account takes its next attempt only FIRST_DELAY_MS after the last failure, a delay
 * that doubles with each further failure up to MAX_DELAY_MS; attempts during it are answered
 * 429 with Retry-After, their password unchecked. A success ends it. The browser an operator
 * signed in with before is not held by the account's delay (only by its own failures): a
 * trickle of wrong guesses from elsewhere never keeps them out.
 */
export const FREE_FAILURES = 5;
export const FIRST_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 5 * 60_000;
/** Per client address likewise, from more failures (a whole CATD may share one address). */
export const ADDRESS_FREE_FAILURES = 20;
/** An address's failures are forgotten after this long without one. */
export const ADDRESS_MEMORY_MS = 15 * 60_000;
/** How long a browser stays trusted for the account that signed in with it. */
export const TRUSTED_BROWSER_MS = 30 * 24 * 3_600_000;
/** How stale the list of usernames may be when a name is not on it (accounts made by another node). */
const NAMES_FRESH_MS = 5_000;
/** Entries kept per in-memory table of failures, at most (addresses, unknown names, browsers). */
const TABLE_LIMIT = 100_000;

/** The wait after `failures` failures in a row: none below `free`, then doubling, capped. */
export function delayAfter(failures: number, free: number): number {
  if (failures < free) return 0;
  return Math.min(FIRST_DELAY_MS * 2 ** Math.min(failures - free, 30), MAX_DELAY_MS);
}

/**
 * What an address's failures are counted under: an IPv4 address itself, an IPv6 address's /64
 * (one subscriber's network is a /64 at least: counting single IPv6 addresses would give an
 * attacker 2^64 fresh ones). An IPv4-mapped IPv6 address counts as its IPv4 address.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:([0-9.]+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The cookie that marks a browser as one an account signed in with (one per account, by username). */
export function trustCookieName(username: string): string {
  return `__Host-openprep-trust-${createHash('sha256').update(username).digest('hex').slice(0, 16)}`;
}

/** Failures in a row and when the last one was, for what has no row of its own. */
interface Failures {
  failures: number;
  lastAt: number;
}

const USERNAME = /^[a-z0-9._-]{3,64}$/;
const SCOPE = /^(nacional|entidad:[0-9]{2}|catd:[A-Za-z0-9._-]{1,64})$/;

/** Why a new password is refused: the policy's rules, a breach corpus, or a corpus that could not be read. */
export type NewPasswordError = PasswordPolicyError | 'breached-password' | 'breach-check-unavailable';

/** Why a password change is refused. */
export type PasswordChangeError =
  | NewPasswordError
  | 'wrong-password'
  | 'code-required'
  | 'same-password'
  | 'throttled'
  | 'busy';

/** A session this recent may change its password without a TOTP code (the sign-in just gave one). */
export const RECENT_SIGN_IN_MS = 10 * 60_000;

/** What the re-check of stored passwords against a corpus found. */
export interface RecheckReport {
  /** Accounts with a kept fingerprint, compared. */
  readonly checked: number;
  /** Accounts without one (password set before fingerprints were kept): checked at their next sign-in. */
  readonly withoutFingerprint: number;
  /** Accounts found in the corpus and now required to change (their ids), already required ones excluded. */
  readonly marked: readonly string[];
}

export type AccountError =
  | NewPasswordError
  | 'bad-username'
  | 'username-taken'
  | 'bad-scope'
  | 'bad-role'
  | 'no-such-operator';

export interface SignedIn {
  /** The session token for the cookie; only its hash is stored. */
  readonly token: string;
  readonly csrfToken: string;
  readonly operator: OperatorRow;
  /** The value of trustCookieName(username) for this browser (sealed; bound to the TOTP seed). */
  readonly trust: string;
}

/** Why a sign-in was refused; throttled and busy say when to try again. */
export type SignInRefusal =
  | Err<'sign-in-failed'>
  | (Err<'throttled' | 'busy'> & { readonly retryAfterMs: number });

export interface Authenticated {
  readonly session: SessionRow;
  readonly operator: OperatorRow;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function withoutMustChange(operator: OperatorRow): OperatorRow {
  const { mustChangePassword: _, ...rest } = operator;
  return rest;
}

export function sameToken(token: string, hash: string): boolean {
  const a = Buffer.from(tokenHash(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export class Accounts {
  readonly #store: OperatorsPort;
  readonly #box: SecretBox;
  readonly #clock: () => number;
  readonly #electionId: string;
  readonly #issuer: string;
  readonly #commits: Commits<AccountsTx>;
  readonly #security: SecurityJournal;
  readonly #breached: BreachCorpus;
  /** Per node: failures from each address, for usernames that do not exist, from trusted browsers. */
  readonly #addresses = new Map<string, Failures>();
  readonly #unknownNames = new Map<string, Failures>();
  readonly #browsers = new Map<string, Failures>();
  #names: { readonly at: number; readonly ids: Map<string, string> } | null = null;
  /** Decoy accounts and canary usernames (src/security/tripwire.ts); none without the wiring's. */
  readonly #tripwire: Tripwire | null;
  #loadingNames: Promise<void> | null = null;

  /**
   * The accounts of a center, with its secrets key. The caller has checked the key
   * (`node.secrets()`, refused with a message at start); a refusal here is a bug.
   */
  static async open(
    node: {
      readonly operators: OperatorsPort;
      readonly commits: Commits<AccountsTx>;
      readonly pipeline: { readonly election: { readonly id: string } };
      secrets(): Promise<Result<SecretBox, string>>;
    },
    clock: () => number,
    /** What else accounts are given: the breach corpus (default: the shipped blocklist), the decoys' tripwire. */
    extras: { readonly breached?: BreachCorpus; readonly tripwire?: Tripwire } = {},
  ): Promise<Accounts> {
    const box = await node.secrets();
    if (!box.ok) throw new Error(box.message);
    return new Accounts({
      store: node.operators,
      commits: node.commits,
      box: box.value,
      clock,
      electionId: node.pipeline.election.id,
      ...(extras.breached !== undefined ? { breached: extras.breached } : {}),
      ...(extras.tripwire === undefined ? {} : { tripwire: extras.tripwire }),
    });
  }

  constructor(options: {
    store: OperatorsPort;
    /** Sign-ins and security events share commits (one fsync) with intake's receipts. */
    commits?: Commits<AccountsTx>;
    box: SecretBox;
    clock: () => number;
    electionId: string;
    breached?: BreachCorpus;
    /** Decoys and canaries: a sign-in naming one journals DECOY_USED and fails like any other. */
    tripwire?: Tripwire;
  }) {
    this.#breached = options.breached ?? shippedBlocklist();
    this.#tripwire = options.tripwire ?? null;
    this.#store = options.store;
    this.#commits = options.commits ?? new GroupCommit(options.store);
    this.#security = new SecurityJournal(this.#commits, options.clock);
    this.#box = options.box;
    this.#clock = options.clock;
    this.#electionId = options.electionId;
    this.#issuer = `OpenPREP ${options.electionId}`;
  }

  async addOperator(input: {
    readonly username: string;
    readonly name: string;
    readonly role: string;
    readonly scope: string;
    readonly password: string;
    readonly expiresAt: number | null;
    readonly by: string;
  }): Promise<Result<{ operator: OperatorRow; totpUri: string; totpSecret: string }, AccountError>> {
    if (!USERNAME.test(input.username))
      return err(
        'bad-username',
        'a username is 3 to 64 lower-case letters, digits, dots, dashes or underscores',
      );
    if (!ROLES.includes(input.role as Role)) return err('bad-role', `the roles are ${ROLES.join(', ')}`);
    if (!SCOPE.test(input.scope)) return err('bad-scope', 'a scope is nacional, entidad:NN or catd:ID');
    const checked = await this.#newPassword(input.password, input.username, input.name);
    if (!checked.ok) return checked;
    const passwordHash = await hashPassword(input.password);
    const id = `op-${randomBytes(8).toString('hex')}`;
    const seed = newTotpSecret();
    const at = this.#clock();
    const operator: OperatorRow = {
      id,
      username: input.username,
      name: input.name,
      role: input.role as Role,
      scope: input.scope,
      passwordHash,
      totpSealed: this.#box.seal(seed, id),
      totpLastStep: null,
      failedAttempts: 0,
      lockedUntil: null,
      expiresAt: input.expiresAt,
      certifiedFor: this.#electionId,
      createdAt: at,
      disabledAt: null,
      ...this.#fingerprint(checked.value),
      passwordChangedAt: at,
    };
    const created = await this.#store.transaction(async (tx) => {
      if ((await tx.getOperatorByUsername(input.username)) !== null) return false;
      await tx.putOperator(operator);
      await tx.appendJournal({
        type: 'OPERATOR_CREATED',
        at,
        operatorId: id,
        username: input.username,
        role: operator.role,
        scope: operator.scope,
        by: input.by,
      });
      return true;
    });
    if (!created) return err('username-taken', `the username ${input.username} is taken`);
    this.#names?.ids.set(input.username, id);
    return ok({
      operator,
      totpUri: otpauthUri(seed, input.username, this.#issuer),
      totpSecret: base32(seed),
    });
  }

  /**
   * A new password passes the policy (password.ts) and is in no breach corpus; answers its
   * SHA-1 (for the fingerprint). A corpus that cannot be read refuses: the change can wait,
   * a breached password let through cannot be called back.
   */
  async #newPassword(
    password: string,
    username: string,
    name: string,
  ): Promise<Result<string, NewPasswordError>> {
    const policy = checkPasswordPolicy(password, [username, name, this.#issuer, 'openprep']);
    if (!policy.ok) return policy;
    const sha1 = passwordSha1(password);
    const found = await inCorpus(this.#breached, sha1);
    if (!found.ok) return err('breach-check-unavailable', `${found.message}; try again once it is readable`);
    if (found.value)
      return err(
        'breached-password',
        'this password appears in published breaches of other services: choose another one',
      );
    return ok(sha1);
  }

  /** What is kept to re-check a password against a future corpus: its k-anonymity prefix and a keyed MAC. */
  #fingerprint(sha1: string): { breachPrefix: string; breachMac: string } {
    return { breachPrefix: sha1.slice(0, 5), breachMac: this.#box.mac('breached-password', sha1) };
  }

  /**
   * An operator changes their own password: the current one always, and a TOTP code unless the
   * session signed in within RECENT_SIGN_IN_MS. A wrong password or code counts as a failed
   * sign-in (the account's delay applies), so a stolen session cannot guess it. The other
   * sessions of the account end; this one stays.
   */
  async changePassword(input: {
    readonly auth: Authenticated;
    readonly current: string;
    readonly password: string;
    readonly code?: string;
    readonly address: string;
  }): Promise<Result<OperatorRow, PasswordChangeError>> {
    const now = this.#clock();
    const { session } = input.auth;
    const before = await this.#store.getOperator(session.operatorId);
    if (before === null) throw new Error(`the session's operator ${session.operatorId} has no row`);
    const wait = Math.max(0, (before.lockedUntil ?? 0) - now);
    if (wait > 0) return err('throttled', `too many failed attempts: wait ${Math.ceil(wait / 1000)} s`);
    const recent = now - session.createdAt <= RECENT_SIGN_IN_MS;
    if (!recent && (input.code === undefined || input.code === ''))
      return err('code-required', 'give a code from your authenticator app too');
    if (input.password.normalize('NFKC') === input.current.normalize('NFKC'))
      return err('same-password', 'the new password must differ from the current one');
    const checked = await this.#newPassword(input.password, before.username, before.name);
    if (!checked.ok) return checked;
    // Both hashings in the slots sign-ins share; the new one only once the current one is right.
    const hashed = await inHashingSlot(async () =>
      (await verifyPassword(input.current, before.passwordHash)) ? hashPassword(input.password) : null,
    );
    if (hashed === 'busy') return err('busy', 'too many sign-ins at this moment: try again in a second');
    const currentOk = hashed !== null;
    const passwordHash = hashed ?? '';
    return this.#store.transaction(async (tx): Promise<Result<OperatorRow, PasswordChangeError>> => {
      const operator = await tx.getOperator(before.id);
      if (operator === null) throw new Error(`operator ${before.id} vanished`);
      let step: number | null = null;
      if (currentOk && !recent) {
        const seed = operator.totpSealed === null ? null : this.#box.open(operator.totpSealed, operator.id);
        const code =
          seed === null
            ? null
            : verifyTotp({
                secret: seed,
                code: input.code ?? '',
                epochMs: now,
                lastUsedStep: operator.totpLastStep,
              });
        if (code?.ok === true) step = code.value.step;
      }
      if (!currentOk || (!recent && step === null)) {
        await this.#countFailure(
          tx,
          operator,
          !currentOk ? 'password-change' : 'password-change-totp',
          input.address,
          now,
        );
        return err('wrong-password', 'the current password or the code is not right');
      }
      const changed: OperatorRow = {
        ...withoutMustChange(operator),
        passwordHash,
        ...this.#fingerprint(checked.value),
        passwordChangedAt: now,
        failedAttempts: 0,
        lockedUntil: null,
        totpLastStep: step ?? operator.totpLastStep,
      };
      await tx.putOperator(changed);
      // Whoever else holds a session of this account (the reason to change, often) is signed out.
      await tx.revokeSessions([operator.id], now);
      await tx.putSession({ ...session, revokedAt: null });
      await tx.appendJournal({
        type: 'PASSWORD_CHANGED',
        at: now,
        operatorId: operator.id,
        reason: 'self',
        by: operator.id,
      });
      return ok(changed);
    });
  }

  /**
   * An administrator sets an operator's password (`openprep operator password`): same rules as
   * any new password; the operator must change it at their next sign-in, and every session of
   * theirs ends.
   */
  async resetPassword(input: {
    readonly username: string;
    readonly password: string;
    readonly by: string;
  }): Promise<Result<OperatorRow, AccountError>> {
    const found = await this.#store.transaction((tx) => tx.getOperatorByUsername(input.username));
    if (found === null) return err('no-such-operator', `no operator ${input.username}`);
    const checked = await this.#newPassword(input.password, found.username, found.name);
    if (!checked.ok) return checked;
    const passwordHash = await hashPassword(input.password);
    const at = this.#clock();
    const done = await this.#store.transaction(async (tx) => {
      const operator = await tx.getOperator(found.id);
      if (operator === null) return null;
      const reset: OperatorRow = {
        ...operator,
        passwordHash,
        ...this.#fingerprint(checked.value),
        passwordChangedAt: at,
        mustChangePassword: 'reset',
        failedAttempts: 0,
        lockedUntil: null,
      };
      await tx.putOperator(reset);
      await tx.revokeSessions([operator.id], at);
      await tx.appendJournal({
        type: 'PASSWORD_CHANGED',
        at,
        operatorId: operator.id,
        reason: 'reset',
        by: input.by,
      });
      await tx.appendJournal({
        type: 'PASSWORD_CHANGE_REQUIRED',
        at,
        operatorId: operator.id,
        reason: 'reset',
        by: input.by,
      });
      return reset;
    });
    return done === null ? err('no-such-operator', `no operator ${input.username}`) : ok(done);
  }

  /**
   * Compares every kept fingerprint with a corpus (a new one): one range read per prefix, the
   * range's hashes MACed and compared; an account found is required to change its password
   * (PASSWORD_CHANGE_REQUIRED, reason breached) — its live sessions are restricted to that at
   * once. Accounts already required are left as they are.
   */
  async recheck(corpus: BreachCorpus, by: string): Promise<Result<RecheckReport, 'corpus-unreadable'>> {
    const operators = await this.#store.operators();
    const byPrefix = new Map<string, OperatorRow[]>();
    let withoutFingerprint = 0;
    for (const operator of operators) {
      if (operator.breachPrefix === undefined || operator.breachMac === undefined) {
        withoutFingerprint++;
        continue;
      }
      if (operator.mustChangePassword !== undefined) continue;
      byPrefix.set(operator.breachPrefix, [...(byPrefix.get(operator.breachPrefix) ?? []), operator]);
    }
    const found: OperatorRow[] = [];
    for (const [prefix, group] of byPrefix) {
      const range = await corpus.range(prefix);
      if (!range.ok) return range;
      const macs = new Set<string>();
      for (const suffix of range.value.keys()) macs.add(this.#box.mac('breached-password', prefix + suffix));
      for (const operator of group) if (macs.has(operator.breachMac!)) found.push(operator);
    }
    const at = this.#clock();
    const marked: string[] = [];
    for (const candidate of found)
      await this.#store.transaction(async (tx) => {
        const operator = await tx.getOperator(candidate.id);
        // Changed meanwhile: the fingerprint compared is no longer this account's password.
        if (
          operator === null ||
          operator.breachMac !== candidate.breachMac ||
          operator.mustChangePassword !== undefined
        )
          return;
        await tx.putOperator({ ...operator, mustChangePassword: 'breached' });
        await tx.appendJournal({
          type: 'PASSWORD_CHANGE_REQUIRED',
          at,
          operatorId: operator.id,
          reason: 'breached',
          by,
        });
        marked.push(operator.id);
      });
    return ok({
      checked: operators.length - withoutFingerprint,
      withoutFingerprint,
      marked,
    });
  }

  /** A new TOTP seed (first enrolment after a purge); the old one stops working at once. */
  async enrollTotp(
    username: string,
    by: string,
  ): Promise<Result<{ totpUri: string; totpSecret: string }, AccountError>> {
    const seed = newTotpSecret();
    const at = this.#clock();
    const done = await this.#store.transaction(async (tx) => {
      const operator = await tx.getOperatorByUsername(username);
      if (operator === null) return false;
      await tx.putOperator({
        ...operator,
        totpSealed: this.#box.seal(seed, operator.id),
        totpLastStep: null,
      });
      await tx.revokeSessions([operator.id], at);
      await tx.appendJournal({ type: 'TOTP_ENROLLED', at, operatorId: operator.id, by });
      return true;
    });
    if (!done) return err('no-such-operator', `no operator ${username}`);
    return ok({ totpUri: otpauthUri(seed, username, this.#issuer), totpSecret: base32(seed) });
  }

  /** Recertifies an operator for this election: accounts carried over from an earlier one cannot sign in until then. */
  async recertify(username: string, by: string): Promise<Result<OperatorRow, AccountError>> {
    const at = this.#clock();
    const done = await this.#store.transaction(async (tx) => {
      const operator = await tx.getOperatorByUsername(username);
      if (operator === null) return null;
      const certified = { ...operator, certifiedFor: this.#electionId };
      await tx.putOperator(certified);
      await tx.appendJournal({
        type: 'OPERATOR_RECERTIFIED',
        at,
        operatorId: operator.id,
        electionId: this.#electionId,
        by,
      });
      return certified;
    });
    return done === null ? err('no-such-operator', `no operator ${username}`) : ok(done);
  }

  /**
   * Disables or enables an account and sets or clears its expiry (journaled with who and why);
   * disabling ends its sessions at once.
   */
  async setAccess(input: {
    readonly operatorId: string;
    readonly disabled: boolean;
    readonly expiresAt: number | null;
    readonly by: string;
    readonly reason: string;
  }): Promise<Result<OperatorRow, AccountError>> {
    const at = this.#clock();
    const done = await this.#store.transaction(async (tx) => {
      const operator = await tx.getOperator(input.operatorId);
      if (operator === null) return null;
      const changed: OperatorRow = {
        ...operator,
        disabledAt: input.disabled ? (operator.disabledAt ?? at) : null,
        expiresAt: input.expiresAt,
      };
      await tx.putOperator(changed);
      if (input.disabled) await tx.revokeSessions([operator.id], at);
      await tx.appendJournal({
        type: 'OPERATOR_ACCESS_CHANGED',
        at,
        operatorId: operator.id,
        disabled: input.disabled,
        expiresAt: input.expiresAt,
        by: input.by,
        reason: input.reason,
      });
      return changed;
    });
    return done === null ? err('no-such-operator', `no operator ${input.operatorId}`) : ok(done);
  }

  /**
   * The operator with this username, without a transaction (a flood of unknown names must not
   * cost a commit each): names come from a list read again at most every NAMES_FRESH_MS.
   */
  async #operatorNamed(username: string): Promise<OperatorRow | null> {
    const now = this.#clock();
    const names = this.#names;
    if (
      names === null ||
      (!names.ids.has(username) && (now - names.at >= NAMES_FRESH_MS || now < names.at))
    ) {
      this.#loadingNames ??= this.#store
        .operators()
        .then((rows) => {
          this.#names = { at: now, ids: new Map(rows.map((row) => [row.username, row.id])) };
        })
        .finally(() => {
          this.#loadingNames = null;
        });
      await this.#loadingNames;
    }
    const id = this.#names?.ids.get(username);
    return id === undefined ? null : this.#store.getOperator(id);
  }

  /** Whether `trust` is this operator's mark on the browser (same account, same TOTP seed, not too old). */
  #trusts(operator: OperatorRow, trust: string | undefined, now: number): boolean {
    if (trust === undefined || trust.length > 200 || operator.totpSealed === null) return false;
    const issued = Number(this.#box.open(trust, `trust:${operator.id}:${operator.totpSealed}`)?.toString());
    return Number.isFinite(issued) && issued <= now + 60_000 && now - issued < TRUSTED_BROWSER_MS;
  }

  #trustFor(operator: OperatorRow, now: number): string {
    return this.#box.seal(Buffer.from(String(now)), `trust:${operator.id}:${operator.totpSealed}`);
  }

  /** How long what these failures belong to must still wait (0: it may try now). */
  #wait(failures: Failures | undefined, free: number, now: number): number {
    if (failures === undefined) return 0;
    return Math.max(0, failures.lastAt + delayAfter(failures.failures, free) - now);
  }

  #failed(
    table: Map<string, Failures>,
    key: string,
    now: number,
    forgetAfter = Number.POSITIVE_INFINITY,
  ): void {
    const before = table.get(key);
    const failures = before === undefined || now - before.lastAt > forgetAfter ? 0 : before.failures;
    if (table.size >= TABLE_LIMIT && before === undefined) table.clear();
    table.set(key, { failures: failures + 1, lastAt: now });
  }

  async #throttled(
    now: number,
    waitMs: number,
    entry: {
      readonly operatorId: string | null;
      readonly address: string;
      readonly by: 'address' | 'account';
    },
    tx?: AccountsTx,
    decoy: EntryOf<'DECOY_USED'> | null = null,
  ): Promise<SignInRefusal> {
    // Inside a group-committed transaction the event joins it: a second commit awaited from
    // within the batch would wait for the batch itself, and every store write behind it.
    if (tx === undefined) {
      await this.#security.record({ type: 'LOGIN_THROTTLED', at: now, ...entry });
      if (decoy !== null) await this.#commits.run((t) => t.appendJournal(decoy));
    } else await this.#security.recordIn(tx, { type: 'LOGIN_THROTTLED', at: now, ...entry });
    return {
      ...err('throttled', 'too many failed sign-ins: wait before trying again'),
      retryAfterMs: waitMs,
    };
  }

  /** The DECOY_USED entry for this use of a decoy at sign-in, or null when only counted (tripwire.ts). */
  #decoyUsed(hit: DecoyHit, address: string, now: number): EntryOf<'DECOY_USED'> | null {
    const admitted = this.#tripwire?.admit(hit, address, now) ?? null;
    if (admitted === null) return null;
    return {
      type: 'DECOY_USED',
      at: now,
      decoyId: hit.decoyId,
      kind: hit.kind,
      via: 'sign-in',
      address,
      ...(admitted.unjournaledBefore > 0 ? { unjournaledBefore: admitted.unjournaledBefore } : {}),
    };
  }

  /**
   * One more failure of an account's password or code (at sign-in or at a password change, which
   * count alike): its delay grows, the failure is journaled, and reaching FREE_FAILURES is too.
   */
  async #countFailure(
    tx: AccountsTx,
    operator: OperatorRow,
    factor: string,
    address: string,
    now: number,
  ): Promise<void> {
    const failures = operator.failedAttempts + 1;
    const delay = delayAfter(failures, FREE_FAILURES);
    await tx.putOperator({
      ...operator,
      failedAttempts: failures,
      lockedUntil: delay > 0 ? now + delay : null,
    });
    await this.#security.recordIn(tx, {
      type: 'LOGIN_FAILED',
      at: now,
      operatorId: operator.id,
      factor,
      address,
    });
    if (failures === FREE_FAILURES)
      await this.#security.recordIn(tx, {
        type: 'ACCOUNT_THROTTLED',
        at: now,
        operatorId: operator.id,
        failures,
        until: now + delay,
      });
  }

  /** Anything journaled about security events that is not a sign-in (a refused authorisation), within the budget. */
  securityEvent(entry: SecurityEntry): Promise<boolean> {
    return this.#security.record(entry);
  }

  /**
   * Password and TOTP code together. Every failure answers the same 'sign-in-failed' (unknown
   * account, wrong password, wrong or reused code, expired, not enrolled), after as long as an
   * Argon2id hashing takes (a name that does not exist waits it out on a timer, in a hashing slot
   * like the others, without the CPU: password.ts decoyVerification), so an answer never tells
   * which accounts exist; a username that does not exist is throttled as an account would be. Refusals cost little: a throttled attempt is answered
   * from memory or the operator's row, and password hashing runs in a bounded number of slots
   * ('busy' beyond).
   */
  async signIn(input: {
    readonly username: string;
    readonly password: string;
    readonly code: string;
    readonly address: string;
    /** The browser's trustCookieName(username) cookie, if it has one. */
    readonly trust?: string;
  }): Promise<Ok<SignedIn> | SignInRefusal> {
    const now = this.#clock();
    const address = addressKey(input.address);
    // Every attempt naming a decoy is one, throttled or not: looked up first, on every path
    // alike (a keyed hash and a lookup), so that the answer's timing says nothing.
    const decoyHit = this.#tripwire === null ? null : await this.#tripwire.match(input.username);
    const decoy = decoyHit === null ? null : this.#decoyUsed(decoyHit, address, now);
    // An address's failures are forgotten after ADDRESS_MEMORY_MS, longer than any delay.
    const addressWait = this.#wait(this.#addresses.get(address), ADDRESS_FREE_FAILURES, now);
    if (addressWait > 0)
      return this.#throttled(
        now,
        addressWait,
        { operatorId: null, address, by: 'address' },
        undefined,
        decoy,
      );
    const found = await this.#operatorNamed(input.username);
    const trust = found !== null && this.#trusts(found, input.trust, now) ? input.trust! : null;
    const accountWait =
      found === null
        ? this.#wait(this.#unknownNames.get(input.username), FREE_FAILURES, now)
        : trust !== null
          ? this.#wait(this.#browsers.get(trust), FREE_FAILURES, now)
          : Math.max(0, (found.lockedUntil ?? 0) - now);
    if (accountWait > 0)
      return this.#throttled(
        now,
        accountWait,
        { operatorId: found?.id ?? null, address, by: 'account' },
        undefined,
        decoy,
      );
    const passwordOk = await inHashingSlot(
      async () => (found === null ? decoyVerification() : verifyPassword(input.password, found.passwordHash)),
      { trusted: trust !== null },
    );
    if (passwordOk === 'busy')
      return {
        ...err('busy', 'too many sign-ins at this moment: try again in a second'),
        retryAfterMs: 1_000,
      };
    // An account whose password was set before fingerprints were kept: the password is at
    // hand now, so it is checked against the corpus and its fingerprint kept (below, on success).
    let legacy: { sha1: string; breached: boolean } | null = null;
    if (passwordOk && found !== null && found.breachPrefix === undefined) {
      const sha1 = passwordSha1(input.password);
      const breached = await inCorpus(this.#breached, sha1);
      // Unreadable now: checked at a later sign-in.
      if (breached.ok) legacy = { sha1, breached: breached.value };
    }
    const failed = err('sign-in-failed', 'sign-in failed: check the username, password and code');
    const outcome = await this.#commits.run(async (tx): Promise<Ok<SignedIn> | SignInRefusal> => {
      if (decoy !== null) await tx.appendJournal(decoy);
      // Read again inside the transaction: concurrent sign-ins with one code are serialised here.
      const operator = found === null ? null : await tx.getOperator(found.id);
      if (operator === null) {
        await this.#security.recordIn(tx, {
          type: 'LOGIN_FAILED',
          at: now,
          operatorId: null,
          factor: 'account',
          address,
        });
        return failed;
      }
      const fail = async (factor: string): Promise<SignInRefusal> => {
        await this.#countFailure(tx, operator, factor, address, now);
        return failed;
      };
      // Others failed meanwhile (the hashing took a while): the delay they started holds this one too.
      if (trust === null && operator.lockedUntil !== null && operator.lockedUntil > now)
        return this.#throttled(
          now,
          operator.lockedUntil - now,
          { operatorId: operator.id, address, by: 'account' },
          tx,
        );
      if (
        operator.disabledAt !== null ||
        (operator.expiresAt !== null && operator.expiresAt <= now) ||
        operator.certifiedFor !== this.#electionId
      ) {
        await this.#security.recordIn(tx, {
          type: 'LOGIN_FAILED',
          at: now,
          operatorId: operator.id,
          factor: 'expired',
          address,
        });
        return failed;
      }
      // A decoy account's password is known to nobody; should it ever be right, it still fails.
      if (!passwordOk || decoyHit !== null) return fail('password');
      const seed = operator.totpSealed === null ? null : this.#box.open(operator.totpSealed, operator.id);
      if (seed === null) return fail('totp-not-enrolled');
      const code = verifyTotp({
        secret: seed,
        code: input.code,
        epochMs: now,
        lastUsedStep: operator.totpLastStep,
      });
      if (!code.ok) return fail(code.code === 'replayed' ? 'totp-replayed' : 'totp');
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const signedIn: OperatorRow = {
        ...operator,
        totpLastStep: code.value.step,
        failedAttempts: 0,
        lockedUntil: null,
        ...(legacy !== null && operator.breachPrefix === undefined
          ? {
              ...this.#fingerprint(legacy.sha1),
              ...(legacy.breached ? { mustChangePassword: operator.mustChangePassword ?? 'breached' } : {}),
            }
          : {}),
      };
      if (legacy?.breached === true && operator.mustChangePassword === undefined)
        await tx.appendJournal({
          type: 'PASSWORD_CHANGE_REQUIRED',
          at: now,
          operatorId: operator.id,
          reason: 'breached',
          by: 'sign-in',
        });
      await tx.putOperator(signedIn);
      // A new session at every sign-in: a token planted before sign-in is worth nothing after it.
      await tx.putSession({
        idHash: tokenHash(token),
        operatorId: operator.id,
        createdAt: now,
        lastSeenAt: now,
        csrfHash: tokenHash(csrfToken),
        webauthnAt: null,
        revokedAt: null,
      });
      await tx.appendJournal({
        type: 'LOGIN_SUCCEEDED',
        at: now,
        operatorId: operator.id,
        factors: ['password', 'totp'],
        address,
      });
      return ok({ token, csrfToken, operator: signedIn, trust: this.#trustFor(signedIn, now) });
    });
    if (outcome.ok) {
      if (trust !== null) this.#browsers.delete(trust);
    } else if (outcome.code === 'sign-in-failed') {
      this.#failed(this.#addresses, address, now, ADDRESS_MEMORY_MS);
      if (found === null) this.#failed(this.#unknownNames, input.username, now);
      if (trust !== null) this.#failed(this.#browsers, trust, now);
    }
    return outcome;
  }

  /** The session behind a token, if it is live: not revoked, not idle or too old, its operator still able to act. */
  async authenticate(token: string): Promise<Result<Authenticated, 'no-session'>> {
    const none = err('no-session', 'sign in first');
    if (token.length === 0 || token.length > 100) return none;
    const now = this.#clock();
    const session = await this.#store.getSession(tokenHash(token));
    if (session === null || session.revokedAt !== null) return none;
    if (now - session.lastSeenAt > SESSION_IDLE_MS || now - session.createdAt > SESSION_ABSOLUTE_MS)
      return none;
    const operator = await this.#store.getOperator(session.operatorId);
    if (operator === null || operator.disabledAt !== null || operator.totpSealed === null) return none;
    if (operator.certifiedFor !== this.#electionId) return none;
    if (operator.expiresAt !== null && operator.expiresAt <= now) return none;
    // Touch at most once a minute: idle time is measured in minutes, writes cost an fsync.
    if (now - session.lastSeenAt > 60_000) {
      const touched = { ...session, lastSeenAt: now };
      await this.#store.transaction((tx) => tx.putSession(touched));
      return ok({ session: touched, operator });
    }
    return ok({ session, operator });
  }

  async signOut(session: SessionRow): Promise<void> {
    const at = this.#clock();
    await this.#store.transaction(async (tx) => {
      await tx.putSession({ ...session, revokedAt: at });
      await tx.appendJournal({ type: 'LOGOUT', at, operatorId: session.operatorId });
    });
  }

  /** Every operator account (the administrators' list). */
  operators(): Promise<OperatorRow[]> {
    return this.#store.operators();
  }

  getOperator(id: string): Promise<OperatorRow | null> {
    return this.#store.getOperator(id);
  }

  /** Adds a WebAuthn authenticator to an operator, journaled (WEBAUTHN_REGISTERED). */
  async registerWebAuthn(operatorId: string, key: WebAuthnKey, at: number): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const operator = (await tx.getOperator(operatorId))!;
      await tx.putOperator({ ...operator, webauthn: [...(operator.webauthn ?? []), key] });
      await tx.appendJournal({
        type: 'WEBAUTHN_REGISTERED',
        at,
        operatorId: operator.id,
        credentialId: key.id,
      });
    });
  }

  /**
   * A session proved a WebAuthn authenticator (step-up): the key's new counter and the
   * session's time of proof are kept, journaled (LOGIN_STEP_UP).
   */
  async confirmStepUp(session: SessionRow, keyId: string, counter: number, at: number): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const operator = (await tx.getOperator(session.operatorId))!;
      await tx.putOperator({
        ...operator,
        webauthn: (operator.webauthn ?? []).map((k) => (k.id === keyId ? { ...k, counter } : k)),
      });
      await tx.putSession({ ...session, webauthnAt: at });
      await tx.appendJournal({
        type: 'LOGIN_STEP_UP',
        at,
        operatorId: operator.id,
        factor: 'webauthn',
        credentialId: keyId,
      });
    });
  }

  /** A WebAuthn assertion that failed, journaled (LOGIN_FAILED, factor webauthn). */
  async webAuthnFailed(operatorId: string, reason: string, at: number): Promise<void> {
    await this.#store.transaction((tx) =>
      tx.appendJournal({ type: 'LOGIN_FAILED', at, operatorId, factor: 'webauthn', reason }),
    );
  }

  /**
   * Revokes, in one transaction and one journal entry, every session and TOTP seed of the
   * operators in `scope` (null: everyone) and every device bound to a CATD in it; each must
   * be enrolled again, in person, before signing in or sending.
   */
  async purge(input: {
    readonly scope: Scope | null;
    readonly reason: string;
    readonly by: string;
  }): Promise<Result<{ operators: number; sessions: number; devices: number }, 'bad-scope'>> {
    if (
      input.scope !== null &&
      !SCOPE.test(input.scope) &&
      input.scope !== 'catd' &&
      input.scope !== 'entidad'
    )
      return err('bad-scope', 'a purge scope is nacional, entidad, entidad:NN, catd or catd:ID');
    const at = this.#clock();
    const prefix = input.scope === 'nacional' ? null : input.scope;
    // Read outside the transaction (a store read inside one would wait for it); each device is read again inside.
    const allDevices = await this.#store.devices();
    const counts = await this.#store.transaction(async (tx) => {
      const operators = await tx.operatorsInScope(prefix);
      for (const operator of operators)
        await tx.putOperator({ ...operator, totpSealed: null, totpLastStep: null });
      const sessions = await tx.revokeSessions(
        operators.map((o) => o.id),
        at,
      );
      let devices = 0;
      const catd = prefix?.startsWith('catd:') === true ? prefix.slice('catd:'.length) : null;
      if (prefix === null || catd !== null || prefix === 'catd')
        for (const device of allDevices) {
          const current = await tx.getDevice(device.id);
          if (current === null || current.revokedAt !== null) continue;
          if (catd !== null && current.boundTo !== catd) continue;
          if (prefix === 'catd' && current.origin !== 'CATD') continue;
          await tx.putDevice({ ...current, revokedAt: at });
          devices++;
        }
      await tx.appendJournal({
        type: 'ACCOUNTS_PURGED',
        at,
        scope: input.scope ?? 'nacional',
        reason: input.reason,
        by: input.by,
        operators: operators.length,
        sessions,
        devices,
      });
      return { operators: operators.length, sessions, devices };
    });
    return ok(counts);
  }
}
