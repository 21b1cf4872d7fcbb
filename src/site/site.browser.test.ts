/**
 * The public site in a real Chromium (Debian's, driven by playwright-core) against a real cut:
 * the demo's night at tiny scale, served over HTTP on loopback by `openprep`'s own static
 * server, the site freshly built by Vite. Checks the national figures against the cut's CSV,
 * drill-down by clicks and by URL down to one casilla's actas, keyboard use, axe-core, no
 * console errors or CSP violations, and writes screenshots at phone and desktop sizes.
 *
 * Skipped, saying so, where no Chromium is installed (.ci/run installs Debian's).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  assertAccessible,
  CHROMIUM,
  openWatchedPage,
  saveScreenshot,
  skipWithoutChromium,
} from '../test/browser.ts';
import { type Browser, chromium, devices, type Page } from 'playwright-core';
import { startCutServer } from '../mirror/static_server.ts';
import { runDemo } from '../demo/demo.ts';
import { dataPaths } from '../center/data_dir.ts';
import { initCenter } from '../center/node.ts';
import { publishCut } from '../publish/publisher.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import type { ActaFields } from '../domain/values.ts';
import { openImageStore } from '../images/image_store.ts';
import { publicImageName } from '../publish/public_images.ts';
import { buildServer } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { enrolledDevice, makePng, packageFor, postPackage, receiptRecordId } from '../test/packages.ts';
import { parseCsvRecords } from './acta_rows.ts';
import { buildSite } from './build.ts';
import { WORDS } from './i18n.ts';
import {
  englishOnly,
  findUntranslated,
  findUntranslatedSpanish,
  type Untranslated,
} from '../test/untranslated.ts';

const skip = skipWithoutChromium;

let work: string;
let cuts: string;
let server: Server;
let base: string;
let browser: Browser;
let latestCut: string;
let csv: string[][];
let site: string;
let publicKey: string;

before(async () => {
  if (skip !== false) return;
  work = await mkdtemp(path.join(tmpdir(), 'openprep-site-'));
  site = path.join(work, 'site');
  const [, demo] = await Promise.all([
    buildSite(site),
    runDemo({
      root: path.join(work, 'demo'),
      scale: 'tiny',
      seed: 7,
      untilClose: true,
      serve: false,
      port: 0,
      speed: 0,
      cutEvery: 60,
      reset: false,
      // The cuts' own checks; rendered images are the demo test's (and the image test below).
      images: false,
      log: () => {},
    }),
  ]);
  assert.ok(demo.ok, demo.ok ? '' : demo.message);
  cuts = dataPaths(path.join(work, 'demo')).cuts;
  publicKey = (
    await readFile(
      path.join(dataPaths(path.join(work, 'demo')).keys, 'openprep.PEF2024.simulacro.pub'),
      'utf8',
    )
  ).trim();
  server = await startCutServer({ root: cuts, site, port: 0 });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  latestCut = (JSON.parse(await readFile(path.join(cuts, 'latest.json'), 'utf8')) as { cut: string }).cut;
  const text = (await readFile(path.join(cuts, latestCut, 'PRES_2024.csv'), 'utf8')).replace(/^\uFEFF/, '');
  const records = parseCsvRecords(text);
  assert.ok(records.ok);
  csv = records.value;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** A page that fails the test on any console error, page error or CSP violation. */
const openPage = (options: Parameters<Browser['newContext']>[0] = {}) => openWatchedPage(browser, options);

async function screenshot(page: Page, name: string): Promise<void> {
  await saveScreenshot(page, path.join(work, 'screenshots'), name);
}

const ENGLISH_ONLY = englishOnly(WORDS.es, WORDS.en);
/** The Spanish catalogue's strings the English one does not share (what an English screen must not show). */
const SPANISH_ONLY = englishOnly(WORDS.en, WORDS.es);

/** The English found on the page now, each labelled with the screen's name. */
async function untranslated(page: Page, screen: string): Promise<string[]> {
  return (await findUntranslated(page, ENGLISH_ONLY)).map(
    (u: Untranslated) => `${screen}: ${u.where}: "${u.text}" (${u.why})`,
  );
}

