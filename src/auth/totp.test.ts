import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { base32, hotp, totp, verifyTotp } from './totp.ts';

const outcome = (r: ReturnType<typeof verifyTotp>) => (r.ok ? 'ok' : r.code);

// RFC 6238 Appendix B: the seeds are the ASCII strings below, 8 digits, 30-second steps.
const SHA1 = Buffer.from('12345678901234567890');
const SHA256 = Buffer.from('12345678901234567890123456789012');
const SHA512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234');
const VECTORS: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  test('RFC 6238 Appendix B vectors, SHA-1, SHA-256 and SHA-512', () => {
    for (const [seconds, sha1, sha256, sha512] of VECTORS) {
      assert.equal(totp(SHA1, seconds * 1000, { digits: 8, algorithm: 'sha1' }), sha1, `${seconds} sha1`);
      assert.equal(
        totp(SHA256, seconds * 1000, { digits: 8, algorithm: 'sha256' }),
        sha256,
        `${seconds} sha256`,
      );
      assert.equal(
        totp(SHA512, seconds * 1000, { digits: 8, algorithm: 'sha512' }),
        sha512,
        `${seconds} sha512`,
      );
    }
  });

  test('RFC 4226 Appendix D vectors', () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    for (const [counter, code] of expected.entries()) assert.equal(hotp(SHA1, counter), code);
  });

  test('±1 step accepted, two steps away refused, a code never twice, an earlier code never after a later one', () => {
    const t = 1_700_000_000_000;
    const code = totp(SHA1, t);
    const first = verifyTotp({ secret: SHA1, code, epochMs: t + 29_000, lastUsedStep: null });
    assert.ok(first.ok);
    assert.equal(verifyTotp({ secret: SHA1, code, epochMs: t, lastUsedStep: first.value.step }).ok, false);
    assert.equal(
      outcome(verifyTotp({ secret: SHA1, code, epochMs: t, lastUsedStep: first.value.step })),
      'replayed',
    );
    assert.ok(verifyTotp({ secret: SHA1, code: totp(SHA1, t - 30_000), epochMs: t, lastUsedStep: null }).ok);
    assert.equal(
      outcome(verifyTotp({ secret: SHA1, code: totp(SHA1, t - 90_000), epochMs: t, lastUsedStep: null })),
      'bad-code',
    );
    const later = totp(SHA1, t + 30_000);
    const usedLater = verifyTotp({ secret: SHA1, code: later, epochMs: t, lastUsedStep: null });
    assert.ok(usedLater.ok);
    assert.equal(
      outcome(
        verifyTotp({ secret: SHA1, code: totp(SHA1, t), epochMs: t, lastUsedStep: usedLater.value.step }),
      ),
      'replayed',
    );
    for (const bad of ['', '12345', '1234567', 'abcdef', '12 456'])
      assert.equal(
        outcome(verifyTotp({ secret: SHA1, code: bad, epochMs: t, lastUsedStep: null })),
        'bad-code',
      );
  });

  test('base32 (RFC 4648 §10 vectors, no padding)', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [input, output] of cases) assert.equal(base32(Buffer.from(input)), output);
  });

  test('property: the current code always verifies once, with any secret', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 64 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        (secret, seconds) => {
          const code = totp(secret, seconds * 1000);
          const once = verifyTotp({ secret, code, epochMs: seconds * 1000, lastUsedStep: null });
          return (
            once.ok &&
            !verifyTotp({ secret, code, epochMs: seconds * 1000, lastUsedStep: once.value.step }).ok
          );
        },
      ),
    );
  });
});
