/**
 * Alert sinks against real receivers on loopback: an HTTP(S) server that checks the webhook's
 * signature and answers as the test says, a UDP socket, a TCP server reading octet-counted
 * frames, and a TLS collector with certificates from a test CA. Queues, retries, drops and the
 * flush at close are seen from the receiving side.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { loadServeConfig } from '../server/config.ts';
import { issue, makeCa, pem, type TestCa, type TestCertificate } from '../test/tls.ts';
import { alertsConfigSchema, alertSinksFrom } from './alert_config.ts';
import type { AlertEnvelope, SecurityAlert } from './alert_envelope.ts';
import type { AlertSinks, SinkEventOf } from './alert_sinks.ts';
import { formatSyslog } from './syslog_format.ts';

const work = await mkdtemp(path.join(tmpdir(), 'openprep-alert-sinks-'));
after(() => rm(work, { recursive: true, force: true }));

const SECRET = 'f3a9c1e07b5d4a2e9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d';
const secretFile = path.join(work, 'webhook.secret');
let ca: TestCa;
let serverCert: TestCertificate;
let otherCa: TestCa;
let otherCert: TestCertificate;

before(async () => {
  await writeFile(secretFile, `${SECRET}\n`);
  await chmod(secretFile, 0o600);
  ca = await makeCa(path.join(work, 'ca'), 'SOC test CA');
  serverCert = await issue(ca, path.join(work, 'soc', 'server'), { name: 'soc.test', usage: 'server' });
  otherCa = await makeCa(path.join(work, 'other-ca'), 'Somebody else');
  otherCert = await issue(otherCa, path.join(work, 'other', 'server'), { name: 'soc.test', usage: 'server' });
});

let sequence = 0;
function alert(more: Partial<SecurityAlert> = {}): SecurityAlert {
  sequence += 1;
  return {
    type: 'SECURITY_ALERT',
    at: Date.UTC(2024, 5, 3, 3, 15, 0, sequence),
    alertId: `brute-force:ana.lopez:${sequence}`,
    detection: 'brute-force',
    severity: 'high',
    subject: { username: 'ana.lopez', address: '198.51.100.7' },
    firstAt: Date.UTC(2024, 5, 3, 3, 10),
    lastAt: Date.UTC(2024, 5, 3, 3, 15),
    evidence: { failures: 25 },
    responses: ['throttle'],
    ...more,
  };
}

/** Every event the sinks report, and a promise for the first one that matches. */
function eventLog() {
  const events: SinkEventOf[] = [];
  const waiters: { match: (e: SinkEventOf) => boolean; resolve: (e: SinkEventOf) => void }[] = [];
  return {
    events,
    onEvent(event: SinkEventOf) {
      events.push(event);
      for (const waiter of [...waiters])
        if (waiter.match(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
    },
    until(match: (e: SinkEventOf) => boolean, count = 1): Promise<void> {
      return new Promise((resolve) => {
        let seen = events.filter(match).length;
        if (seen >= count) {
          resolve();
          return;
        }
        const wait = () =>
          waiters.push({
            match,
            resolve: () => {
              seen += 1;
              if (seen >= count) resolve();
              else wait();
            },
          });
        wait();
      });
    },
  };
}

const FAST = { retryBaseSeconds: 0.005, retryMaxSeconds: 0.02 };

async function sinksFor(raw: Record<string, unknown>, log = eventLog()): Promise<AlertSinks> {
  const config = alertsConfigSchema.parse({ centerName: 'centro-test', ...FAST, ...raw });
  const built = await alertSinksFrom(config, {
    electionId: 'PEF2024',
    mode: 'simulacro',
    onEvent: log.onEvent,
  });
  assert.ok(built.ok, built.ok ? '' : built.message);
  assert.ok(built.value !== null);
  return built.value;
}

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** An HTTP or HTTPS server that keeps what it receives and answers with `answer(n)` (n from 1). */
async function webhookServer(
  answer: (n: number, res: ServerResponse) => void = (_n, res) => res.end('ok'),
  tls?: TestCertificate,
) {
  const received: Received[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      answer(received.length, res);
    });
  };
  const server =
    tls === undefined
      ? createHttpServer(handler)
      : createHttpsServer({ cert: await pem(tls.cert), key: await pem(tls.key) }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    url: `${tls === undefined ? 'http' : 'https'}://${tls === undefined ? '127.0.0.1' : 'localhost'}:${port}/alerts`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What the receiver does: recompute the HMAC over the raw body and compare. */
function checkSignature(received: Received): AlertEnvelope {
  const expected = `sha256=${createHmac('sha256', SECRET).update(received.body).digest('hex')}`;
  assert.equal(received.headers['x-openprep-signature'], expected);
  return JSON.parse(received.body.toString('utf8')) as AlertEnvelope;
}

describe('the webhook', () => {
  test('a real server gets the alert as signed JSON, with the center, the version and a delivery id', async () => {
    const server = await webhookServer();
    const log = eventLog();
    const sinks = await sinksFor({ webhook: { url: server.url, secretFile } }, log);
    const sent = alert({ detection: 'credential-stuffing', severity: 'critical' });
    sinks.send(sent);
    await log.until((e) => e.kind === 'sent');
    const [one] = server.received;
    assert.ok(one !== undefined);
    assert.equal(one.headers['content-type'], 'application/json');
    const envelope = checkSignature(one);
    assert.deepEqual(envelope, {
      version: 1,
      deliveryId: one.headers['x-openprep-delivery'],
      center: { name: 'centro-test', electionId: 'PEF2024', mode: 'simulacro' },
      droppedBefore: 0,
      alert: sent,
    });
    assert.match(String(one.headers['x-openprep-delivery']), /^[0-9a-f-]{36}$/);
    // A body changed on the way no longer matches its signature.
    const forged = { ...one, body: Buffer.from(one.body.toString().replace('critical', 'warning')) };
    assert.throws(() => checkSignature(forged));
    assert.deepEqual(await sinks.close(1000), { flushed: true, unsent: 0 });
    assert.deepEqual(sinks.stats(), [
      { sink: 'webhook', target: server.url, sent: 1, failed: 0, dropped: 0, retried: 0, queued: 0 },
    ]);
    await server.close();
  });

  test('503 twice then 200: delivered once, three attempts with the same delivery id and body', async () => {
    const server = await webhookServer((n, res) => {
      res.statusCode = n <= 2 ? 503 : 200;
      res.end(n <= 2 ? 'busy' : 'ok');
    });
    const log = eventLog();
    const sinks = await sinksFor({ webhook: { url: server.url, secretFile } }, log);
    sinks.send(alert());
    await log.until((e) => e.kind === 'sent');
    assert.equal(server.received.length, 3);
    const ids = new Set(server.received.map((r) => r.headers['x-openprep-delivery']));
    assert.equal(ids.size, 1);
    assert.equal(new Set(server.received.map((r) => r.body.toString())).size, 1);
    for (const r of server.received) checkSignature(r);
    assert.deepEqual(
      log.events.filter((e) => e.kind === 'retry').map((e) => (e.kind === 'retry' ? e.reason : '')),
      ['HTTP 503: busy', 'HTTP 503: busy'],
    );
    await sinks.close(1000);
    const [stats] = sinks.stats();
    assert.deepEqual(
      { sent: stats?.sent, failed: stats?.failed, retried: stats?.retried },
      { sent: 1, failed: 0, retried: 2 },
    );
    await server.close();
  });

  test('a 400 is given up at once and counted; 408 and 429 are retried', async () => {
    const server = await webhookServer((n, res) => {
      res.statusCode = [408, 429, 400][n - 1] ?? 200;
      res.end('no');
    });
    const log = eventLog();
    const sinks = await sinksFor({ webhook: { url: server.url, secretFile } }, log);
    sinks.send(alert());
    await log.until((e) => e.kind === 'gave-up');
    assert.equal(server.received.length, 3);
    const [stats] = sinks.stats();
    assert.deepEqual(
      { sent: stats?.sent, failed: stats?.failed, retried: stats?.retried },
      { sent: 0, failed: 1, retried: 2 },
    );
    // The next alert goes: one refused alert does not block the queue.
    sinks.send(alert());
    await log.until((e) => e.kind === 'sent');
    await sinks.close(1000);
    await server.close();
  });

  test('out of attempts: a receiver that is down counts as failed after maxAttempts', async () => {
    const server = await webhookServer();
    const url = server.url;
    await server.close();
    const log = eventLog();
    const sinks = await sinksFor({ maxAttempts: 3, webhook: { url, secretFile } }, log);
    sinks.send(alert());
    await log.until((e) => e.kind === 'gave-up');
    const retries = log.events.filter((e) => e.kind === 'retry');
    assert.equal(retries.length, 2);
    assert.match(retries[0]?.kind === 'retry' ? retries[0].reason : '', /^ECONNREFUSED/);
    assert.equal(sinks.stats()[0]?.failed, 1);
    await sinks.close(1000);
  });

  test('HTTPS with a pinned CA: the SOC CA is trusted, a certificate from another CA is not', async () => {
    const good = await webhookServer(undefined, serverCert);
    const log = eventLog();
    const sinks = await sinksFor({ webhook: { url: good.url, secretFile, ca: ca.cert } }, log);
    sinks.send(alert());
    await log.until((e) => e.kind === 'sent');
    checkSignature(good.received[0]!);
    await sinks.close(1000);
    await good.close();

    const impostor = await webhookServer(undefined, otherCert);
    const refused = eventLog();
    const pinned = await sinksFor(
      { maxAttempts: 2, webhook: { url: impostor.url, secretFile, ca: ca.cert } },
      refused,
    );
    pinned.send(alert());
    await refused.until((e) => e.kind === 'gave-up');
    assert.equal(impostor.received.length, 0);
    const retry = refused.events.find((e) => e.kind === 'retry');
    assert.match(retry?.kind === 'retry' ? retry.reason : '', /certificate/i);
    await pinned.close(1000);
    await impostor.close();
  });

  test('a full queue drops the oldest waiting alert, counts it, and the next delivery says so', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await webhookServer((n, res) => {
      if (n === 1) void held.then(() => res.end('ok'));
      else res.end('ok');
    });
    const log = eventLog();
    const sinks = await sinksFor({ queueCapacity: 2, webhook: { url: server.url, secretFile } }, log);
    const first = alert();
    sinks.send(first);
    // The first is in flight (the server holds it); two wait; two more push out the two oldest.
    await new Promise<void>((resolve) => {
      const check = () => (server.received.length === 1 ? resolve() : setImmediate(check));
      check();
    });
    const waiting = [alert(), alert(), alert(), alert()];
    for (const a of waiting) sinks.send(a);
    assert.equal(sinks.stats()[0]?.dropped, 2);
    assert.equal(sinks.stats()[0]?.queued, 3);
    assert.deepEqual(
      log.events.filter((e) => e.kind === 'dropped').map((e) => e.alertId),
      [waiting[0]?.alertId, waiting[1]?.alertId],
    );
    release();
    await log.until((e) => e.kind === 'sent', 3);
    const bodies = server.received.map(checkSignature);
    assert.deepEqual(
      bodies.map((b) => [b.alert.alertId, b.droppedBefore]),
      [
        [first.alertId, 0],
        [waiting[2]?.alertId, 2],
        [waiting[3]?.alertId, 0],
      ],
    );
    await sinks.close(1000);
    await server.close();
  });

  test('close() delivers what is queued; past its deadline what is left counts as failed, and send never throws', async () => {
    const server = await webhookServer();
    const sinks = await sinksFor({ webhook: { url: server.url, secretFile } });
    const sent = [alert(), alert(), alert(), alert(), alert()];
    for (const a of sent) sinks.send(a);
    assert.deepEqual(await sinks.close(10_000), { flushed: true, unsent: 0 });
    assert.deepEqual(
      server.received.map((r) => checkSignature(r).alert.alertId),
      sent.map((a) => a.alertId),
    );
    sinks.send(alert());
    assert.equal(sinks.stats()[0]?.dropped, 1);
    await server.close();

    // A receiver that never answers: close returns at its deadline with the alerts counted.
    const silent = await webhookServer(() => undefined);
    const stuck = await sinksFor({ webhook: { url: silent.url, secretFile, timeoutSeconds: 120 } });
    stuck.send(alert());
    stuck.send(alert());
    assert.deepEqual(await stuck.close(50), { flushed: false, unsent: 2 });
    assert.deepEqual(
      { failed: stuck.stats()[0]?.failed, queued: stuck.stats()[0]?.queued },
      { failed: 2, queued: 0 },
    );
    await silent.close();
  });
});

/** Octet-counted frames (RFC 6587 §3.4.1) read from a byte stream. */
function frameReader(onFrame: (frame: string) => void) {
  let buffer = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const space = buffer.indexOf(0x20);
      if (space < 0) return;
      const length = Number(buffer.subarray(0, space).toString('ascii'));
      assert.ok(
        Number.isInteger(length) && length > 0,
        `bad frame length ${buffer.subarray(0, space).toString()}`,
      );
      if (buffer.length < space + 1 + length) return;
      onFrame(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
      buffer = buffer.subarray(space + 1 + length);
    }
  };
}

