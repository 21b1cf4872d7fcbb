/**
 * The history of the night in a real Chromium, against the demo's night at tiny scale served by
 * `openprep`'s own static server: every published cut listed with the figures of its own
 * nacional file and the SHA-256 of its own manifest, each earlier cut's zip and manifest served;
 * the chart drawn with one point per cut; one cut's changes equal to its cambios.json, each acta
 * opening its casilla; the national page's first load never fetches the history. axe-core on
 * each view, no console error or CSP violation, screenshots at desktop and phone sizes.
 *
 * Skipped, saying so, where no Chromium is installed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, devices, type Page } from 'playwright-core';
import {
  assertAccessible,
  launchChromium,
  openWatchedPage,
  saveScreenshot,
  skipWithoutChromium,
} from '../test/browser.ts';
import { serveTinyNight, type TinyNight } from '../demo/tiny_night.ts';

const skip = skipWithoutChromium;

let night: TinyNight | undefined;
let work: string;
let cuts: string;
let cutIds: string[];
let base: string;
let browser: Browser;

const readJson = async (file: string) => JSON.parse(await readFile(path.join(cuts, file), 'utf8'));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

before(async () => {
  if (skip !== false) return;
  night = await serveTinyNight({ prefix: 'openprep-history-', seed: 11, cutEvery: 45 });
  ({ work, cuts, base } = night);
  browser = await launchChromium();
  cutIds = (await readdir(cuts)).filter((name) => /^\d{8}_\d{4}$/.test(name)).sort();
});

after(async () => {
  await browser?.close();
  await night?.close();
});

const openPage = (options: Parameters<Browser['newContext']>[0] = {}) => openWatchedPage(browser, options);

const screenshot = (page: Page, name: string) => saveScreenshot(page, path.join(work, 'screenshots'), name);

test('every published cut is listed with its own figures, manifest hash and downloads; the chart has a point per cut', {
  skip,
}, async () => {
  assert.ok(cutIds.length >= 20, `${cutIds.length} cuts`);
  const { page, problems, fetched, close } = await openPage({ viewport: { width: 1280, height: 1000 } });
  try {
    await page.goto(`${base}/`);
    await page.locator('h1', { hasText: 'Nacional' }).waitFor();
    await page.waitForLoadState('networkidle');
    // The first load never reads the history: it is fetched when the reader opens it.
    assert.ok(!fetched.some((p) => p.includes('historial') || p.includes('cambios')), fetched.join(' '));
    await page.getByRole('link', { name: 'Historial' }).first().click();
    await page.locator('h1', { hasText: 'Historial de cortes' }).waitFor();
    await page.locator('table.history tbody tr').first().waitFor();
    const rows = page.locator('table.history tbody tr');
    assert.equal(await rows.count(), cutIds.length);
    const latest = await readJson('latest.json');
    // Newest first: row i is the cut cutIds[n - 1 - i].
    for (let i = 0; i < cutIds.length; i++) {
      const id = cutIds[cutIds.length - 1 - i]!;
      const row = rows.nth(i);
      const cells = await row.locator('td').allTextContents();
      const nacional = await readJson(`${id}/json/PRES/nacional.json`);
      assert.equal(cells[1], `${nacional.aggregates.PORCENTAJE_ACTAS_CONTABILIZADAS}\u00a0%`, id);
      assert.equal(cells[2], `${nacional.aggregates.PORCENTAJE_PARTICIPACION_CIUDADANA}\u00a0%`, id);
      const manifest = await readFile(path.join(cuts, id, 'manifest.json'));
      const shownSha = (await row.locator('code.hash').textContent()) ?? '';
      assert.equal(shownSha, sha256(manifest), id);
      if (id === latest.cut) assert.equal(shownSha, latest.manifestSha256);
    }
    // An earlier cut's zip, manifest and folder are served as the latest's are.
    const firstRow = rows.nth(cutIds.length - 1);
    for (const href of await firstRow
      .locator('.history-links a')
      .evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href)))
      if (!href.includes('#')) assert.equal((await fetch(href, { method: 'HEAD' })).status, 200, href);
    // The chart: one point per cut on each line, and its text alternative.
    assert.equal(await page.locator('.history-chart circle.dot').count(), cutIds.length);
    assert.equal(await page.locator('.history-chart rect.dot').count(), cutIds.length);
    assert.match(
      (await page.locator('.history-chart desc').textContent()) ?? '',
      new RegExp(`${cutIds.length}\\.`),
    );
    await assertAccessible(page, 'historial');
    await screenshot(page, 'historial-desktop');
    // Another contest's figures.
    await page.locator('main select').selectOption('SEN');
    const senado = await readJson(`${cutIds.at(-1)}/json/SEN/nacional.json`);
    assert.equal(
      (await rows.nth(0).locator('td').allTextContents())[1],
      `${senado.aggregates.PORCENTAJE_ACTAS_CONTABILIZADAS}\u00a0%`,
    );
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("one cut's changes are its cambios.json, and each acta opens its casilla", { skip }, async () => {
  // The cut with the most changed actas (corrected after cotejo), else the most added.
  let chosen = cutIds[1]!;
  let best = -1;
  for (const id of cutIds.slice(1)) {
    const changes = await readJson(`${id}/json/cambios.json`);
    const score = changes.contests.reduce(
      (sum: number, c: { added: unknown[]; changed: unknown[] }) =>
        sum + c.changed.length * 1000 + c.added.length,
      0,
    );
    if (score > best) [chosen, best] = [id, score];
  }
  const changes = await readJson(`${chosen}/json/cambios.json`);
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 1000 } });
  try {
    await page.goto(`${base}/#/historial`);
    await page.locator(`a[href="#/historial/${chosen}"]`).first().click();
    await page.locator('h1', { hasText: chosen }).waitFor();
    const pres = changes.contests.find((c: { id: string }) => c.id === 'PRES');
    const section = page.locator('section', { has: page.locator('#cambios-PRES') });
    const tables = section.locator('table.history-actas');
    const listed = await tables.locator('tbody th a').allTextContents();
    const expected = [...pres.changed, ...pres.added].map((a: unknown[]) => a[0]).slice(0, listed.length);
    assert.deepEqual(listed, expected);
    assert.ok(listed.length > 0, 'the chosen cut changed nothing in PRES');
    await assertAccessible(page, 'cambios');
    await screenshot(page, 'historial-cambios-desktop');
    const [acta, entidad, distrito] = (pres.changed[0] ?? pres.added[0]) as [string, number, number];
    await section.locator('tbody th a').first().click();
    await page.waitForURL(
      new RegExp(
        `#/PRES/distrito/${String(entidad).padStart(2, '0')}-${String(distrito).padStart(3, '0')}/casilla/${acta.slice(0, 11)}$`,
      ),
    );
    await page.locator('section.acta').first().waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('the history on a phone, and in English', { skip }, async () => {
  const { page, problems, close } = await openPage({ ...devices['Pixel 7'] });
  try {
    await page.goto(`${base}/#/historial`);
    await page.locator('table.history tbody tr').first().waitFor();
    await screenshot(page, 'historial-phone');
    await page.getByRole('button', { name: 'English' }).click();
    await page.locator('h1', { hasText: 'History of the cuts' }).waitFor();
    assert.match((await page.locator('.history-chart title').textContent()) ?? '', /Tally sheets counted/);
    await assertAccessible(page, 'historial (en)');
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
