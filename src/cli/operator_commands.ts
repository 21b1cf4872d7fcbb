/**
 * `openprep operator add|list|enroll-totp|recertify|password` and `openprep accounts purge`. Run by an
 * administrator on the center itself: the password is read from standard input (never from
 * the command line, where `ps` and shell history would keep it), and the TOTP seed is shown
 * once, to be scanned in person.
 */
import process from 'node:process';
import { Accounts } from '../auth/accounts.ts';
import { openBreachCorpus } from '../auth/breached_passwords.ts';
import { type CenterNode, openCenter } from '../center/node.ts';
import { parseCommandArgs, readStdin } from './args.ts';
import {
  accountsPurge,
  operatorAdd,
  operatorEnrollTotp,
  operatorList,
  operatorPassword,
  operatorRecertify,
} from './commands.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (command: string, message: string, code = 1): number => {
  process.stderr.write(`openprep ${command}: ${message}\n`);
  return code;
};

/** The corpus serve checks passwords against (OPENPREP_BREACHED_PASSWORDS), so a command checks the same. */
export function configuredCorpusPath(): string | undefined {
  const path = process.env['OPENPREP_BREACHED_PASSWORDS'];
  return path === undefined || path === '' ? undefined : path;
}

async function withAccounts(
  command: string,
  data: string,
  work: (accounts: Accounts, node: CenterNode) => Promise<number>,
): Promise<number> {
  const breached = await openBreachCorpus(configuredCorpusPath());
  if (!breached.ok) return fail(command, breached.message);
  const node = await openCenter({ root: data, clock: Date.now });
  if (!node.ok) return fail(command, node.message);
  try {
    const secrets = await node.value.secrets();
    if (!secrets.ok) return fail(command, secrets.message);
    return await work(await Accounts.open(node.value, Date.now, { breached: breached.value }), node.value);
  } finally {
    await node.value.close();
  }
}

export async function runOperatorAdd(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, operatorAdd.options);
  if (!parsed.ok) return fail('operator add', parsed.message, 2);
  const o = parsed.value.options;
  const password = await readStdin();
  return withAccounts('operator add', o.data, async (accounts) => {
    const added = await accounts.addOperator({
      username: o.username,
      name: o.name,
      role: o.role,
      scope: o.scope,
      password,
      expiresAt: o.expires === undefined ? null : Date.parse(o.expires),
      by: 'cli',
    });
    if (!added.ok) return fail('operator add', added.message, added.code === 'username-taken' ? 1 : 2);
    out(
      `operator ${added.value.operator.username} (${added.value.operator.role}, ${added.value.operator.scope}) created`,
    );
    out(`TOTP: scan this in the authenticator app, in person; it is not shown again:`);
    out(added.value.totpUri);
    return 0;
  });
}

export async function runOperatorList(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, operatorList.options);
  if (!parsed.ok) return fail('operator list', parsed.message, 2);
  return withAccounts('operator list', parsed.value.options.data, async (_accounts, node) => {
    for (const o of await node.operators.operators())
      out(
        `${o.username}\t${o.role}\t${o.scope}\t${o.totpSealed === null ? 'must enrol TOTP' : 'active'}${o.lockedUntil !== null && o.lockedUntil > Date.now() ? '\tthrottled (failed sign-ins)' : ''}${o.mustChangePassword !== undefined ? `\tmust change password (${o.mustChangePassword})` : ''}`,
      );
    return 0;
  });
}

export async function runOperatorEnrollTotp(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, operatorEnrollTotp.options);
  if (!parsed.ok) return fail('operator enroll-totp', parsed.message, 2);
  return withAccounts('operator enroll-totp', parsed.value.options.data, async (accounts) => {
    const enrolled = await accounts.enrollTotp(parsed.value.options.username, 'cli');
    if (!enrolled.ok) return fail('operator enroll-totp', enrolled.message);
    out('new TOTP seed; the previous one and every open session are revoked:');
    out(enrolled.value.totpUri);
    return 0;
  });
}

export async function runOperatorRecertify(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, operatorRecertify.options);
  if (!parsed.ok) return fail('operator recertify', parsed.message, 2);
  return withAccounts('operator recertify', parsed.value.options.data, async (accounts, node) => {
    const done = await accounts.recertify(parsed.value.options.username, 'cli');
    if (!done.ok) return fail('operator recertify', done.message);
    out(`${done.value.username} is certified for ${node.pipeline.election.id}`);
    return 0;
  });
}

export async function runAccountsPurge(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, accountsPurge.options);
  if (!parsed.ok) return fail('accounts purge', parsed.message, 2);
  const o = parsed.value.options;
  return withAccounts('accounts purge', o.data, async (accounts) => {
    const purged = await accounts.purge({ scope: o.scope, reason: o.reason, by: 'cli' });
    if (!purged.ok) return fail('accounts purge', purged.message, 2);
    out(
      `purged ${o.scope}: ${purged.value.operators} operators must enrol again, ${purged.value.sessions} sessions and ${purged.value.devices} devices revoked`,
    );
    return 0;
  });
}

export async function runOperatorPassword(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, operatorPassword.options);
  if (!parsed.ok) return fail('operator password', parsed.message, 2);
  const o = parsed.value.options;
  const password = await readStdin();
  return withAccounts('operator password', o.data, async (accounts) => {
    const reset = await accounts.resetPassword({ username: o.username, password, by: 'cli' });
    if (!reset.ok)
      return fail(
        'operator password',
        reset.message,
        reset.code === 'no-such-operator' || reset.code === 'breach-check-unavailable' ? 1 : 2,
      );
    out(
      `${reset.value.username}: new password set; their sessions are ended and they must change it at their next sign-in`,
    );
    return 0;
  });
}