/** A TCP or TLS collector on a port (0: any), keeping its frames and its open connections. */
async function collector(port: number, tls?: TestCertificate) {
  const frames: string[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on(
      'data',
      frameReader((frame) => frames.push(frame)),
    );
  };
  const server: Server =
    tls === undefined
      ? createTcpServer(onConnection)
      : createTlsServer({ cert: await pem(tls.cert), key: await pem(tls.key) }, onConnection);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    frames,
    port: (server.address() as AddressInfo).port,
    connections: () => sockets.size,
    /** Stops listening and drops every connection. */
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const until = (check: () => boolean): Promise<void> =>
  new Promise((resolve) => {
    const poll = () => (check() ? resolve() : setImmediate(poll));
    poll();
  });

/** The message the sink should have written for `sent`, rebuilt with the delivery id it chose. */
function expectedMessage(sent: SecurityAlert, message: string, more: Partial<AlertEnvelope> = {}): string {
  const deliveryId = /deliveryId="([^"]+)"/.exec(message)?.[1] ?? '';
  return new TextDecoder().decode(
    formatSyslog(
      {
        version: 1,
        deliveryId,
        center: { name: 'centro-test', electionId: 'PEF2024', mode: 'simulacro' },
        droppedBefore: 0,
        alert: sent,
        ...more,
      },
      {
        facility: 10,
        hostname: 'centro-test',
        appName: 'openprep',
        procId: String(process.pid),
        enterpriseNumber: 32473,
        maxBytes: 2048,
      },
    ),
  );
}

