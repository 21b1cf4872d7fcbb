/**
 * `openprep demo code [USERNAME] [--data DIR]`: the current 6-digit code of a demo account
 * (docs/demo.md), for whoever has no authenticator app at hand. Only for the demo's own
 * accounts, whose seeds the demo wrote to its data folder.
 */
import process from 'node:process';
import { currentCode, readDemoAccounts } from '../demo/console_accounts.ts';
import { parseCommandArgs } from './args.ts';
import { demoCode } from './commands.ts';

export async function runDemoCode(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, demoCode.options);
  if (!parsed.ok) {
    process.stderr.write(`openprep demo code: ${parsed.message}\n`);
    return 2;
  }
  const [username, ...extra] = parsed.value.positionals;
  if (extra.length > 0) {
    process.stderr.write('openprep demo code: give one username at most\n');
    return 2;
  }
  const accounts = await readDemoAccounts(parsed.value.options.data);
  if (!accounts.ok) {
    process.stderr.write(`openprep demo code: ${accounts.message}\n`);
    return 1;
  }
  const account =
    username === undefined ? accounts.value[0]! : accounts.value.find((a) => a.username === username);
  if (account === undefined) {
    process.stderr.write(
      `openprep demo code: no demo account ${username}; there are ${accounts.value.map((a) => a.username).join(', ')}\n`,
    );
    return 1;
  }
  const { code, seconds } = currentCode(account.seed, Date.now());
  process.stdout.write(`${code}\n`);
  // Beside the code, not with it: `$(openprep demo code …)` is the code alone.
  process.stderr.write(`(${account.username}: good for ${seconds} s more, for one sign-in)\n`);
  return 0;
}
