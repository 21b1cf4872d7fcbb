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
import { openPostgresStore } from './postgres_store.ts';

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
} else {
  test('PostgreSQL store', { skip: unreachable }, () => {});
}
