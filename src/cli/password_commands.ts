/**
 * `openprep passwords corpus` (a breached-password corpus from a curated list, in either
 * layout the center reads) and `openprep passwords recheck` (every kept password fingerprint
 * against a corpus: docs/security-operations.md, "Breached passwords").
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { Accounts } from '../auth/accounts.ts';
import { corpusHashes, openBreachCorpus, rangeFiles, sortedCorpusText } from '../auth/breached_passwords.ts';
import { openCenter } from '../center/node.ts';
import { syncDirectory, writeFileDurably } from '../platform/durable_file.ts';
import { parseCommandArgs } from './args.ts';
import { passwordsCorpusBuild, passwordsRecheck } from './commands.ts';
import { configuredCorpusPath } from './operator_commands.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (command: string, message: string, code = 1): number => {
  process.stderr.write(`openprep ${command}: ${message}\n`);
  return code;
};

export async function runCorpusBuild(args: readonly string[]): Promise<number> {
  const command = 'passwords corpus';
  const parsed = parseCommandArgs(args, passwordsCorpusBuild.options);
  if (!parsed.ok) return fail(command, parsed.message, 2);
  const o = parsed.value.options;
  const [list, ...rest] = parsed.value.positionals;
  if (list === undefined || rest.length > 0) return fail(command, 'give one list file', 2);
  let text: string;
  try {
    text = await readFile(list, 'utf8');
  } catch (error) {
    return fail(command, `cannot read ${list}: ${(error as Error).message}`);
  }
  const hashes = corpusHashes(text, o.from);
  if (!hashes.ok) return fail(command, `${list}: ${hashes.message}`, 2);
  if (o.layout === 'file') await writeFileDurably(o.out, sortedCorpusText(hashes.value));
  else {
    await mkdir(o.out, { recursive: true });
    if ((await readdir(o.out)).length > 0)
      return fail(command, `${o.out} is not empty: a corpus folder is written whole, into a new folder`);
    for (const [name, ranges] of rangeFiles(hashes.value))
      await writeFileDurably(path.join(o.out, name), ranges);
    await syncDirectory(o.out);
  }
  out(
    `${hashes.value.size} hashes written to ${o.out} (${o.layout === 'file' ? 'one sorted file' : 'range files'})`,
  );
  return 0;
}

export async function runRecheck(args: readonly string[]): Promise<number> {
  const command = 'passwords recheck';
  const parsed = parseCommandArgs(args, passwordsRecheck.options);
  if (!parsed.ok) return fail(command, parsed.message, 2);
  const o = parsed.value.options;
  const corpus = await openBreachCorpus(o.corpus ?? configuredCorpusPath());
  if (!corpus.ok) return fail(command, corpus.message);
  const node = await openCenter({ root: o.data, clock: Date.now });
  if (!node.ok) return fail(command, node.message);
  try {
    const secrets = await node.value.secrets();
    if (!secrets.ok) return fail(command, secrets.message);
    const accounts = await Accounts.open(node.value, Date.now, { breached: corpus.value });
    const report = await accounts.recheck(corpus.value, 'cli');
    if (!report.ok) return fail(command, report.message);
    const { checked, withoutFingerprint, marked } = report.value;
    out(`checked ${checked} accounts against ${corpus.value.description}`);
    if (withoutFingerprint > 0)
      out(
        `${withoutFingerprint} accounts keep no fingerprint yet (password set before): checked at their next sign-in`,
      );
    const names = new Map((await accounts.operators()).map((op) => [op.id, op.username]));
    out(
      `${marked.length} must change their password at their next request or sign-in${marked.length > 0 ? ':' : ''}`,
    );
    for (const id of marked) out(`  ${names.get(id) ?? id}`);
    return 0;
  } finally {
    await node.value.close();
  }
}
