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
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { dataPaths } from '../center/data_dir.ts';
import { startCutServer } from '../demo/cut_server.ts';
import { runDemo } from '../demo/demo.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { assertAccessible, CHROMIUM, saveScreenshot, skipWithoutChromium } from '../test/browser.ts';
import { parseCsvRecords } from './acta_rows.ts';
import { buildSite } from './build.ts';

const skip = skipWithoutChromium;

let work: string;
let server: Server;
let base: string;
let browser: Browser;
let expected: Map<string, number>;
let election: ElectionDefinition;

before(async () => {
  if (skip !== false) return;
  work = await mkdtemp(path.join(tmpdir(), 'openprep-candidaturas-'));
  const site = path.join(work, 'site');
  const [, demo] = await Promise.all([
    buildSite(site),
    runDemo({
      root: path.join(work, 'demo'),
      scale: 'tiny',
      seed: 11,
      untilClose: true,
      serve: false,
      port: 0,
      speed: 0,
      cutEvery: 120,
      reset: false,
      images: false,
      log: () => {},
    }),
  ]);
  assert.ok(demo.ok, demo.ok ? '' : demo.message);
  const cuts = dataPaths(path.join(work, 'demo')).cuts;
  server = await startCutServer({ root: cuts, site, port: 0 });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  if (work !== undefined) await rm(work, { recursive: true, force: true });
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
