import process from 'node:process';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';

/**
 * One option of a command: how node:util reads it, the zod schema that checks its value (and
 * gives its default), and the line `--help` shows. The parser and the help both read this one
 * definition, so they cannot disagree about a name, a default or whether it is required.
 */
export interface OptionDef<S extends z.ZodType = z.ZodType> {
  readonly type: 'string' | 'boolean';
  readonly schema: S;
  readonly help: string;
  /** What the value is, for the help line: `--out FILE`. */
  readonly value?: string;
  /** Given as often as wanted (`--peer A --peer B`): the schema gets an array. */
  readonly multiple?: boolean;
}

export type OptionDefs = Readonly<Record<string, OptionDef>>;

type Shape<O extends OptionDefs> = { -readonly [K in keyof O]: O[K]['schema'] };
export type OptionValues<O extends OptionDefs> = z.infer<z.ZodObject<Shape<O>, z.core.$strict>>;

/** An option with a value, e.g. `valued('DIR', z.string().min(1), 'where to write')`. */
export function valued<S extends z.ZodType>(value: string, schema: S, help: string): OptionDef<S> {
  return { type: 'string', value, schema, help };
}

/** An option given any number of times, e.g. `repeated('URL', z.array(z.url()).default([]), '…')`. */
export function repeated<S extends z.ZodType>(value: string, schema: S, help: string): OptionDef<S> {
  return { type: 'string', value, schema, help, multiple: true };
}

/** An on/off option, off unless given. */
export function flag(help: string): OptionDef<z.ZodDefault<z.ZodBoolean>>;
export function flag<S extends z.ZodType>(help: string, schema: S): OptionDef<S>;
export function flag(help: string, schema: z.ZodType = z.boolean().default(false)): OptionDef {
  return { type: 'boolean', schema, help };
}

export interface ParsedArgs<T> {
  readonly options: T;
  readonly positionals: readonly string[];
}

/**
 * Parses argv with node:util (unknown flags are errors, naming the closest known one) and
 * validates the values with the options' zod schemas, so a command only ever sees typed,
 * checked options.
 */
export function parseCommandArgs<O extends OptionDefs>(
  args: readonly string[],
  options: O,
): Result<ParsedArgs<OptionValues<O>>, 'bad-arguments'> {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  const shape: Record<string, z.ZodType> = {};
  for (const [name, option] of Object.entries(options)) {
    spec[name] = option.multiple === true ? { type: option.type, multiple: true } : { type: option.type };
    shape[name] = option.schema;
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: spec, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /^Unknown option '(-{1,2}[^'=]+)/.exec(message)?.[1];
    if (unknown !== undefined) {
      const guess = closest(unknown.replace(/^-+/, ''), Object.keys(options));
      return err(
        'bad-arguments',
        `unknown option ${unknown}${guess !== undefined ? ` (did you mean --${guess}?)` : ''}`,
      );
    }
    return err('bad-arguments', message);
  }
  const checked = z.strictObject(shape).safeParse(parsed.values);
  if (!checked.success) {
    const problems = checked.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      // zod's "expected string, received undefined" says less than this.
      if (name !== '' && parsed.values[name] === undefined && issue.code === 'invalid_type') {
        const value = options[name]?.value;
        return `--${name}${value !== undefined ? ` ${value}` : ''} is required`;
      }
      return `--${issue.path.join('.')}: ${issue.message}`;
    });
    return err('bad-arguments', problems.join('; '));
  }
  return ok({ options: checked.data as OptionValues<O>, positionals: parsed.positionals });
}

/** Levenshtein distance: how many one-character edits turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate a mistyped word most likely meant: the nearest by edit distance when it is
 * close for its length (a third of it, at least 1 and at most 3 edits), or the only one the
 * word begins (`--phone` → `phone-share`); none when nothing is near.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= limit) return best;
  const prefixed = candidates.filter((c) => word.length >= 3 && c.startsWith(word));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** All of standard input as text, without its final newline (secrets never come as flags). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `--seed N`: what makes a synthetic catalog, night or acta set reproducible (a 32-bit number, 1 by default). */
export const seedOption = z.coerce
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1)
  .default(1);

/**
 * A command's way to give up: the message on stderr, prefixed with the command as the user
 * typed it, and the exit code (1 by default; 2 for a usage error).
 */
export const failWith =
  (command: string) =>
  (message: string, code = 1): number => {
    process.stderr.write(`openprep ${command}: ${message}\n`);
    return code;
  };