describe('syslog', () => {
  test('UDP: one datagram per alert, the exact RFC 5424 bytes', async () => {
    const socket = createSocket('udp4');
    const datagrams: Buffer[] = [];
    socket.on('message', (message) => datagrams.push(message));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    const log = eventLog();
    const sinks = await sinksFor({ syslog: { url: `udp://127.0.0.1:${port}` } }, log);
    const sent = [alert({ severity: 'critical' }), alert({ severity: 'warning' })];
    for (const a of sent) sinks.send(a);
    await until(() => datagrams.length === 2);
    for (const [i, a] of sent.entries()) {
      const text = datagrams[i]!.toString('utf8');
      assert.equal(text, expectedMessage(a, text));
      assert.ok(text.startsWith(i === 0 ? '<82>1 ' : '<84>1 '));
    }
    await sinks.close(1000);
    socket.close();
  });

  test('UDP: a long alert is one datagram within maxMessageBytes, marked truncated', async () => {
    const socket = createSocket('udp4');
    const datagrams: Buffer[] = [];
    socket.on('message', (message) => datagrams.push(message));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const sinks = await sinksFor({
      syslog: { url: `udp://127.0.0.1:${socket.address().port}`, maxMessageBytes: 600 },
    });
    sinks.send(alert({ subject: { username: 'ñ'.repeat(400) } }));
    await until(() => datagrams.length === 1);
    assert.ok(datagrams[0]!.length <= 600);
    assert.match(datagrams[0]!.toString('utf8'), /truncated="true"\]/);
    await sinks.close(1000);
    socket.close();
  });

  test('TCP: octet-counted frames; a dropped connection is opened again and nothing queued is lost', async () => {
    const first = await collector(0);
    const log = eventLog();
    const sinks = await sinksFor({ syslog: { url: `tcp://127.0.0.1:${first.port}` } }, log);
    const before = [alert(), alert()];
    for (const a of before) sinks.send(a);
    await until(() => first.frames.length === 2);
    for (const [i, a] of before.entries())
      assert.equal(first.frames[i], expectedMessage(a, first.frames[i]!));
    assert.equal(log.events.filter((e) => e.kind === 'connected').length, 1, 'one connection for both');

    // The collector goes away; alerts raised meanwhile wait and are retried.
    await first.stop();
    await log.until((e) => e.kind === 'disconnected');
    const during = [alert(), alert(), alert()];
    for (const a of during) sinks.send(a);
    await log.until((e) => e.kind === 'retry', 2);
    const second = await collector(first.port);
    await until(() => second.frames.length === 3);
    assert.deepEqual(
      second.frames.map((f) => /alertId="([^"]+)"/.exec(f)?.[1]),
      during.map((a) => a.alertId),
    );
    assert.equal(second.connections(), 1);
    assert.equal(sinks.stats()[0]?.sent, 5);
    assert.equal(sinks.stats()[0]?.failed, 0);
    assert.deepEqual(await sinks.close(1000), { flushed: true, unsent: 0 });
    await second.stop();
  });

  test('TCP: a collector that stops reading is given up on and connected again; close() is never stuck on it', async () => {
    const stalled: Socket[] = [];
    const server = createTcpServer((socket) => {
      socket.pause();
      socket.on('error', () => undefined);
      stalled.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const log = eventLog();
    const sinks = await sinksFor(
      {
        queueCapacity: 10_000,
        syslog: {
          url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
          maxMessageBytes: 65_000,
          timeoutSeconds: 0.2,
        },
      },
      log,
    );
    // Far more than the kernel buffers on both sides of a loopback connection hold.
    const big = { subject: { username: 'u'.repeat(60_000) } };
    for (let i = 0; i < 400; i += 1) sinks.send(alert(big));
    await log.until((e) => e.kind === 'retry' && /took nothing for 200 ms/.test(e.reason));
    await log.until((e) => e.kind === 'connected', 2);
    const report = await sinks.close(100);
    assert.equal(report.flushed, false);
    assert.ok(report.unsent > 0);
    const stats = sinks.stats()[0];
    assert.equal((stats?.sent ?? 0) + (stats?.failed ?? 0), 400);
    for (const socket of stalled) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test('TLS with the SOC CA pinned: frames arrive; a collector with another CA is refused', async () => {
    const good = await collector(0, serverCert);
    const log = eventLog();
    const sinks = await sinksFor({ syslog: { url: `tls://localhost:${good.port}`, ca: ca.cert } }, log);
    const sent = alert({ detection: 'decoy-used', severity: 'critical', subject: { decoyId: 'decoy-7' } });
    sinks.send(sent);
    await until(() => good.frames.length === 1);
    assert.equal(good.frames[0], expectedMessage(sent, good.frames[0]!));
    assert.deepEqual(await sinks.close(1000), { flushed: true, unsent: 0 });
    await good.stop();

    const impostor = await collector(0, otherCert);
    const refused = eventLog();
    const pinned = await sinksFor(
      { maxAttempts: 2, syslog: { url: `tls://localhost:${impostor.port}`, ca: ca.cert } },
      refused,
    );
    pinned.send(alert());
    await refused.until((e) => e.kind === 'gave-up');
    assert.equal(impostor.frames.length, 0);
    const retry = refused.events.find((e) => e.kind === 'retry');
    assert.match(retry?.kind === 'retry' ? retry.reason : '', /certificate/i);
    await pinned.close(1000);
    await impostor.stop();
  });

  test('both sinks at once: each gets every alert', async () => {
    const server = await webhookServer();
    const tcp = await collector(0);
    const sinks = await sinksFor({
      webhook: { url: server.url, secretFile },
      syslog: { url: `tcp://127.0.0.1:${tcp.port}` },
    });
    sinks.send(alert());
    sinks.send(alert());
    assert.deepEqual(await sinks.close(5000), { flushed: true, unsent: 0 });
    assert.equal(server.received.length, 2);
    await until(() => tcp.frames.length === 2);
    assert.deepEqual(
      sinks.stats().map((s) => [s.sink, s.sent]),
      [
        ['webhook', 2],
        ['syslog', 2],
      ],
    );
    await server.close();
    await tcp.stop();
  });
});

describe('configuration', () => {
  test('none configured: no sinks', async () => {
    const built = await alertSinksFrom(alertsConfigSchema.parse(undefined), {
      electionId: 'PEF2024',
      mode: 'live',
    });
    assert.deepEqual(built, { ok: true, value: null });
  });

  test("serve's configuration: the environment variables land at their keys", async () => {
    const loaded = await loadServeConfig({
      env: {
        OPENPREP_ALERT_CENTER_NAME: 'centro-cdmx-1',
        OPENPREP_ALERT_WEBHOOK_URL: 'https://soc.example/openprep',
        OPENPREP_ALERT_WEBHOOK_SECRET_FILE: '/etc/openprep/webhook.secret',
        OPENPREP_ALERT_WEBHOOK_CA: '/etc/openprep/soc-ca.pem',
        OPENPREP_ALERT_SYSLOG: 'tls://siem.example:6514',
        OPENPREP_ALERT_SYSLOG_CA: '/etc/openprep/siem-ca.pem',
        OPENPREP_ALERT_SYSLOG_FACILITY: '13',
        OPENPREP_ALERT_SYSLOG_ENTERPRISE_NUMBER: '61234',
      },
      flags: {},
    });
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
    assert.deepEqual(loaded.value.alerts, {
      centerName: 'centro-cdmx-1',
      queueCapacity: 1000,
      retryBaseSeconds: 1,
      retryMaxSeconds: 60,
      maxAttempts: 15,
      closeSeconds: 5,
      webhook: {
        url: 'https://soc.example/openprep',
        secretFile: '/etc/openprep/webhook.secret',
        ca: '/etc/openprep/soc-ca.pem',
        timeoutSeconds: 10,
      },
      syslog: {
        url: 'tls://siem.example:6514',
        ca: '/etc/openprep/siem-ca.pem',
        facility: 13,
        enterpriseNumber: 61234,
        maxMessageBytes: 2048,
        appName: 'openprep',
        timeoutSeconds: 10,
      },
    });
    const plain = await loadServeConfig({ env: {}, flags: {} });
    assert.ok(plain.ok);
    assert.equal(plain.value.alerts.webhook, undefined);
    assert.equal(plain.value.alerts.syslog, undefined);
    const bad = await loadServeConfig({ env: { OPENPREP_ALERT_SYSLOG: 'syslog.example:514' }, flags: {} });
    assert.ok(!bad.ok);
    assert.match(bad.message, /alerts\.syslog\.url: udp:\/\/host:514/);
  });

  test('bad values are named', () => {
    const issues = (raw: unknown) =>
      (alertsConfigSchema.safeParse(raw).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(issues({ webhook: { url: 'https://soc.example/a' } }), [
      'webhook.secretFile: required with a webhook url: unsigned alerts could be forged (OPENPREP_ALERT_WEBHOOK_SECRET_FILE)',
    ]);
    assert.match(
      issues({ webhook: { url: 'http://soc.example/a', secretFile: 'x' } })[0] ?? '',
      /^webhook.url: https:\/\//,
    );
    assert.deepEqual(issues({ webhook: { url: 'http://127.0.0.1:9/a', secretFile: 'x' } }), []);
    assert.match(issues({ syslog: { url: 'http://collector:514' } })[0] ?? '', /^syslog.url: udp:\/\//);
    assert.match(
      issues({ syslog: { url: 'udp://collector', ca: 'x.pem' } })[0] ?? '',
      /^syslog.ca: a CA needs a tls/,
    );
    assert.match(issues({ syslog: { url: 'udp://collector', facility: 24 } })[0] ?? '', /^syslog.facility/);
    assert.match(
      issues({ syslog: { url: 'udp://collector', maxMessageBytes: 100 } })[0] ?? '',
      /^syslog.maxMessageBytes/,
    );
  });

  test('a secret readable by others, too short, or missing stops the start with its reason', async () => {
    const open = path.join(work, 'open.secret');
    await writeFile(open, SECRET);
    await chmod(open, 0o644);
    const short = path.join(work, 'short.secret');
    await writeFile(short, 'tooshort');
    await chmod(short, 0o600);
    for (const [file, reason] of [
      [open, /may be read by others \(mode 644\): chmod 600 it/],
      [short, /is 8 bytes: at least 32/],
      [path.join(work, 'missing'), /cannot read the webhook secret/],
    ] as const) {
      const built = await alertSinksFrom(
        alertsConfigSchema.parse({ webhook: { url: 'https://soc.example/a', secretFile: file } }),
        { electionId: 'PEF2024', mode: 'live' },
      );
      assert.ok(!built.ok);
      assert.match(built.message, reason);
    }
  });
});
