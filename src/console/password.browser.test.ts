/**
 * Password changes in the operators' console, in a real Chromium against a real server on
 * loopback with a breached-password corpus configured: an operator whose password an
 * administrator set signs in to the change form and nothing else, is refused a breached
 * password (said in Spanish) and then works; an operator signed in while a re-check finds their
 * password is taken to the form by the next call of their screen; one changes theirs from the
 * header by choice, in English. axe-core on the form; no console error, no CSP violation.
 *
 * Skipped, saying so, where no Chromium is installed (.ci/run installs Debian's).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { MemoryCorpus, passwordSha1 } from '../auth/breached_passwords.ts';
import { assertAccessible, saveScreenshot, skipWithoutChromium } from '../test/browser.ts';
import { type ConsoleCenter, startConsoleCenter } from '../test/console_fixture.ts';
import { movingClock, PASSWORD, tinySimulacro } from '../test/served_center.ts';
import { findUntranslated, findUntranslatedSpanish } from '../test/untranslated.ts';
import { englishOnlyStrings, spanishOnlyStrings } from './i18n.ts';

const skip = skipWithoutChromium;
const LEAKED = 'una frase filtrada en otra parte';
const NEW = 'el colibrí cruza la sierra de noche';
const { catalog, election } = tinySimulacro(41);
const clock = movingClock(election);
/** Refusals the test provokes (400, 403) are the browser's own log of an answer, not a fault. */
const ignore = /responded with a status of 40[03]/;

let center: ConsoleCenter;

before(async () => {
  if (skip !== false) return;
  center = await startConsoleCenter({
    catalog,
    election,
    clock,
    folder: 'openprep-console-pw-',
    breached: [LEAKED],
  });
  for (const username of ['ana.captura', 'beto.captura', 'ceci.captura'])
    await center.addOperator(username, 'capturista');
});

after(async () => {
  await center?.close();
});

async function fillChange(page: Page, current: string, password: string, repeat = password) {
  await page.locator('#current-password').fill(current);
  await page.locator('#new-password').fill(password);
  await page.locator('#repeat-password').fill(repeat);
  await page.locator('.change-password button[type=submit]').click();
}

test('after a reset, the console shows only the change form; a breached password is refused in Spanish', {
  skip,
}, async () => {
  const reset = await center.server.accounts.resetPassword({
    username: 'ana.captura',
    password: NEW,
    by: 'test',
  });
  assert.ok(reset.ok);
  const ana = await center.signIn('ana.captura', { password: NEW, ignore });
  try {
    const { page } = ana;
    await page.locator('.must-change', { hasText: 'Una persona administradora le asignó' }).waitFor();
    // No screen to go to, no way back: only the form, the language and sign-out.
    assert.equal(await page.getByRole('button', { name: 'Captura' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Volver' }).count(), 0);
    await assertAccessible(page, 'password change');
    assert.deepEqual(await findUntranslated(page, englishOnlyStrings()), [], 'password change');
    await saveScreenshot(page, path.join(center.work, 'screenshots'), 'console-password-change');
    await fillChange(page, NEW, LEAKED, `${LEAKED}x`);
    await page.locator('.change-password .error', { hasText: 'no coinciden' }).waitFor();
    await fillChange(page, NEW, LEAKED);
    await page
      .locator('.change-password .error', { hasText: 'aparece en filtraciones publicadas' })
      .waitFor();
    await fillChange(page, NEW, PASSWORD);
    await page.locator('.message', { hasText: 'Contraseña cambiada' }).waitFor();
    await page.getByRole('button', { name: 'Captura' }).waitFor();
    await page.locator('text=No hay actas por capturar').waitFor();
    assert.equal((await center.node.operators.getOperator(reset.value.id))?.mustChangePassword, undefined);
    assert.deepEqual(ana.problems, []);
  } finally {
    await ana.close();
  }
});

test('a re-check finds the password of someone signed in: their screen turns to the change form by itself', {
  skip,
}, async () => {
  const beto = await center.signIn('beto.captura', { ignore });
  try {
    const { page } = beto;
    await page.locator('text=No hay actas por capturar').waitFor();
    const report = await center.server.accounts.recheck(
      new MemoryCorpus('a new corpus', [passwordSha1(PASSWORD)]),
      'test',
    );
    assert.ok(report.ok);
    // The capture screen asks for work every few seconds: its next call meets the restriction.
    await page.locator('.must-change', { hasText: 'aparece en filtraciones publicadas' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Captura' }).count(), 0);
    await fillChange(page, PASSWORD, NEW);
    await page.locator('.message', { hasText: 'Contraseña cambiada' }).waitFor();
    await page.getByRole('button', { name: 'Captura' }).waitFor();
    assert.deepEqual(beto.problems, []);
  } finally {
    await beto.close();
  }
});

test('an operator changes their password by choice, in English, from the header; a wrong current one is said', {
  skip,
}, async () => {
  const ceci = await center.signIn('ceci.captura', { language: 'en', ignore });
  try {
    const { page } = ceci;
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Change your password' }).waitFor();
    assert.deepEqual(
      await findUntranslatedSpanish(page, spanishOnlyStrings()),
      [],
      'password change in English',
    );
    await fillChange(page, 'not the current one at all', 'a brand new phrase nobody knows');
    await page
      .locator('.change-password .error', { hasText: 'The current password or the code is not right' })
      .waitFor();
    await fillChange(page, PASSWORD, 'a brand new phrase nobody knows');
    await page.locator('.message', { hasText: 'Password changed' }).waitFor();
    assert.deepEqual(ceci.problems, []);
  } finally {
    await ceci.close();
  }
});
