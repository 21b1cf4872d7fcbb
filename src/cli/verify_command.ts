import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { formatReport, verifyCut } from '../verify/verify.ts';
import { parseCommandArgs } from './args.ts';
import { verify } from './commands.ts';

export async function runVerify(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, verify.options);
  if (!parsed.ok || parsed.value.positionals.length !== 1) {
    process.stderr.write(
      `openprep verify: ${parsed.ok ? 'give exactly one cut folder or zip' : parsed.message}\nRun "openprep verify --help" for its options.\n`,
    );
    return 2;
  }
  const o = parsed.value.options;
  let publicKey = o.key;
  if (!o.key.includes('+')) {
    try {
      publicKey = (await readFile(o.key, 'utf8')).trim();
    } catch (error) {
      process.stderr.write(
        `openprep verify: cannot read the key file ${o.key}: ${(error as Error).message}\n`,
      );
      return 2;
    }
  }
  const report = await verifyCut({
    cut: parsed.value.positionals[0]!,
    publicKey,
    ...(o.previous !== undefined ? { previous: o.previous } : {}),
    ...(o.images !== undefined ? { images: o.images } : {}),
    ...(o.catalog !== undefined ? { catalog: o.catalog } : {}),
    ...(o.mode !== undefined ? { expectMode: o.mode } : {}),
  });
  process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}
