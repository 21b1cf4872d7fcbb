/**
 * The operators' console served by a real center on loopback, with Debian's Chromium to drive
 * it: what the console's browser tests share. `signIn` opens a watched tab (console errors and
 * warnings, page errors and CSP violations collected in `problems`) and signs in through the
 * form with the password and the operator's current TOTP code.
 */
import { totp } from '../auth/totp.ts';
import type { Browser } from 'playwright-core';
import { assertAccessible, launchChromium, openWatchedPage } from './browser.ts';
import {
  type MovingClock,
  PASSWORD,
  type ServedCenter,
  type ServedCenterOptions,
  startServedCenter,
} from './served_center.ts';

export interface SignInOptions {
  readonly password?: string;
  /** English is chosen on the sign-in screen, with the language button, as a person does. */
  readonly language?: 'es' | 'en';
  /** Run axe-core on the filled sign-in form before sending it. */
  readonly checkSignIn?: boolean;
  /** Console messages that are not faults (e.g. the browser's own log of a refusal the test provokes). */
  readonly ignore?: RegExp;
}

export interface ConsoleCenter extends ServedCenter {
  readonly browser: Browser;
  signIn(username: string, options?: SignInOptions): ReturnType<typeof openWatchedPage>;
}

export async function startConsoleCenter(
  options: Omit<ServedCenterOptions, 'console' | 'clock'> & { readonly clock: MovingClock },
): Promise<ConsoleCenter> {
  const { clock } = options;
  const center = await startServedCenter({ ...options, console: true });
  const browser = await launchChromium();
  /** The TOTP step of each operator's last sign-in through the form. */
  const lastStep = new Map<string, number>();
  return {
    ...center,
    browser,
    async signIn(username, { password = PASSWORD, language = 'es', checkSignIn = false, ignore } = {}) {
      const watched = await openWatchedPage(browser, { viewport: { width: 1280, height: 900 } }, { ignore });
      const { page } = watched;
      await page.goto(`${center.base}/consola/`);
      if (language === 'en') await page.getByRole('button', { name: 'English' }).click();
      await page.locator('#username').fill(username);
      await page.locator('#password').fill(password);
      // A TOTP code is good once: signing in again within the same 30 s step, a person waits for
      // the next code (the simulated clock moves on to it).
      const last = lastStep.get(username);
      if (last !== undefined && Math.floor(clock() / 30_000) <= last)
        clock.skip((last + 1) * 30_000 - clock());
      lastStep.set(username, Math.floor(clock() / 30_000));
      await page.locator('#code').fill(totp(center.secrets.get(username)!, clock()));
      if (checkSignIn) await assertAccessible(page, 'sign-in');
      await page.keyboard.press('Enter');
      await page.locator('.console-header').waitFor();
      return watched;
    },
    async close() {
      await browser.close();
      await center.close();
    },
  };
}
