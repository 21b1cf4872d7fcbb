/**
 * `GET /api/v1/security/access-review` over real HTTP on loopback: who may read it (seguridad,
 * administrador, auditor; never a capturista, never without a session), what each reviewer's
 * scope shows, the hash it states, and a bad query answered 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totp } from '../auth/totp.ts';
import { enrollDevice } from '../intake/devices.ts';
import { reportSha256, unsigned } from '../security/access_review_service.ts';
import { type AccessReport, WEBAUTHN_REQUIRED } from '../security/access_review.ts';
import { makeDevice } from '../test/packages.ts';
import { PASSWORD, type ServedCenter, startServedCenter, tinySimulacro } from '../test/served_center.ts';
import { WEBAUTHN_ROLES } from './admin_routes.ts';

const { catalog, election } = tinySimulacro(11);
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => now;

let center: ServedCenter;

before(async () => {
  center = await startServedCenter({
    catalog,
    election,
    clock,
    folder: 'openprep-access-review-',
    config: { intake: { qualityGate: 'off' } },
  });
  for (const [username, role, scope] of [
    ['sofia.seguridad', 'seguridad', 'nacional'],
    ['saul.seguridad', 'seguridad', 'catd:CATD-1'],
    ['ada.admin', 'administrador', 'nacional'],
    ['aurora.auditora', 'auditor', 'nacional'],
    ['ana.captura', 'capturista', 'catd:CATD-1'],
    ['beto.captura', 'capturista', 'catd:CATD-2'],
  ] as const)
    await center.addOperator(username, role, scope);
  for (const [id, boundTo] of [
    ['S-CATD-1', 'CATD-1'],
    ['S-CATD-2', 'CATD-2'],
  ] as const) {
    const device = makeDevice(id);
    const enrolled = await enrollDevice(center.node.devices, {
      id,
      publicKey: device.publicKey,
      origin: 'CATD',
      boundTo,
      label: '',
      at: now,
    });
    assert.ok(enrolled.ok);
  }
});

after(async () => {
  await center?.close();
});

async function signIn(username: string): Promise<string> {
  now += 30_000;
  const response = await fetch(`${center.base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD, code: totp(center.secrets.get(username)!, now) }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return response.headers
    .getSetCookie()
    .find((c) => c.startsWith('__Host-openprep-session='))!
    .split(';')[0]!;
}

const review = (cookie: string | null, query = '') =>
  fetch(`${center.base}/api/v1/security/access-review${query}`, {
    headers: cookie === null ? {} : { cookie },
  });

type Signed = AccessReport & { sha256: string; generatedAt: number };

describe('GET /api/v1/security/access-review', () => {
  test('the roles the review expects a security key of are the ones the center asks one of', () => {
    assert.deepEqual([...WEBAUTHN_REQUIRED].sort(), [...WEBAUTHN_ROLES].sort());
  });

  test('seguridad, administrador and auditor read it; a capturista is refused, no session is 401', async () => {
    assert.equal((await review(null)).status, 401);
    const capturista = await review(await signIn('ana.captura'));
    assert.equal(capturista.status, 403);
    for (const username of ['sofia.seguridad', 'ada.admin', 'aurora.auditora']) {
      const answer = await review(await signIn(username));
      assert.equal(answer.status, 200, username);
      const report = (await answer.json()) as Signed;
      assert.equal(report.scope, 'nacional');
      assert.equal(report.operators.length, 6);
      assert.equal(report.devices.length, 2);
      assert.equal(report.sha256, reportSha256(unsigned(report)), 'the hash it states is its own');
      assert.equal(report.generatedAt, now);
    }
  });

  test("a CATD's reviewer sees that CATD's accounts and devices only", async () => {
    const answer = await review(await signIn('saul.seguridad'));
    assert.equal(answer.status, 200);
    const report = (await answer.json()) as Signed;
    assert.equal(report.scope, 'catd:CATD-1');
    assert.deepEqual(
      report.operators.map((o) => o.username),
      ['ana.captura', 'saul.seguridad'],
    );
    assert.deepEqual(
      report.devices.map((d) => d.id),
      ['S-CATD-1'],
    );
    // Both signed in during these tests; the CATD's scanner never sent a package.
    const byName = Object.fromEntries(report.operators.map((o) => [o.username, o.findings]));
    assert.deepEqual(byName['saul.seguridad'], []);
    assert.deepEqual(byName['ana.captura'], []);
    assert.deepEqual(report.devices[0]!.findings, ['device-never-used']);
  });

  test('the threshold is a query parameter; a bad one is a 400 naming it', async () => {
    const cookie = await signIn('sofia.seguridad');
    const answer = await review(cookie, '?dormantDays=30');
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as Signed).dormantDays, 30);
    for (const bad of ['?dormantDays=0', '?dormantDays=x', '?other=1']) {
      const refused = await review(cookie, bad);
      assert.equal(refused.status, 400, bad);
      assert.match(((await refused.json()) as { message: string }).message, /dormantDays/);
    }
  });
});
