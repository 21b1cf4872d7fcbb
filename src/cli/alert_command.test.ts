/**
 * `openprep alert test` and serve's alert sinks, as an operator runs them: real processes, a
 * real webhook receiver and UDP collector on loopback.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AlertEnvelope } from '../security/alert_envelope.ts';
import { preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';

const work = await mkdtemp(path.join(tmpdir(), 'openprep-alert-test-'));
after(() => rm(work, { recursive: true, force: true }));
const data = path.join(work, 'center');
const SECRET = 'a'.repeat(16) + 'b'.repeat(16) + 'c'.repeat(16);
const secretFile = path.join(work, 'webhook.secret');
let start = 0;

before(async () => {
  start = (await preparedCenter(data, 11, [])).start;
  await writeFile(secretFile, SECRET);
  await chmod(secretFile, 0o600);
});

async function receivers() {
  const bodies: { headers: IncomingMessage['headers']; body: Buffer }[] = [];
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const udp = createSocket('udp4');
  const datagrams: string[] = [];
  udp.on('message', (message) => datagrams.push(message.toString('utf8')));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  return {
    bodies,
    datagrams,
    env: {
      OPENPREP_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`,
      OPENPREP_ALERT_WEBHOOK_SECRET_FILE: secretFile,
      OPENPREP_ALERT_SYSLOG: `udp://127.0.0.1:${udp.address().port}`,
      OPENPREP_ALERT_CENTER_NAME: 'centro-prueba',
    },
    close: async () => {
      udp.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

describe('openprep alert test', () => {
  test('sends a test alert to the webhook and the syslog collector and says both got it', async () => {
    const to = await receivers();
    const run = await runCli(
      ['alert', 'test', '--data', data, '--detection', 'decoy-used', '--severity', 'critical'],
      { env: to.env },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^test alert test-[0-9a-f-]{36} \(decoy-used, critical\) for PEF2024:$/m);
    assert.match(run.stdout, /^webhook http:\/\/127\.0\.0\.1:\d+\/hook: delivered$/m);
    assert.match(run.stdout, /^syslog udp:\/\/127\.0\.0\.1:\d+: delivered$/m);
    assert.equal(to.bodies.length, 1);
    const [one] = to.bodies;
    assert.equal(
      one?.headers['x-openprep-signature'],
      `sha256=${createHmac('sha256', SECRET)
        .update(one?.body ?? '')
        .digest('hex')}`,
    );
    const envelope = JSON.parse(one?.body.toString() ?? '') as AlertEnvelope;
    assert.equal(envelope.test, true);
    assert.deepEqual(envelope.center, { name: 'centro-prueba', electionId: 'PEF2024', mode: 'simulacro' });
    assert.equal(envelope.alert.detection, 'decoy-used');
    // UDP on loopback is not lost; the datagram was sent before the command ended.
    await new Promise<void>((resolve) => {
      const poll = () => (to.datagrams.length > 0 ? resolve() : setImmediate(poll));
      poll();
    });
    assert.equal(to.datagrams.length, 1);
    assert.match(to.datagrams[0] ?? '', /^<82>1 \S+ centro-prueba openprep \d+ decoy-used \[openprep@32473 /);
    assert.match(to.datagrams[0] ?? '', / test="true"\] \[TEST\] OpenPREP security alert decoy-used/);
    await to.close();
  });

  test('a receiver that refuses is reported as not delivered, exit 1; no sink configured says how to set one', async () => {
    const refusing = createServer((_req, res) => {
      res.statusCode = 401;
      res.end('who are you');
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const run = await runCli(['alert', 'test', '--data', data], {
      env: {
        OPENPREP_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/`,
        OPENPREP_ALERT_WEBHOOK_SECRET_FILE: secretFile,
      },
    });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /not delivered after 1 attempt\(s\): HTTP 401: who are you/);
    assert.match(run.stdout, /: NOT delivered$/m);
    refusing.close();

    const none = await runCli(['alert', 'test', '--data', data]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no sink is configured: set alerts\.webhook or alerts\.syslog/);
  });
});

describe('serve with alert sinks', () => {
  test('a webhook secret that cannot be read stops serve at start, naming it', async () => {
    const run = await runCli(['serve', '--data', data, '--port', '0'], {
      env: {
        OPENPREP_ALERT_WEBHOOK_URL: 'https://soc.example/hook',
        OPENPREP_ALERT_WEBHOOK_SECRET_FILE: path.join(work, 'missing.secret'),
      },
      timeoutMs: 60_000,
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /openprep serve: cannot read the webhook secret: .*missing\.secret/);
  });

  test("the sinks' counters are on /metrics", async () => {
    const to = await receivers();
    const { child, base } = await startServer(data, start, to.env);
    try {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      for (const name of [
        'openprep_alert_sink_sent_total',
        'openprep_alert_sink_failed_total',
        'openprep_alert_sink_dropped_total',
        'openprep_alert_sink_retries_total',
      ]) {
        assert.match(metrics, new RegExp(`^# TYPE ${name} counter$`, 'm'));
        assert.match(metrics, new RegExp(`^${name}\\{sink="webhook"\\} 0$`, 'm'));
        assert.match(metrics, new RegExp(`^${name}\\{sink="syslog"\\} 0$`, 'm'));
      }
      assert.match(metrics, /^openprep_alert_sink_queued\{sink="syslog"\} 0$/m);
    } finally {
      await stopServer(child);
      await to.close();
    }
  });
});