test('the national figures on the page are those of the cut CSV', { skip }, async () => {
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(`${base}/`);
    await page.locator('h1', { hasText: 'Nacional' }).waitFor();
    // Lines 4 and 5 of the CSV: the 13 aggregate names and their national values.
    const names = csv[3]!;
    const values = csv[4]!;
    for (const name of [
      'ACTAS_ESPERADAS',
      'ACTAS_CAPTURADAS',
      'ACTAS_CONTABILIZADAS',
      'TOTAL_VOTOS_C_CS',
      'LISTA_NOMINAL_ACTAS_CONTABILIZADAS',
      'PORCENTAJE_ACTAS_CAPTURADAS',
      'PORCENTAJE_ACTAS_CONTABILIZADAS',
      'PORCENTAJE_PARTICIPACION_CIUDADANA',
    ]) {
      const expected = values[names.indexOf(name)]!;
      const shown = (await page.locator(`[data-aggregate="${name}"]`).first().textContent()) ?? '';
      assert.equal(shown.replace(/[(),\s%]/g, ''), expected, name);
    }
    // Each option's national votes: the sum of its column over the counted rows.
    const header = csv[6]!;
    const rows = csv.slice(7).filter((row) => row[header.indexOf('CONTABILIZADA')] === '1');
    const first = header.indexOf('TOTAL_VOTOS_SACADOS') + 1;
    const last = header.indexOf('TOTAL_VOTOS_ASENTADO');
    for (const column of header.slice(first, last)) {
      const i = header.indexOf(column);
      const total = rows.reduce((sum, row) => sum + (Number.parseInt(row[i] ?? '', 10) || 0), 0);
      const shown = await page.locator(`tr[data-column="${column}"] [data-votes]`).getAttribute('data-votes');
      assert.equal(Number(shown), total, column);
    }
    assert.match((await page.locator('.cut-id').textContent()) ?? '', new RegExp(latestCut));
    await assertAccessible(page, 'nacional');
    await screenshot(page, 'nacional-desktop');
    // The downloads: every file offered is there, and the columns are explained.
    await page.getByRole('link', { name: 'Descargas' }).first().click();
    await page.locator('h1', { hasText: 'Descargas' }).waitFor();
    const links = await page
      .locator('ul.downloads a')
      .evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    assert.ok(links.length >= 6, links.join(' '));
    for (const link of links) assert.equal((await fetch(link, { method: 'HEAD' })).status, 200, link);
    assert.ok((await page.locator('table.columns-help tbody tr').count()) >= 8);
    await assertAccessible(page, 'descargas');
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('drill-down by clicks to one casilla, and the same casilla by its URL', { skip }, async () => {
  const { page, problems, close } = await openPage({ ...devices['Pixel 7'] });
  try {
    await page.goto(`${base}/`);
    await page.locator('h1', { hasText: 'Nacional' }).waitFor();
    await screenshot(page, 'nacional-phone');
    await page.locator('table.children a').first().click();
    await page.locator('h1', { hasText: 'PRESIDENCIA' }).waitFor();
    assert.match(page.url(), /#\/PRES\/entidad\/\d\d$/);
    await assertAccessible(page, 'entidad');
    await page.locator('table.children a').first().click();
    await page.waitForURL(/#\/PRES\/distrito\/\d\d-\d\d\d$/);
    await assertAccessible(page, 'distrito');
    await page.locator('table.children a').first().click();
    await page.waitForURL(/seccion\/\d{4}$/);
    await assertAccessible(page, 'sección');
    await page.locator('ul.casillas a').first().click();
    await page.waitForURL(/casilla\/\d{6}[BCES]\d{4}$/);
    await page.locator('section.acta').first().waitFor();
    await assertAccessible(page, 'casilla');
    await screenshot(page, 'casilla-phone');
    const address = page.url();
    const casilla = address.split('/').at(-1)!;
    // The actas shown are the CSV's rows of that casilla, field by field.
    const header = csv[6]!;
    const expected = csv.slice(7).filter((row) => row[0] === `'${casilla}`);
    assert.ok(expected.length > 0);
    const shown = await page.locator('section.acta').count();
    assert.equal(shown, expected.length);
    const firstActa = page.locator('section.acta').first();
    for (const field of ['TOTAL_VOTOS_CALCULADO', 'LISTA_NOMINAL']) {
      const value = await firstActa.locator(`tr[data-field="${field}"] td`).textContent();
      assert.equal(value, expected[0]![header.indexOf(field)], field);
    }
    assert.equal(
      await firstActa.locator('code.hash').textContent(),
      expected[0]![header.indexOf('CODIGO_INTEGRIDAD')],
    );
    // The same page from its address, in a fresh page.
    const direct = await page.context().newPage();
    await direct.goto(address);
    await direct.locator('section.acta').first().waitFor();
    assert.equal(await direct.locator('section.acta').count(), expected.length);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('the site by keyboard alone, and in English', { skip }, async () => {
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(`${base}/`);
    await page.locator('h1', { hasText: 'Nacional' }).waitFor();
    // Skip link first, then into the content; Tab until an entidad's link, then Enter.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Saltar al contenido');
    await page.keyboard.press('Enter');
    for (let i = 0; i < 200; i++) {
      await page.keyboard.press('Tab');
      const href = await page.evaluate(() => document.activeElement?.getAttribute('href') ?? '');
      if (/^#\/PRES\/entidad\/\d\d$/.test(href)) break;
    }
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/PRES\/entidad\/\d\d$/);
    await page.locator('h1', { hasText: 'PRESIDENCIA' }).waitFor();
    // The language button, by keyboard too.
    await page.locator('button.language').focus();
    await page.keyboard.press('Enter');
    await page.locator('html[lang="en"]').waitFor();
    await page.locator('dt', { hasText: 'Tally sheets expected' }).waitFor();
    await assertAccessible(page, 'entidad (en)');
    await screenshot(page, 'entidad-english-desktop');
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('"verify this cut" passes with the election\'s key, and fails visibly for a tampered file', {
  skip,
}, async () => {
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  // A mirror that altered one byte of one file, served the same way.
  const tampered = path.join(work, 'tampered');
  await cp(cuts, tampered, { recursive: true });
  const target = path.join(tampered, latestCut, 'LEEME.txt');
  await writeFile(target, `${await readFile(target, 'utf8')} `);
  const mirror = await startCutServer({ root: tampered, site, port: 0 });
  try {
    const check = async (origin: string) => {
      await page.goto(`${origin}/#/verificar`);
      await page.locator('textarea#llave').fill(publicKey);
      await page.getByRole('button', { name: 'Verificar', exact: true }).click();
      await page.locator('.verdict').waitFor({ timeout: 60_000 });
      return page;
    };
    await check(base);
    assert.equal(await page.locator('.verdict').textContent(), 'El corte es auténtico e íntegro');
    assert.equal(await page.locator('li.check[data-status="pass"]').count(), 7);
    await assertAccessible(page, 'verificar');
    await screenshot(page, 'verify-desktop');

    await check(`http://127.0.0.1:${(mirror.address() as AddressInfo).port}`);
    assert.equal(await page.locator('.verdict').textContent(), 'El corte NO pasa la verificación');
    const failed = page.locator('li.check[data-status="fail"]');
    assert.equal(await failed.count(), 1);
    assert.equal(await failed.getAttribute('data-check'), 'V04');
    assert.match((await failed.textContent()) ?? '', /LEEME\.txt/);
    assert.deepEqual(problems, []);
  } finally {
    await close();
    await new Promise((resolve) => mirror.close(resolve));
  }
});

test('a new cut is picked up by polling the pointer, without a reload, and announced', { skip }, async () => {
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  const root = path.join(work, 'polling');
  await cp(cuts, root, { recursive: true });
  const ids = (await readdir(root)).filter((name) => /^\d{8}_\d{4}$/.test(name)).sort();
  const earlier = ids.at(-2)!;
  const pointer = await readFile(path.join(root, 'latest.json'), 'utf8');
  await writeFile(path.join(root, 'latest.json'), pointer.replace(latestCut, earlier));
  const server = await startCutServer({ root, site, port: 0 });
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/?poll=2#/PRES`);
    await page.locator('.cut-id', { hasText: earlier }).waitFor();
    const marker = await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
      return 42;
    });
    // The publisher writes the pointer last; the page follows within its polling interval.
    await writeFile(path.join(root, 'latest.json'), pointer);
    await page.locator('.cut-id', { hasText: latestCut }).waitFor({ timeout: 10_000 });
    await page.locator('.announcement', { hasText: latestCut }).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), marker);
    assert.deepEqual(problems, []);
  } finally {
    await close();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("each acta's image with its SHA-256 recomputed in the browser: it matches, and a tampered image says so", {
  skip,
}, async () => {
  // A center that received real images over HTTP, had them captured twice, and published a cut
  // with its images beside it.
  const catalog = generateCatalog({ scale: 'tiny', seed: 5 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const clock = () => Date.parse(election.publicationStart) + 3_600_000;
  const root = path.join(work, 'center-with-images');
  const created = await initCenter({ root, election, catalog, clock });
  assert.ok(created.ok);
  const node = created.value;
  const center = await buildServer({
    node,
    config: serveConfigSchema.parse({ logLevel: 'silent', intake: { qualityGate: 'off' } }),
    clock,
  });
  await center.app.listen({ host: '127.0.0.1', port: 0 });
  const device = await enrolledDevice(node.devices, {
    id: 'SITE-CATD-1',
    boundTo: 'CATD-1',
    at: clock(),
    serves: catalog,
  });
  const esperada = actasEsperadas(catalog, election.contests[0]!)[0]!;
  const image = makePng(90, 120, { seed: 9 });
  const pkg = packageFor(device, image, { sequence: 0, claimedKey: esperada.actaKey });
  const posted = await postPackage(`http://127.0.0.1:${(center.app.server.address() as AddressInfo).port}`, {
    ...pkg,
    image,
  });
  assert.equal(posted.status, 201, posted.body);
  const recordId = receiptRecordId(posted.body);
  const record = (await node.records.getActa(recordId))!;
  const columns = node.pipeline.columnsOf(record);
  const fields: ActaFields = {
    boletasSobrantes: 100,
    personasVotaron: 50,
    representantesVotaron: 2,
    votosSacados: 50,
    votes: Object.fromEntries(columns.map((c, i) => [c.id, i === 0 ? 50 : 0])),
    totalAsentado: 50,
  } as ActaFields;
  for (const operatorId of ['op-a', 'op-b'])
    assert.ok((await node.pipeline.recordCapture({ recordId, operatorId, fields })).ok);
  const images = await openImageStore(path.join(root, 'images'), serveConfigSchema.parse({}).images);
  const cut = await publishCut(node, { cutTime: clock(), images: { blobs: images.blobs } });
  assert.ok(cut.ok, cut.ok ? '' : cut.message);
  assert.deepEqual(cut.value.images, { copied: 1, present: 0, missing: [] });
  images.blobs.close();
  await center.app.close();
  await node.close();

  const cutsRoot = path.join(root, 'cuts');
  const sha = createHash('sha256').update(image).digest('hex');
  assert.deepEqual(await readFile(path.join(cutsRoot, ...publicImageName(sha).split('/'))), image);
  const casilla = esperada.casilla;
  const address = `#/PRES/distrito/${String(casilla.entidad).padStart(2, '0')}-${String(casilla.distrito).padStart(3, '0')}/casilla/${casilla.key}`;
  // A mirror whose copy of the image was altered (one byte).
  const mirrorRoot = path.join(work, 'mirror-with-images');
  await cp(cutsRoot, mirrorRoot, { recursive: true });
  const altered = Buffer.from(image);
  altered[altered.length - 20] = altered[altered.length - 20]! ^ 0x01;
  await writeFile(path.join(mirrorRoot, ...publicImageName(sha).split('/')), altered);

  const origin = await startCutServer({ root: cutsRoot, site, port: 0 });
  const mirror = await startCutServer({ root: mirrorRoot, site, port: 0 });
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(`http://127.0.0.1:${(origin.address() as AddressInfo).port}/${address}`);
    await page.getByRole('button', { name: /Ver la imagen del acta/ }).click();
    await page.locator('[data-hash-check]').waitFor();
    assert.equal(await page.locator('[data-hash-check]').getAttribute('data-hash-check'), 'pass');
    assert.equal(await page.locator('.hash-line code').textContent(), sha);
    assert.ok(
      await page
        .locator('.acta-image img')
        .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 90),
    );
    await assertAccessible(page, 'casilla with image');
    await screenshot(page, 'acta-image-desktop');

    await page.goto(`http://127.0.0.1:${(mirror.address() as AddressInfo).port}/${address}`);
    await page.getByRole('button', { name: /Ver la imagen del acta/ }).click();
    await page.locator('[data-hash-check]').waitFor();
    assert.equal(await page.locator('[data-hash-check]').getAttribute('data-hash-check'), 'fail');
    assert.match((await page.getByRole('alert').textContent()) ?? '', /NO coincide/);
    assert.deepEqual(problems, []);
  } finally {
    await close();
    await new Promise((resolve) => origin.close(resolve));
    await new Promise((resolve) => mirror.close(resolve));
  }
});

test('every screen in Spanish is in Spanish (no text of the English catalogue, no English word), and in English has none of the Spanish catalogue', {
  skip,
}, async () => {
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  const found: string[] = [];
  try {
    const header = csv[6]!;
    // A casilla with an acta row, its distrito and sección, from the cut's CSV.
    const row = csv.slice(7).find((r) => r[header.indexOf('CONTABILIZADA')] === '1')!;
    const casilla = row[0]!.slice(1);
    const entidad = casilla.slice(0, 2);
    const distrito = row[header.indexOf('ID_DISTRITO_FEDERAL')]!;
    const seccion = casilla.slice(2, 6);
    const screens: [string, string, string][] = [
      ['nacional', '#/PRES', 'h1'],
      ['entidad', `#/PRES/entidad/${entidad}`, 'table.children'],
      ['distrito', `#/PRES/distrito/${entidad}-${distrito}`, 'table.children'],
      ['sección', `#/PRES/distrito/${entidad}-${distrito}/seccion/${seccion}`, 'ul.casillas'],
      ['casilla', `#/PRES/distrito/${entidad}-${distrito}/casilla/${casilla}`, 'section.acta'],
      ['descargas', '#/descargas', 'table.columns-help'],
      ['historial', '#/historial', 'table'],
      ['verificar', '#/verificar', 'textarea#llave'],
      ['no existe', '#/NOPE/entidad/01', 'h1'],
      ['distrito no publicado', '#/PRES/distrito/01-999', '[role="alert"]'],
    ];
    for (const [screen, hash, ready] of screens) {
      await page.goto(`${base}/${hash}`);
      await page.locator(ready).first().waitFor();
      found.push(...(await untranslated(page, screen)));
    }
    // The same screens in English: no sentence of the Spanish catalogue left on any.
    const english = await openPage({ viewport: { width: 1280, height: 900 } });
    try {
      await english.page.addInitScript(() => localStorage.setItem('openprep-language', 'en'));
      for (const [screen, hash, ready] of screens) {
        await english.page.goto(`${base}/${hash}`);
        await english.page.locator(ready).first().waitFor();
        assert.equal(await english.page.evaluate(() => document.documentElement.lang), 'en');
        found.push(
          ...(await findUntranslatedSpanish(english.page, SPANISH_ONLY)).map(
            (u) => `${screen} (en): ${u.where}: "${u.text}" (${u.why})`,
          ),
        );
      }
    } finally {
      await english.close();
    }
    // The verify page's answers: a key that is no key, and a full check that passes.
    await page.goto(`${base}/#/verificar`);
    await page.locator('textarea#llave').fill('no es una llave');
    await page.getByRole('button', { name: 'Verificar', exact: true }).click();
    await page.locator('.verdict').waitFor({ timeout: 60_000 });
    found.push(...(await untranslated(page, 'verificar (llave inválida)')));
    await page.locator('textarea#llave').fill(publicKey);
    await page.getByRole('button', { name: 'Verificar', exact: true }).click();
    await page.locator('.verdict', { hasText: 'auténtico' }).waitFor({ timeout: 60_000 });
    found.push(...(await untranslated(page, 'verificar (correcto)')));
    assert.deepEqual(found, []);
    // The distrito that is not published is asked for, and answered 404: that is the screen.
    assert.deepEqual(
      problems.filter((p) => !/status of 404/.test(p)),
      [],
    );
  } finally {
    await close();
  }
});

test('a casilla in words: plain labels, codes said (Contabilizada: sí), the CSV column name beside each', {
  skip,
}, async () => {
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  try {
    const header = csv[6]!;
    const col = (name: string) => header.indexOf(name);
    // An acta with illegible cells if the night had one, else a counted one.
    const rows = csv.slice(7).filter((r) => r[col('CONTABILIZADA')] !== '2');
    const row =
      rows.find((r) => /Ilegible/.test(r[col('OBSERVACIONES')] ?? '')) ??
      rows.find((r) => r[col('CONTABILIZADA')] === '1')!;
    const casilla = row[0]!.slice(1);
    const distrito = `${casilla.slice(0, 2)}-${row[col('ID_DISTRITO_FEDERAL')]}`;
    await page.goto(`${base}/#/PRES/distrito/${distrito}/casilla/${casilla}`);
    const acta = page.locator('section.acta', { hasText: row[1]!.slice(1) });
    await acta.waitFor();
    const fact = (name: string) => acta.locator(`[data-field="${name}"]`);
    const label = await acta.locator('tr[data-field="TOTAL_BOLETAS_SOBRANTES"] th').textContent();
    assert.equal(label, 'Boletas sobrantes TOTAL_BOLETAS_SOBRANTES');
    assert.equal(
      await acta.locator('tr[data-field="TOTAL_BOLETAS_SOBRANTES"] td').textContent(),
      row[col('TOTAL_BOLETAS_SOBRANTES')],
    );
    const contabilizada = { '0': 'no', '1': 'sí' }[row[col('CONTABILIZADA')]!]!;
    assert.equal(
      await fact('CONTABILIZADA').locator('dd').textContent(),
      `${contabilizada} ${row[col('CONTABILIZADA')]}`,
    );
    assert.equal(await fact('CONTABILIZADA').locator('dt').textContent(), 'Contabilizada CONTABILIZADA');
    const cotejada = ['no', 'sí, aceptada', 'sí, aceptada con modificación', 'en corrección'][
      Number(row[col('COTEJADA')])
    ]!;
    assert.match((await fact('COTEJADA').locator('dd').textContent()) ?? '', new RegExp(`^${cotejada} \\d$`));
    // OBSERVACIONES: the illegible cells named; no Python list, no raw code left on the page.
    const observaciones = (await fact('OBSERVACIONES').locator('dd').textContent()) ?? '';
    assert.doesNotMatch(observaciones, /\[|'/);
    if (/Ilegible/.test(row[col('OBSERVACIONES')] ?? '')) {
      const cells = header.filter((_, i) => row[i] === 'Ilegible');
      assert.ok(observaciones.includes(`Ilegible (${cells.join(', ')})`), observaciones);
    }
    for (const name of ['FECHA_HORA_ACOPIO', 'FECHA_HORA_CAPTURA']) {
      const raw = row[col(name)]!;
      const shown = (await fact(name).locator('dd').textContent()) ?? '';
      if (raw !== '-') assert.match(shown, /^\d{1,2} de [a-z]+ de 20\d\d/, `${name}: ${shown}`);
    }
    assert.match((await fact('ORIGEN').locator('dd').textContent()) ?? '', /^(la casilla|un CATD)/);
    assert.match(
      (await fact('DIGITALIZACION').locator('dd').textContent()) ?? '',
      /^(teléfono móvil|escáner)/,
    );
    assert.doesNotMatch(
      (await acta.textContent()) ?? '',
      /TOTAL_BOLETAS_SOBRANTES TOTAL_BOLETAS_SOBRANTES|\['/,
    );
    await assertAccessible(page, 'casilla en palabras');
    // The acta's record in words (the vote table is above it).
    await acta.locator('h3').evaluate((h) => h.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'casilla-desktop');
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('a distrito: search by sección and by casilla key, sort by any column', { skip }, async () => {
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  try {
    const header = csv[6]!;
    const row = csv.slice(7).find((r) => r[header.indexOf('CONTABILIZADA')] === '1')!;
    const casilla = row[0]!.slice(1);
    const distrito = `${casilla.slice(0, 2)}-${row[header.indexOf('ID_DISTRITO_FEDERAL')]}`;
    await page.goto(`${base}/#/PRES/distrito/${distrito}`);
    const table = page.locator('table.children');
    await table.waitFor();
    const all = await table.locator('tbody tr').count();
    assert.ok(all > 1);
    // Sort by total votes: largest first, then again for smallest first.
    await table.getByRole('button', { name: /Total de votos/ }).click();
    const votes = async () =>
      (await table.locator('tbody tr td:nth-child(5)').allTextContents()).map((t) =>
        Number(t.replace(/,/g, '')),
      );
    const down = await votes();
    assert.deepEqual(
      down,
      [...down].sort((a, b) => b - a),
    );
    assert.equal(await table.locator('th[aria-sort="descending"]').count(), 1);
    await table.getByRole('button', { name: /Total de votos/ }).click();
    const up = await votes();
    assert.deepEqual(
      up,
      [...up].sort((a, b) => a - b),
    );
    await table.getByRole('button', { name: /Participación/ }).click();
    assert.equal(await table.locator('th[aria-sort="descending"] [data-sort="participation"]').count(), 1);
    // Search by sección number (without its zeros), then by a casilla's key.
    const seccion = Number(casilla.slice(2, 6));
    await page.getByLabel('Buscar por sección o clave de casilla').fill(String(seccion));
    assert.ok((await table.locator('tbody tr').count()) >= 1);
    for (const label of await table.locator('tbody th').allTextContents())
      assert.match(label.replace(/Sección 0*/, ''), new RegExp(String(seccion)));
    await page.getByLabel('Buscar por sección o clave de casilla').fill(casilla.toLowerCase());
    assert.equal(await table.locator('tbody tr').count(), 1);
    const found = page.locator('.casillas-found a', { hasText: casilla });
    await found.waitFor();
    await screenshot(page, 'distrito-search-sort');
    await assertAccessible(page, 'distrito con búsqueda');
    await found.click();
    await page.waitForURL(new RegExp(`casilla/${casilla}$`));
    await page.locator('section.acta').first().waitFor();
    // Nothing counted: "—", never "0.0000 %".
    await page.goto(`${base}/#/PRES/distrito/${distrito}`);
    await table.waitFor();
    assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /\b0\.0000\s%/);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('a distrito of hundreds of secciones with nothing counted: pages of 50, "—" for every share', {
  skip,
}, async () => {
  // A state-sized catalog's center with no acta yet: its first cut, every sección still empty.
  const catalog = generateCatalog({ scale: 'state', seed: 3 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const clock = () => Date.parse(election.publicationStart) + 60_000;
  const root = path.join(work, 'center-state');
  const created = await initCenter({ root, election, catalog, clock });
  assert.ok(created.ok);
  const cut = await publishCut(created.value, { cutTime: clock() });
  assert.ok(cut.ok, cut.ok ? '' : cut.message);
  await created.value.close();
  const server = await startCutServer({ root: path.join(root, 'cuts'), site, port: 0 });
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  try {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const counts = new Map<string, Set<number>>();
    for (const c of catalog.casillas) {
      const key = `${String(c.entidad).padStart(2, '0')}-${String(c.distrito).padStart(3, '0')}`;
      counts.set(key, (counts.get(key) ?? new Set()).add(c.seccion));
    }
    const [distrito, secciones] = [...counts].sort((a, b) => b[1].size - a[1].size)[0]!;
    assert.ok(secciones.size > 100, `${secciones.size} secciones`);
    await page.goto(`${origin}/#/PRES/distrito/${distrito}`);
    const table = page.locator('table.children');
    await table.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 50);
    const pages = Math.ceil(secciones.size / 50);
    assert.equal(await page.locator('.page-of').textContent(), `Página 1 de ${pages}`);
    await page.getByRole('button', { name: /Página siguiente/ }).click();
    assert.equal(await page.locator('.page-of').textContent(), `Página 2 de ${pages}`);
    const text = (await page.locator('main').textContent()) ?? '';
    assert.doesNotMatch(text, /0\.0000\s%/);
    assert.ok((await table.locator('.pct.none').count()) >= 100);
    const last = [...secciones].sort((a, b) => a - b).at(-1)!;
    await page.getByLabel('Buscar por sección o clave de casilla').fill(String(last));
    assert.ok((await table.locator('tbody th', { hasText: String(last).padStart(4, '0') }).count()) === 1);
    await assertAccessible(page, 'distrito grande');
    assert.deepEqual(problems, []);
  } finally {
    await close();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('phones at 360 and 390 px: nothing wider than the screen, no percentage split over two lines', {
  skip,
}, async () => {
  const header = csv[6]!;
  const row = csv.slice(7).find((r) => r[header.indexOf('CONTABILIZADA')] === '1')!;
  const casilla = row[0]!.slice(1);
  const distrito = `${casilla.slice(0, 2)}-${row[header.indexOf('ID_DISTRITO_FEDERAL')]}`;
  const screens = [
    '#/PRES',
    `#/PRES/entidad/${casilla.slice(0, 2)}`,
    `#/PRES/distrito/${distrito}`,
    `#/PRES/distrito/${distrito}/seccion/${casilla.slice(2, 6)}`,
    `#/PRES/distrito/${distrito}/casilla/${casilla}`,
    '#/descargas',
    '#/verificar',
  ];
  for (const width of [360, 390]) {
    const { page, problems, close } = await openPage({
      viewport: { width, height: 800 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    try {
      for (const language of ['es', 'en']) {
        await page.addInitScript((l) => localStorage.setItem('openprep-language', l), language);
        for (const hash of screens) {
          await page.goto(`${base}/${hash}`);
          await page.locator('h1').first().waitFor();
          await page.waitForFunction(() => document.querySelector('[aria-busy="true"]') === null);
          const overflow = await page.evaluate(() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')]
              .filter((e) => e.closest('.table-scroll') === null || e.classList.contains('table-scroll'))
              .filter((e) => e.getBoundingClientRect().right > width + 0.5)
              .map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
            // And content wider than its own box (the language button's word, once).
            const spilled = [...document.querySelectorAll('body *')]
              .filter((e) => {
                const style = getComputedStyle(e);
                return (
                  style.display !== 'inline' &&
                  style.overflowX === 'visible' &&
                  e.clientWidth > 0 &&
                  e.scrollWidth > e.clientWidth + 1
                );
              })
              .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth}>${e.clientWidth}`);
            return {
              scroll: document.documentElement.scrollWidth,
              width,
              wide: [...wide, ...spilled].slice(0, 5),
            };
          });
          assert.ok(
            overflow.scroll <= overflow.width,
            `${width}px ${language} ${hash}: ${JSON.stringify(overflow)}`,
          );
          assert.deepEqual(overflow.wide, [], `${width}px ${language} ${hash}`);
          const split = await page.evaluate(() =>
            // Every text with a percentage sign in a figure: cells, summary figures, their parts.
            [...document.querySelectorAll('td, dd, small, .pct')]
              .filter((e) => e.children.length === 0 || e.classList.contains('pct'))
              .filter((e) => /%/.test(e.textContent ?? ''))
              .filter((e) => {
                const range = document.createRange();
                range.selectNodeContents(e);
                const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                return lines.size > 1;
              })
              .map((e) => e.textContent),
          );
          assert.deepEqual(split, [], `${width}px ${language} ${hash}: percentages split`);
        }
      }
      if (width === 390) {
        await page.addInitScript(() => localStorage.setItem('openprep-language', 'es'));
        await page.goto(`${base}/#/PRES`);
        await page.locator('h1', { hasText: 'Nacional' }).waitFor();
        await screenshot(page, 'nacional-phone-390');
      }
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  }
});

test('the verify page says which cut it checked, and that the signed pointer moved on meanwhile', {
  skip,
}, async () => {
  const { page, problems, close } = await openPage({ viewport: { width: 1280, height: 900 } });
  const root = path.join(work, 'pointer-moved');
  await cp(cuts, root, { recursive: true });
  const ids = (await readdir(root)).filter((name) => /^\d{8}_\d{4}$/.test(name)).sort();
  const earlier = ids.at(-2)!;
  const pointer = await readFile(path.join(root, 'latest.json'), 'utf8');
  await writeFile(path.join(root, 'latest.json'), pointer.replace(latestCut, earlier));
  const server = await startCutServer({ root, site, port: 0 });
  try {
    // The reader opened the page on the earlier cut; the newer one is published (its signed
    // pointer written) before the reader presses "Verificar".
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/?poll=300#/verificar`);
    await page.locator('h1', { hasText: earlier }).waitFor();
    await writeFile(path.join(root, 'latest.json'), pointer);
    await page.locator('textarea#llave').fill(publicKey);
    await page.getByRole('button', { name: 'Verificar', exact: true }).click();
    await page.locator('.verdict').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('.checked-cut').getAttribute('data-checked'), earlier);
    assert.match(
      (await page.locator('.checked-cut').textContent()) ?? '',
      new RegExp(`Se verificó el corte ${earlier}`),
    );
    assert.equal(await page.locator('.pointer-moved').getAttribute('data-pointer'), latestCut);
    assert.match((await page.locator('.pointer-moved').textContent()) ?? '', /se publicó un corte nuevo/);
    assert.deepEqual(await untranslated(page, 'verificar (apuntador movido)'), []);
    await screenshot(page, 'verify-pointer-moved');
    assert.deepEqual(problems, []);
  } finally {
    await close();
    await new Promise((resolve) => server.close(resolve));
  }
});
