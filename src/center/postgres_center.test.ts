/**
 * A center on PostgreSQL (DATABASE_URL), end to end with the real command line: init, two
 * `serve` nodes on the one database, a CATD agent sending through both, then a cut, the
 * journal check and `openprep verify` — the same commands as on SQLite.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import pg from 'pg';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { runCli, startServer, stopServer } from '../test/center_process.ts';
import {
  declareTerritoryWithCli,
  enrollWithCli,
  newAgent,
  outboxOf,
  runUntilDelivered,
  scan,
} from '../test/field.ts';
import { postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';

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
    await declareTerritoryWithCli(data, generateCatalog({ scale: 'tiny', seed: 4 }), ENV);
    const start = Date.parse('2024-06-02T21:00:00-06:00');
    const a = await startServer(data, start, ENV);
    const b = await startServer(data, start, { ...ENV, OPENPREP_CHECKPOINT_SECONDS: '0' });
    try {
      const catalog = generateCatalog({ scale: 'tiny', seed: 4 });
      const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
      const contest = election.contests[0]!;
      const keys = [...actasEsperadas(catalog, contest)].slice(0, 30);
      const centerKey = (await readdir(path.join(data, 'keys'))).find((f) => f.endsWith('.pub'))!;
      const agent = await newAgent(
        work,
        'CATD-PG-1',
        [
          { name: 'primary', url: a.base },
          { name: 'alternate', url: b.base },
        ],
        (await readFile(path.join(data, 'keys', centerKey), 'utf8')).trim(),
        { concurrency: 6 },
      );
      await enrollWithCli(data, agent, ENV);
      await scan(
        agent.watch,
        keys.map((k, i) => ({ contest: contest.id, key: k.actaKey, seed: i + 1 })),
        2_000,
      );
      const run = await runUntilDelivered([agent.root], keys.length, 60_000);
      assert.equal(run.done, keys.length);
      assert.equal((await outboxOf(agent.root)).counts.delivered, keys.length);
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
