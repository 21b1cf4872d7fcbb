/**
 * The store contract on a real PostgreSQL (the machine's, on loopback; OPENPREP_TEST_DATABASE_URL
 * to use another), each test in a schema of its own, dropped at the end. Plus what only a
 * shared database can show: several nodes writing the journal at once.
 */
import assert from 'node:assert/strict';
import process from 'node:process';
import { after, test } from 'node:test';
import pg from 'pg';
import { MerkleTree } from '../../journal/merkle.ts';
import { opaqueEntry, storeContract } from '../store.contract.ts';
import { dropSchemas, postgresUnavailable, TEST_DATABASE_URL } from '../../test/postgres.ts';
import { POSTGRES_CODE_SCHEMA, openPostgresStore, readPostgresSchema } from './postgres_store.ts';

const URL = TEST_DATABASE_URL;
const schemas: string[] = [];
let counter = 0;

const unreachable = await postgresUnavailable();

async function openFresh() {
  const schema = `openprep_test_${process.pid}_${counter++}`;
  schemas.push(schema);
  const opened = await openPostgresStore({ url: URL, schema });
  assert.ok(opened.ok, opened.ok ? '' : opened.message);
  return {
    store: opened.value,
    async reopen() {
      await opened.value.close();
      const again = await openPostgresStore({ url: URL, schema });
      assert.ok(again.ok);
      return again.value;
    },
  };
}

after(() => (unreachable === null ? dropSchemas(schemas) : undefined));

if (unreachable === null) {
  storeContract('PostgreSQL', openFresh);

  test('PostgreSQL: three nodes appending at once keep one gap-free journal whose frontier matches its leaves', async () => {
    const first = await openFresh();
    const schema = schemas.at(-1)!;
    const nodes = [first.store];
    for (let i = 0; i < 2; i++) {
      const opened = await openPostgresStore({ url: URL, schema, poolSize: 4 });
      assert.ok(opened.ok);
      nodes.push(opened.value);
    }
    const indices = await Promise.all(
      Array.from({ length: 90 }, (_, i) =>
        nodes[i % 3]!.transaction(async (tx) => {
          const before = Number((await tx.getMeta('n')) ?? '0');
          await tx.setMeta('n', String(before + 1));
          return tx.appendJournal(opaqueEntry('N', i, { node: i % 3 }));
        }),
      ),
    );
    assert.deepEqual(
      [...indices].sort((a, b) => a - b),
      Array.from({ length: 90 }, (_, i) => i),
    );
    assert.equal(await nodes[1]!.getMeta('n'), '90', 'no update lost between nodes');
    const head = await nodes[2]!.journalHead();
    assert.equal(head.size, 90);
    assert.deepEqual(new MerkleTree(await nodes[0]!.journalLeafHashes(0, 90)).root(), head.rootHash);
    for (const node of nodes) await node.close();
  });

  test('PostgreSQL: the journal and receipts are append-only in the database itself', async () => {
    const { store } = await openFresh();
    await store.transaction((tx) => tx.appendJournal(opaqueEntry('X', 1)));
    const client = new pg.Client({ connectionString: URL, options: `-c search_path=${schemas.at(-1)}` });
    await client.connect();
    try {
      await assert.rejects(client.query("UPDATE journal SET entry = '\\x00'"), /append-only/);
      await assert.rejects(client.query('DELETE FROM journal'), /append-only/);
    } finally {
      await client.end();
      await store.close();
    }
  });

  test('PostgreSQL: a bad address or schema name is a clear error, not a crash', async () => {
    const bad = await openPostgresStore({ url: 'postgresql://nobody@127.0.0.1:1/none' });
    assert.ok(!bad.ok && bad.code === 'database-unreadable');
    const schema = await openPostgresStore({ url: URL, schema: 'x; DROP TABLE y' });
    assert.ok(!schema.ok && /lowercase/.test(schema.message));
  });
  test('PostgreSQL: a newer schema runs older code only if its migrations since that code only added (expand/contract)', async () => {
    const { store } = await openFresh();
    await store.close();
    const schema = schemas.at(-1)!;
    const code = POSTGRES_CODE_SCHEMA.version;
    const read = await readPostgresSchema({ url: URL, schema });
    assert.deepEqual(read.ok && read.value, {
      version: code,
      oldestReader: POSTGRES_CODE_SCHEMA.oldestReader,
    });
    assert.deepEqual(await readPostgresSchema({ url: URL, schema: `${schema}_none` }), {
      ok: true,
      value: null,
    });
    // As a newer release that only added would leave it: this code still opens it, unmigrated.
    const client = new pg.Client({ connectionString: URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [code + 1]);
      await client.query("UPDATE meta SET value = $1 WHERE key = 'schema_oldest_reader'", [String(code)]);
      const expanded = await openPostgresStore({ url: URL, schema });
      assert.ok(expanded.ok, expanded.ok ? '' : expanded.message);
      await expanded.value.close();
      // One that contracted (its own version is the oldest that runs on it): refused.
      await client.query("UPDATE meta SET value = $1 WHERE key = 'schema_oldest_reader'", [String(code + 1)]);
      const contracted = await openPostgresStore({ url: URL, schema });
      assert.equal(!contracted.ok && contracted.code, 'database-newer-than-code');
      const after = await readPostgresSchema({ url: URL, schema });
      assert.deepEqual(after.ok && after.value, { version: code + 1, oldestReader: code + 1 });
    } finally {
      await client.end();
    }
  });
} else {
  test('PostgreSQL store', { skip: unreachable }, () => {});
}
