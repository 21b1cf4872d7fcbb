/**
 * Property-based fuzzing of every HTTP route the center serves (its own inventory, so a new
 * route is fuzzed the day it is added), over real HTTP on loopback, signed out and signed in as
 * an administrador: random and hostile paths, headers and bodies — JSON with duplicate and
 * prototype keys, numbers at the edges, Unicode, lone surrogates and NUL, deep nesting, broken
 * multipart. The properties: never a 5xx that is not a declared "come back later" (503/507
 * with Retry-After), never a crash, never a prototype polluted, nothing written to the journal
 * but security events, and the service still answers afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Accounts } from '../auth/accounts.ts';
import { type CenterNode, initCenter } from '../center/node.ts';
import { decodeEntry } from '../journal/entries.ts';
import { buildServer, type ServerHandle } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { totp, fromBase32 } from '../auth/totp.ts';

const RUNS = Number(process.env['OPENPREP_FUZZ_RUNS'] ?? 50);

let work: string;
let node: CenterNode;
let server: ServerHandle;
let port: number;
let session: { cookie: string; csrf: string } | null = null;

const catalog = generateCatalog({ scale: 'tiny', seed: 5 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
const now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => now;
const PASSWORD = 'una frase larga que nadie adivina nunca';

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-fuzz-'));
  const created = await initCenter({ root: work, election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  const config = serveConfigSchema.parse({
    logLevel: 'silent',
    rateLimitPerMinute: 1_000_000,
    intake: { qualityGate: 'off', maxImageBytes: 64 * 1024 },
  });
  server = await buildServer({ node, config, clock });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  port = (server.app.server.address() as AddressInfo).port;
  const accounts = await Accounts.open(node, clock);
  const added = await accounts.addOperator({
    username: 'admin.fuzz',
    name: 'Administración',
    role: 'administrador',
    scope: 'nacional',
    password: PASSWORD,
    expiresAt: null,
    by: 'fuzz',
  });
  assert.ok(added.ok, added.ok ? '' : added.message);
  const secret = fromBase32(added.value.totpSecret);
  const signedIn = await send('POST', '/api/v1/session', {
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(
      JSON.stringify({ username: 'admin.fuzz', password: PASSWORD, code: totp(secret, now) }),
    ),
  });
  assert.equal(signedIn.status, 201, signedIn.body);
  const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
  session = { cookie, csrf: (JSON.parse(signedIn.body) as { csrfToken: string }).csrfToken };
});

after(async () => {
  await server.app.close();
  await node.close();
  await rm(work, { recursive: true, force: true });
});

function send(
  method: string,
  pathname: string,
  options: { headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      method,
      path: pathname,
      headers: options.headers,
      agent: false,
    });
    const timer = setTimeout(
      () => request.destroy(new Error(`${method} ${pathname}: no answer in 10 s`)),
      10_000,
    );
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          headers: response.headers,
        });
      });
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(options.body);
  });
}

/** Hostile JSON texts, beside fast-check's own JSON values. */
const hostileJson = fc.oneof(
  fc.constantFrom(
    '{"username":"a","username":"b","password":"x","code":"1"}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"values":{"__proto__":{"polluted":true}}}',
    '{"n":1e309}',
    '{"n":-0}',
    '{"n":9007199254740993}',
    '{"n":"NaN"}',
    '{"s":"\\u0000\\ud800"}',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    '{"a":',
    'null',
    '"just a string"',
    '',
  ),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .dictionary(fc.string(), fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)))
    .map((v) => JSON.stringify(v)),
);

const segment = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '..',
    '%2e%2e',
    '%00',
    'PRES',
    '0'.repeat(64),
    'a'.repeat(2000),
    '__proto__',
    'constructor',
  ),
);

const multipartBody = fc
  .record({
    boundary: fc.oneof(fc.constant('zz'), fc.string({ maxLength: 80 })),
    parts: fc.array(
      fc.record({
        name: fc.oneof(fc.constantFrom('package', 'signature', 'image'), fc.string()),
        value: fc.string({ unit: 'binary' }),
      }),
      { maxLength: 5 },
    ),
    end: fc.boolean(),
  })
  .map(({ boundary, parts, end }) => ({
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: Buffer.from(
      parts
        .map((p) => `--zz\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`)
        .join('') + (end ? '--zz--\r\n' : ''),
    ),
  }));

