/**
 * Operators over real HTTP on loopback: sign-in with password and TOTP, replay and concurrent
 * reuse of a code, lockout, no account enumeration, CSRF, roles and scopes, separation of
 * duties, timeouts, and the purge that kills live sessions and device keys at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import {
  ADDRESS_FREE_FAILURES,
  ADDRESS_MEMORY_MS,
  FREE_FAILURES,
  MAX_DELAY_MS,
  SESSION_ABSOLUTE_MS,
  SESSION_IDLE_MS,
} from '../auth/accounts.ts';
import { CAPTURE_CLAIM_MS } from '../capture/pipeline.ts';
import { SECURITY_EVENTS_JOURNALED_PER_MINUTE } from '../auth/security_journal.ts';
import { fromBase32, totp } from '../auth/totp.ts';
import { enrollDevice } from '../intake/devices.ts';
import { type CenterNode, initCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { SoftwareAuthenticator } from '../test/authenticator.ts';
import {
  makeDevice,
  makePng,
  packageFor,
  postPackage,
  servesWholeCatalog,
  type TestDevice,
} from '../test/packages.ts';
import { buildServer, type ServerHandle } from './app.ts';
import { serveConfigSchema } from './config.ts';
import { typedJournal } from '../test/journal.ts';

const catalog = generateCatalog({ scale: 'tiny', seed: 11 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => now;
const PASSWORD = 'una frase larga que nadie adivina';

let work: string;
let node: CenterNode;
let server: ServerHandle;
let base: string;
const secrets = new Map<string, Buffer>();
const logLines: string[] = [];
const records: Record<'catd1' | 'catd2', string[]> = { catd1: [], catd2: [] };

interface Session {
  readonly cookie: string;
  readonly csrf: string;
}

async function addOperator(username: string, role: string, scope: string): Promise<void> {
  const added = await server.accounts.addOperator({
    username,
    name: username,
    role,
    scope,
    password: PASSWORD,
    expiresAt: null,
    by: 'test',
  });
  assert.ok(added.ok, added.ok ? '' : added.message);
  secrets.set(username, fromBase32(added.value.totpSecret));
}

/** A sign-in from another loopback address (each has its own per-address count), with cookies. */
function signInFrom(
  localAddress: string,
  username: string,
  password = PASSWORD,
  cookies: readonly string[] = [],
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; cookies: string[] }> {
  const body = JSON.stringify({
    username,
    password,
    code: totp(secrets.get(username) ?? Buffer.alloc(20), now),
  });
  return new Promise((resolve, reject) => {
    const url = new URL(`${base}/api/v1/session`);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(cookies.length > 0 ? { cookie: cookies.join('; ') } : {}),
          ...extraHeaders,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function signInRaw(username: string, password = PASSWORD, code?: string) {
  return fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username,
      password,
      code: code ?? totp(secrets.get(username) ?? Buffer.alloc(20), now),
    }),
  });
}

