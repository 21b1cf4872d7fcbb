/**
 * The access review screen (Revisión de accesos) in a real Chromium against a real `openprep
 * serve` on loopback with a freshly built console: the security team's reviewer signs in, sees
 * every account and device with the ones with findings highlighted, filters by a finding, reads
 * the report's hash and the command that signs it; in Spanish and in English, axe-core clean,
 * no console error, no CSP violation. A capturista is not offered the screen.
 *
 * Skipped, saying so, where no Chromium is installed (.ci/run installs Debian's).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { fromBase32, totp } from '../auth/totp.ts';
import { type CenterNode, initCenter } from '../center/node.ts';
import { enrollDevice } from '../intake/devices.ts';
import { buildServer, type ServerHandle } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { buildConsole } from '../site/build.ts';
import { assertAccessible, CHROMIUM, saveScreenshot, skipWithoutChromium } from '../test/browser.ts';
import { makeDevice } from '../test/packages.ts';
import { findUntranslated, findUntranslatedSpanish } from '../test/untranslated.ts';
import { englishOnlyStrings, spanishOnlyStrings } from './i18n.ts';

const skip = skipWithoutChromium;
const PASSWORD = 'una frase larga que nadie adivina';
const catalog = generateCatalog({ scale: 'tiny', seed: 31 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
const started = Date.now();
let skipped = 0;
const clock = () => Date.parse(election.publicationStart) + 3_600_000 + (Date.now() - started) + skipped;

let work: string;
let node: CenterNode;
let server: ServerHandle;
let base: string;
let browser: Browser;
const secrets = new Map<string, Buffer>();

before(async () => {
  if (skip !== false) return;
  work = await mkdtemp(path.join(tmpdir(), 'openprep-access-console-'));
  const consoleDir = path.join(work, 'console');
  await buildConsole(consoleDir);
  const created = await initCenter({ root: path.join(work, 'center'), election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  server = await buildServer({
    node,
    config: serveConfigSchema.parse({ logLevel: 'silent', intake: { qualityGate: 'off' } }),
    clock,
    consoleDir,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://localhost:${(server.app.server.address() as AddressInfo).port}`;
  for (const [username, role, scope] of [
    ['sofia.seguridad', 'seguridad', 'nacional'],
    ['ana.captura', 'capturista', 'catd:CATD-1'],
    ['beto.captura', 'capturista', 'nacional'],
    ['ada.admin', 'administrador', 'nacional'],
  ] as const) {
    const added = await server.accounts.addOperator({
      username,
      name: username.split('.')[0]!,
      role,
      scope,
      password: PASSWORD,
      expiresAt: null,
      by: 'test',
    });
    assert.ok(added.ok, added.ok ? '' : added.message);
    secrets.set(username, fromBase32(added.value.totpSecret));
  }
  const device = makeDevice('S-CATD-1');
  assert.ok(
    (
      await enrollDevice(node.devices, {
        id: device.id,
        publicKey: device.publicKey,
        origin: 'CATD',
        boundTo: 'CATD-1',
        label: '',
        at: clock(),
      })
    ).ok,
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await server?.app.close();
  await node?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function signedIn(username: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'es-MX' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective}`),
    );
  });
  await page.goto(`${base}/consola/`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(PASSWORD);
  // A fresh TOTP step for every sign-in: a code is good once.
  skipped += 30_000;
  await page.locator('#code').fill(totp(secrets.get(username)!, clock()));
  await page.keyboard.press('Enter');
  await page.locator('.console-header').waitFor();
  return { page, problems, close: () => context.close() };
}

test('the security team reviews accesses: findings highlighted, a filter by finding, the hash that signs it', {
  skip,
}, async () => {
  const sofia = await signedIn('sofia.seguridad');
  try {
    const { page } = sofia;
    await page.getByRole('button', { name: 'Revisión de accesos', exact: true }).click();
    await page.locator('[data-figure="operators"]').waitFor();
    assert.equal(await page.locator('[data-figure="operators"]').textContent(), '4');
    // Sofía signed in: no finding. The others never did; Beto's scope is too broad; Ada has no key.
    assert.equal(await page.locator('tr[data-operator="sofia.seguridad"].has-findings').count(), 0);
    assert.equal(await page.locator('tr.has-findings[data-operator]').count(), 3);
    assert.match(
      (await page.locator('tr[data-operator="beto.captura"]').textContent()) ?? '',
      /nunca usada.*ámbito más amplio que su función/,
    );
    assert.match(
      (await page.locator('tr[data-operator="ada.admin"]').textContent()) ?? '',
      /sin llave de seguridad/,
    );
    assert.match(
      (await page.locator('tr[data-device="S-CATD-1"]').textContent()) ?? '',
      /nunca envió un paquete/,
    );
    const sha = await page.locator('[data-sha256]').getAttribute('data-sha256');
    assert.match(sha ?? '', /^[0-9a-f]{64}$/);
    assert.match(
      (await page.locator('pre.command').textContent()) ?? '',
      new RegExp(`openprep access review --certify ${sha} --scope nacional --dormant-days 14 --by NOMBRE`),
    );
    await assertAccessible(page, 'access review');
    assert.deepEqual(await findUntranslated(page, englishOnlyStrings()), [], 'access review');
    await saveScreenshot(page, path.join(work, 'screenshots'), 'console-access-review');

    await page.locator('#filtro-hallazgo').selectOption('no-webauthn');
    await page.locator('tr[data-operator]').first().waitFor();
    assert.deepEqual(
      await page
        .locator('tr[data-operator]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-operator'))),
      ['ada.admin'],
    );
    assert.equal(await page.locator('tr[data-device]').count(), 0);
    assert.match((await page.locator('caption').first().textContent()) ?? '', /Cuentas \(1 de 4\)/);

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Access review' }).waitFor();
    await assertAccessible(page, 'access review in English');
    assert.deepEqual(
      await findUntranslatedSpanish(page, spanishOnlyStrings()),
      [],
      'access review in English',
    );
    assert.match(
      (await page.locator('tr[data-operator="ada.admin"]').textContent()) ?? '',
      /no security key/,
    );
    assert.deepEqual(sofia.problems, []);
  } finally {
    await sofia.close();
  }

  const ana = await signedIn('ana.captura');
  try {
    assert.equal(await ana.page.getByRole('button', { name: 'Revisión de accesos' }).count(), 0);
  } finally {
    await ana.close();
  }
});
