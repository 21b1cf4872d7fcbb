/**
 * A real center served on loopback, as the HTTP and browser tests of the console and the
 * security routes drive it: a tiny simulacro's catalog and election, a fresh center in a
 * scratch folder, `buildServer` listening on a free port (with a freshly built console when
 * asked), and operators added with the shared test password, their TOTP secrets kept for
 * signing in; a breached-password corpus configured when asked.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { corpusHashes, sortedCorpusText } from '../auth/breached_passwords.ts';
import { fromBase32 } from '../auth/totp.ts';
import { type CenterNode, initCenter } from '../center/node.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import type { OperatorRow } from '../auth/operators_port.ts';
import { buildServer, type ServerHandle } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { buildConsole } from '../site/build.ts';

/** The password every test operator is added with. */
export const PASSWORD = 'una frase larga que nadie adivina';

/** A tiny catalog and the default simulacro over it. */
export function tinySimulacro(seed: number): { catalog: Catalog; election: ElectionDefinition } {
  const catalog = generateCatalog({ scale: 'tiny', seed });
  return { catalog, election: defaultElectionDefinition(catalog, { mode: 'simulacro' }) };
}

/** A clock an hour into the publication that moves with the wall clock; `skip` moves it on at once. */
export interface MovingClock {
  (): number;
  skip(ms: number): void;
}

export function movingClock(election: ElectionDefinition): MovingClock {
  const started = Date.now();
  let skipped = 0;
  const clock = () => Date.parse(election.publicationStart) + 3_600_000 + (Date.now() - started) + skipped;
  return Object.assign(clock, {
    skip: (ms: number) => {
      skipped += ms;
    },
  });
}

export interface ServedCenterOptions {
  readonly catalog: Catalog;
  readonly election: ElectionDefinition;
  readonly clock: () => number;
  /** The scratch folder's prefix, e.g. `openprep-access-review-`. */
  readonly folder: string;
  /** Configuration over `{ logLevel: 'silent' }`. */
  readonly config?: Record<string, unknown>;
  /** Passwords of a breached-password corpus written to the scratch folder and configured. */
  readonly breached?: readonly string[];
  /** Build and serve the console; the base is then `localhost`, a secure context that keeps the __Host- cookie. */
  readonly console?: boolean;
}

export interface ServedCenter {
  /** The scratch folder. */
  readonly work: string;
  /** The center's data folder, inside the scratch folder (`--data` for the commands). */
  readonly root: string;
  readonly node: CenterNode;
  readonly server: ServerHandle;
  readonly base: string;
  /** Each added operator's TOTP secret, by username. */
  readonly secrets: Map<string, Buffer>;
  /** Adds an operator with PASSWORD (named by default by the username's first part); fails the test if refused. */
  addOperator(username: string, role: string, scope?: string, name?: string): Promise<OperatorRow>;
  close(): Promise<void>;
}

export async function startServedCenter(options: ServedCenterOptions): Promise<ServedCenter> {
  const work = await mkdtemp(path.join(tmpdir(), options.folder));
  let consoleDir: string | undefined;
  if (options.console === true) {
    consoleDir = path.join(work, 'console');
    await buildConsole(consoleDir);
  }
  const extra = { ...options.config };
  if (options.breached !== undefined) {
    const corpus = path.join(work, 'breached.txt');
    const hashes = corpusHashes(options.breached.map((p) => `${p}\n`).join(''), 'passwords');
    assert.ok(hashes.ok);
    await writeFile(corpus, sortedCorpusText(hashes.value));
    extra['passwords'] = { breachedCorpus: corpus };
  }
  const { catalog, election, clock } = options;
  const root = path.join(work, 'center');
  const created = await initCenter({ root, election, catalog, clock });
  assert.ok(created.ok);
  const node = created.value;
  const server = await buildServer({
    node,
    config: serveConfigSchema.parse({ logLevel: 'silent', ...extra }),
    clock,
    ...(consoleDir === undefined ? {} : { consoleDir }),
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (server.app.server.address() as AddressInfo).port;
  const base = `http://${consoleDir === undefined ? '127.0.0.1' : 'localhost'}:${port}`;
  const secrets = new Map<string, Buffer>();
  return {
    work,
    root,
    node,
    server,
    base,
    secrets,
    async addOperator(username, role, scope = 'nacional', name = username.split('.')[0]!) {
      const added = await server.accounts.addOperator({
        username,
        name,
        role,
        scope,
        password: PASSWORD,
        expiresAt: null,
        by: 'test',
      });
      assert.ok(added.ok, added.ok ? '' : added.message);
      secrets.set(username, fromBase32(added.value.totpSecret));
      return added.value.operator;
    },
    async close() {
      await server.app.close();
      await node.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