/** Signs in at a fresh TOTP step (the clock moves 30 s), as a person would a little later. */
async function signIn(username: string): Promise<Session> {
  now += 30_000;
  const response = await signInRaw(username);
  assert.equal(response.status, 201, await response.clone().text());
  const session = response.headers.getSetCookie().find((c) => c.startsWith('__Host-openprep-session='));
  assert.match(session ?? '', /^__Host-openprep-session=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
  const cookie = session!.split(';')[0]!;
  const body = (await response.json()) as { csrfToken: string };
  return { cookie, csrf: body.csrfToken };
}

function call(session: Session | null, method: string, route: string, body?: unknown, csrf = true) {
  return fetch(`${base}${route}`, {
    method,
    headers: {
      ...(session !== null ? { cookie: session.cookie } : {}),
      ...(session !== null && csrf ? { 'x-csrf-token': session.csrf } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

function fieldsFor(recordId: string, first: number) {
  const record = records.catd1.includes(recordId) || records.catd2.includes(recordId);
  assert.ok(record);
  return (columns: { id: string }[]) => ({
    fields: {
      boletasSobrantes: 100,
      personasVotaron: 200,
      representantesVotaron: 2,
      votosSacados: 200,
      votes: Object.fromEntries(columns.map((c, i) => [c.id, i === 0 ? first : 1])),
      totalAsentado: 200,
    },
  });
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-operators-'));
  const created = await initCenter({ root: work, election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  // Every log line at the most verbose level is kept, to show no secret is ever logged.
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logLines.push(chunk.toString()));
  server = await buildServer({
    node,
    config: serveConfigSchema.parse({ logLevel: 'trace', intake: { qualityGate: 'off' } }),
    clock,
    logStream,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  const keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey);
  const scanners: Record<'catd1' | 'catd2', TestDevice> = {
    catd1: makeDevice('S-CATD-1'),
    catd2: makeDevice('S-CATD-2'),
  };
  for (const [which, device] of Object.entries(scanners) as ['catd1' | 'catd2', TestDevice][]) {
    assert.ok(
      (
        await enrollDevice(node.devices, {
          id: device.id,
          publicKey: device.publicKey,
          origin: 'CATD',
          boundTo: which === 'catd1' ? 'CATD-1' : 'CATD-2',
          label: '',
          at: now,
        })
      ).ok,
    );
    await servesWholeCatalog(node.devices, catalog, which === 'catd1' ? 'CATD-1' : 'CATD-2', {
      at: now,
    });
    for (let i = 0; i < 3; i++) {
      const image = makePng(16, 16, { seed: which === 'catd1' ? i : 100 + i });
      const pkg = packageFor(device, image, {
        sequence: i,
        claimedKey: keys[which === 'catd1' ? i : 10 + i]!,
      });
      const response = await postPackage(base, { text: pkg.text, signature: pkg.signature, image });
      assert.equal(response.status, 201);
      records[which].push(keys[which === 'catd1' ? i : 10 + i]!);
    }
  }
  await addOperator('ana.captura', 'capturista', 'catd:CATD-1');
  await addOperator('beto.captura', 'capturista', 'catd:CATD-1');
  await addOperator('carla.captura', 'capturista', 'catd:CATD-2');
  await addOperator('victor.verifica', 'verificador', 'nacional');
  await addOperator('coral.coordina', 'coordinador', 'catd:CATD-1');
  await addOperator('aldo.audita', 'auditor', 'nacional');
});

after(async () => {
  await server.app.close();
  await node.close();
  await rm(work, { recursive: true, force: true });
});

describe('operators over HTTP', () => {
  test('sign-in needs password and TOTP; every failure looks the same', async () => {
    const ana = await signIn('ana.captura');
    const me = await call(ana, 'GET', '/api/v1/me');
    assert.equal(((await me.json()) as { role: string }).role, 'capturista');
    now += 30_000;
    const failures = [
      await signInRaw('ana.captura', 'otra frase equivocada por completo'),
      await signInRaw('nadie.existe', PASSWORD, '123456'),
      await signInRaw('beto.captura', PASSWORD, '000000'),
    ];
    const bodies = await Promise.all(failures.map((r) => r.text()));
    for (const r of failures) assert.equal(r.status, 401);
    assert.equal(new Set(bodies).size, 1, 'unknown account, wrong password and wrong code answer alike');
    assert.equal((await call(null, 'GET', '/api/v1/me')).status, 401);
  });

  test('a code works once: replayed later, or used twice at the same moment, it signs in once', async () => {
    now += 30_000;
    const code = totp(secrets.get('beto.captura')!, now);
    assert.equal((await signInRaw('beto.captura', PASSWORD, code)).status, 201);
    assert.equal((await signInRaw('beto.captura', PASSWORD, code)).status, 401);
    now += 30_000;
    const fresh = totp(secrets.get('beto.captura')!, now);
    const both = await Promise.all([
      signInRaw('beto.captura', PASSWORD, fresh),
      signInRaw('beto.captura', PASSWORD, fresh),
    ]);
    assert.deepEqual(both.map((r) => r.status).sort(), [201, 401]);
  });

  test('failures slow an account down, never lock it: 429 with Retry-After during the delay, then the right password and code sign in', async () => {
    now += 30_000;
    const wrong = 'mal mal mal mal mal mal';
    for (let i = 0; i < FREE_FAILURES; i++)
      assert.equal((await signInFrom('127.0.0.2', 'carla.captura', wrong)).status, 401);
    // During the delay even the right password and code are answered 429, unchecked.
    const held = await signInFrom('127.0.0.3', 'carla.captura');
    assert.equal(held.status, 429);
    assert.equal(held.headers['retry-after'], '1');
    now += 1_000;
    assert.equal((await signInFrom('127.0.0.2', 'carla.captura', wrong)).status, 401);
    const doubled = await signInFrom('127.0.0.3', 'carla.captura');
    assert.equal(doubled.status, 429);
    assert.equal(doubled.headers['retry-after'], '2', 'the delay doubles with each failure');
    // An unknown name is held alike: a 429 does not tell which accounts exist.
    for (let i = 0; i < FREE_FAILURES; i++)
      assert.equal((await signInFrom('127.0.0.4', 'nadie.mas', wrong)).status, 401);
    assert.equal((await signInFrom('127.0.0.4', 'nadie.mas', wrong)).status, 429);
    now += 2_000;
    assert.equal((await signInFrom('127.0.0.3', 'carla.captura')).status, 201);
  });

  test('a trickle of wrong passwords never keeps the operator out: the delay is capped, and the browser they signed in with is not held', async () => {
    now += 30_000;
    const signedIn = await signInFrom('127.0.0.5', 'carla.captura');
    assert.equal(signedIn.status, 201);
    const trust = signedIn.cookies.find((c) => c.startsWith('__Host-openprep-trust-'));
    assert.ok(trust !== undefined, "a sign-in marks the browser as this account's");
    assert.match(
      signedIn.headers['set-cookie']?.join('\n') ?? '',
      /__Host-openprep-trust-[0-9a-f]+=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Strict; Max-Age=\d+/,
    );
    // An attacker tries a wrong password each time the delay ends, from ever new addresses.
    let retryAfter = 0;
    for (let i = 0; i < 24; i++) {
      now += retryAfter * 1_000;
      const attempt = await signInFrom(`127.0.1.${i + 1}`, 'carla.captura', 'adivinanza número ' + i);
      assert.equal(attempt.status, 401);
      if (i < FREE_FAILURES - 1) continue;
      const probe = await signInFrom(`127.0.2.${i + 1}`, 'carla.captura', 'otra adivinanza ' + i);
      assert.equal(probe.status, 429);
      retryAfter = Number(probe.headers['retry-after']);
      assert.ok(retryAfter <= MAX_DELAY_MS / 1_000, 'the delay is capped');
    }
    assert.equal(retryAfter, MAX_DELAY_MS / 1_000);
    now += 30_000;
    // Without that browser the delay holds (whatever the password); from it, she signs in now.
    assert.equal((await signInFrom('127.0.0.5', 'carla.captura')).status, 429);
    const back = await signInFrom('127.0.0.5', 'carla.captura', PASSWORD, [trust]);
    assert.equal(back.status, 201);
    // Her success ends the delay for everyone: the count starts again.
    now += 30_000;
    assert.equal((await signInFrom('127.0.0.6', 'carla.captura')).status, 201);
  });

  test('changes need the CSRF token; a role gets 403 outside its work; scope limits the actas', async () => {
    const ana = await signIn('ana.captura');
    const task = await call(ana, 'GET', '/api/v1/capture/next');
    assert.equal(task.status, 200);
    const t = (await task.json()) as { recordId: string; columns: { id: string }[] };
    assert.ok(records.catd1.includes(t.recordId), 'a CATD-1 capturista gets CATD-1 actas');
    assert.equal(
      (await call(ana, 'POST', `/api/v1/capture/${t.recordId}`, fieldsFor(t.recordId, 50)(t.columns), false))
        .status,
      403,
    );
    const carla = await signIn('carla.captura');
    assert.equal(
      (await call(carla, 'POST', `/api/v1/capture/${t.recordId}`, fieldsFor(t.recordId, 50)(t.columns)))
        .status,
      403,
    );
    const carlaTask = (await (await call(carla, 'GET', '/api/v1/capture/next')).json()) as {
      recordId: string;
    };
    assert.ok(records.catd2.includes(carlaTask.recordId));
    const aldo = await signIn('aldo.audita');
    assert.equal(
      (await call(aldo, 'POST', `/api/v1/capture/${t.recordId}`, fieldsFor(t.recordId, 50)(t.columns)))
        .status,
      403,
    );
    assert.equal((await call(aldo, 'GET', '/api/v1/capture/next')).status, 403);
  });

  test("an acta image is shown only within the operator's scope; outside it, 404 as for no image", async () => {
    const imageOf = async (recordId: string) =>
      (await node.records.getActa(recordId))!.submission!.imageSha256;
    const entidadOf = async (recordId: string) =>
      node.pipeline.casillaOf((await node.records.getActa(recordId))!.casillaKey)!.entidad;
    const mine = await imageOf(records.catd1[0]!);
    const theirs = await imageOf(records.catd2[0]!);
    const entidad = await entidadOf(records.catd1[0]!);
    await addOperator('ema.captura', 'capturista', `entidad:${String(entidad).padStart(2, '0')}`);
    const ana = await signIn('ana.captura');
    const ema = await signIn('ema.captura');
    const aldo = await signIn('aldo.audita');
    const status = async (who: Session, sha256: string, sheet = false) =>
      (await call(who, 'GET', `/api/v1/images/${sha256}${sheet ? '/sheet' : ''}`)).status;
    const none = 'f'.repeat(64);
    for (const sheet of [false, true]) {
      assert.equal(await status(ana, mine, sheet), 200, 'a CATD sees the actas its devices sent');
      assert.equal(await status(ana, theirs, sheet), 404, "not another CATD's");
      assert.equal(await status(aldo, theirs, sheet), 200, 'nacional sees all');
      assert.equal(await status(ema, mine, sheet), 200, 'an entidad sees its actas');
      assert.equal(
        await status(ema, theirs, sheet),
        (await entidadOf(records.catd2[0]!)) === entidad ? 200 : 404,
      );
    }
    // Outside scope and unknown answer alike: a hash tells nothing about whether it exists.
    const outside = await call(ana, 'GET', `/api/v1/images/${theirs}`);
    const unknown = await call(ana, 'GET', `/api/v1/images/${none}`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(await outside.json(), await unknown.json());
  });

  test('the dashboard: actas by status; packages per CATD, of one CATD for its coordinator; not for capturistas', async () => {
    type Dashboard = {
      actas: Record<string, number>;
      catds: { catd: string; accepted: number; conflicts: number; acceptedSince: number }[];
    };
    const coral = await signIn('coral.coordina');
    const mine = (await (await call(coral, 'GET', '/api/v1/dashboard')).json()) as Dashboard;
    assert.deepEqual(
      mine.catds.map((row) => [row.catd, row.accepted, row.conflicts]),
      [['CATD-1', 3, 0]],
    );
    assert.equal(
      Object.values(mine.actas).reduce((a, b) => a + b, 0),
      6,
    );
    const aldo = await signIn('aldo.audita');
    const all = (await (await call(aldo, 'GET', '/api/v1/dashboard')).json()) as Dashboard;
    assert.deepEqual(
      all.catds.map((row) => row.catd),
      ['CATD-1', 'CATD-2'],
    );
    // The election is in shadow: the reader's assist says so, and why.
    const assist = (all as unknown as { readerAssist: { mode: string; active: boolean; reason: string } })
      .readerAssist;
    assert.deepEqual([assist.mode, assist.active, assist.reason], ['shadow', false, 'shadow-mode']);
    assert.equal((await call(await signIn('ana.captura'), 'GET', '/api/v1/dashboard')).status, 403);
  });

  test('the reader panel: mode, queue and figures for coordinators and auditors; not for capturistas', async () => {
    assert.ok(server.reader !== null);
    await server.reader.idle();
    type Panel = {
      mode: string;
      queue: { read: number; queued: number } | null;
      figures: { model: { sha256: string } | null; actasRead: number; readFailures: number };
    };
    const aldo = await signIn('aldo.audita');
    const response = await call(aldo, 'GET', '/api/v1/reader');
    assert.equal(response.status, 200);
    const panel = (await response.json()) as Panel;
    assert.equal(panel.mode, 'shadow');
    assert.equal(panel.queue?.queued, 0);
    assert.match(panel.figures.model?.sha256 ?? '', /^[0-9a-f]{64}$/);
    // Every accepted image was read, or its failure kept as a reading (these test images are no forms).
    assert.equal(panel.figures.actasRead + panel.figures.readFailures, 6);
    assert.equal((await call(await signIn('coral.coordina'), 'GET', '/api/v1/reader')).status, 200);
    assert.equal((await call(await signIn('ana.captura'), 'GET', '/api/v1/reader')).status, 403);
  });

  test('two blind captures that differ go to a verifier; nobody verifies their own capture', async () => {
    const coral = await signIn('coral.coordina');
    const beto = await signIn('beto.captura');
    const first = (await (await call(coral, 'GET', '/api/v1/capture/next')).json()) as {
      recordId: string;
      columns: { id: string }[];
    };
    const body = fieldsFor(first.recordId, 50);
    assert.equal(
      (await call(coral, 'POST', `/api/v1/capture/${first.recordId}`, body(first.columns))).status,
      200,
    );
    // The same person cannot give the second capture.
    assert.equal(
      (
        await call(
          coral,
          'POST',
          `/api/v1/capture/${first.recordId}`,
          fieldsFor(first.recordId, 51)(first.columns),
        )
      ).status,
      403,
    );
    // Actas handed out in earlier tests and never captured are claimed for a while; past that,
    // the queue offers them again.
    now += CAPTURE_CLAIM_MS;
    // Blind: Beto's task never shows Coral's numbers.
    let next = (await (await call(beto, 'GET', '/api/v1/capture/next')).json()) as Record<string, unknown>;
    while (next['recordId'] !== first.recordId) {
      const columns = next['columns'] as { id: string }[];
      // The console's way: each capture's answer carries the next acta.
      const answer = await call(beto, 'POST', `/api/v1/capture/${String(next['recordId'])}`, {
        ...fieldsFor(String(next['recordId']), 7)(columns),
        next: true,
      });
      assert.equal(answer.status, 200);
      const body = (await answer.json()) as { outcome: string; next: Record<string, unknown> | null };
      assert.ok(body.next !== null, 'the acta Coral captured is still to come');
      next = body.next;
    }
    assert.deepEqual(Object.keys(next).sort(), ['actaKey', 'columns', 'contest', 'imageSha256', 'recordId']);
    const second = await call(
      beto,
      'POST',
      `/api/v1/capture/${first.recordId}`,
      fieldsFor(first.recordId, 52)(first.columns),
    );
    assert.equal(((await second.json()) as { outcome: string }).outcome, 'mismatch');
    // Coral captured it: the queue does not offer it to her, and resolving it is refused.
    const forCoral = await call(coral, 'GET', '/api/v1/verification/next');
    if (forCoral.status === 200)
      assert.notEqual(((await forCoral.json()) as { recordId: string }).recordId, first.recordId);
    assert.equal(
      (await call(coral, 'POST', `/api/v1/verification/${first.recordId}`, body(first.columns))).status,
      403,
    );
    assert.equal(
      (
        await call(coral, 'POST', `/api/v1/verification/${first.recordId}`, {
          ...body(first.columns),
          next: true,
        })
      ).status,
      400,
      'next is for captures',
    );
    const victor = await signIn('victor.verifica');
    const queued = (await (await call(victor, 'GET', '/api/v1/verification/next')).json()) as {
      recordId: string;
      captures: unknown[];
    };
    assert.equal(queued.recordId, first.recordId);
    assert.equal(queued.captures.length, 2);
    const resolved = await call(
      victor,
      'POST',
      `/api/v1/verification/${first.recordId}`,
      body(first.columns),
    );
    assert.equal(((await resolved.json()) as { outcome: string }).outcome, 'resolved');
    assert.equal((await node.records.getActa(first.recordId))?.status, 'verified');
  });

  test('an expired account cannot sign in, and its open sessions end', async () => {
    const added = await server.accounts.addOperator({
      username: 'eva.temporal',
      name: 'Eva',
      role: 'capturista',
      scope: 'nacional',
      password: PASSWORD,
      expiresAt: now + 120_000,
      by: 'test',
    });
    assert.ok(added.ok);
    secrets.set('eva.temporal', fromBase32(added.value.totpSecret));
    const eva = await signIn('eva.temporal');
    assert.equal((await call(eva, 'GET', '/api/v1/me')).status, 200);
    now += 120_000;
    assert.equal((await call(eva, 'GET', '/api/v1/me')).status, 401);
    now += 30_000;
    assert.equal((await signInRaw('eva.temporal')).status, 401);
  });

  test('an account from an earlier election cannot sign in until recertified for this one', async () => {
    await addOperator('olga.anterior', 'capturista', 'nacional');
    await node.operators.transaction(async (tx) => {
      const operator = (await tx.getOperatorByUsername('olga.anterior'))!;
      await tx.putOperator({ ...operator, certifiedFor: 'PEF2021' });
    });
    now += 30_000;
    assert.equal((await signInRaw('olga.anterior')).status, 401);
    assert.ok((await server.accounts.recertify('olga.anterior', 'test')).ok);
    await signIn('olga.anterior');
  });

  test('sessions end when idle too long, and at sign-out', async () => {
    const ana = await signIn('ana.captura');
    assert.equal((await call(ana, 'GET', '/api/v1/me')).status, 200);
    now += SESSION_IDLE_MS + 1000;
    assert.equal((await call(ana, 'GET', '/api/v1/me')).status, 401);
    const again = await signIn('ana.captura');
    assert.equal((await call(again, 'DELETE', '/api/v1/session')).status, 204);
    assert.equal((await call(again, 'GET', '/api/v1/me')).status, 401);
    // Busy all night is not forever: twelve hours after sign-in the session ends anyway.
    const busy = await signIn('ana.captura');
    const signedInAt = now;
    while (now - signedInAt < SESSION_ABSOLUTE_MS - 25 * 60_000) {
      now += 25 * 60_000;
      assert.equal((await call(busy, 'GET', '/api/v1/me')).status, 200);
    }
    now += 25 * 60_000;
    assert.equal((await call(busy, 'GET', '/api/v1/me')).status, 401);
  });

  test('purge: live sessions die at once, second factors and device keys are revoked, one journal entry', async () => {
    const ana = await signIn('ana.captura');
    const carla = await signIn('carla.captura');
    const purged = await server.accounts.purge({
      scope: 'catd:CATD-1',
      reason: 'credentials offered for sale',
      by: 'test',
    });
    assert.ok(purged.ok);
    assert.equal(purged.value.devices, 1);
    assert.ok(purged.value.sessions >= 1);
    assert.equal((await call(ana, 'GET', '/api/v1/me')).status, 401);
    assert.equal((await call(carla, 'GET', '/api/v1/me')).status, 200, 'another CATD is untouched');
    now += 30_000;
    assert.equal((await signInRaw('ana.captura')).status, 401, 'the old second factor no longer works');
    const enrolled = await server.accounts.enrollTotp('ana.captura', 'test');
    assert.ok(enrolled.ok);
    secrets.set('ana.captura', fromBase32(enrolled.value.totpSecret));
    await signIn('ana.captura');
    const head = await node.journal.journalHead();
    const entries = (await node.journal.journalEntries(0, head.size)).map(
      (e) => JSON.parse(e.toString()) as { type: string },
    );
    assert.equal(entries.filter((e) => e.type === 'ACCOUNTS_PURGED').length, 1);
    assert.ok(entries.some((e) => e.type === 'LOGIN_FAILED'));
    assert.ok(entries.some((e) => e.type === 'AUTHORIZATION_DENIED'));
    // Nothing secret in the journal.
    const text = entries.map((e) => JSON.stringify(e)).join('\n');
    assert.ok(!text.includes(PASSWORD));
    for (const secret of secrets.values()) assert.ok(!text.includes(secret.toString('base64')));
  });

  test('a capture or resolution is taken only for the acta the server handed to that person', async () => {
    // A CATD of its own, so that the queue holds only this test's actas.
    const scanner = makeDevice('S-CATD-9');
    assert.ok(
      (
        await enrollDevice(node.devices, {
          id: scanner.id,
          publicKey: scanner.publicKey,
          origin: 'CATD',
          boundTo: 'CATD-9',
          label: '',
          at: now,
        })
      ).ok,
    );
    await servesWholeCatalog(node.devices, catalog, 'CATD-9', { at: now });
    const keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey).slice(30, 32);
    for (const [i, key] of keys.entries()) {
      const image = makePng(16, 16, { seed: 900 + i });
      const pkg = packageFor(scanner, image, { sequence: i, claimedKey: key });
      const posted = await postPackage(base, { text: pkg.text, signature: pkg.signature, image });
      assert.equal(posted.status, 201, JSON.stringify(posted));
      records.catd1.push(key);
      now += 1_000;
    }
    const [a, b] = [keys[0]!, keys[1]!];
    for (const name of ['dora', 'eli', 'fer'])
      await addOperator(`${name}.captura`, 'capturista', 'catd:CATD-9');
    await addOperator('vale.verifica', 'verificador', 'catd:CATD-9');
    const [dora, eli, fer] = [
      await signIn('dora.captura'),
      await signIn('eli.captura'),
      await signIn('fer.captura'),
    ];
    type Task = { recordId: string; columns: { id: string }[] };
    const next = async (who: Session) => {
      const response = await call(who, 'GET', '/api/v1/capture/next');
      return response.status === 204 ? null : ((await response.json()) as Task);
    };
    const columns = (await next(dora))!.columns;
    now += CAPTURE_CLAIM_MS + 1;
    // Dora and Eli agree on values for an acta nobody handed them: refused, nothing recorded.
    for (const who of [dora, eli]) {
      const refused = await call(who, 'POST', `/api/v1/capture/${b}`, fieldsFor(b, 9)(columns));
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { error: string }).error, 'not-handed-out');
    }
    assert.equal((await node.records.getActa(b))?.captures.length, 0);
    // Asked through the queue, the same two captures verify the acta.
    for (const who of [dora, eli]) {
      const task = (await next(who))!;
      assert.equal(task.recordId, a);
      assert.equal((await call(who, 'POST', `/api/v1/capture/${a}`, fieldsFor(a, 9)(columns))).status, 200);
    }
    assert.equal((await node.records.getActa(a))?.status, 'verified');
    // Fer types past the end of his claim; nobody took his place: it counts.
    assert.equal((await next(fer))?.recordId, b);
    now += CAPTURE_CLAIM_MS + 1;
    assert.equal((await call(fer, 'POST', `/api/v1/capture/${b}`, fieldsFor(b, 9)(columns))).status, 200);
    // Dora is handed the second capture and is slow; Eli gets it once her claim ends.
    assert.equal((await next(dora))?.recordId, b);
    now += CAPTURE_CLAIM_MS + 1;
    assert.equal((await next(eli))?.recordId, b);
    const late = await call(dora, 'POST', `/api/v1/capture/${b}`, fieldsFor(b, 8)(columns));
    assert.equal(late.status, 409);
    assert.equal(((await late.json()) as { error: string }).error, 'claim-taken');
    assert.equal((await call(eli, 'POST', `/api/v1/capture/${b}`, fieldsFor(b, 8)(columns))).status, 200);
    assert.equal((await node.records.getActa(b))?.status, 'mismatch');
    // A verifier resolves only the mismatch handed to them.
    const vale = await signIn('vale.verifica');
    const unasked = await call(vale, 'POST', `/api/v1/verification/${b}`, fieldsFor(b, 9)(columns));
    assert.equal(unasked.status, 403);
    assert.equal((await node.records.getActa(b))?.status, 'mismatch');
    const handed = (await (await call(vale, 'GET', '/api/v1/verification/next')).json()) as Task;
    assert.equal(handed.recordId, b);
    const resolved = await call(vale, 'POST', `/api/v1/verification/${b}`, fieldsFor(b, 9)(columns));
    assert.equal(((await resolved.json()) as { outcome: string }).outcome, 'resolved');
  });

  test('failed sign-ins from one address, whatever the names, slow that address down alike', async () => {
    now += ADDRESS_MEMORY_MS;
    const address = '127.0.0.40';
    const statuses: number[] = [];
    // Many names, a few tries each: no account's own delay starts.
    for (let i = 0; i < ADDRESS_FREE_FAILURES + 1; i++)
      statuses.push((await signInFrom(address, `nadie.${i}`, 'x')).status);
    assert.deepEqual(statuses, [...Array(ADDRESS_FREE_FAILURES).fill(401), 429]);
    const held = await signInFrom(address, 'ana.captura');
    assert.equal(held.status, 429, 'held whatever the account');
    assert.equal(held.headers['retry-after'], '1');
    now += 1_000;
    assert.equal((await signInFrom(address, 'nadie.mas', 'x')).status, 401);
    assert.equal((await signInFrom(address, 'nadie.mas', 'x')).headers['retry-after'], '2');
    // A forged X-Forwarded-For does not buy more attempts.
    const forged = await signInFrom(address, 'nadie.forjado', 'x', [], { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(forged.status, 429);
    assert.equal(
      (await signInFrom('127.0.0.41', 'nadie.otro', 'x')).status,
      401,
      'another address is not held',
    );
    now += 61_000;
  });

  test('a sign-in flood from 30 addresses: the journal keeps a bounded number of its events, intake keeps taking packages', async () => {
    now += ADDRESS_MEMORY_MS;
    const scanner = makeDevice('S-CATD-7');
    assert.ok(
      (
        await enrollDevice(node.devices, {
          id: scanner.id,
          publicKey: scanner.publicKey,
          origin: 'CATD',
          boundTo: 'CATD-7',
          label: '',
          at: now,
        })
      ).ok,
    );
    await servesWholeCatalog(node.devices, catalog, 'CATD-7', { at: now });
    const keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey).slice(32, 40);
    const before = (await node.journal.journalHead()).size;
    const statuses = new Map<number, number>();
    let flooding = true;
    const flood = Promise.all(
      Array.from({ length: 30 }, async (_, a) => {
        for (let i = 0; i < 40; i++) {
          let status: number;
          // Answered busy (hashing slots full): asked again, so that each address makes 40 attempts the server weighs.
          do {
            status = (await signInFrom(`127.0.0.${a + 2}`, `intruso.${i % 3}`, 'x')).status;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status === 503) await new Promise((resolve) => setTimeout(resolve, 10));
          } while (status === 503);
        }
      }),
    ).finally(() => {
      flooding = false;
    });
    const intake: number[] = [];
    const duringFlood: boolean[] = [];
    for (const [i, key] of keys.entries()) {
      const image = makePng(16, 16, { seed: 700 + i });
      const pkg = packageFor(scanner, image, { sequence: i, claimedKey: key });
      intake.push((await postPackage(base, { text: pkg.text, signature: pkg.signature, image })).status);
      duringFlood.push(flooding);
    }
    await flood;
    assert.deepEqual(intake, Array(keys.length).fill(201), 'every package is taken during the flood');
    assert.ok(duringFlood[0] === true, `the packages were sent while the flood went on: ${duringFlood}`);
    const attempts = (statuses.get(401) ?? 0) + (statuses.get(429) ?? 0);
    assert.equal(attempts, 1_200, JSON.stringify([...statuses]));
    // Hashed: five per name, and those already on their way to a slot when the names' delays began.
    assert.ok(
      (statuses.get(401) ?? 0) <= 100,
      `the rest are refused without hashing: ${JSON.stringify([...statuses])}`,
    );
    const entries = (await node.journal.journalEntries(before, (await node.journal.journalHead()).size)).map(
      (e) => JSON.parse(e.toString()) as { type: string; unjournaledBefore?: number },
    );
    const security = entries.filter((e) => /^(LOGIN_|ACCOUNT_)/.test(e.type));
    assert.ok(
      security.length <= SECURITY_EVENTS_JOURNALED_PER_MINUTE,
      `${security.length} security events journaled for ${attempts} attempts`,
    );
    // A minute on, the next one journaled says how many were left out.
    now += 60_000;
    assert.equal((await signInFrom('127.0.0.40', 'nadie.despues', 'x')).status, 401);
    const last = (
      await node.journal.journalEntries(
        (await node.journal.journalHead()).size - 1,
        (
          await node.journal.journalHead()
        ).size,
      )
    ).map((e) => JSON.parse(e.toString()) as { type: string; unjournaledBefore?: number })[0]!;
    assert.equal(last.type, 'LOGIN_FAILED');
    assert.equal(last.unjournaledBefore, attempts - security.length);
  });

  test('behind a trusted load balancer, throttling counts each forwarded client apart', async () => {
    const behind = await buildServer({
      node,
      config: serveConfigSchema.parse({
        logLevel: 'silent',
        trustedProxies: ['127.0.0.1'],
        intake: { qualityGate: 'off' },
      }),
      clock,
    });
    await behind.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${(behind.app.server.address() as AddressInfo).port}/api/v1/session`;
      const attempt = (client: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
          body: JSON.stringify({ username: `nadie.lb${names++}`, password: 'x', code: '000000' }),
        }).then((r) => r.status);
      let names = 0;
      const first: number[] = [];
      for (let i = 0; i < ADDRESS_FREE_FAILURES + 1; i++) first.push(await attempt('198.51.100.7'));
      assert.equal(first.at(-1), 429);
      assert.equal(
        await attempt('198.51.100.8'),
        401,
        'another client behind the same balancer is not throttled',
      );
    } finally {
      await behind.app.close();
    }
    now += 61_000;
  });

  test('the log, at trace level, holds security events but never a password, code, seed, token or cookie', async () => {
    const session = await signIn('victor.verifica');
    await call(session, 'GET', '/api/v1/me');
    const text = logLines.join('');
    assert.ok(text.includes('"event":"security"'));
    assert.ok(text.includes('login-success'));
    assert.ok(!text.includes(PASSWORD), 'a password was logged');
    for (const secret of secrets.values()) {
      assert.ok(!text.includes(secret.toString('base64')), 'a TOTP seed was logged');
      // As a JSON string: bare digits could occur in any timestamp.
      assert.ok(!text.includes(`"${totp(secret, now)}"`), 'a TOTP code was logged');
    }
    assert.ok(!text.includes(session.cookie.split('=')[1]!), 'a session token was logged');
    assert.ok(!text.includes(session.csrf), 'a CSRF token was logged');
  });
});

describe('WebAuthn for administradores and publicadores', () => {
  test('privileged actions need a security key confirmed in the last minutes', async () => {
    await addOperator('ada.admin', 'administrador', 'nacional');
    const origin = base.replace('127.0.0.1', 'localhost');
    const key = new SoftwareAuthenticator();
    const ada = await signIn('ada.admin');
    const revoke = () =>
      call(ada, 'POST', '/api/v1/admin/devices/S-CATD-2/revoke', { reason: 'lost in transit' });
    assert.equal(((await (await revoke()).json()) as { error: string }).error, 'step-up-required');
    // Register the first key right after signing in with password and TOTP.
    const registration = (await (
      await call(ada, 'POST', '/api/v1/webauthn/register/options', {})
    ).json()) as { challenge: string; rp: { id?: string } };
    assert.equal(
      (await call(ada, 'POST', '/api/v1/webauthn/register', key.register(registration, origin))).status,
      201,
    );
    // A forged assertion is refused; a real one confirms.
    let challenge = (await (await call(ada, 'POST', '/api/v1/webauthn/authenticate/options', {})).json()) as {
      challenge: string;
      rpId?: string;
    };
    assert.equal(
      (await call(ada, 'POST', '/api/v1/webauthn/authenticate', key.assert(challenge, origin, true))).status,
      401,
    );
    challenge = (await (await call(ada, 'POST', '/api/v1/webauthn/authenticate/options', {})).json()) as {
      challenge: string;
      rpId?: string;
    };
    // An assertion made for another site does not count.
    assert.equal(
      (
        await call(
          ada,
          'POST',
          '/api/v1/webauthn/authenticate',
          key.assert(challenge, 'https://evil.example'),
        )
      ).status,
      401,
    );
    challenge = (await (await call(ada, 'POST', '/api/v1/webauthn/authenticate/options', {})).json()) as {
      challenge: string;
      rpId?: string;
    };
    assert.equal(
      (await call(ada, 'POST', '/api/v1/webauthn/authenticate', key.assert(challenge, origin))).status,
      200,
    );
    assert.equal((await revoke()).status, 200);
    assert.equal((await node.devices.getDevice('S-CATD-2'))?.revokedAt !== null, true);
    // Ten minutes later the same session must confirm again.
    now += 11 * 60_000;
    assert.equal(
      (await call(ada, 'POST', '/api/v1/admin/purge', { scope: 'catd:CATD-2', reason: 'drill' })).status,
      403,
    );
    // A capturista cannot even start the ceremony.
    const carla = await signIn('carla.captura');
    assert.equal((await call(carla, 'POST', '/api/v1/webauthn/register/options', {})).status, 403);
  });

  test('an administrador creates accounts of their scope, after confirming with the key; the new person signs in', async () => {
    await addOperator('adela.admin', 'administrador', 'catd:CATD-1');
    const origin = base.replace('127.0.0.1', 'localhost');
    const key = new SoftwareAuthenticator();
    const adela = await signIn('adela.admin');
    const account = {
      username: 'nora.captura',
      name: 'Nora',
      role: 'capturista',
      scope: 'catd:CATD-1',
      password: 'otra frase larga para la noche',
    };
    const create = (body: unknown) => call(adela, 'POST', '/api/v1/admin/operators', body);
    assert.equal(((await (await create(account)).json()) as { error: string }).error, 'step-up-required');
    const registration = (await (
      await call(adela, 'POST', '/api/v1/webauthn/register/options', {})
    ).json()) as {
      challenge: string;
      rp: { id?: string };
    };
    assert.equal(
      (await call(adela, 'POST', '/api/v1/webauthn/register', key.register(registration, origin))).status,
      201,
    );
    const challenge = (await (
      await call(adela, 'POST', '/api/v1/webauthn/authenticate/options', {})
    ).json()) as {
      challenge: string;
    };
    assert.equal(
      (await call(adela, 'POST', '/api/v1/webauthn/authenticate', key.assert(challenge, origin))).status,
      200,
    );

    assert.equal((await create({ ...account, scope: 'catd:CATD-2' })).status, 403);
    assert.equal((await create({ ...account, password: 'corta' })).status, 400);
    assert.equal((await create({ ...account, role: 'emperador' })).status, 400);
    const created = await create(account);
    assert.equal(created.status, 201, await created.clone().text());
    const enrolment = (await created.json()) as { totpSecret: string; totpUri: string };
    assert.match(enrolment.totpUri, /^otpauth:\/\/totp\//);
    assert.equal((await create(account)).status, 409);
    // The new capturista signs in with the password and a code from the seed handed over once.
    secrets.set('nora.captura', fromBase32(enrolment.totpSecret));
    now += 30_000;
    const nora = await signInRaw('nora.captura', account.password);
    assert.equal(nora.status, 201);
    const listed = (await (await call(adela, 'GET', '/api/v1/admin/operators')).json()) as {
      username: string;
      scope: string;
    }[];
    assert.ok(listed.some((o) => o.username === 'nora.captura'));
    assert.ok(listed.every((o) => o.scope === 'catd:CATD-1'));
    assert.ok(!JSON.stringify(listed).includes(enrolment.totpSecret), 'the seed is never listed');
    assert.equal((await call(await signIn('ana.captura'), 'GET', '/api/v1/admin/operators')).status, 403);
  });

  test('a publicador confirms with a security key to publish a cut now', async () => {
    await addOperator('pablo.publica', 'publicador', 'nacional');
    const origin = base.replace('127.0.0.1', 'localhost');
    const key = new SoftwareAuthenticator();
    const pablo = await signIn('pablo.publica');
    assert.equal((await call(pablo, 'POST', '/api/v1/cuts', {})).status, 403);
    const registration = (await (
      await call(pablo, 'POST', '/api/v1/webauthn/register/options', {})
    ).json()) as { challenge: string; rp: { id?: string } };
    assert.equal(
      (await call(pablo, 'POST', '/api/v1/webauthn/register', key.register(registration, origin))).status,
      201,
    );
    const challenge = (await (
      await call(pablo, 'POST', '/api/v1/webauthn/authenticate/options', {})
    ).json()) as { challenge: string };
    assert.equal(
      (await call(pablo, 'POST', '/api/v1/webauthn/authenticate', key.assert(challenge, origin))).status,
      200,
    );
    const cut = await call(pablo, 'POST', '/api/v1/cuts', {});
    assert.equal(cut.status, 201, await cut.clone().text());
    assert.equal(((await cut.json()) as { sequence: number }).sequence, 1);
    assert.equal((await node.journal.cuts()).length, 1);
  });

  test('every entry this file journaled is of a known type with exactly its fields', async () => {
    const types = await typedJournal(node.journal);
    for (const type of [
      'OPERATOR_CREATED',
      'LOGIN_SUCCEEDED',
      'LOGIN_FAILED',
      'LOGIN_THROTTLED',
      'AUTHORIZATION_DENIED',
      'LOGOUT',
      'ACCOUNTS_PURGED',
      'WEBAUTHN_REGISTERED',
      'LOGIN_STEP_UP',
      'CUT_PUBLISHED',
    ] as const)
      assert.ok(types.has(type), `no ${type} entry was written`);
  });
});
