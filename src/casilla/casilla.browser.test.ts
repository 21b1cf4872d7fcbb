/**
 * PREP Casilla in a real Chromium (Debian's, driven by playwright-core) with a phone's
 * viewport, against a real center on loopback: a coordinator enrols the phone; a blurred photo
 * is refused on the phone with advice; a good one is taken with no network; the browser is
 * closed and reopened, still offline, and the app opens from its cache with the acta waiting;
 * the network returns and the acta is delivered with a receipt the phone has verified.
 *
 * Skipped, saying so, where no Chromium is installed (.ci/run installs Debian's).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, devices } from 'playwright-core';
import { fromBase32, totp } from '../auth/totp.ts';
import { type CenterNode, initCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { type FaultProxy, startFaultProxy } from '../drill/fault_proxy.ts';
import { buildServer, type ServerHandle } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { testActaImage } from '../test/actas.ts';
import { servesWholeCatalog } from '../test/packages.ts';

const CHROMIUM = process.env['OPENPREP_CHROMIUM'] ?? '/usr/bin/chromium';
const PASSWORD = 'una frase larga que nadie adivina';
const catalog = generateCatalog({ scale: 'tiny', seed: 21 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
const started = Date.now();
const clock = () => Date.parse(election.publicationStart) + 3_600_000 + (Date.now() - started);

let work: string;
let node: CenterNode;
let server: ServerHandle;
let base: string;
let secret: Buffer;
let network: FaultProxy;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-casilla-'));
  const created = await initCenter({ root: path.join(work, 'center'), election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  // The CAE whose phone the test enrols (below, as a coordinator does) is assigned its casillas.
  await servesWholeCatalog(node.devices, catalog, 'CAE-0101-07', { kind: 'CAE', at: clock() });
  server = await buildServer({
    node,
    config: serveConfigSchema.parse({ logLevel: 'silent' }),
    clock,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  // The phone's network: a proxy that passes everything, or nothing (drop=1) when it is gone —
  // for the page and its service worker alike, which the browser's offline switch is not.
  network = await startFaultProxy({
    target: `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`,
    rates: {},
    seed: 1,
  });
  // localhost: a secure context for the service worker and the __Host- session cookie.
  base = network.url.replace('127.0.0.1', 'localhost');
  const added = await server.accounts.addOperator({
    username: 'coral.coordina',
    name: 'Coral',
    role: 'coordinador',
    scope: 'catd:CATD-1',
    password: PASSWORD,
    expiresAt: null,
    by: 'test',
  });
  assert.ok(added.ok, added.ok ? '' : added.message);
  secret = fromBase32(added.value.totpSecret);
});

after(async () => {
  await network?.close();
  await server?.app.close();
  await node?.close();
  await rm(work, { recursive: true, force: true });
});

test('PREP Casilla: enrol, refuse a blurred photo, take one offline, close and reopen, deliver with a verified receipt', {
  skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`,
}, async () => {
  const profile = path.join(work, 'phone-profile');
  const phone = { ...devices['Pixel 7']!, locale: 'es-MX', timezoneId: 'America/Mexico_City' };
  const launch = (offline: boolean) =>
    chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--no-sandbox'],
      ...phone,
      offline,
    });
  const actaKey = [...actasEsperadas(catalog, election.contests[0]!)][0]!.actaKey;

  let context = await launch(false);
  try {
    const page = await context.newPage();
    await page.goto(`${base}/casilla/`);
    await page.locator('#registro').waitFor();
    await page.fill('input[name=username]', 'coral.coordina');
    await page.fill('input[name=password]', PASSWORD);
    await page.fill('input[name=code]', totp(secret, clock()));
    await page.fill('input[name=deviceId]', 'CAE-TEL-01');
    await page.fill('input[name=boundTo]', 'CAE-0101-07');
    await page.click('#form-registro button');
    await page.locator('#captura').waitFor();
    const enrolled = await node.devices.getDevice('CAE-TEL-01');
    assert.equal(enrolled?.origin, 'CASILLA');
    // The app shell is cached once the service worker is in charge.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });

    network.setRates({ drop: 1 });
    await context.setOffline(true);
    await page.fill('input[name=claimedKey]', actaKey);
    // A photo of the acta taken with a shaking hand.
    await page.setInputFiles('input[name=photo]', {
      name: 'acta.jpg',
      mimeType: 'image/jpeg',
      buffer: (await testActaImage({ actaKey, style: 'phone', defects: ['motion_blur'] })).png,
    });
    await page.locator('#calidad.rechazo').waitFor();
    assert.match((await page.locator('#calidad').textContent()) ?? '', /movida: sostenga el teléfono firme/);
    assert.ok(await page.locator('#form-acta button').isDisabled());

    await page.setInputFiles('input[name=photo]', {
      name: 'acta.jpg',
      mimeType: 'image/jpeg',
      buffer: (await testActaImage({ actaKey, style: 'phone' })).png,
    });
    await page.locator('#calidad.aceptada').waitFor();
    await page.click('#form-acta button');
    await page.locator('#lista li[data-state=pending]').waitFor();
  } finally {
    await context.close();
  }
  assert.equal(await node.devices.packageCount('CAE-TEL-01'), 0, 'nothing reached the center offline');

  // The browser reopened hours later, still with no network: the app opens from its cache.
  context = await launch(true);
  try {
    const page = await context.newPage();
    await page.goto(`${base}/casilla/`);
    await page.locator('#lista li[data-state=pending]').waitFor();
    assert.match((await page.locator('#red').textContent()) ?? '', /Sin red/);

    network.setRates({});
    await context.setOffline(false);
    await page.locator('#lista li[data-state=delivered]').waitFor({ timeout: 30_000 });
    assert.match(
      (await page.locator('#lista li[data-state=delivered] .acuse').textContent()) ?? '',
      /^Acuse verificado/,
    );
    assert.equal(await page.locator('#lista li').count(), 1, 'the blurred photo was never queued');
  } finally {
    await context.close();
  }
  assert.equal(await node.devices.packageCount('CAE-TEL-01'), 1);
});
