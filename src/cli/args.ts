import process from 'node:process';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;

export interface ParsedArgs<T> {
  readonly options: T;
  readonly positionals: readonly string[];
}

/**
 * Parses argv with node:util (unknown flags are errors) and validates the values with a zod
 * schema, so a command only ever sees typed, checked options.
 */
export function parseCommandArgs<S extends z.ZodType>(
  args: readonly string[],
  spec: OptionSpec,
  schema: S,
): Result<ParsedArgs<z.infer<S>>, 'bad-arguments'> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: spec, allowPositionals: true, strict: true });
  } catch (error) {
    return err('bad-arguments', (error as Error).message);
  }
  const checked = schema.safeParse(parsed.values);
  if (!checked.success) {
    const problems = checked.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`);
    return err('bad-arguments', problems.join('; '));
  }
  return ok({ options: checked.data, positionals: parsed.positionals });
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
