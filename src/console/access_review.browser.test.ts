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
import path from 'node:path';
import { after, before, test } from 'node:test';
import { enrollDevice } from '../intake/devices.ts';
import { assertAccessible, saveScreenshot, skipWithoutChromium } from '../test/browser.ts';
import { type ConsoleCenter, startConsoleCenter } from '../test/console_fixture.ts';
import { makeDevice } from '../test/packages.ts';
import { movingClock, tinySimulacro } from '../test/served_center.ts';
import { findUntranslated, findUntranslatedSpanish } from '../test/untranslated.ts';
import { englishOnlyStrings, spanishOnlyStrings } from './i18n.ts';

const skip = skipWithoutChromium;
const { catalog, election } = tinySimulacro(31);
const clock = movingClock(election);

let center: ConsoleCenter;

before(async () => {
  if (skip !== false) return;
  center = await startConsoleCenter({
    catalog,
    election,
    clock,
    folder: 'openprep-access-console-',
    config: { intake: { qualityGate: 'off' } },
  });
  await center.addOperator('sofia.seguridad', 'seguridad');
  await center.addOperator('ana.captura', 'capturista', 'catd:CATD-1');
  await center.addOperator('beto.captura', 'capturista');
  await center.addOperator('ada.admin', 'administrador');
  const device = makeDevice('S-CATD-1');
  assert.ok(
    (
      await enrollDevice(center.node.devices, {
        id: device.id,
        publicKey: device.publicKey,
        origin: 'CATD',
        boundTo: 'CATD-1',
        label: '',
        at: clock(),
      })
    ).ok,
  );
});

after(async () => {
  await center?.close();
});

test('the security team reviews accesses: findings highlighted, a filter by finding, the hash that signs it', {
  skip,
}, async () => {
  const sofia = await center.signIn('sofia.seguridad');
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
    await saveScreenshot(page, path.join(center.work, 'screenshots'), 'console-access-review');

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

  const ana = await center.signIn('ana.captura');
  try {
    assert.equal(await ana.page.getByRole('button', { name: 'Revisión de accesos' }).count(), 0);
  } finally {
    await ana.close();
  }
});
