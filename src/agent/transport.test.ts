import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  backoffMs,
  type Channel,
  type ChannelHealth,
  chooseChannel,
  DEFINITIVE_REFUSALS,
  type OutboxItem,
  type OutboxStore,
  outcomeOfResponse,
  Sender,
  type SendOutcome,
} from './transport.ts';

const health = (downUntil: number, name = 'c'): ChannelHealth => ({
  name,
  failures: downUntil > 0 ? 1 : 0,
  downUntil,
  lastError: null,
  lastSuccessAt: null,
});

/** An outbox in memory: the transport's own rules, without SQLite. */
class MemoryOutbox implements OutboxStore {
  readonly items = new Map<number, OutboxItem>();
  constructor(count: number) {
    for (let sequence = 0; sequence < count; sequence++)
      this.items.set(sequence, {
        sequence,
        packageText: `{"sequence":${sequence}}`,
        signature: 'sig',
        packageSha256: String(sequence).padStart(64, '0'),
        imageSha256: String(sequence).padStart(64, 'f'),
        contentType: 'image/png',
        state: 'pending',
        attempts: 0,
        nextAttemptAt: 0,
        lastError: null,
        receipt: null,
        deliveredVia: null,
      });
  }
  async due(now: number, limit: number) {
    return [...this.items.values()]
      .filter((i) => i.state === 'pending' && i.nextAttemptAt <= now)
      .slice(0, limit);
  }
  async nextDue() {
    const pending = [...this.items.values()].filter((i) => i.state === 'pending');
    return pending.length === 0 ? null : Math.min(...pending.map((i) => i.nextAttemptAt));
  }
  async image() {
    return new Uint8Array([1, 2, 3]);
  }
  #update(sequence: number, change: Partial<OutboxItem>) {
    const item = this.items.get(sequence)!;
    if (item.state === 'pending') this.items.set(sequence, { ...item, ...change });
  }
  async markDelivered(sequence: number, receipt: string, via: string) {
    this.#update(sequence, { state: 'delivered', receipt, deliveredVia: via });
  }
  async markRefused(sequence: number, reason: string) {
    this.#update(sequence, { state: 'refused', lastError: reason });
  }
  async markRetry(sequence: number, nextAttemptAt: number, reason: string) {
    const item = this.items.get(sequence)!;
    this.#update(sequence, { attempts: item.attempts + 1, nextAttemptAt, lastError: reason });
  }
}

function scriptedChannel(
  name: string,
  answer: (item: OutboxItem) => SendOutcome,
): Channel & { calls: number } {
  const channel = {
    name,
    calls: 0,
    async send(item: OutboxItem) {
      channel.calls++;
      return answer(item);
    },
  };
  return channel;
}

