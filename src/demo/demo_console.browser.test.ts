/**
 * A person joins a running demo: the demo's night plays in-process on its fast clock (ten
 * simulated minutes a real second, images rendered), its site and console served on loopback;
 * a person signs in to the console in a real Chromium with a demo account (the seed read from
 * the file the demo writes) and captures three actas by keyboard alone while the simulated
 * capturistas work and cuts go on being published. Each capture is accepted: the hold on an
 * acta runs on the wall clock, the simulated capturistas take no place the person holds, and
 * they leave the person a share of the actas.
 *
 * Skipped, saying so, where no Chromium is installed (.ci/run installs Debian's).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { fromBase32, totp } from '../auth/totp.ts';
import { openCenter } from '../center/node.ts';
import { buildConsole } from '../site/build.ts';
import { launchChromium, openWatchedPage, saveScreenshot, skipWithoutChromium } from '../test/browser.ts';
import { freePortPair } from '../test/ports.ts';
import { readDemoAccounts } from './console_accounts.ts';
import { DEMO_PASSWORD, runDemo } from './demo.ts';

async function until<T>(what: string, probe: () => Promise<T | null>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The latest published cut's id (its local time: later cuts sort after), as the demo's site reads it. */
async function latestCut(site: string): Promise<string> {
  const response = await fetch(`${site}/latest.json`);
  if (response.status !== 200) return '';
  return ((await response.json()) as { cut: string }).cut;
}

/** Plausible values for the acta on screen: 4 top boxes, the vote boxes, the total. */
async function actaValues(page: Page): Promise<string[]> {
  const votes = (await page.locator('input.box').count()) - 5;
  return ['110', '200', '3', '200', ...Array.from({ length: votes }, (_, i) => String(20 + i)), '200'];
}

test('a person signs in to a running demo and captures three actas by keyboard, each accepted, while the simulated capturistas work', {
  skip: skipWithoutChromium,
  timeout: 300_000,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-demo-person-'));
  const consoleDir = path.join(work, 'console');
  await buildConsole(consoleDir);
  const port = await freePortPair();
  const site = `http://127.0.0.1:${port}`;
  const stop = new AbortController();
  const log: string[] = [];
  const night = runDemo({
    root: path.join(work, 'demo'),
    scale: 'tiny',
    seed: 17,
    untilClose: false,
    serve: true,
    port,
    speed: 10,
    cutEvery: 5,
    reset: false,
    consoleDir,
    log: (line) => log.push(line),
    signal: stop.signal,
  });
  const browser = await launchChromium();
  const keys: string[] = [];
  let operatorId = '';
  try {
    // The console is served once the demo has made its accounts and said how to sign in.
    await until(
      'the console',
      async () => (log.some((l) => l.includes('6-digit code:')) ? true : null),
      60_000,
    );
    const accounts = await readDemoAccounts(path.join(work, 'demo'));
    assert.ok(accounts.ok, accounts.ok ? '' : accounts.message);
    const account = accounts.value.find((a) => a.username === 'demo.captura1');
    assert.ok(account !== undefined);

    const { page, problems, close } = await openWatchedPage(browser, {
      viewport: { width: 1280, height: 900 },
    });
    try {
      await page.goto(`http://localhost:${port + 1}/consola/`);
      await page.locator('#username').fill(account.username);
      await page.locator('#password').fill(DEMO_PASSWORD);
      await page.locator('#code').fill(totp(fromBase32(account.seed), Date.now()));
      await page.keyboard.press('Enter');
      await page.locator('.console-header').waitFor();
      operatorId = await page.evaluate(
        async () => ((await (await fetch('/api/v1/me')).json()) as { id: string }).id,
      );
      const cutBefore = await latestCut(site);

      for (let n = 0; n < 3; n++) {
        // The queue fills as actas arrive (the night's 21:00 is a few real seconds away).
        const shown = page.locator('.acta-key');
        await shown.waitFor({ timeout: 120_000 });
        const key = (await shown.textContent()) ?? '';
        if (n === 0) {
          // The acta's image, as the demo rendered it, turned upright and cropped to the sheet.
          await page.waitForFunction(() => {
            const img = document.querySelector<HTMLImageElement>('.acta-image img');
            return img?.complete === true && img.naturalWidth > 0;
          });
          await saveScreenshot(page, path.join(work, 'screenshots'), 'demo-person-capture');
          // A person reads the first acta slowly: eight real seconds, over an hour of the night's
          // clock. The acta stays theirs: its hold runs on the wall clock.
          await new Promise((resolve) => setTimeout(resolve, 8_000));
        }
        for (const value of await actaValues(page)) {
          await page.keyboard.type(value);
          await page.keyboard.press('Enter');
        }
        const message = page.locator('.message');
        await message
          .filter({ hasText: new RegExp(`Acta ${key} registrada|No se registró|Falta`) })
          .waitFor();
        assert.equal(
          await message.textContent(),
          `Acta ${key} registrada.`,
          `capture ${n + 1} of acta ${key}`,
        );
        keys.push(key);
      }
      // Meanwhile the night went on: the simulated capturistas captured and cuts were published.
      assert.ok((await latestCut(site)) > cutBefore, 'cuts were published while the person typed');
      // Chromium reports any refused request as a console error: there must be none.
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  } finally {
    await browser.close();
    stop.abort();
    const ended = await night;
    if (ended.ok) await ended.value.close();
  }
  assert.equal(new Set(keys).size, 3, keys.join());
  // In the center: each of the three actas carries the person's capture beside the simulated ones.
  const node = await openCenter({ root: path.join(work, 'demo'), clock: Date.now });
  assert.ok(node.ok, node.ok ? '' : node.message);
  try {
    const { records } = await node.value.records.snapshot();
    const theirs = records.filter((r) => r.captures.some((c) => c.operatorId === operatorId));
    assert.deepEqual(theirs.map((r) => r.actaKey).sort(), [...keys].sort());
  } finally {
    await node.value.close();
    await rm(work, { recursive: true, force: true });
  }
});
