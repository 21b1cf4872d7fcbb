/**
 * Gossip on the site, in a real Chromium: a reader on the center's verify page compares the
 * cut they received with two real mirrors (`openprep mirror`'s code, each following its own
 * center over loopback) — one that received the same cut, one fed a forked history signed with
 * the same key — and with no key pasted. The page's policy allows `https:` mirrors only, so the
 * mirrors are reached under https names that the browser's router hands to their loopback
 * servers: the page's fetches, the policy and the mirrors' CORS answers are the real ones.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Mirror } from '../mirror/mirror.ts';
import { startMirrorServer } from '../mirror/serve.ts';
import {
  assertAccessible,
  launchChromium,
  openWatchedPage,
  saveScreenshot,
  skipWithoutChromium,
} from '../test/browser.ts';
import {
  type Center,
  closeServer,
  forkCut,
  type Night,
  playNight,
  startCenter,
} from '../demo/mirror_night.ts';
import { englishOnly, findUntranslated } from '../test/untranslated.ts';
import { buildSite } from './build.ts';
import { WORDS } from './i18n.ts';

const skip = skipWithoutChromium;
const SAME = 'https://espejo-unam.example/';
const FORKED = 'https://espejo-diario.example/';

let work: string;
let night: Night;
let center: Center;
let centerB: Center;
let servers: Server[] = [];
let browser: Browser;
let cutId: string;

async function mirrorOf(label: string, of: Center): Promise<string> {
  const opened = await Mirror.open({
    center: of.url,
    publicKey: night.publicKey,
    data: path.join(work, label),
  });
  assert.ok(opened.ok);
  await opened.value.poll();
  assert.equal(opened.value.latest()?.cut, cutId);
  const server = await startMirrorServer(opened.value, { port: 0 });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

let loopback: Record<string, string>;

before(async () => {
  if (skip !== false) return;
  work = await mkdtemp(path.join(tmpdir(), 'openprep-compare-'));
  const site = path.join(work, 'site');
  [night] = await Promise.all([playNight(work, 240), buildSite(site)]);
  const ids = night.cutIds.slice(0, 3);
  cutId = ids.at(-1)!;
  center = await startCenter(path.join(work, 'center'), night, site);
  await center.publish(ids);
  // The list of mirrors the site offers, beside the cuts.
  await writeFile(path.join(center.root, 'mirrors.json'), JSON.stringify({ mirrors: [SAME, FORKED] }));
  centerB = await startCenter(path.join(work, 'center-b'), night);
  await forkCut(night, cutId, path.join(work, 'fork'));
  await centerB.publish(ids.slice(0, -1));
  await centerB.publish([cutId], path.join(work, 'fork'));
  loopback = {
    [SAME]: await mirrorOf('mirror-same', center),
    [FORKED]: await mirrorOf('mirror-forked', centerB),
  };
  browser = await launchChromium();
});

after(async () => {
  if (skip !== false) return;
  await browser?.close();
  for (const server of servers) await closeServer(server);
  servers = [];
  await center?.close();
  await centerB?.close();
  await rm(work, { recursive: true, force: true });
});

async function routeMirrors(page: Page): Promise<void> {
  for (const [name, real] of Object.entries(loopback))
    await page.route(`${name}**`, async (route) => {
      const url = new URL(route.request().url());
      const response = await route.fetch({ url: new URL(url.pathname.slice(1), real).href });
      await route.fulfill({ response });
    });
}

async function compare(page: Page, mirror: string): Promise<string> {
  await page.locator('input#espejo').fill(mirror);
  await page.getByRole('button', { name: 'Comparar', exact: true }).click();
  const result = page.locator('.compare-result');
  await result.waitFor();
  return (await result.getAttribute('data-result')) ?? '';
}

test('the verify page compares the cut received with a mirror: match, a signed split view, and no key', {
  skip,
}, async () => {
  const { page, problems, close } = await openWatchedPage(browser, {
    viewport: { width: 1280, height: 900 },
  });
  try {
    await routeMirrors(page);
    await page.goto(`${center.url}#/verificar`);
    await page.locator('h1', { hasText: cutId }).waitFor();
    // The site's list, offered when the reader goes to the field.
    await page.locator('input#espejo').focus();
    await page.locator('.known-mirrors button', { hasText: SAME }).waitFor();
    await page.locator('.known-mirrors button', { hasText: SAME }).click();
    assert.equal(await page.locator('input#espejo').inputValue(), SAME);
    await page.locator('textarea#llave').fill(night.publicKey);

    assert.equal(await compare(page, SAME), 'match');
    assert.match((await page.locator('.compare-result').textContent()) ?? '', /Coincide: el espejo/);
    await assertAccessible(page, 'verificar (comparar con un espejo)');
    await saveScreenshot(page, path.join(work, 'screenshots'), 'compare-match');

    assert.equal(await compare(page, FORKED), 'split');
    const said = (await page.locator('.compare-result').textContent()) ?? '';
    assert.match(said, /NO coincide/);
    assert.match(said, /también firmada con la llave de la elección/);
    assert.equal(await page.locator('.compare-result code').count(), 2);
    await saveScreenshot(page, path.join(work, 'screenshots'), 'compare-split');

    // Without the key the page can only say the versions differ.
    await page.locator('textarea#llave').fill('');
    assert.equal(await compare(page, FORKED), 'mismatch');
    // A mirror that does not answer.
    assert.equal(await compare(page, 'https://espejo-caido.example/'), 'unreachable');
    const english = await findUntranslated(page, englishOnly(WORDS.es, WORDS.en));
    assert.deepEqual(english, []);
    // The unknown mirror's name does not resolve; nothing else went wrong, no policy was violated.
    assert.deepEqual(
      problems.filter((p) => !p.includes('ERR_NAME_NOT_RESOLVED')),
      [],
    );
  } finally {
    await close();
  }
});

test('a plain http mirror is refused by the page policy, and the reader is told', { skip }, async () => {
  const { page, problems, close } = await openWatchedPage(browser, {
    viewport: { width: 1280, height: 900 },
  });
  try {
    await page.goto(`${center.url}#/verificar`);
    await page.locator('h1', { hasText: cutId }).waitFor();
    assert.equal(await compare(page, loopback[SAME]!), 'unreachable');
    assert.ok(
      problems.some((p) => p.includes('CSP violation: connect-src')),
      problems.join('\n'),
    );
  } finally {
    await close();
  }
});
