/**
 * `openprep <command> …`: finds the command, answers `--help`, `--version` and mistakes
 * (naming the closest command or option), and runs the command. Help goes to stdout with exit
 * 0; a mistake goes to stderr with exit 2.
 */
import packageJson from '../../package.json' with { type: 'json' };
import { closest } from './args.ts';
import { COMMANDS, type Command } from './commands.ts';

export interface CliStreams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

const HELP_FLAGS = new Set(['--help', '-h']);

/** Whether `--help` or `-h` comes before a `--` (after which everything is a positional). */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (HELP_FLAGS.has(arg)) return true;
  }
  return false;
}

export function usage(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `OpenPREP — verifiable preliminary election results

usage: openprep <command> [options]
       openprep <command> --help    its options, their defaults and an example
       openprep --version

${lines.join('\n')}
`;
}

/** What `--help` prints for one command: usage line, every option with its default, examples. */
export function commandHelp(command: Command): string {
  const rows: [string, string][] = [];
  const required: string[] = [];
  for (const [name, option] of Object.entries(command.options)) {
    const left = `--${name}${option.value !== undefined ? ` ${option.value}` : ''}`;
    // The default is what the schema itself gives for an absent option: the one the parser uses.
    const absent = option.schema.safeParse(undefined);
    let note = '';
    if (!absent.success) {
      note = ' (required)';
      required.push(left);
    } else if (
      absent.data !== undefined &&
      absent.data !== false &&
      absent.data !== '' &&
      !(Array.isArray(absent.data) && absent.data.length === 0)
    )
      note = ` (default: ${String(absent.data)})`;
    if (option.multiple === true) note += ' (may be repeated)';
    rows.push([left, `${option.help}${note}`]);
  }
  rows.push(['-h, --help', 'show this help']);
  const width = Math.min(28, Math.max(...rows.map(([left]) => left.length)));
  const optionLines = rows.map(([left, right]) =>
    left.length > width ? `  ${left}\n  ${' '.repeat(width)}  ${right}` : `  ${left.padEnd(width)}  ${right}`,
  );
  const usageLine = ['openprep', command.name, command.arguments, ...required, '[options]']
    .filter((part) => part !== undefined)
    .join(' ');
  return `openprep ${command.name} — ${command.summary}

usage: ${usageLine}

options:
${optionLines.join('\n')}

${command.examples.length > 1 ? 'examples' : 'example'}:
${command.examples.map((e) => `  ${e.includes('openprep ') ? e : `openprep ${e}`}`).join('\n')}
`;
}

function unknownCommand(words: string, guess: string | undefined): string {
  return `openprep: unknown command "${words}"${guess !== undefined ? ` (did you mean "${guess}"?)` : ''}\nRun "openprep --help" for the list of commands.\n`;
}

export async function runCli(
  argv: readonly string[],
  io: CliStreams = process,
  commands: readonly Command[] = COMMANDS,
): Promise<number> {
  const [first, second] = argv;
  if (first === undefined) {
    io.stderr.write(usage(commands));
    return 2;
  }
  if (first === '--version') {
    io.stdout.write(`openprep ${packageJson.version}\n`);
    return 0;
  }
  if (HELP_FLAGS.has(first) || first === 'help') {
    const asked = argv.slice(1).join(' ');
    const named = commands.find((c) => c.name === asked);
    if (named !== undefined) io.stdout.write(commandHelp(named));
    else if (asked === '') io.stdout.write(usage(commands));
    else {
      io.stderr.write(
        unknownCommand(
          asked,
          closest(
            asked,
            commands.map((c) => c.name),
          ),
        ),
      );
      return 2;
    }
    return 0;
  }
  const twoWord = second !== undefined ? commands.find((c) => c.name === `${first} ${second}`) : undefined;
  const command = twoWord ?? commands.find((c) => c.name === first);
  if (command === undefined) {
    const group = commands.filter((c) => c.name.startsWith(`${first} `));
    if (group.length > 0 && (second === undefined || HELP_FLAGS.has(second))) {
      // `openprep agent`: the group's commands.
      (second === undefined ? io.stderr : io.stdout).write(usage(group));
      return second === undefined ? 2 : 0;
    }
    if (group.length > 0) {
      const words = `${first} ${second}`;
      io.stderr.write(
        unknownCommand(
          words,
          closest(
            words,
            group.map((c) => c.name),
          ),
        ),
      );
      return 2;
    }
    // A mistyped one-word command, a mistyped group, or both words of a two-word one.
    const names = commands.map((c) => c.name);
    const firstWords = [...new Set(names.map((n) => n.split(' ')[0]!))];
    const guess =
      (second !== undefined && !second.startsWith('-') ? closest(`${first} ${second}`, names) : undefined) ??
      closest(first, firstWords);
    io.stderr.write(unknownCommand(first, guess));
    return 2;
  }
  const args = argv.slice(twoWord !== undefined ? 2 : 1);
  if (asksForHelp(args)) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  return command.run(args);
}
