/**
 * A center on PostgreSQL (DATABASE_URL), end to end with the real command line: init, two
 * `serve` nodes on the one database, a CATD agent sending through both, then a cut, the
 * journal check and `openprep verify` — the same commands as on SQLite.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import pg from 'pg';
import { agentConfigSchema, initAgent, openAgent, runAgent } from '../agent/agent.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/election_definition.ts';
import { runCli, startServer, stopServer } from '../test/center_process.ts';
import { postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';
import { pngOfSize } from '../test/packages.ts';

const URL = TEST_DATABASE_URL;
const SCHEMA = `openprep_center_${process.pid}`;
const ENV = { DATABASE_URL: URL, OPENPREP_DATABASE_SCHEMA: SCHEMA };

const unreachable = await postgresUnavailable();
const cli = (args: readonly string[]) => runCli(args, { env: ENV });

test('a center on PostgreSQL: two serve nodes on one database, an agent through both, a cut that verifies', {
  skip: unreachable === null ? false : `no PostgreSQL at ${URL}: ${unreachable}`,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-pg-center-'));
  try {
    const data = path.join(work, 'center');
    assert.equal(
      (await cli(['catalog', 'generate', '--scale', 'tiny', '--seed', '4', '--out', `${work}/c.csv`])).code,
      0,
    );
    const init = await cli(['init', '--data', data, '--catalog', `${work}/c.csv`]);
    assert.equal(init.code, 0, init.stderr);
    assert.match((await cli(['init', '--data', data, '--catalog', `${work}/c.csv`])).stderr, /already/);
    const start = Date.parse('2024-06-02T21:00:00-06:00');
    const a = await startServer(data, start, ENV);
    const b = await startServer(data, start, { ...ENV, OPENPREP_CHECKPOINT_SECONDS: '0' });
    try {
      const catalog = generateCatalog({ scale: 'tiny', seed: 4 });
      const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
      const contest = election.contests[0]!;
      const keys = [...actasEsperadas(catalog, contest)].slice(0, 30);
      const root = path.join(work, 'agent');
      const watch = path.join(work, 'scans');
      await mkdir(watch, { recursive: true });
      const centerKey = (await readdir(path.join(data, 'keys'))).find((f) => f.endsWith('.pub'))!;
      const { readFile } = await import('node:fs/promises');
      const created = await initAgent(
        root,
        agentConfigSchema.parse({
          deviceId: 'CATD-PG-1',
          watch,
          channels: [
            { name: 'primary', url: a.base },
            { name: 'alternate', url: b.base },
          ],
          centerKey: (await readFile(path.join(data, 'keys', centerKey), 'utf8')).trim(),
          settleMs: 0,
          concurrency: 6,
        }),
      );
      assert.ok(created.ok);
      const enrolled = await cli([
        'device',
        'enroll',
        '--data',
        data,
        '--id',
        'CATD-PG-1',
        '--origin',
        'CATD',
        '--bound-to',
        'CATD-1',
        '--public-key',
        created.value.publicKey,
      ]);
      assert.equal(enrolled.code, 0, enrolled.stderr);
      for (const [i, k] of keys.entries())
        await writeFile(path.join(watch, `${contest.id}_${k.actaKey}.png`), pngOfSize(2_000, i + 1));
      // Half the sends go to each node: the agent's primary is rested half the time.
      const controller = new AbortController();
      let delivered = 0;
      const done = new Promise<void>((resolve) => {
        void runAgent({
          root,
          signal: controller.signal,
          scanMs: 200,
          onEvent: (event) => {
            if (event.kind === 'delivered' && ++delivered === keys.length) resolve();
          },
        });
      });
      const timer = setTimeout(() => controller.abort(), 60_000);
      await done;
      clearTimeout(timer);
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const outbox = await openAgent(root, Date.now);
      assert.ok(outbox.ok);
      assert.equal(outbox.value.outbox.counts().delivered, keys.length);
      outbox.value.close();
    } finally {
      await stopServer(a.child);
      await stopServer(b.child);
    }
    const journal = await cli(['journal', 'verify', '--data', data]);
    assert.equal(journal.code, 0, journal.stderr + journal.stdout);
    assert.match(journal.stdout, /journal OK/);
    const cut = await cli(['cut', '--data', data]);
    assert.equal(cut.code, 0, cut.stderr);
    const folder = /: (\S+) \(/.exec(cut.stdout)?.[1];
    assert.ok(folder !== undefined, cut.stdout);
    const key = path.join(data, 'keys', 'openprep.PEF2024.simulacro.pub');
    const verified = await cli(['verify', folder, '--key', key, '--mode', 'simulacro']);
    assert.equal(verified.code, 0, verified.stderr + verified.stdout);
  } finally {
    await rm(work, { recursive: true, force: true });
    if (unreachable === null) {
      const client = new pg.Client({ connectionString: URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(SCHEMA)} CASCADE`);
      await client.end();
    }
  }
});
