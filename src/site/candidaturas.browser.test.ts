/**
 * Votes per candidatura on the national page, in a real Chromium against the demo's tiny night:
 * each candidatura's votes equal a recomputation from the cut's CSV rows and the published
 * election definition's coalitions, leader first; on a 390 px phone the first screen holds
 * actas contabilizadas, participación and every candidatura; party colours are the
 * definition's, NULOS and NO_REGISTRADAS are no party's colour, and every colour has its
 * abbreviation beside it. Screenshots at desktop and phone sizes.
 *
 * Skipped, saying so, where no Chromium is installed.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ElectionDefinition } from '../domain/election.ts';
import { assertAccessible, launchChromium, saveScreenshot, skipWithoutChromium } from '../test/browser.ts';
import { serveTinyNight, type TinyNight } from '../demo/tiny_night.ts';
import { parseCsvRecords } from './acta_rows.ts';

const skip = skipWithoutChromium;

let night: TinyNight | undefined;
let work: string;
let base: string;
let browser: Browser;
let expected: Map<string, number>;
let election: ElectionDefinition;

before(async () => {
  if (skip !== false) return;
  night = await serveTinyNight({ prefix: 'openprep-candidaturas-', seed: 11, cutEvery: 120 });
  ({ work, base } = night);
  browser = await launchChromium();
  const cuts = night.cuts;
  const latest = (JSON.parse(await readFile(path.join(cuts, 'latest.json'), 'utf8')) as { cut: string }).cut;
  const definitionFile = (await readdir(path.join(cuts, 'catalogo'))).find((f) => f.startsWith('ELECCION_'))!;
  election = JSON.parse(await readFile(path.join(cuts, 'catalogo', definitionFile), 'utf8'));
  const text = (await readFile(path.join(cuts, latest, 'PRES_2024.csv'), 'utf8')).replace(/^\uFEFF/, '');
  const records = parseCsvRecords(text);
  assert.ok(records.ok);
  // The presidency's candidaturas run everywhere: each is its columns plus its combinations.
  const header = records.value[6]!;
  const rows = records.value.slice(7).filter((row) => row[header.indexOf('CONTABILIZADA')] === '1');
  const contest = election.contests.find((c) => c.id === 'PRES')!;
  expected = new Map();
  for (const candidatura of contest.candidaturas ?? []) {
    const columns = contest.columns.filter((column) =>
      column.kind === 'coalition'
        ? column.parties!.every((p) => candidatura.columns.includes(p))
        : candidatura.columns.includes(column.id),
    );
    let votes = 0;
    for (const row of rows)
      for (const column of columns) votes += Number.parseInt(row[header.indexOf(column.id)] ?? '', 10) || 0;
    expected.set(candidatura.id, votes);
  }
});

after(async () => {
  await browser?.close();
  await night?.close();
});

async function open(page: Page): Promise<void> {
  await page.goto(`${base}/`);
  await page.locator('h1', { hasText: 'Nacional' }).waitFor();
  await page.locator('.candidaturas li').first().waitFor();
}

test('the national candidaturas: votes from the CSV and the coalitions, leader first, colours with abbreviations', {
  skip,
}, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'es-MX' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  try {
    await open(page);
    const shown = await page
      .locator('.candidaturas li')
      .evaluateAll((items) =>
        items.map((li) => [
          li.getAttribute('data-candidatura'),
          Number(li.querySelector('[data-votes]')?.getAttribute('data-votes')),
        ]),
      );
    assert.deepEqual(new Map(shown as [string, number][]), expected);
    const votes = shown.map(([, v]) => v as number);
    assert.deepEqual(
      votes,
      [...votes].sort((a, b) => b - a),
      'leader first',
    );
    assert.ok(votes[0]! > 0);
    // Each colour has its abbreviation beside it.
    const parties = await page.locator('.candidatura-party').allTextContents();
    for (const id of ['PAN', 'PRI', 'PRD', 'PVEM', 'PT', 'MC', 'MORENA']) assert.ok(parties.includes(id), id);
    // Party colours are the definition's; NULOS and NO_REGISTRADAS are hatching, no party's colour.
    const background = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((el) => getComputedStyle(el).background);
    assert.match(await background('tr[data-column="MORENA"] .swatch'), /rgb\(166, 25, 46\)/);
    assert.match(await background('[data-candidatura="MC"] .swatch'), /rgb\(245, 128, 37\)/);
    const partyColors = election.contests[0]!.columns.flatMap((c) =>
      c.color === undefined ? [] : [c.color],
    );
    for (const column of ['NULOS', 'NO_REGISTRADAS']) {
      const css = await background(`tr[data-column="${column}"] .swatch`);
      assert.match(css, /repeating-linear-gradient/);
      for (const color of partyColors) {
        const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(color.slice(i, i + 2), 16));
        assert.ok(!css.includes(`rgb(${r}, ${g}, ${b})`), `${column} uses ${color}`);
      }
    }
    await assertAccessible(page, 'nacional candidaturas');
    await saveScreenshot(page, path.join(work, 'screenshots'), 'candidaturas-nacional-desktop');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('on a 390 px phone the first screen holds actas contabilizadas, participación and every candidatura', {
  skip,
}, async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'es-MX',
  });
  const page = await context.newPage();
  try {
    await open(page);
    const bottom = async (selector: string) => {
      const box = await page.locator(selector).last().boundingBox();
      assert.ok(box !== null, selector);
      return box.y + box.height;
    };
    const figures = await page.locator('.headline-figures').textContent();
    assert.match(figures ?? '', /Actas contabilizadas: [\d,]+ \(\d+\.\d{4}\s%\)/);
    assert.match(figures ?? '', /Participación ciudadana:\s\d+\.\d{4}\s%/);
    await saveScreenshot(page, path.join(work, 'screenshots'), 'candidaturas-nacional-phone');
    for (const selector of ['.headline-figures', '.candidaturas li'])
      assert.ok((await bottom(selector)) <= 844, `${selector} is below the first screen`);
    // Nothing wider than the phone.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390));
    await saveScreenshot(page, path.join(work, 'screenshots'), 'candidaturas-nacional-phone');
  } finally {
    await context.close();
  }
});
