/**
 * What the browser tests share: Debian's Chromium (skipped, saying so, where it is absent),
 * axe-core's WCAG 2.x A/AA rules on a page (serious and critical violations fail), screenshots
 * (to OPENPREP_SCREENSHOTS when set — how docs/screenshots is made), and Chromium's virtual
 * WebAuthn authenticator, which signs real assertions.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env['OPENPREP_CHROMIUM'] ?? '/usr/bin/chromium';
/** `false`, or why the browser tests are skipped here. */
export const skipWithoutChromium: false | string = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}`;

const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  readonly id: string;
  readonly impact: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

export async function assertAccessible(page: Page, where: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (context: Document, options: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  })) as { id: string; impact: string; targets: string[] }[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${where}: ${JSON.stringify(bad)}`);
}

/** A screenshot of the viewport, into OPENPREP_SCREENSHOTS or else `fallbackFolder`. */
export async function saveScreenshot(page: Page, fallbackFolder: string, name: string): Promise<void> {
  const folder = process.env['OPENPREP_SCREENSHOTS'] ?? fallbackFolder;
  await mkdir(folder, { recursive: true });
  await page.screenshot({ path: path.join(folder, `${name}.png`) });
}

/** Chromium's virtual platform authenticator for this page: user verification always passes. */
export async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/** Debian's Chromium, headless, as every browser test drives it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * A page that collects console errors and warnings, page errors and CSP violations in
 * `problems`, and the paths it fetched in `fetched`, in Spanish and central Mexico time unless
 * the options say otherwise; console messages `watch.ignore` matches are not problems.
 */
export async function openWatchedPage(
  browser: Browser,
  options: Parameters<Browser['newContext']>[0] = {},
  watch: { readonly ignore?: RegExp | undefined } = {},
) {
  const context = await browser.newContext({
    locale: 'es-MX',
    timezoneId: 'America/Mexico_City',
    ...options,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const fetched: string[] = [];
  page.on('console', (message) => {
    if (watch.ignore?.test(message.text())) return;
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => fetched.push(new URL(request.url()).pathname));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  return { page, problems, fetched, close: () => context.close() };
}