const requestParts = fc.record({
  signedIn: fc.boolean(),
  params: fc.array(segment, { minLength: 4, maxLength: 4 }),
  query: fc.option(fc.string({ unit: 'binary', maxLength: 60 }), { nil: null }),
  body: fc.oneof(
    hostileJson.map((text) => ({ contentType: 'application/json', body: Buffer.from(text) })),
    multipartBody,
    fc
      .tuple(
        fc.constantFrom(
          'image/png',
          'text/plain',
          'application/octet-stream',
          'application/json; charset=utf-16',
        ),
        fc.uint8Array({ maxLength: 4096 }),
      )
      .map(([contentType, bytes]) => ({ contentType, body: Buffer.from(bytes) })),
  ),
  extraHeaders: fc.dictionary(
    fc.constantFrom(
      'x-forwarded-for',
      'origin',
      'x-csrf-token',
      'openprep-package',
      'openprep-signature',
      'range',
      'accept-encoding',
    ),
    fc.string({ unit: 'grapheme-ascii', maxLength: 100 }),
  ),
});

/**
 * A 5xx is allowed only as "not now" (503: busy, or the console not built on this server; 507:
 * disk full); a 500 is our bug.
 */
function acceptable(answer: { status: number }): boolean {
  if (answer.status < 500) return answer.status >= 200;
  return answer.status === 503 || answer.status === 507;
}

describe('every route, fuzzed', () => {
  test('random and hostile requests to every route: never a server fault, never a crash, nothing written', async () => {
    const routes = server.routes;
    assert.ok(routes.length >= 20, `the inventory lists ${routes.length} routes`);
    const journalBefore = (await node.journal.journalHead()).size;
    let requests = 0;
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(requestParts, async (parts) => {
          let i = 0;
          const pathname = route.url
            .replace(/:[A-Za-z0-9_]+/g, () => encodeURIComponent(parts.params[i++ % 4] ?? 'x'))
            .replace(/\*/g, () => encodeURIComponent(parts.params[3] ?? 'x'));
          const query = parts.query === null ? '' : `?${encodeURIComponent(parts.query)}`;
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(parts.extraHeaders))
            if (/^[\t\x20-\x7e]*$/.test(value)) headers[name] = value;
          if (parts.signedIn && session !== null) {
            headers['cookie'] = session.cookie;
            headers['x-csrf-token'] ??= session.csrf;
          }
          const hasBody = route.method !== 'GET' && route.method !== 'HEAD';
          if (hasBody) headers['content-type'] = parts.body.contentType;
          requests++;
          const answer = await send(route.method, `${pathname}${query}`, {
            headers,
            ...(hasBody ? { body: parts.body.body } : {}),
          }).catch((error: Error) => {
            throw new Error(`${route.method} ${pathname.slice(0, 200)}: ${error.message}`);
          });
          assert.ok(
            acceptable(answer),
            `${route.method} ${pathname}: ${answer.status} ${answer.body.slice(0, 300)}`,
          );
          assert.equal(
            ({} as Record<string, unknown>)['polluted'],
            undefined,
            'Object.prototype is polluted',
          );
        }),
        { numRuns: RUNS, seed: 20261203 },
      );
    }
    // Still serving, and what the fuzz wrote is security events only.
    assert.equal((await send('GET', '/healthz')).status, 200);
    const head = await node.journal.journalHead();
    const entries = await node.journal.journalEntries(journalBefore, head.size);
    const written = new Set(
      entries.map((e) => {
        const decoded = decodeEntry(e);
        return decoded.ok ? decoded.value.type : 'undecodable';
      }),
    );
    const allowed =
      /^(LOGIN_FAILED|LOGIN_THROTTLED|LOGOUT|ACCOUNT_THROTTLED|AUTHORIZATION_DENIED|PACKAGE_REJECTED)$/;
    for (const type of written) assert.match(type, allowed, `the fuzz wrote a ${type} entry`);
    assert.ok(requests >= routes.length * RUNS);
  });
});
