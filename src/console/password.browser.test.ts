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
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { corpusHashes, MemoryCorpus, passwordSha1, sortedCorpusText } from '../auth/breached_passwords.ts';
import { fromBase32, totp } from '../auth/totp.ts';
import { type CenterNode, initCenter } from '../center/node.ts';
import { buildServer, type ServerHandle } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { buildConsole } from '../site/build.ts';
import { assertAccessible, launchChromium, saveScreenshot, skipWithoutChromium } from '../test/browser.ts';
import { findUntranslated, findUntranslatedSpanish } from '../test/untranslated.ts';
import { englishOnlyStrings, spanishOnlyStrings } from './i18n.ts';

const skip = skipWithoutChromium;
const PASSWORD = 'una frase larga que nadie adivina';
const LEAKED = 'una frase filtrada en otra parte';
const NEW = 'el colibrí cruza la sierra de noche';
const catalog = generateCatalog({ scale: 'tiny', seed: 41 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
const started = Date.now();
/** Simulated time that passes at once (the next TOTP step). */
let skipped = 0;
const clock = () => Date.parse(election.publicationStart) + 3_600_000 + (Date.now() - started) + skipped;

let work: string;
let node: CenterNode;
let server: ServerHandle;
let base: string;
let browser: Browser;
const seeds = new Map<string, Buffer>();

before(async () => {
  if (skip !== false) return;
  work = await mkdtemp(path.join(tmpdir(), 'openprep-console-pw-'));
  const consoleDir = path.join(work, 'console');
  await buildConsole(consoleDir);
  const corpus = path.join(work, 'breached.txt');
  const hashes = corpusHashes(`${LEAKED}\n`, 'passwords');
  assert.ok(hashes.ok);
  await writeFile(corpus, sortedCorpusText(hashes.value));
  const created = await initCenter({ root: path.join(work, 'center'), election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  server = await buildServer({
    node,
    config: serveConfigSchema.parse({ logLevel: 'silent', passwords: { breachedCorpus: corpus } }),
    clock,
    consoleDir,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  // localhost: a secure context, where the __Host- session cookie is kept.
  base = `http://localhost:${(server.app.server.address() as AddressInfo).port}`;
  for (const username of ['ana.captura', 'beto.captura', 'ceci.captura']) {
    const added = await server.accounts.addOperator({
      username,
      name: username.split('.')[0]!,
      role: 'capturista',
      scope: 'nacional',
      password: PASSWORD,
      expiresAt: null,
      by: 'test',
    });
    assert.ok(added.ok, added.ok ? '' : added.message);
    seeds.set(username, fromBase32(added.value.totpSecret));
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.app.close();
  await node?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** An operator's tab, signed in through the form; `problems` collects console errors and CSP violations. */
async function signedIn(username: string, password: string, language: 'es' | 'en' = 'es') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'es-MX' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // Refusals the test provokes (400, 403) are the browser's own log of an answer, not a fault.
    if (m.type() === 'error' && !/responded with a status of 40[03]/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective}`),
    );
  });
  await page.goto(`${base}/consola/${language === 'en' ? '?lang=en' : ''}`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  skipped += 30_000;
  await page.locator('#code').fill(totp(seeds.get(username)!, clock()));
  await page.keyboard.press('Enter');
  await page.locator('.console-header').waitFor();
  return { page, problems, close: () => context.close() };
}

async function fillChange(page: Page, current: string, password: string, repeat = password) {
  await page.locator('#current-password').fill(current);
  await page.locator('#new-password').fill(password);
  await page.locator('#repeat-password').fill(repeat);
  await page.locator('.change-password button[type=submit]').click();
}

test('after a reset, the console shows only the change form; a breached password is refused in Spanish', {
  skip,
}, async () => {
  const reset = await server.accounts.resetPassword({ username: 'ana.captura', password: NEW, by: 'test' });
  assert.ok(reset.ok);
  const ana = await signedIn('ana.captura', NEW);
  try {
    const { page } = ana;
    await page.locator('.must-change', { hasText: 'Una persona administradora le asignó' }).waitFor();
    // No screen to go to, no way back: only the form, the language and sign-out.
    assert.equal(await page.getByRole('button', { name: 'Captura' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Volver' }).count(), 0);
    await assertAccessible(page, 'password change');
    assert.deepEqual(await findUntranslated(page, englishOnlyStrings()), [], 'password change');
    await saveScreenshot(page, path.join(work, 'screenshots'), 'console-password-change');
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
    assert.equal((await node.operators.getOperator(reset.value.id))?.mustChangePassword, undefined);
    assert.deepEqual(ana.problems, []);
  } finally {
    await ana.close();
  }
});

test('a re-check finds the password of someone signed in: their screen turns to the change form by itself', {
  skip,
}, async () => {
  const beto = await signedIn('beto.captura', PASSWORD);
  try {
    const { page } = beto;
    await page.locator('text=No hay actas por capturar').waitFor();
    const report = await server.accounts.recheck(
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
  const ceci = await signedIn('ceci.captura', PASSWORD, 'en');
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
