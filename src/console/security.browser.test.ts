/**
 * The security screen in a real Chromium against a real server with a freshly built console:
 * a `seguridad` operator signs in, sees the alerts newest first with their severity, subject,
 * counts and responses, in Spanish and in English, and filters them by severity and detection;
 * a capturista has no such screen and the route refuses them. axe-core on the screen; no
 * console error, no CSP violation.
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
import { buildServer, type ServerHandle } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import type { SecurityAlertRow } from '../security/alerts_port.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { buildConsole } from '../site/build.ts';
import {
  assertAccessible,
  CHROMIUM,
  openWatchedPage,
  saveScreenshot,
  skipWithoutChromium,
} from '../test/browser.ts';
import { findUntranslated, findUntranslatedSpanish } from '../test/untranslated.ts';
import { englishOnlyStrings, spanishOnlyStrings } from './i18n.ts';

const skip = skipWithoutChromium;
const PASSWORD = 'una frase larga que nadie adivina';
const catalog = generateCatalog({ scale: 'tiny', seed: 41 });
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

const alert = (alertId: string, fields: Partial<SecurityAlertRow>): SecurityAlertRow => ({
  alertId,
  detection: 'brute-force',
  severity: 'high',
  subject: { operatorId: 'op-7' },
  firstAt: clock() - 60_000,
  lastAt: clock(),
  evidence: { attempts: 10, addresses: 1 },
  responses: [],
  raisedAt: clock(),
  ...fields,
});

before(async () => {
  if (skip !== false) return;
  work = await mkdtemp(path.join(tmpdir(), 'openprep-security-console-'));
  const consoleDir = path.join(work, 'console');
  await buildConsole(consoleDir);
  const created = await initCenter({ root: path.join(work, 'center'), election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  server = await buildServer({
    node,
    config: serveConfigSchema.parse({ logLevel: 'silent' }),
    clock,
    consoleDir,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://localhost:${(server.app.server.address() as AddressInfo).port}`;
  for (const [username, role] of [
    ['sara.seguridad', 'seguridad'],
    ['ana.captura', 'capturista'],
  ] as const) {
    const added = await server.accounts.addOperator({
      username,
      name: username.split('.')[0]!,
      role,
      scope: 'nacional',
      password: PASSWORD,
      expiresAt: null,
      by: 'test',
    });
    assert.ok(added.ok, added.ok ? '' : added.message);
    secrets.set(username, fromBase32(added.value.totpSecret));
  }
  // What the monitor would have kept (its own tests run it): three alerts, the decoy's newest.
  await node.security.transaction(async (tx) => {
    await tx.insertSecurityAlert(
      alert('credential-stuffing/address=10.60.0.1/1', {
        detection: 'credential-stuffing',
        subject: { address: '10.60.0.1' },
        evidence: { attempts: 20, accounts: 20, unknownAccounts: 20 },
        responses: ['throttle'],
        raisedAt: clock() - 120_000,
      }),
    );
    await tx.insertSecurityAlert(alert('brute-force/operatorId=op-7/1', { raisedAt: clock() - 60_000 }));
    await tx.insertSecurityAlert(
      alert('decoy-used/decoyId=decoy-1/1', {
        detection: 'decoy-used',
        severity: 'critical',
        subject: { decoyId: 'decoy-1', operatorId: 'decoy-1' },
        evidence: { uses: 1 },
        responses: ['revoke-sessions'],
      }),
    );
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await server?.app.close();
  await node?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function signedIn(username: string, language: 'es' | 'en' = 'es') {
  const watched = await openWatchedPage(browser, { viewport: { width: 1280, height: 900 } });
  const { page } = watched;
  await page.goto(`${base}/consola/`);
  if (language === 'en') await page.getByRole('button', { name: 'English' }).click();
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(PASSWORD);
  // A TOTP code is good once: the clock moves on to the next step for a second sign-in.
  skipped += 30_000;
  await page.locator('#code').fill(totp(secrets.get(username)!, clock()));
  await page.keyboard.press('Enter');
  await page.locator('.console-header').waitFor();
  return watched;
}

test('the security team sees the alerts newest first, filters them, in Spanish and in English', {
  skip,
}, async () => {
  const sara = await signedIn('sara.seguridad');
  try {
    const { page } = sara;
    await page.getByRole('button', { name: 'Seguridad', exact: true }).click();
    await page.locator('tr[data-alert]').first().waitFor();
    assert.deepEqual(
      await page
        .locator('tr[data-alert]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alert'))),
      ['decoy-used', 'brute-force', 'credential-stuffing'],
    );
    const first = (await page.locator('tr[data-alert]').first().textContent()) ?? '';
    assert.match(first, /crítica.*Señuelo usado.*señuelo decoy-1.*usos: 1.*sesiones revocadas/);
    const last = (await page.locator('tr[data-alert="credential-stuffing"]').textContent()) ?? '';
    assert.match(
      last,
      /Relleno de credenciales.*dirección 10\.60\.0\.1.*intentos: 20.*dirección bloqueada un tiempo/,
    );
    await assertAccessible(page, 'security');
    assert.deepEqual(await findUntranslated(page, englishOnlyStrings()), [], 'security');
    await saveScreenshot(page, path.join(work, 'screenshots'), 'console-security');
    // Filters: critical only; then a detection.
    await page.locator('select[name="severity"]').selectOption('critical');
    await page.locator('tr[data-alert]').nth(1).waitFor({ state: 'detached' });
    assert.equal(await page.locator('tr[data-alert]').count(), 1);
    await page.locator('select[name="severity"]').selectOption('');
    await page.locator('select[name="detection"]').selectOption('brute-force');
    await page.locator('tr[data-alert="decoy-used"]').waitFor({ state: 'detached' });
    assert.deepEqual(
      await page
        .locator('tr[data-alert]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alert'))),
      ['brute-force'],
    );
    assert.deepEqual(sara.problems, []);
  } finally {
    await sara.close();
  }
  const english = await signedIn('sara.seguridad', 'en');
  try {
    const { page } = english;
    await page.getByRole('button', { name: 'Security', exact: true }).click();
    await page.locator('tr[data-alert]').first().waitFor();
    assert.match((await page.locator('tr[data-alert]').first().textContent()) ?? '', /critical.*Decoy used/);
    assert.deepEqual(await findUntranslatedSpanish(page, spanishOnlyStrings()), [], 'security in English');
    assert.deepEqual(english.problems, []);
  } finally {
    await english.close();
  }
});

test('a capturista has no security screen, and the route refuses them', { skip }, async () => {
  const ana = await signedIn('ana.captura');
  try {
    const { page } = ana;
    assert.equal(await page.getByRole('button', { name: 'Seguridad', exact: true }).count(), 0);
    const status = await page.evaluate(async () => (await fetch('/api/v1/security/alerts')).status);
    assert.equal(status, 403);
  } finally {
    await ana.close();
  }
});
