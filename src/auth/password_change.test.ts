/**
 * Breached passwords at the account: refused at enrolment, at a change and at a reset; the
 * re-check of kept fingerprints against a new corpus marks exactly the accounts in it; an
 * account from before fingerprints gets one (and its check) at its next sign-in. On a real
 * SQLite store.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { readEntry } from '../journal/entries.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import type { Store } from '../store/store.ts';
import { Accounts, RECENT_SIGN_IN_MS } from './accounts.ts';
import { MemoryCorpus, passwordSha1, shippedBlocklist, UnionCorpus } from './breached_passwords.ts';
import { SecretBox } from './secret_box.ts';
import { fromBase32, totp } from './totp.ts';

let work: string;
let counter = 0;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-pwchange-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const LEAKED = 'una frase larga filtrada en otra parte';
const GOOD = 'tortuga verde sobre el volcán';
const OTHER = 'el colibrí cruza la sierra de noche';

function setup(extra: readonly string[] = []) {
  const opened = openSqliteStore(path.join(work, `accounts-${counter++}.sqlite`));
  assert.ok(opened.ok);
  const store: Store = opened.value;
  let now = Date.parse('2024-06-02T20:00:00-06:00');
  const box = new SecretBox(randomBytes(32));
  const corpus = new UnionCorpus([
    new MemoryCorpus('test corpus', [LEAKED, ...extra].map(passwordSha1)),
    shippedBlocklist(),
  ]);
  const accounts = new Accounts({ store, box, clock: () => now, electionId: 'PEF2024', breached: corpus });
  return {
    store,
    accounts,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
    journal: async () =>
      (await store.journalEntries(0, (await store.journalHead()).size)).map((bytes) => {
        const entry = readEntry(bytes);
        if (!entry.ok) throw new Error(entry.message);
        return entry.value;
      }),
  };
}

async function add(accounts: Accounts, username: string, password = GOOD) {
  const added = await accounts.addOperator({
    username,
    name: username,
    role: 'capturista',
    scope: 'nacional',
    password,
    expiresAt: null,
    by: 'test',
  });
  assert.ok(added.ok, added.ok ? '' : added.message);
  return { operator: added.value.operator, seed: fromBase32(added.value.totpSecret) };
}

describe('breached passwords at the account', () => {
  test('enrolment refuses a breached password (and one of the shipped blocklist) with a clear code', async () => {
    const { accounts, store } = setup();
    for (const password of [LEAKED, 'Procesoelectoral2024', 'institutonacionalelectoral']) {
      const refused = await accounts.addOperator({
        username: 'ana.lopez',
        name: 'Ana López',
        role: 'capturista',
        scope: 'nacional',
        password,
        expiresAt: null,
        by: 'test',
      });
      assert.equal(refused.ok ? 'ok' : refused.code, 'breached-password', password);
    }
    assert.equal((await store.operators()).length, 0);
    const { operator } = await add(accounts, 'ana.lopez');
    assert.equal(operator.breachPrefix, passwordSha1(GOOD).slice(0, 5));
    assert.match(operator.breachMac ?? '', /^[A-Za-z0-9_-]{43}$/);
    // The fingerprint is keyed: never the SHA-1 itself.
    assert.ok(!JSON.stringify(operator).includes(passwordSha1(GOOD).slice(5)));
    await store.close();
  });

  test('a change: current password, a code unless just signed in, never a breached one; journaled without secrets', async () => {
    const { accounts, store, advance, now, journal } = setup();
    const { seed } = await add(accounts, 'beto');
    const signedIn = await accounts.signIn({
      username: 'beto',
      password: GOOD,
      code: totp(seed, now()),
      address: '10.0.0.1',
    });
    assert.ok(signedIn.ok);
    const other = await accounts.signIn({
      username: 'beto',
      password: GOOD,
      code: totp(seed, now() + 30_000),
      address: '10.0.0.2',
    });
    advance(30_000);
    assert.ok(other.ok);
    const auth = await accounts.authenticate(signedIn.value.token);
    assert.ok(auth.ok);
    const change = (password: string, current = GOOD, code?: string) =>
      accounts.changePassword({
        auth: auth.value,
        current,
        password,
        address: '10.0.0.1',
        ...(code !== undefined ? { code } : {}),
      });
    assert.equal(((await change(LEAKED)) as { code: string }).code, 'breached-password');
    assert.equal(((await change(GOOD)) as { code: string }).code, 'same-password');
    assert.equal(((await change('corta')) as { code: string }).code, 'too-short');
    assert.equal(
      ((await change(OTHER, 'no es la contraseña actual')) as { code: string }).code,
      'wrong-password',
    );
    advance(RECENT_SIGN_IN_MS);
    assert.equal(((await change(OTHER)) as { code: string }).code, 'code-required');
    assert.equal(((await change(OTHER, GOOD, '000000')) as { code: string }).code, 'wrong-password');
    advance(30_000);
    const changed = await change(OTHER, GOOD, totp(seed, now()));
    assert.ok(changed.ok, changed.ok ? '' : changed.message);
    // This session stays; the other one ends.
    assert.equal((await accounts.authenticate(signedIn.value.token)).ok, true);
    assert.equal((await accounts.authenticate(other.value.token)).ok, false);
    advance(30_000);
    assert.equal(
      (
        await accounts.signIn({
          username: 'beto',
          password: GOOD,
          code: totp(seed, now()),
          address: '10.0.0.3',
        })
      ).ok,
      false,
    );
    advance(30_000);
    assert.equal(
      (
        await accounts.signIn({
          username: 'beto',
          password: OTHER,
          code: totp(seed, now()),
          address: '10.0.0.3',
        })
      ).ok,
      true,
    );
    const entries = await journal();
    const changes = entries.filter((e) => e.type === 'PASSWORD_CHANGED');
    assert.deepEqual(
      changes.map((e) => ({ ...e, at: 0 })),
      [
        {
          type: 'PASSWORD_CHANGED',
          at: 0,
          operatorId: auth.value.operator.id,
          reason: 'self',
          by: auth.value.operator.id,
        },
      ],
    );
    const text = JSON.stringify(entries);
    for (const secret of [GOOD, OTHER, LEAKED, passwordSha1(OTHER)]) assert.ok(!text.includes(secret));
    // A wrong current password or code counts as a failed sign-in (and the old password's after).
    assert.deepEqual(
      entries.filter((e) => e.type === 'LOGIN_FAILED').map((e) => e.factor),
      ['password-change', 'password-change-totp', 'password'],
    );
    await store.close();
  });

  test('a reset by an administrator: refused when breached; else the operator must change at next sign-in', async () => {
    const { accounts, store, advance, now, journal } = setup();
    const { operator, seed } = await add(accounts, 'carla');
    const live = await accounts.signIn({
      username: 'carla',
      password: GOOD,
      code: totp(seed, now()),
      address: '10.0.0.1',
    });
    assert.ok(live.ok);
    const refused = await accounts.resetPassword({ username: 'carla', password: LEAKED, by: 'cli' });
    assert.equal(refused.ok ? 'ok' : refused.code, 'breached-password');
    const unknown = await accounts.resetPassword({ username: 'nadie', password: OTHER, by: 'cli' });
    assert.equal(unknown.ok ? 'ok' : unknown.code, 'no-such-operator');
    const reset = await accounts.resetPassword({ username: 'carla', password: OTHER, by: 'cli' });
    assert.ok(reset.ok);
    assert.equal(reset.value.mustChangePassword, 'reset');
    assert.equal((await accounts.authenticate(live.value.token)).ok, false, 'sessions end at a reset');
    advance(30_000);
    const again = await accounts.signIn({
      username: 'carla',
      password: OTHER,
      code: totp(seed, now()),
      address: '10.0.0.1',
    });
    assert.ok(again.ok);
    assert.equal(again.value.operator.mustChangePassword, 'reset');
    const auth = await accounts.authenticate(again.value.token);
    assert.ok(auth.ok);
    const changed = await accounts.changePassword({
      auth: auth.value,
      current: OTHER,
      password: GOOD,
      address: '10.0.0.1',
    });
    assert.ok(changed.ok);
    assert.equal(changed.value.mustChangePassword, undefined);
    assert.equal((await store.getOperator(operator.id))?.mustChangePassword, undefined);
    const types = (await journal()).map((e) =>
      e.type.startsWith('PASSWORD') ? `${e.type}:${'reason' in e ? e.reason : ''}` : null,
    );
    assert.deepEqual(
      types.filter((t) => t !== null),
      ['PASSWORD_CHANGED:reset', 'PASSWORD_CHANGE_REQUIRED:reset', 'PASSWORD_CHANGED:self'],
    );
    await store.close();
  });

  test('property: a re-check against a new corpus marks exactly the accounts whose password it holds', async () => {
    const passwords = Array.from({ length: 12 }, (_, i) => `${OTHER} número ${i}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { maxLength: 12 }),
        fc.boolean(),
        async (chosen, leaked, crowded) => {
          const { accounts, store, journal } = setup();
          const ids = new Map<string, number>();
          for (const [i, p] of chosen.entries()) {
            const { operator } = await add(accounts, `op-${i}`, passwords[p]);
            ids.set(operator.id, p);
          }
          // Crowded: every password's range holds another hash too (a prefix alone proves nothing).
          const neighbours = crowded
            ? passwords.map((p) => `${passwordSha1(p).slice(0, 5)}${'F'.repeat(35)}`)
            : [];
          const corpus = new MemoryCorpus('new corpus', [
            ...leaked.map((i) => passwordSha1(passwords[i]!)),
            ...neighbours,
          ]);
          const report = await accounts.recheck(corpus, 'cli');
          assert.ok(report.ok);
          const expected = [...ids].filter(([, p]) => leaked.includes(p)).map(([id]) => id);
          assert.deepEqual([...report.value.marked].sort(), expected.sort());
          assert.equal(report.value.checked, chosen.length);
          for (const operator of await store.operators())
            assert.equal(
              operator.mustChangePassword,
              expected.includes(operator.id) ? 'breached' : undefined,
            );
          const required = (await journal()).filter((e) => e.type === 'PASSWORD_CHANGE_REQUIRED');
          assert.equal(required.length, expected.length);
          // Never which password, nor its hash.
          for (const p of passwords) assert.ok(!JSON.stringify(required).includes(passwordSha1(p)));
          // A second run marks nobody again.
          const twice = await accounts.recheck(corpus, 'cli');
          assert.deepEqual(twice.ok ? twice.value.marked : null, []);
          await store.close();
        },
      ),
      { numRuns: 15 },
    );
  });

  test('an account from before fingerprints: checked and fingerprinted at its next sign-in', async () => {
    const { accounts, store, now, journal } = setup([OTHER]);
    const { operator, seed } = await add(accounts, 'dora');
    // As an account written before this feature: an old password, no fingerprint.
    const { hashPassword } = await import('./password.ts');
    const { breachPrefix: _p, breachMac: _m, ...old } = operator;
    await store.transaction(async (tx) =>
      tx.putOperator({ ...old, passwordHash: await hashPassword(OTHER) }),
    );
    assert.deepEqual(
      (await accounts.recheck(new MemoryCorpus('c', [passwordSha1(OTHER)]), 'cli')).ok && true,
      true,
    );
    const report = await accounts.recheck(new MemoryCorpus('c', [passwordSha1(OTHER)]), 'cli');
    assert.deepEqual(report.ok ? report.value : null, { checked: 0, withoutFingerprint: 1, marked: [] });
    const signedIn = await accounts.signIn({
      username: 'dora',
      password: OTHER,
      code: totp(seed, now()),
      address: '10.0.0.1',
    });
    assert.ok(signedIn.ok);
    assert.equal(signedIn.value.operator.mustChangePassword, 'breached');
    const row = await store.getOperator(operator.id);
    assert.equal(row?.breachPrefix, passwordSha1(OTHER).slice(0, 5));
    assert.deepEqual(
      (await journal()).filter((e) => e.type === 'PASSWORD_CHANGE_REQUIRED').map((e) => ({ ...e, at: 0 })),
      [
        {
          type: 'PASSWORD_CHANGE_REQUIRED',
          at: 0,
          operatorId: operator.id,
          reason: 'breached',
          by: 'sign-in',
        },
      ],
    );
    await store.close();
  });
});
