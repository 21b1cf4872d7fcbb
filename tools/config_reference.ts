/**
 * Writes docs/configuration.md from the configuration schemas themselves (`npm run
 * config-reference`): every key of `openprep serve`'s configuration with its environment
 * variable, type, default and meaning, the CATD agent's `agent.json`, and the variables that
 * choose the store. `--check` only compares (tools/config_reference.test.ts runs it in `npm
 * test`), so the page cannot drift from the code.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { z } from 'zod';
import { agentConfigSchema } from '../src/agent/agent.ts';
import { databaseEnvironmentSchema } from '../src/center/database.ts';
import { signerEnvironmentSchema } from '../src/center/signer_endpoint.ts';
import { ENVIRONMENT, serveConfigSchema } from '../src/server/config.ts';

export const REFERENCE_FILE = path.join(import.meta.dirname, '..', 'docs', 'configuration.md');

/** The part of a JSON Schema this page reads. */
interface Node {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly properties?: Readonly<Record<string, Node>>;
  readonly required?: readonly string[];
  readonly items?: Node;
  readonly anyOf?: readonly Node[];
}

export interface Row {
  readonly key: string;
  /** The environment variable, as Markdown. */
  readonly environment: string | null;
  readonly type: string;
  readonly default: string;
  readonly meaning: string;
}

const FORMATS: Readonly<Record<string, string>> = {
  uri: 'URL',
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  cidrv4: 'IPv4 range (CIDR)',
  cidrv6: 'IPv6 range (CIDR)',
};

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function typeOf(node: Node): string {
  if (node.anyOf !== undefined) return node.anyOf.map(typeOf).join(' or ');
  if (node.enum !== undefined) return node.enum.map((v) => code(String(v))).join(', ');
  if (node.type === 'boolean') return '`true`, `false`';
  if (node.type === 'integer' || node.type === 'number') {
    const range =
      node.minimum !== undefined && node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER
        ? ` ${node.minimum}–${node.maximum}`
        : node.minimum !== undefined
          ? ` ≥ ${node.minimum}`
          : '';
    return `${node.type === 'integer' ? 'integer' : 'number'}${range}`;
  }
  if (node.type === 'array') return `list of ${node.items === undefined ? 'values' : typeOf(node.items)}`;
  if (node.type === 'object') return 'object';
  if (node.format !== undefined) return FORMATS[node.format] ?? node.format;
  return 'string';
}

/** One row per key, depth first, objects before their keys; every key must say what it means. */
export function rowsOf(
  schema: z.ZodType,
  environment: ReadonlyMap<string, string> = new Map(),
  problems: string[] = [],
): Row[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Node;
  const rows: Row[] = [];
  const walk = (node: Node, prefix: string, defaulted: boolean) => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const key = prefix === '' ? name : `${prefix}.${name}`;
      if (child.description === undefined)
        problems.push(`${key} has no description (.describe() in its schema)`);
      const nested = child.type === 'object' && child.properties !== undefined;
      const required = node.required?.includes(name) === true && child.default === undefined;
      rows.push({
        key,
        environment: environment.get(key) ?? null,
        type: typeOf(child),
        default: nested
          ? '(its keys’)'
          : child.default !== undefined
            ? code(JSON.stringify(child.default))
            : required
              ? defaulted
                ? '**required** when its object is given'
                : '**required**'
              : '(none)',
        meaning: child.description ?? '',
      });
      if (nested) walk(child, key, child.default !== undefined);
      else if (child.type === 'array' && child.items?.properties !== undefined)
        walk(child.items, `${key}[]`, false);
    }
  };
  walk(root, '', false);
  return rows;
}

function table(rows: readonly Row[], withEnvironment: boolean): string {
  const head = withEnvironment
    ? '| key | environment | type | default | meaning |\n|---|---|---|---|---|'
    : '| key | type | default | meaning |\n|---|---|---|---|';
  const lines = rows.map((row) =>
    withEnvironment
      ? `| ${code(row.key)} | ${row.environment ?? ''} | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.meaning)} |`
      : `| ${code(row.key)} | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.meaning)} |`,
  );
  return [head, ...lines].join('\n');
}

/** The page, and what is wrong with the schemas (keys without a description, variables naming no key). */
export function configurationReference(): { readonly text: string; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const environment = new Map(
    ENVIRONMENT.map(([name, keyPath, kind]) => [
      keyPath.join('.'),
      kind === 'list' ? `${code(name)} (comma-separated)` : code(name),
    ]),
  );
  const serve = rowsOf(serveConfigSchema, environment, problems);
  for (const [name, keyPath] of ENVIRONMENT)
    if (!serve.some((row) => row.key === keyPath.join('.'))) problems.push(`${name} names no key`);
  const agent = rowsOf(agentConfigSchema, new Map(), problems);
  const database = rowsOf(databaseEnvironmentSchema, new Map(), problems);
  const signer = rowsOf(signerEnvironmentSchema, new Map(), problems);
  const text = `# Configuration reference

<!-- Generated by \`npm run config-reference\` (tools/config_reference.ts) from the schemas in
src/server/config.ts, src/agent/agent.ts, src/center/database.ts and src/center/signer_endpoint.ts; \`npm test\` fails when
this page differs from them. Change a key's meaning there, then run the script. -->

## \`openprep serve\`

Read once at start, in this order, each over the one before: the defaults below, the JSON file
given with \`--config FILE\`, the environment variables, then \`--host\` and \`--port\`. The
whole is validated before the service starts: a wrong value stops it with a message naming
the key. \`openprep cut\` and \`openprep bundle import\` read the same configuration (and
\`--config\`) for the image store. Nested keys are written with dots here; in the file they are
nested objects, e.g. \`{ "intake": { "qualityGate": "off" } }\`.

${table(serve, true)}

## The CATD agent: \`agent.json\`

In the agent's folder (\`--data DIR\`, docs/agent.md); \`openprep agent init\` writes it, and
\`openprep agent run\` reads it at start. No environment variable changes it;
\`agent run --metrics-file FILE\` takes the place of \`metricsFile\`.

${table(agent, false)}

## The store: environment variables

Read by every command that opens the center's store (\`serve\`, \`cut\`, \`init\`, \`journal verify\`, …).
The image store's credentials come from the AWS SDK's standard chain (\`AWS_ACCESS_KEY_ID\`,
\`AWS_SECRET_ACCESS_KEY\`, \`AWS_PROFILE\`, an instance role), never from a file of ours
(docs/deployment.md).

${table(database, false).replace('| key |', '| variable |')}

## The signer service: environment variables

Read by the same commands, when the election's key is held by \`openprep signer\` rather than
in the data folder (docs/deployment.md, "The signer"): a socket on the same machine, or HTTPS
with mutual TLS to another. A node given a half configuration (a URL without its three files,
both a socket and a URL, a client key others can read) does not start.

${table(signer, false).replace('| key |', '| variable |')}
`;
  return { text, problems };
}

async function main(): Promise<number> {
  const { text, problems } = configurationReference();
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`config-reference: ${problem}\n`);
    return 1;
  }
  if (process.argv.includes('--check')) {
    const current = await readFile(REFERENCE_FILE, 'utf8').catch(() => '');
    if (current === text) return 0;
    process.stderr.write(
      'config-reference: docs/configuration.md is out of date: run npm run config-reference\n',
    );
    return 1;
  }
  await writeFile(REFERENCE_FILE, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), REFERENCE_FILE)}\n`);
  return 0;
}

if (import.meta.main) process.exitCode = await main();