describe('transport rules', () => {
  test('backoff: full jitter within [0, min(max, base·2^attempt))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, max, r) => {
          const wait = backoffMs(attempt, { baseMs: base, maxMs: max }, () => r);
          const ceiling = Math.min(max, base * 2 ** attempt);
          return Number.isInteger(wait) && wait >= 0 && wait <= ceiling && (ceiling === 0 || wait < ceiling);
        },
      ),
    );
  });

  test('channel choice: the first one not resting; when all rest, the one back soonest', () => {
    assert.equal(chooseChannel([health(0), health(0)], 100), 0);
    assert.equal(chooseChannel([health(500), health(0)], 100), 1);
    assert.equal(chooseChannel([health(500), health(300)], 100), 1);
    assert.equal(
      chooseChannel([health(200), health(300)], 250),
      0,
      'the primary is probed once its rest is over',
    );
  });

  test('answers: receipts, refusals a retry will not change, and "later"', () => {
    assert.deepEqual(outcomeOfResponse(201, 'r', null), { kind: 'receipt', receipt: 'r' });
    assert.deepEqual(outcomeOfResponse(200, 'r', null), { kind: 'receipt', receipt: 'r' });
    assert.deepEqual(outcomeOfResponse(503, '', '7'), {
      kind: 'retry',
      reason: '503 busy',
      retryAfterMs: 7000,
    });
    assert.equal(outcomeOfResponse(502, '', null).kind, 'retry');
    assert.deepEqual(outcomeOfResponse(409, '{"error":"conflict","message":"kept for review"}', null), {
      kind: 'refused',
      status: 409,
      code: 'conflict',
      message: 'kept for review',
    });
    // Outside the territory of the device's CATD: a retry would get the same answer.
    assert.deepEqual(
      outcomeOfResponse(
        403,
        '{"error":"out-of-scope","message":"acta 0100 is outside the territory of CATD-01"}',
        null,
      ),
      {
        kind: 'refused',
        status: 403,
        code: 'out-of-scope',
        message: 'acta 0100 is outside the territory of CATD-01',
      },
    );
  });

  test("a fault of the center is never a refusal: 5xx, a truncated upload, a 4xx without an intake code (a proxy's page) are retried", () => {
    // The center's store or disk failed: later, as told, and on another center meanwhile.
    assert.deepEqual(
      outcomeOfResponse(
        503,
        '{"error":"store-unavailable","message":"the center cannot use its store now"}',
        '10',
      ),
      { kind: 'retry', reason: '503 store-unavailable', retryAfterMs: 10_000, failing: true },
    );
    assert.deepEqual(outcomeOfResponse(507, '{"error":"disk-full","message":"out of disk space"}', '60'), {
      kind: 'retry',
      reason: '507 disk-full',
      retryAfterMs: 60_000,
      failing: true,
    });
    // The upload was cut on its way: the same bytes sent again are whole.
    assert.equal(outcomeOfResponse(400, '{"error":"truncated","message":"ends early"}', null).kind, 'retry');
    // Not the center's word: a proxy's or a firewall's page, a wrong address.
    assert.equal(outcomeOfResponse(403, '<html>', null).kind, 'retry');
    assert.equal(
      outcomeOfResponse(404, '{"error":"not-found","message":"no such route"}', null).kind,
      'retry',
    );
    assert.equal(outcomeOfResponse(413, '<html>413 Request Entity Too Large</html>', null).kind, 'retry');
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 599 }),
        fc.string(),
        fc.option(fc.string()),
        (status, body, after) => {
          assert.equal(outcomeOfResponse(status, body, after).kind, 'retry');
        },
      ),
    );
  });

  test("every refusal of the center's closed set that a retry cannot change gives the acta up, and only those", async () => {
    const { INTAKE_STATUS } = await import('../server/app.ts');
    for (const [code, status] of Object.entries(INTAKE_STATUS)) {
      const outcome = outcomeOfResponse(status, JSON.stringify({ error: code, message: 'm' }), '1');
      const definitive = status >= 400 && status < 500 && code !== 'truncated' && code !== 'bad-request';
      assert.equal(outcome.kind, definitive ? 'refused' : 'retry', `${status} ${code}`);
      assert.equal(DEFINITIVE_REFUSALS.has(code), definitive, `${code} in the closed set`);
    }
  });

  test('a center whose store fails: the acta stays pending, waits the Retry-After, and goes to the alternate meanwhile', async () => {
    let now = 0;
    const outbox = new MemoryOutbox(2);
    let full = true;
    const primary = scriptedChannel('primary', (item) =>
      full
        ? outcomeOfResponse(507, '{"error":"disk-full","message":"out of disk space"}', '60')
        : { kind: 'receipt', receipt: `ok ${item.sequence}` },
    );
    const alternate = scriptedChannel('alternate', (item) => ({
      kind: 'receipt',
      receipt: `ok ${item.sequence}`,
    }));
    const sender = new Sender({
      outbox,
      channels: [primary, alternate],
      checkReceipt: () => ({ ok: true }),
      clock: () => now,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1_000 },
      concurrency: 1,
    });
    outbox.items.set(1, { ...outbox.items.get(1)!, nextAttemptAt: 5 });
    await sender.round();
    const first = outbox.items.get(0)!;
    assert.equal(first.state, 'pending');
    assert.equal(first.nextAttemptAt, 60_000, 'as long as the center said');
    assert.match(first.lastError ?? '', /507 disk-full/);
    assert.ok(sender.health[0]!.failures > 0, 'the failing center rests');
    now = 5;
    await sender.round();
    assert.equal(outbox.items.get(1)!.deliveredVia, 'alternate');
    // Space freed: once the wait is over the primary takes it.
    full = false;
    now = 60_000;
    await sender.round();
    assert.equal(outbox.items.get(0)!.deliveredVia, 'primary', 'delivered once the wait is over');
  });

  test('a sender delivers over the primary, fails over when it breaks, and keeps a package whose receipt is bad', async () => {
    let now = 0;
    const outbox = new MemoryOutbox(6);
    let primaryUp = true;
    const primary = scriptedChannel('primary', (item) =>
      primaryUp
        ? { kind: 'receipt', receipt: `ok ${item.sequence}` }
        : { kind: 'retry', reason: 'no answer' },
    );
    const alternate = scriptedChannel('alternate', (item) =>
      item.sequence === 5
        ? { kind: 'receipt', receipt: 'forged' }
        : { kind: 'receipt', receipt: `ok ${item.sequence}` },
    );
    const sender = new Sender({
      outbox,
      channels: [primary, alternate],
      checkReceipt: (item, receipt) =>
        receipt === `ok ${item.sequence}`
          ? { ok: true }
          : { ok: false, message: 'not signed by the election key' },
      clock: () => now,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1_000 },
      concurrency: 1,
    });
    // Two delivered over the primary, then it breaks.
    const first = [...outbox.items.keys()].slice(0, 2);
    for (const s of first) outbox.items.set(s, { ...outbox.items.get(s)!, nextAttemptAt: 0 });
    for (const s of [2, 3, 4, 5]) outbox.items.set(s, { ...outbox.items.get(s)!, nextAttemptAt: 10 });
    await sender.round();
    assert.deepEqual(
      [0, 1].map((s) => outbox.items.get(s)!.deliveredVia),
      ['primary', 'primary'],
    );
    primaryUp = false;
    now = 10;
    await sender.round();
    // Package 2 failed on the primary and waits; the rest went over the alternate.
    assert.equal(outbox.items.get(2)!.state, 'pending');
    assert.deepEqual(
      [3, 4].map((s) => outbox.items.get(s)!.deliveredVia),
      ['alternate', 'alternate'],
    );
    assert.equal(outbox.items.get(5)!.state, 'pending', 'a receipt that does not verify is no delivery');
    assert.match(outbox.items.get(5)!.lastError ?? '', /bad receipt/);
    assert.equal(sender.health[0]!.failures, 1);
    // The primary heals: once its rest is over it is probed and carries the traffic again.
    primaryUp = true;
    now = 10_000;
    await sender.round();
    assert.equal(outbox.items.get(2)!.deliveredVia, 'primary');
    assert.equal(sender.health[0]!.failures, 0);
  });
});
