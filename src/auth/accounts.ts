/**
 * Operator accounts: creation with a policy-checked password and a TOTP seed, sign-in with
 * both factors, sessions with idle and absolute timeouts, lockout, and the purge that revokes
 * every session, second factor and device key in a scope at once (the 2024 VPN-purge case).
 *
 * Every sign-in, failed or not, and every purge is a journal entry; no password, code, seed
 * or token is ever written to the journal or the log.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../domain/result.ts';
import type { JournalEntry } from '../journal/entries.ts';
import type { OperatorRow, Role, Scope, SessionRow, Store } from '../store/store.ts';
import {
  checkPasswordPolicy,
  decoyHash,
  hashPassword,
  type PasswordPolicyError,
  verifyPassword,
} from './password.ts';
import { SecretBox } from './secret_box.ts';
import { newTotpSecret, otpauthUri, verifyTotp, base32 } from './totp.ts';

export const ROLES: readonly Role[] = [
  'acopio',
  'capturista',
  'verificador',
  'coordinador',
  'administrador',
  'publicador',
  'auditor',
];

export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
export const LOCK_AFTER_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;
/** Sign-in attempts per client address per minute, whatever the accounts tried. */
export const ATTEMPTS_PER_MINUTE = 20;

const USERNAME = /^[a-z0-9._-]{3,64}$/;
const SCOPE = /^(nacional|entidad:[0-9]{2}|catd:[A-Za-z0-9._-]{1,64})$/;

export type AccountError =
  | PasswordPolicyError
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
}

export interface Authenticated {
  readonly session: SessionRow;
  readonly operator: OperatorRow;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sameToken(token: string, hash: string): boolean {
  const a = Buffer.from(tokenHash(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export class Accounts {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #clock: () => number;
  readonly #electionId: string;
  readonly #issuer: string;
  readonly #attempts = new Map<string, number[]>();

  /** The accounts of a center's data folder, with its secrets key (made on first use). */
  static async open(
    node: {
      readonly pipeline: { readonly store: Store; readonly election: { readonly id: string } };
      readonly paths: { readonly secretsKey: string };
    },
    clock: () => number,
  ): Promise<Accounts> {
    return new Accounts({
      store: node.pipeline.store,
      box: await SecretBox.open(node.paths.secretsKey),
      clock,
      electionId: node.pipeline.election.id,
    });
  }

  constructor(options: { store: Store; box: SecretBox; clock: () => number; electionId: string }) {
    this.#store = options.store;
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
    const policy = checkPasswordPolicy(input.password, [
      input.username,
      input.name,
      this.#issuer,
      'openprep',
    ]);
    if (!policy.ok) return policy;
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
    return ok({
      operator,
      totpUri: otpauthUri(seed, input.username, this.#issuer),
      totpSecret: base32(seed),
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

  /** Counts an attempt from `address`; false once it is over the per-minute budget. */
  #allow(address: string, now: number): boolean {
    const recent = (this.#attempts.get(address) ?? []).filter((t) => t > now - 60_000);
    recent.push(now);
    this.#attempts.set(address, recent);
    if (this.#attempts.size > 100_000) this.#attempts.clear();
    return recent.length <= ATTEMPTS_PER_MINUTE;
  }

  /**
   * Password and TOTP code together. Every failure answers the same 'sign-in-failed' (unknown
   * account, wrong password, wrong or reused code, locked, expired, not enrolled), after the
   * same Argon2id work, so an answer never tells which accounts exist.
   */
  async signIn(input: {
    readonly username: string;
    readonly password: string;
    readonly code: string;
    readonly address: string;
  }): Promise<Result<SignedIn, 'sign-in-failed' | 'throttled'>> {
    const now = this.#clock();
    if (!this.#allow(input.address, now)) {
      await this.#journal({ type: 'LOGIN_THROTTLED', at: now, address: input.address });
      return err('throttled', 'too many sign-in attempts from this address; wait a minute');
    }
    const failed = err('sign-in-failed', 'sign-in failed: check the username, password and code');
    const found = await this.#store.transaction((tx) => tx.getOperatorByUsername(input.username));
    const passwordOk = await verifyPassword(input.password, found?.passwordHash ?? (await decoyHash()));
    if (found === null) {
      await this.#journal({
        type: 'LOGIN_FAILED',
        at: now,
        operatorId: null,
        factor: 'account',
        address: input.address,
      });
      return failed;
    }
    const outcome = await this.#store.transaction(async (tx): Promise<Result<SignedIn, 'sign-in-failed'>> => {
      // Read again inside the transaction: concurrent sign-ins with one code are serialised here.
      const operator = (await tx.getOperator(found.id))!;
      const fail = async (factor: string) => {
        const failures = operator.failedAttempts + 1;
        const lock = failures >= LOCK_AFTER_FAILURES;
        await tx.putOperator({
          ...operator,
          failedAttempts: lock ? 0 : failures,
          lockedUntil: lock ? now + LOCK_MS : operator.lockedUntil,
        });
        await tx.appendJournal({
          type: 'LOGIN_FAILED',
          at: now,
          operatorId: operator.id,
          factor,
          address: input.address,
        });
        if (lock)
          await tx.appendJournal({
            type: 'ACCOUNT_LOCKED',
            at: now,
            operatorId: operator.id,
            until: now + LOCK_MS,
          });
        return failed;
      };
      if (operator.lockedUntil !== null && operator.lockedUntil > now) {
        await tx.appendJournal({
          type: 'LOGIN_FAILED',
          at: now,
          operatorId: operator.id,
          factor: 'locked',
          address: input.address,
        });
        return failed;
      }
      if (
        operator.disabledAt !== null ||
        (operator.expiresAt !== null && operator.expiresAt <= now) ||
        operator.certifiedFor !== this.#electionId
      ) {
        await tx.appendJournal({
          type: 'LOGIN_FAILED',
          at: now,
          operatorId: operator.id,
          factor: 'expired',
          address: input.address,
        });
        return failed;
      }
      if (!passwordOk) return fail('password');
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
      };
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
        address: input.address,
      });
      return ok({ token, csrfToken, operator: signedIn });
    });
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

  #journal(entry: JournalEntry): Promise<number> {
    return this.#store.transaction((tx) => tx.appendJournal(entry));
  }
}
