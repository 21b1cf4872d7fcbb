/**
 * The fault proxy over real HTTP on loopback, between a plain client and a tiny upstream that
 * records what reached it: each fault does what docs/drills.md says, the same seed gives the
 * same faults, rates change at runtime, and close() ends even held connections at once.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  type FaultAction,
  type FaultDecision,
  type FaultProxy,
  type FaultProxyOptions,
  parseFaultRates,
  startFaultProxy,
} from './fault_proxy.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  body: Buffer;
  /** undefined while the upload is still arriving. */
  complete: boolean | undefined;
}

let upstream: Server;
let upstreamUrl: string;
const seen: Seen[] = [];
const proxies: FaultProxy[] = [];

before(async () => {
  upstream = createServer((req, res) => {
    const record: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
      complete: undefined,
    };
    const n = seen.push(record) - 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => {});
    req.on('close', () => {
      record.body = Buffer.concat(chunks);
      if (record.complete === undefined) record.complete = req.complete;
    });
    req.on('end', () => {
      record.body = Buffer.concat(chunks);
      record.complete = true;
      res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ n, bytes: record.body.length }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

after(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  seen.length = 0;
});

async function proxy(options: Partial<FaultProxyOptions>): Promise<FaultProxy> {
  const started = await startFaultProxy({ target: upstreamUrl, rates: {}, seed: 1, ...options });
  proxies.push(started);
  return started;
}

type Outcome =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: string;
    }
  | { readonly kind: 'error'; readonly code: string }
  | { readonly kind: 'timeout' };

/** One request on its own connection (no client keep-alive, so no reuse of a socket the proxy cut). */
function send(
  url: string,
  options: { body?: Buffer | string; method?: string; path?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = options.body ?? 'package bytes';
    const req = httpRequest(`${url}${options.path ?? '/api/v1/packages'}`, {
      method: options.method ?? 'POST',
      agent: false,
      headers: { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(body) },
    });
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    req.setTimeout(options.timeoutMs ?? 10_000, () => {
      settle({ kind: 'timeout' });
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      settle({ kind: 'error', code: error.code ?? error.message }),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error: NodeJS.ErrnoException) =>
        settle({ kind: 'error', code: error.code ?? error.message }),
      );
      res.on('end', () =>
        settle({
          kind: 'answer',
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.end(body);
  });
}

function answer(outcome: Outcome): Extract<Outcome, { kind: 'answer' }> {
  assert.equal(outcome.kind, 'answer', JSON.stringify(outcome));
  return outcome as Extract<Outcome, { kind: 'answer' }>;
}

/** Polls instead of sleeping a guessed time: the upstream sees a cut upload whenever the kernel says so. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function only(counts: Readonly<Record<FaultAction, number>>): Partial<Record<FaultAction, number>> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

describe('fault proxy', () => {
  test('pass: method, path under the target prefix, body and end-to-end headers go up; the answer comes back', async () => {
    const p = await proxy({ target: `${upstreamUrl}/center/` });
    const got = answer(await send(p.url, { body: 'acta-1' }));
    assert.equal(got.status, 201);
    assert.equal(got.headers['x-upstream'], 'yes');
    assert.deepEqual(JSON.parse(got.body), { n: 0, bytes: 6 });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.url, '/center/api/v1/packages');
    assert.equal(seen[0]!.body.toString(), 'acta-1');

    // Chunked, with hop-by-hop headers, one of them only named by Connection.
    const raw = connect(Number(new URL(p.url).port), '127.0.0.1');
    const text = await new Promise<string>((resolve, reject) => {
      let received = '';
      raw.on('data', (chunk) => {
        received += chunk.toString('latin1');
      });
      raw.on('end', () => resolve(received));
      raw.on('error', reject);
      raw.write(
        'POST /api/v1/packages?x=1 HTTP/1.1\r\nHost: example\r\nConnection: close, X-Hop\r\nX-Hop: secret\r\n' +
          'Keep-Alive: timeout=5\r\nTE: trailers\r\nOpenPREP-Signature: sig\r\nTransfer-Encoding: chunked\r\n\r\n' +
          '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
      );
    });
    assert.match(text, /^HTTP\/1\.1 201 /);
    assert.match(text, /\r\ncontent-length: \d+\r\n/i);
    assert.doesNotMatch(text, /transfer-encoding/i);
    const up = seen[1]!;
    assert.equal(up.url, '/center/api/v1/packages?x=1');
    assert.equal(up.body.toString(), 'hello world');
    assert.equal(up.headers['content-length'], '11');
    assert.equal(up.headers['openprep-signature'], 'sig');
    for (const hop of ['x-hop', 'keep-alive', 'te', 'transfer-encoding'])
      assert.equal(up.headers[hop], undefined, hop);
    assert.equal(up.headers.host, new URL(upstreamUrl).host);
    assert.deepEqual(only(p.counts), { pass: 2 });
  });

  test('drop: the client loses its connection and the upstream never hears of it; setRates changes it at once', async () => {
    const p = await proxy({ rates: { drop: 1 } });
    const dropped = await send(p.url);
    assert.equal(dropped.kind, 'error');
    p.setRates({});
    assert.equal(answer(await send(p.url, { body: 'after' })).status, 201);
    // Only the request after the change reached the upstream.
    assert.deepEqual(
      seen.map((s) => s.body.toString()),
      ['after'],
    );
    assert.deepEqual(only(p.counts), { drop: 1, pass: 1 });
    assert.throws(() => p.setRates({ drop: 0.7, 'black-hole': 0.7 }), RangeError);
    assert.throws(() => p.setRates({ nope: 1 } as never), /unknown fault "nope"/);
  });

  test('delay: the request passes after a wait from the range', async () => {
    const p = await proxy({ rates: { delay: 1 }, delayMs: [60, 80] });
    const start = performance.now();
    assert.equal(answer(await send(p.url)).status, 201);
    assert.ok(performance.now() - start >= 55, 'waited at least the lower bound');
    assert.equal(seen.length, 1);
    assert.deepEqual(only(p.counts), { delay: 1 });
  });

  test('duplicate: the upstream gets the request twice, the client one answer, the first', async () => {
    const p = await proxy({ rates: { duplicate: 1 } });
    const got = answer(await send(p.url, { body: 'twice' }));
    assert.equal(got.status, 201);
    assert.deepEqual(JSON.parse(got.body), { n: 0, bytes: 5 });
    assert.equal(seen.length, 2, 'both copies were handled before the client had its answer');
    for (const s of seen) {
      assert.equal(s.body.toString(), 'twice');
      assert.equal(s.complete, true);
    }
    assert.deepEqual(only(p.counts), { duplicate: 1 });
  });

  test('reset-mid-upload: the upstream sees a cut upload, the client a dead connection', async () => {
    const p = await proxy({ rates: { 'reset-mid-upload': 1 } });
    const image = Buffer.alloc(10_000, 7);
    const outcome = await send(p.url, { body: image });
    assert.equal(outcome.kind, 'error');
    await until(() => seen[0]?.complete === false, 'the upstream to see the upload end early');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.headers['content-length'], '10000');
    assert.ok(seen[0]!.body.length < image.length, `got ${seen[0]!.body.length} bytes`);
    assert.ok(seen[0]!.body.equals(image.subarray(0, seen[0]!.body.length)));
    assert.deepEqual(only(p.counts), { 'reset-mid-upload': 1 });
  });

  test('lose-response: the upstream handled the request in full, the client never gets the answer', async () => {
    const p = await proxy({ rates: { 'lose-response': 1 } });
    const outcome = await send(p.url, { body: 'stored' });
    assert.equal(outcome.kind, 'error');
    // The proxy read the upstream's whole answer before cutting the client, so no waiting here.
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.complete, true);
    assert.equal(seen[0]!.body.toString(), 'stored');
    assert.deepEqual(only(p.counts), { 'lose-response': 1 });
  });

  test('reorder: a held request is overtaken by a later one; alone, it passes after its hold', async () => {
    const decided: FaultDecision[] = [];
    let onDecided = () => {};
    // A long hold: the held request must be released by being overtaken, not by its timer.
    const p = await proxy({
      rates: { reorder: 1 },
      delayMs: [5_000, 5_000],
      onDecision: (d) => {
        decided.push(d);
        onDecided();
      },
    });
    const firstDecided = new Promise<void>((resolve) => {
      onDecided = resolve;
    });
    const start = performance.now();
    const first = send(p.url, { body: 'first' });
    await firstDecided;
    p.setRates({});
    assert.equal(answer(await send(p.url, { body: 'second' })).status, 201);
    assert.equal(answer(await first).status, 201);
    assert.ok(performance.now() - start < 4_000, 'released when overtaken, before its hold ran out');
    assert.deepEqual(
      seen.map((s) => s.body.toString()),
      ['second', 'first'],
    );
    assert.deepEqual(
      decided.map((d) => [d.seq, d.action]),
      [
        [0, 'reorder'],
        [1, 'pass'],
      ],
    );

    const alone = await proxy({ rates: { reorder: 1 }, delayMs: [10, 20] });
    assert.equal(answer(await send(alone.url)).status, 201);
    assert.deepEqual(only(alone.counts), { reorder: 1 });
  });

  test('black-hole: no answer, nothing upstream, and close() ends a held connection at once', async () => {
    const p = await proxy({ rates: { 'black-hole': 1 } });
    assert.equal((await send(p.url, { timeoutMs: 300 })).kind, 'timeout');
    const held = send(p.url, { timeoutMs: 30_000 });
    await until(() => p.counts['black-hole'] === 2, 'the second request to be black-holed');
    const start = performance.now();
    await p.close();
    assert.ok(performance.now() - start < 2_000, 'close() did not wait for the held client');
    assert.equal((await held).kind, 'error');
    assert.equal(seen.length, 0);
  });

  test('the same seed and the same requests give the same faults; another seed, others', async () => {
    const rates = { drop: 0.2, duplicate: 0.2, 'lose-response': 0.2, 'reset-mid-upload': 0.1 };
    const run = async (seed: number) => {
      const actions: FaultAction[] = [];
      const p = await proxy({ rates, seed, onDecision: (d) => actions.push(d.action) });
      for (let i = 0; i < 24; i++) await send(p.url, { body: `r${i}` });
      const counts = p.counts;
      await p.close();
      return { actions, counts };
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    assert.deepEqual(a.actions, b.actions);
    assert.deepEqual(a.counts, b.counts);
    assert.equal(
      Object.values(a.counts).reduce((x, y) => x + y, 0),
      24,
    );
    assert.ok(new Set(a.actions).size >= 3, `a mix of faults: ${a.actions.join(' ')}`);
    assert.notDeepEqual(a.actions, c.actions);
  });

  test('a body over maxBodyBytes is 413 and never forwarded; one at the limit passes', async () => {
    const p = await proxy({ maxBodyBytes: 1024 });
    const refused = answer(await send(p.url, { body: Buffer.alloc(4096) }));
    assert.equal(refused.status, 413);
    assert.match(refused.body, /over 1024 bytes/);
    assert.equal(seen.length, 0);
    assert.equal(answer(await send(p.url, { body: Buffer.alloc(1024) })).status, 201);
    assert.equal(seen.length, 1);
    assert.deepEqual(only(p.counts), { pass: 1 });
  });

  test('an unreachable target is 502', async () => {
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const p = await proxy({ target: `http://127.0.0.1:${port}`, rates: { duplicate: 0.5 }, seed: 3 });
    for (let i = 0; i < 4; i++) {
      const got = answer(await send(p.url));
      assert.equal(got.status, 502);
      assert.match(got.body, /upstream/);
    }
  });

  test('bad options are refused before listening', async () => {
    await assert.rejects(startFaultProxy({ target: 'https://example.org', rates: {}, seed: 1 }), /not http/);
    await assert.rejects(startFaultProxy({ target: 'nope', rates: {}, seed: 1 }), /not a URL/);
    await assert.rejects(startFaultProxy({ target: upstreamUrl, rates: { drop: 2 }, seed: 1 }), RangeError);
    await assert.rejects(
      startFaultProxy({ target: upstreamUrl, rates: {}, seed: 1, delayMs: [10, 5] }),
      /delayMs/,
    );
  });
});

describe('parseFaultRates', () => {
  test('reads NAME=RATE items', () => {
    assert.deepEqual(parseFaultRates('drop=0.1,lose-response=0.05'), {
      ok: true,
      value: { drop: 0.1, 'lose-response': 0.05 },
    });
    assert.deepEqual(parseFaultRates(' delay = .5 , black-hole=0.5 '), {
      ok: true,
      value: { delay: 0.5, 'black-hole': 0.5 },
    });
    assert.deepEqual(parseFaultRates('drop=1'), { ok: true, value: { drop: 1 } });
    assert.deepEqual(parseFaultRates('reorder=0.1,duplicate=0.2,reset-mid-upload=0.7'), {
      ok: true,
      value: { reorder: 0.1, duplicate: 0.2, 'reset-mid-upload': 0.7 },
    });
    assert.deepEqual(parseFaultRates(''), { ok: true, value: {} });
  });

  test('names the bad part', () => {
    const cases: [string, RegExp][] = [
      ['drop=0.1,jitter=0.2', /unknown fault "jitter"/],
      ['drop=abc', /rate of drop, "abc", is not a decimal number/],
      ['drop=0x1', /"0x1"/],
      ['delay=-0.1', /rate of delay, "-0.1", is negative/],
      ['drop=0.6,delay=0.5', /add up to 1\.1, more than 1/],
      ['drop=1.5', /"1\.5", is more than 1/],
      ['drop', /"drop" is not NAME=RATE/],
      ['drop=0.1,,delay=0.1', /empty item/],
      ['drop=0.1,drop=0.2', /"drop" is given twice/],
      ['drop=', /rate of drop, "", is not/],
    ];
    for (const [text, message] of cases) {
      const parsed = parseFaultRates(text);
      assert.equal(parsed.ok, false, text);
      if (parsed.ok) continue;
      assert.equal(parsed.code, 'bad-fault-rates');
      assert.match(parsed.message, message, text);
      assert.ok(parsed.message.includes(text), `the message quotes the input: ${parsed.message}`);
    }
  });
});
