/**
 * The election key's backup among custodians: any K of N shares rebuild the exact key,
 * K-1 do not; damaged, mixed and repeated shares are refused by name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { combine } from 'shamir-secret-sharing';
import { formatShare, type KeyShare, parseShare, recoverSigningKey, splitSigningKey } from './key_backup.ts';
import { generateSigningKey } from './keys.ts';

const pem = (signer: { privateKey: { export(o: object): unknown } }) =>
  signer.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const labelled = (shares: readonly KeyShare[]) =>
  shares.map((share) => ({ share, label: `share ${share.index}` }));

test('any K of N shares rebuild the exact PKCS#8 key; K-1 do not', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc
        .record({ n: fc.integer({ min: 2, max: 9 }), k: fc.integer({ min: 2, max: 9 }) })
        .filter(({ n, k }) => k <= n)
        .chain(({ n, k }) =>
          fc.record({
            n: fc.constant(n),
            k: fc.constant(k),
            chosen: fc.shuffledSubarray([...Array(n).keys()], { minLength: k, maxLength: k }),
          }),
        ),
      async ({ n, k, chosen }) => {
        const key = generateSigningKey('openprep.PEF2024.live');
        const split = await splitSigningKey(key, n, k);
        assert.ok(split.ok);
        assert.equal(split.value.length, n);
        // Through the share files' text, as a custodian brings them back.
        const back = chosen.map((i) => {
          const parsed = parseShare(formatShare(split.value[i]!), `share ${i + 1}`);
          assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
          return parsed.value;
        });
        const recovered = await recoverSigningKey(labelled(back));
        assert.ok(recovered.ok, recovered.ok ? '' : recovered.message);
        assert.equal(pem(recovered.value), pem(key));
        assert.equal(recovered.value.name, key.name);

        const fewer = back.slice(0, k - 1);
        const refused = await recoverSigningKey(labelled(fewer));
        assert.ok(!refused.ok);
        assert.equal(refused.code, 'too-few-shares');
        assert.match(refused.message, new RegExp(`needs ${k} of its ${n}`));
        // And the library itself, given K-1, gives some other secret (K-1 shares say nothing).
        if (fewer.length >= 2) {
          const wrong = await combine(fewer.map((s) => new Uint8Array(Buffer.from(s.share, 'base64'))));
          const seed = key.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(16);
          assert.notDeepEqual(Buffer.from(wrong), seed);
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('a mistyped or damaged share is refused by its checksum, before anything is rebuilt', async () => {
  const split = await splitSigningKey(generateSigningKey('openprep.PEF2024.live'), 3, 2);
  assert.ok(split.ok);
  const text = formatShare(split.value[0]!);
  const share = split.value[0]!.share;
  // One character of the share's bytes changed, as a custodian might mistype it.
  const typo = text.replace(share, `${share[0] === 'A' ? 'B' : 'A'}${share.slice(1)}`);
  const damaged = parseShare(typo, 'custodio-1.json');
  assert.ok(!damaged.ok);
  assert.equal(damaged.code, 'damaged-share');
  assert.match(damaged.message, /custodio-1\.json is damaged or mistyped/);
  const index = parseShare(text.replace('"index": 1', '"index": 2'), 'custodio-1.json');
  assert.ok(!index.ok);
  assert.equal(index.code, 'damaged-share');
  const garbage = parseShare('not a share', 'x.json');
  assert.ok(!garbage.ok);
  assert.equal(garbage.code, 'unreadable-share');
  const truncated = parseShare(text.slice(0, 40), 'x.json');
  assert.ok(!truncated.ok);
  assert.equal(truncated.code, 'unreadable-share');
});

test('shares of two backups, or one share twice, are refused', async () => {
  const key = generateSigningKey('openprep.PEF2024.live');
  const a = await splitSigningKey(key, 3, 2);
  const b = await splitSigningKey(key, 3, 2);
  assert.ok(a.ok && b.ok);
  const mixed = await recoverSigningKey(labelled([a.value[0]!, b.value[1]!]));
  assert.ok(!mixed.ok);
  assert.equal(mixed.code, 'mixed-backups');
  const twice = await recoverSigningKey(labelled([a.value[0]!, a.value[0]!]));
  assert.ok(!twice.ok);
  assert.equal(twice.code, 'duplicate-share');
  const other = await splitSigningKey(generateSigningKey('openprep.PEF2024.live'), 3, 2);
  assert.ok(other.ok);
  const otherKey = await recoverSigningKey(labelled([a.value[0]!, other.value[1]!]));
  assert.ok(!otherKey.ok);
  assert.equal(otherKey.code, 'mixed-backups');
  const bad = await splitSigningKey(key, 2, 3);
  assert.ok(!bad.ok);
  assert.equal(bad.code, 'bad-split');
});

test('a share whose bytes were replaced consistently (checksum recomputed) rebuilds no key: the public key check refuses it', async () => {
  const key = generateSigningKey('openprep.PEF2024.live');
  const split = await splitSigningKey(key, 3, 2);
  assert.ok(split.ok);
  const forged = await splitSigningKey(generateSigningKey('openprep.PEF2024.live'), 3, 2);
  assert.ok(forged.ok);
  // The forger copies every field of a genuine share but the bytes, which come from another key.
  const genuine = split.value[1]!;
  const { checksum: _, ...body } = { ...genuine, share: forged.value[1]!.share };
  const reparsed = parseShare(JSON.stringify({ ...body, checksum: '0'.repeat(64) }), 'forged');
  assert.ok(!reparsed.ok); // the checksum alone catches a careless forgery…
  const result = await recoverSigningKey(labelled([split.value[0]!, { ...genuine, share: body.share }]));
  assert.ok(!result.ok); // …and the public key a careful one.
  assert.equal(result.code, 'key-mismatch');
});
