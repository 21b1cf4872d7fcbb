/**
 * `openprep signer backup` and `signer recover`: the election's key split among custodians and
 * rebuilt from their shares (src/journal/key_backup.ts; docs/deployment.md, "The signer" for the
 * shares, "Restore" for the rebuild). A module of its own, so that the signer service does not
 * load the secret-sharing package.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {
  formatShare,
  type KeyShare,
  parseShare,
  recoverSigningKey,
  splitSigningKey,
} from '../journal/key_backup.ts';
import { loadSigningKey, verifierKeyText } from '../journal/keys.ts';
import { pathExists, writeFileDurably } from '../platform/durable_file.ts';
import { parseCommandArgs } from './args.ts';
import { signerBackup, signerRecover } from './commands.ts';

const failAs =
  (command: string) =>
  (message: string, code = 1): number => {
    process.stderr.write(`openprep ${command}: ${message}\n`);
    return code;
  };

/** `openprep signer backup`: the key split into share files, one per custodian. */
export async function runSignerBackup(args: readonly string[]): Promise<number> {
  const fail = failAs('signer backup');
  const parsed = parseCommandArgs(args, signerBackup.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  if (parsed.value.positionals.length > 0)
    return fail(`unexpected argument ${parsed.value.positionals[0]}`, 2);
  const key = await loadSigningKey(o.key);
  if (!key.ok) return fail(key.message);
  const shares = await splitSigningKey(key.value, o.shares, o.threshold);
  if (!shares.ok) return fail(shares.message, 2);
  await mkdir(o.out, { recursive: true, mode: 0o700 });
  const files: string[] = [];
  for (const share of shares.value) {
    const file = path.join(o.out, `${share.key}.share-${share.index}-of-${share.shares}.json`);
    if (await pathExists(file)) return fail(`${file} exists: write a new backup to an empty folder`);
    files.push(file);
  }
  for (const [i, share] of shares.value.entries())
    await writeFileDurably(files[i]!, formatShare(share), 0o600);
  const first = shares.value[0]!;
  process.stdout.write(
    `${shares.value.length} shares of ${first.key} (backup ${first.backup}), any ${o.threshold} rebuild it:\n` +
      `${files.map((f) => `  ${f}`).join('\n')}\n` +
      `public key: ${verifierKeyText(key.value)}\n` +
      'Give each file to one custodian and delete it here; none of them alone tells anything about the key.\n',
  );
  return 0;
}

/** `openprep signer recover`: the key rebuilt from K shares, checked against its public key. */
export async function runSignerRecover(args: readonly string[]): Promise<number> {
  const fail = failAs('signer recover');
  const parsed = parseCommandArgs(args, signerRecover.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const files = [o.shares, ...parsed.value.positionals];
  const shares: { share: KeyShare; label: string }[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      return fail(`cannot read ${file}: ${(error as Error).message}`);
    }
    const share = parseShare(text, file);
    if (!share.ok) return fail(share.message);
    shares.push({ share: share.value, label: file });
  }
  const recovered = await recoverSigningKey(shares);
  if (!recovered.ok) return fail(recovered.message);
  if (path.basename(o.out, '.key') !== recovered.value.name)
    return fail(
      `the shares are of ${recovered.value.name}: write it to ${recovered.value.name}.key, not ${path.basename(o.out)}`,
      2,
    );
  if (await pathExists(o.out)) return fail(`${o.out} exists: recover into a new file`);
  await mkdir(path.dirname(o.out), { recursive: true, mode: 0o700 });
  await writeFileDurably(
    o.out,
    recovered.value.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    0o600,
  );
  await chmod(o.out, 0o600);
  process.stdout.write(
    `recovered ${o.out} from ${shares.length} shares; its public key: ${verifierKeyText(recovered.value)}\n`,
  );
  return 0;
}
