/**
 * Password changes over real HTTP on loopback, with a breached-password corpus configured
 * (`passwords.breachedCorpus`): the change route (CSRF, current password, breached refused),
 * and the session of an operator who must change — after a reset or a re-check that found
 * their password — restricted to changing it, with a code the console understands.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusHashes, openBreachCorpus, sortedCorpusText } from '../auth/breached_passwords.ts';
import { totp } from '../auth/totp.ts';
import type { CenterNode } from '../center/node.ts';
import { typedJournal } from '../test/journal.ts';
import { PASSWORD, type ServedCenter, startServedCenter, tinySimulacro } from '../test/served_center.ts';
import type { ServerHandle } from './app.ts';

const { catalog, election } = tinySimulacro(3);
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => now;
const LEAKED = 'una frase filtrada en otra parte';
const LATER = 'una frase filtrada mucho después';
const NEW = 'el colibrí cruza la sierra de noche';

let center: ServedCenter;
let work: string;
let node: CenterNode;
let server: ServerHandle;
let base: string;

interface Session {
  readonly cookie: string;
  readonly csrf: string;
  readonly body: { operator: { mustChangePassword?: string } };
}

async function signIn(username: string, password: string): Promise<Session> {
  now += 30_000;
  const response = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, code: totp(center.secrets.get(username)!, now) }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  const cookie = response.headers
    .getSetCookie()
    .find((c) => c.startsWith('__Host-openprep-session='))!
    .split(';')[0]!;
  const body = (await response.json()) as Session['body'] & { csrfToken: string };
  return { cookie, csrf: body.csrfToken, body };
}

function call(session: Session, method: string, route: string, body?: unknown, csrf = true) {
  return fetch(`${base}${route}`, {
    method,
    headers: {
      cookie: session.cookie,
      ...(csrf ? { 'x-csrf-token': session.csrf } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

before(async () => {
  center = await startServedCenter({
    catalog,
    election,
    clock,
    folder: 'openprep-pwroutes-',
    config: { intake: { qualityGate: 'off' } },
    breached: [LEAKED],
  });
  ({ work, node, server, base } = center);
  await center.addOperator('ana', 'capturista');
  await center.addOperator('beto', 'capturista');
  await center.addOperator('carla', 'coordinador');
});

after(async () => {
  await center?.close();
});

describe('password changes over HTTP', () => {
  test('the configured corpus refuses a breached password at enrolment', async () => {
    const refused = await server.accounts.addOperator({
      username: 'dora',
      name: 'Dora',
      role: 'capturista',
      scope: 'nacional',
      password: LEAKED,
      expiresAt: null,
      by: 'test',
    });
    assert.equal(refused.ok ? 'ok' : refused.code, 'breached-password');
  });

  test('an operator changes their own password: CSRF, current password, never a breached one', async () => {
    const session = await signIn('ana', PASSWORD);
    assert.equal(session.body.operator.mustChangePassword, undefined);
    const noCsrf = await call(
      session,
      'POST',
      '/api/v1/password',
      { current: PASSWORD, password: NEW },
      false,
    );
    assert.equal(noCsrf.status, 403);
    assert.equal(((await noCsrf.json()) as { error: string }).error, 'csrf');
    const breached = await call(session, 'POST', '/api/v1/password', { current: PASSWORD, password: LEAKED });
    assert.equal(breached.status, 400);
    assert.equal(((await breached.json()) as { error: string }).error, 'breached-password');
    const wrong = await call(session, 'POST', '/api/v1/password', {
      current: 'no es la actual',
      password: NEW,
    });
    assert.equal(wrong.status, 403);
    assert.equal(((await wrong.json()) as { error: string }).error, 'wrong-password');
    const bad = await call(session, 'POST', '/api/v1/password', {
      current: PASSWORD,
      password: NEW,
      extra: 1,
    });
    assert.equal(bad.status, 400);
    const changed = await call(session, 'POST', '/api/v1/password', { current: PASSWORD, password: NEW });
    assert.equal(changed.status, 200, await changed.clone().text());
    assert.equal((await call(session, 'GET', '/api/v1/me')).status, 200, 'this session goes on');
    await signIn('ana', NEW);
  });

  test('after a reset the session may only change the password; other routes answer password-change-required', async () => {
    const reset = await server.accounts.resetPassword({ username: 'beto', password: NEW, by: 'test-admin' });
    assert.ok(reset.ok);
    const session = await signIn('beto', NEW);
    assert.equal(session.body.operator.mustChangePassword, 'reset');
    const me = await call(session, 'GET', '/api/v1/me');
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { mustChangePassword?: string }).mustChangePassword, 'reset');
    const work = await call(session, 'GET', '/api/v1/capture/next');
    assert.equal(work.status, 403);
    assert.deepEqual(await work.json(), {
      error: 'password-change-required',
      reason: 'reset',
      message: 'change your password first (POST /api/v1/password)',
    });
    const same = await call(session, 'POST', '/api/v1/password', { current: NEW, password: NEW });
    assert.equal(((await same.json()) as { error: string }).error, 'same-password');
    const changed = await call(session, 'POST', '/api/v1/password', { current: NEW, password: PASSWORD });
    assert.equal(changed.status, 200);
    assert.notEqual((await call(session, 'GET', '/api/v1/capture/next')).status, 403);
  });

  test('a re-check against a new corpus restricts the live session of the account it finds, no other', async () => {
    const change = await server.accounts.resetPassword({
      username: 'carla',
      password: LATER,
      by: 'test-admin',
    });
    assert.ok(change.ok);
    const first = await signIn('carla', LATER);
    const changed = await call(first, 'POST', '/api/v1/password', {
      current: LATER,
      password: `${LATER} bis`,
    });
    assert.equal(changed.status, 200);
    const session = await signIn('carla', `${LATER} bis`);
    const other = await signIn('ana', NEW);
    assert.equal((await call(session, 'GET', '/api/v1/dashboard')).status, 200);
    // The corpus grows: the password carla chose is in it now.
    const newer = path.join(work, 'newer.txt');
    const hashes = corpusHashes(`${LEAKED}\n${LATER} bis\n`, 'passwords');
    assert.ok(hashes.ok);
    await writeFile(newer, sortedCorpusText(hashes.value));
    const corpus = await openBreachCorpus(newer);
    assert.ok(corpus.ok);
    const report = await server.accounts.recheck(corpus.value, 'test');
    assert.ok(report.ok);
    assert.equal(report.value.marked.length, 1);
    const refused = await call(session, 'GET', '/api/v1/dashboard');
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { reason: string }).reason, 'breached');
    assert.equal((await call(other, 'GET', '/api/v1/me')).status, 200);
    assert.notEqual((await call(other, 'GET', '/api/v1/capture/next')).status, 403);
    const types = await typedJournal(node.journal);
    assert.equal(types.get('PASSWORD_CHANGE_REQUIRED'), 3);
    // ana's own; beto's and carla's resets and their own changes after.
    assert.equal(types.get('PASSWORD_CHANGED'), 5);
  });
});
