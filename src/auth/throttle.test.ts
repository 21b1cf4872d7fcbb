/** The pure parts of sign-in throttling: the doubling delay and what an address counts under. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressKey, delayAfter, FIRST_DELAY_MS, FREE_FAILURES, MAX_DELAY_MS } from './accounts.ts';

describe('sign-in throttling', () => {
  test('no delay for the first failures, then one that doubles per failure, capped', () => {
    for (let f = 0; f < FREE_FAILURES; f++) assert.equal(delayAfter(f, FREE_FAILURES), 0);
    assert.equal(delayAfter(FREE_FAILURES, FREE_FAILURES), FIRST_DELAY_MS);
    assert.equal(delayAfter(FREE_FAILURES + 1, FREE_FAILURES), 2 * FIRST_DELAY_MS);
    assert.equal(delayAfter(FREE_FAILURES + 3, FREE_FAILURES), 8 * FIRST_DELAY_MS);
    assert.equal(delayAfter(FREE_FAILURES + 1_000, FREE_FAILURES), MAX_DELAY_MS);
  });

  test('an IPv4 address counts alone; an IPv6 address counts with its /64, however it is written', () => {
    assert.equal(addressKey('203.0.113.9'), '203.0.113.9');
    assert.equal(addressKey('::ffff:203.0.113.9'), '203.0.113.9');
    const key = addressKey('2001:db8:1:2:aaaa::1');
    assert.equal(key, '2001:db8:1:2::/64');
    for (const same of ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:DB8:1:2::', '2001:db8:1:2::9%eth0'])
      assert.equal(addressKey(same), key, same);
    assert.notEqual(addressKey('2001:db8:1:3::1'), key);
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1'), 'fe80:0:0:0::/64');
  });
});
