import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  decoyVerification,
  hashingsRun,
  CONCURRENT_HASHINGS,
  checkPasswordPolicy,
  HASHINGS_WAITING,
  hashPassword,
  inHashingSlot,
  verifyPassword,
} from './password.ts';
import { SecretBox } from './secret_box.ts';

const code = (r: ReturnType<typeof checkPasswordPolicy>) => (r.ok ? 'ok' : r.code);

describe('passwords and secrets at rest', () => {
  test('NIST 800-63B-4: length, blocklist and context words; no composition rules', () => {
    assert.equal(code(checkPasswordPolicy('corto', [])), 'too-short');
    assert.equal(code(checkPasswordPolicy('x'.repeat(129), [])), 'too-long');
    assert.equal(code(checkPasswordPolicy('aaaaaaaaaaaaaa', [])), 'common');
    assert.equal(code(checkPasswordPolicy('123456789012', [])), 'common');
    // Decorating a common word with digits and symbols does not make it uncommon.
    assert.equal(code(checkPasswordPolicy('Contraseña!!!2024', [])), 'common');
    assert.equal(code(checkPasswordPolicy('contraseña', [])), 'too-short');
    assert.equal(code(checkPasswordPolicy('mariagarcia-prep-2024', ['mariagarcia'])), 'context');
    // All lower case, no digits, no symbols: allowed when long and uncommon.
    assert.equal(code(checkPasswordPolicy('tortuga verde sobre el volcán', ['mariagarcia'])), 'ok');
    // NFKC: the full-width form of a context word is the same word.
    assert.equal(code(checkPasswordPolicy('ｍａｒｉａｇａｒｃｉａ estuvo aquí', ['mariagarcia'])), 'context');
  });

  test('Argon2id in PHC form: verifies the password, refuses another, salts differ', async () => {
    const a = await hashPassword('tortuga verde sobre el volcán');
    const b = await hashPassword('tortuga verde sobre el volcán');
    assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('tortuga verde sobre el volcán', a), true);
    assert.equal(await verifyPassword('tortuga verde sobre el volcan', a), false);
  });

  test('a decoy verification (a name that does not exist) fails after about a hashing, and hashes nothing', async () => {
    await hashPassword('una frase para medir cuánto tarda');
    const before = hashingsRun();
    const started = performance.now();
    assert.equal(await decoyVerification(), false);
    assert.ok(performance.now() - started > 1, 'it takes time, as a hashing does');
    assert.equal(hashingsRun(), before, 'no Argon2id was run for it');
  });

  test('secret box: opens for its owner only, fails closed when altered or under another key', () => {
    const box = new SecretBox(randomBytes(32));
    const secret = randomBytes(20);
    const sealed = box.seal(secret, 'op-1');
    assert.deepEqual(box.open(sealed, 'op-1'), secret);
    assert.equal(box.open(sealed, 'op-2'), null);
    assert.equal(new SecretBox(randomBytes(32)).open(sealed, 'op-1'), null);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[2]!, 'base64url');
    body[0]! ^= 1;
    assert.equal(
      box.open([parts[0], parts[1], body.toString('base64url'), parts[3]].join('.'), 'op-1'),
      null,
    );
    assert.ok(!sealed.includes(secret.toString('base64url')));
  });

  test('hashing slots: a few at once, a few waiting, the rest answered busy at once — but never a trusted browser', async () => {
    const releases: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const work = () =>
      new Promise<string>((resolve) => {
        running++;
        most = Math.max(most, running);
        releases.push(() => {
          running--;
          resolve('done');
        });
      });
    const held = Array.from({ length: CONCURRENT_HASHINGS + HASHINGS_WAITING }, () => inHashingSlot(work));
    assert.equal(await inHashingSlot(work), 'busy', 'past the waiting places: busy at once');
    const trusted = inHashingSlot(work, { trusted: true });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(running, CONCURRENT_HASHINGS);
    // As each ends the next begins; the trusted browser's attempt goes first of those waiting.
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(releases.length, CONCURRENT_HASHINGS);
    releases.pop()!();
    assert.equal(await trusted, 'done');
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(new Set(await Promise.all(held)), new Set(['done']));
    assert.equal(most, CONCURRENT_HASHINGS);
  });
});
