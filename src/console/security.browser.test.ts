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
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SecurityAlertRow } from '../security/alerts_port.ts';
import { assertAccessible, saveScreenshot, skipWithoutChromium } from '../test/browser.ts';
import { type ConsoleCenter, startConsoleCenter } from '../test/console_fixture.ts';
import { movingClock, tinySimulacro } from '../test/served_center.ts';
import { findUntranslated, findUntranslatedSpanish } from '../test/untranslated.ts';
import { englishOnlyStrings, spanishOnlyStrings } from './i18n.ts';

const skip = skipWithoutChromium;
const { catalog, election } = tinySimulacro(41);
const clock = movingClock(election);

let center: ConsoleCenter;

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
  center = await startConsoleCenter({ catalog, election, clock, folder: 'openprep-security-console-' });
  await center.addOperator('sara.seguridad', 'seguridad');
  await center.addOperator('ana.captura', 'capturista');
  // What the monitor would have kept (its own tests run it): three alerts, the decoy's newest.
  await center.node.security.transaction(async (tx) => {
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
});

after(async () => {
  await center?.close();
});

test('the security team sees the alerts newest first, filters them, in Spanish and in English', {
  skip,
}, async () => {
  const sara = await center.signIn('sara.seguridad');
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
    await saveScreenshot(page, path.join(center.work, 'screenshots'), 'console-security');
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
  const english = await center.signIn('sara.seguridad', { language: 'en' });
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
  const ana = await center.signIn('ana.captura');
  try {
    const { page } = ana;
    assert.equal(await page.getByRole('button', { name: 'Seguridad', exact: true }).count(), 0);
    const status = await page.evaluate(async () => (await fetch('/api/v1/security/alerts')).status);
    assert.equal(status, 403);
  } finally {
    await ana.close();
  }
});
