/**
 * How a person joins the demo's console: the demo accounts' file (written by the demo on its
 * first run, beside its data: usernames, roles, the shared password and each TOTP seed), the
 * lines the terminal shows at every start, and the current 6-digit code of an account for
 * whoever has no authenticator app at hand (`openprep demo code`). A drill on one's own
 * machine: no election keeps passwords or seeds in a file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fromBase32, totp } from '../auth/totp.ts';
import { pathExists } from '../platform/durable_file.ts';
import { err, ok, type Result } from '../domain/result.ts';

export function demoAccountsFile(root: string): string {
  return path.join(root, 'consola-demo.txt');
}

export interface DemoAccount {
  readonly username: string;
  readonly role: string;
  /** The TOTP seed, base32. */
  readonly seed: string;
}

/** The demo accounts listed in the data folder's file, in its order. */
export async function readDemoAccounts(root: string): Promise<Result<DemoAccount[], 'no-accounts'>> {
  const file = demoAccountsFile(root);
  if (!(await pathExists(file)))
    return err(
      'no-accounts',
      `no demo accounts at ${file}: the demo writes them on its first run with the console (start over with --reset)`,
    );
  const accounts: DemoAccount[] = [];
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const match = /^(\S+) \(([a-z]+)\): TOTP ([A-Z2-7]+) /.exec(line);
    if (match !== null) accounts.push({ username: match[1]!, role: match[2]!, seed: match[3]! });
  }
  if (accounts.length === 0) return err('no-accounts', `${file} lists no demo account`);
  return ok(accounts);
}

/** An account's code now, and the whole seconds it stays current (it is good once). */
export function currentCode(seed: string, now: number): { readonly code: string; readonly seconds: number } {
  return { code: totp(fromBase32(seed), now), seconds: 30 - Math.floor((now / 1000) % 30) };
}

/** What the terminal says about the console at every start: where, who, and how to sign in. */
export async function consoleHowTo(options: {
  readonly port: number;
  readonly root: string;
  readonly password: string;
  /** One capture of one acta in this many is left to people (0: none). */
  readonly every: number;
}): Promise<string[]> {
  const accounts = await readDemoAccounts(options.root);
  const lines = [`Operators' console (SIMULACRO) at http://localhost:${options.port}/consola/`];
  if (!accounts.ok) return [...lines, `  ${accounts.message}`];
  const first = accounts.value.find((a) => a.role === 'capturista') ?? accounts.value[0]!;
  lines.push(
    `  users: ${accounts.value.map((a) => `${a.username} (${a.role})`).join(', ')}`,
    `  password: ${options.password}`,
    `  6-digit code: npx openprep demo code ${first.username} --data ${options.root}` +
      ` — or add the TOTP seed in ${demoAccountsFile(options.root)} to an authenticator app`,
  );
  if (options.every > 0)
    lines.push(
      `  while someone captures there, the simulated capturistas leave them one capture of ${options.every === 1 ? 'every acta' : `about one acta in ${options.every}`}`,
    );
  return lines;
}
