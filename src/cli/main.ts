/**
 * `openprep <command> …` — the command line. Every argument is parsed at this boundary;
 * commands return an exit code and never throw for expected failures.
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { COMMANDS, usage } from './commands.ts';

async function main(argv: readonly string[]): Promise<number> {
  const [first, second, ...rest] = argv;
  if (first === '--version') {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`${manifest.version}\n`);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(usage());
    return first === undefined ? 2 : 0;
  }
  const twoWord = second !== undefined ? COMMANDS.find((c) => c.name === `${first} ${second}`) : undefined;
  const command = twoWord ?? COMMANDS.find((c) => c.name === first);
  if (command === undefined) {
    process.stderr.write(
      `openprep: unknown command "${[first, second].filter(Boolean).join(' ')}"\n\n${usage()}`,
    );
    return 2;
  }
  const args = twoWord !== undefined ? rest : argv.slice(1);
  return command.run(args);
}

process.exitCode = await main(process.argv.slice(2));
