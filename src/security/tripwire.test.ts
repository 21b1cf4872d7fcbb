/** The tripwire: keyed lookup of decoys, and how often a use of one is journaled. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SecretBox } from '../auth/secret_box.ts';
import type { DecoyRow } from './decoys_port.ts';
import { FINGERPRINT_PURPOSE, fingerprint } from './fingerprint.ts';
import { DECOY_REPEAT_MS, DECOY_USES_JOURNALED_PER_MINUTE, DecoyTripwire } from './tripwire.ts';

const KEY = Buffer.alloc(32, 3);

function decoy(id: string, values: string[]): DecoyRow {
  return {
    id,
    kind: 'record',
    label: '',
    subject: null,
    fingerprints: values.map((v) => fingerprint(KEY, v)),
    exportId: null,
    createdAt: 0,
    by: 't',
  };
}

describe('decoy tripwire', () => {
  test('matches normalised values; a decoy made later is seen once the list is stale', async () => {
    let now = 0;
    const rows = [decoy('d1', ['maria.lopez41'])];
    const tripwire = new DecoyTripwire({ decoys: async () => rows, key: KEY, clock: () => now });
    assert.deepEqual(await tripwire.match(' MARIA.lopez41'), { decoyId: 'd1', kind: 'record' });
    assert.equal(await tripwire.match('ana'), null);
    rows.push(decoy('d2', ['ana']));
    now += 10_000;
    assert.equal((await tripwire.match('ana'))?.decoyId, 'd2');
  });

  test('first use per decoy and address a minute journaled; the rest counted into the next; an overall cap', () => {
    const tripwire = new DecoyTripwire({ decoys: async () => [], key: KEY, clock: () => 0 });
    const hit = { decoyId: 'd1', kind: 'operator' as const };
    assert.deepEqual(tripwire.admit(hit, '10.0.0.1', 0), { unjournaledBefore: 0 });
    for (let i = 1; i <= 5; i++) assert.equal(tripwire.admit(hit, '10.0.0.1', i * 1000), null);
    assert.deepEqual(
      tripwire.admit(hit, '10.0.0.2', 6000),
      { unjournaledBefore: 5 },
      'a new address at once',
    );
    assert.equal(tripwire.admit(hit, '10.0.0.1', 7000), null);
    assert.deepEqual(tripwire.admit(hit, '10.0.0.1', DECOY_REPEAT_MS + 1), { unjournaledBefore: 1 });
    // A flood from many addresses: at most the cap a minute, the rest counted.
    const t = 10 * DECOY_REPEAT_MS;
    let journaled = 0;
    for (let i = 0; i < DECOY_USES_JOURNALED_PER_MINUTE + 50; i++)
      if (tripwire.admit(hit, `addr-${i}`, t) !== null) journaled++;
    assert.equal(journaled, DECOY_USES_JOURNALED_PER_MINUTE);
    assert.deepEqual(tripwire.admit(hit, 'later', t + 60_000), { unjournaledBefore: 50 });
  });
});

describe('the fingerprint key', () => {
  test('derived from the secrets key for its purpose alone: the same on every node, another for another purpose or key', () => {
    const raw = Buffer.alloc(32, 9);
    const key = new SecretBox(raw).derive(FINGERPRINT_PURPOSE);
    assert.equal(key.length, 32);
    assert.deepEqual(new SecretBox(Buffer.from(raw)).derive(FINGERPRINT_PURPOSE), key);
    assert.notDeepEqual(new SecretBox(raw).derive('another purpose'), key);
    assert.notDeepEqual(new SecretBox(Buffer.alloc(32, 8)).derive(FINGERPRINT_PURPOSE), key);
    assert.notDeepEqual(key, raw, 'never the sealing key itself');
  });
});
