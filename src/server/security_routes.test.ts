/**
 * The security routes on a real server over loopback: who reads the alerts and which, a bad
 * filter named, and an address the `throttle` response blocked refused at sign-in (429 with
 * Retry-After) while every other address signs in as before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totp } from '../auth/totp.ts';
import type { SecurityAlertRow } from '../security/alerts_port.ts';
import { enrolledDevice } from '../test/packages.ts';
import { PASSWORD, type ServedCenter, startServedCenter, tinySimulacro } from '../test/served_center.ts';

const { catalog, election } = tinySimulacro(5);
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => now;

let center: ServedCenter;
const ids = new Map<string, string>();

const alert = (
  alertId: string,
  subject: SecurityAlertRow['subject'],
  raisedAt: number,
): SecurityAlertRow => ({
  alertId,
  detection: subject.deviceId !== undefined ? 'device-scope' : 'brute-force',
  severity: 'high',
  subject,
  firstAt: raisedAt - 1,
  lastAt: raisedAt,
  evidence: { attempts: 10 },
  responses: [],
  raisedAt,
});

before(async () => {
  center = await startServedCenter({
    catalog,
    election,
    clock,
    folder: 'openprep-security-routes-',
    config: { trustedProxies: ['127.0.0.1'] },
  });
  for (const [username, role, scope] of [
    ['seg.nacional', 'seguridad', 'nacional'],
    ['seg.catd1', 'seguridad', 'catd:CATD-1'],
    ['cap.catd1', 'capturista', 'catd:CATD-1'],
    ['cap.catd2', 'capturista', 'catd:CATD-2'],
  ] as const)
    ids.set(username, (await center.addOperator(username, role, scope)).id);
  await enrolledDevice(center.node.devices, { id: 'CATD-1-S1', boundTo: 'CATD-1', at: now });
  await enrolledDevice(center.node.devices, { id: 'CATD-2-S1', boundTo: 'CATD-2', at: now });
  await center.node.security.transaction(async (tx) => {
    await tx.insertSecurityAlert(alert('a/catd1-operator', { operatorId: ids.get('cap.catd1')! }, now - 5));
    await tx.insertSecurityAlert(alert('b/catd2-operator', { operatorId: ids.get('cap.catd2')! }, now - 4));
    await tx.insertSecurityAlert(alert('c/catd1-device', { deviceId: 'CATD-1-S1' }, now - 3));
    await tx.insertSecurityAlert(alert('d/catd2-device', { deviceId: 'CATD-2-S1' }, now - 2));
    await tx.insertSecurityAlert(alert('e/address', { address: '10.0.0.9' }, now - 1));
  });
});

after(async () => {
  await center?.close();
});

async function signIn(username: string, address: string, password = PASSWORD) {
  // A code is good once: each sign-in a step later.
  now += 30_000;
  return fetch(`${center.base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ username, password, code: totp(center.secrets.get(username)!, now) }),
  });
}

async function session(username: string): Promise<string> {
  const answer = await signIn(username, '10.1.1.1');
  assert.equal(answer.status, 201, await answer.clone().text());
  return answer.headers.getSetCookie()[0]!.split(';')[0]!;
}

async function alerts(cookie: string, query = ''): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${center.base}/api/v1/security/alerts${query}`, { headers: { cookie } });
  return { status: answer.status, body: await answer.json() };
}

describe('GET /api/v1/security/alerts', () => {
  test('a nacional seguridad reads every alert, newest first; a CATD one only its operators and devices', async () => {
    const nacional = await alerts(await session('seg.nacional'));
    assert.equal(nacional.status, 200);
    assert.deepEqual(
      (nacional.body as { alerts: SecurityAlertRow[] }).alerts.map((a) => a.alertId),
      ['e/address', 'd/catd2-device', 'c/catd1-device', 'b/catd2-operator', 'a/catd1-operator'],
    );
    const catd = await alerts(await session('seg.catd1'));
    assert.deepEqual(
      (catd.body as { alerts: SecurityAlertRow[] }).alerts.map((a) => a.alertId),
      ['c/catd1-device', 'a/catd1-operator'],
    );
  });

  test('filters, and a bad one named; other roles refused', async () => {
    const cookie = await session('seg.nacional');
    const devices = await alerts(cookie, '?detection=device-scope&limit=1');
    assert.deepEqual(
      (devices.body as { alerts: SecurityAlertRow[] }).alerts.map((a) => a.alertId),
      ['d/catd2-device'],
    );
    const bad = await alerts(cookie, '?severity=apocalyptic');
    assert.equal(bad.status, 400);
    assert.match((bad.body as { message: string }).message, /severity/);
    assert.equal((await alerts(await session('cap.catd1'))).status, 403);
  });
});

describe('the throttle response at sign-in', () => {
  test('a blocked address gets 429 with Retry-After on every sign-in; another address is not affected', async () => {
    await center.node.security.transaction((tx) =>
      tx.blockAddress({ address: '10.66.0.1', until: now + 10 * 60_000, alertId: 'x' }),
    );
    const blocked = await signIn('cap.catd1', '10.66.0.1');
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) > 60);
    // The right password does not help from there; from elsewhere the same account signs in.
    assert.equal((await signIn('cap.catd1', '10.67.0.1')).status, 201);
    // Once the block ends (the nodes read blocks at most once a second), the address signs in again.
    now += 11 * 60_000;
    assert.equal((await signIn('cap.catd1', '10.66.0.1')).status, 201);
  });
});
