import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { decodeEntry } from '../../journal/entries.ts';
import { MerkleTree } from '../../journal/merkle.ts';
import { opaqueEntry, storeContract } from '../store.contract.ts';
import { openSqliteStore } from './sqlite_store.ts';

let directory: string;
let counter = 0;
before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'openprep-sqlite-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

storeContract('SQLite (file)', async () => {
  const file = path.join(directory, `contract-${counter++}.sqlite`);
  const opened = openSqliteStore(file);
  assert.ok(opened.ok);
  const store = opened.value;
  return {
    store,
    reopen: async () => {
      await store.close();
      const again = openSqliteStore(file);
      assert.ok(again.ok);
      return again.value;
    },
  };
});

describe('SQLite adapter', () => {
  test('two connections (serve and a command run beside it) append to one consistent journal', async () => {
    const file = path.join(directory, 'shared.sqlite');
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    assert.ok(a.ok && b.ok);
    const append = (store: typeof a.value, n: number) =>
      store.transaction((tx) => tx.appendJournal(opaqueEntry('N', n, { n })));
    const indexes = [
      await append(a.value, 0),
      await append(a.value, 1),
      await append(b.value, 2),
      await append(a.value, 3),
      await append(b.value, 4),
      await append(b.value, 5),
      await append(a.value, 6),
    ];
    assert.deepEqual(indexes, [0, 1, 2, 3, 4, 5, 6]);
    const headA = await a.value.journalHead();
    const headB = await b.value.journalHead();
    assert.deepEqual(headA, headB);
    assert.equal(headA.size, 7);
    const leaves = await a.value.journalLeafHashes(0, 7);
    assert.deepEqual(new MerkleTree(leaves).root(), headA.rootHash);
    assert.equal((await b.value.snapshot()).head.size, 7);
    await a.value.close();
    await b.value.close();
  });

  test('durability settings: WAL and synchronous=FULL', async () => {
    const file = path.join(directory, 'pragmas.sqlite');
    const opened = openSqliteStore(file);
    assert.ok(opened.ok);
    await opened.value.close();
    const db = new DatabaseSync(file);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    db.close();
  });

  test('migrations are idempotent and a newer database is refused', async () => {
    const file = path.join(directory, 'migrations.sqlite');
    for (let i = 0; i < 2; i++) {
      const opened = openSqliteStore(file);
      assert.ok(opened.ok);
      await opened.value.close();
    }
    const db = new DatabaseSync(file);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)').run();
    db.close();
    const refused = openSqliteStore(file);
    assert.equal(!refused.ok && refused.code, 'database-newer-than-code');
  });

  test('the journal is append-only in the database itself', async () => {
    const file = path.join(directory, 'append-only.sqlite');
    const opened = openSqliteStore(file);
    assert.ok(opened.ok);
    await opened.value.transaction((tx) => tx.appendJournal(opaqueEntry('T', 1)));
    await opened.value.close();
    const db = new DatabaseSync(file);
    assert.throws(() => db.prepare("UPDATE journal SET entry = x'00'").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM journal').run(), /append-only/);
    db.close();
  });

  test('kill -9 at random moments: every acknowledged write is there exactly once and the journal verifies', async () => {
    const file = path.join(directory, 'crash.sqlite');
    const writer = path.join(import.meta.dirname, 'crash_writer.ts');
    const acknowledged = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, [writer, file, String(round)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let buffer = '';
      let writing: () => void = () => undefined;
      const firstAck = new Promise<void>((resolve) => {
        writing = resolve;
      });
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines)
          if (line.startsWith('ack ')) {
            acknowledged.add(line.slice(4));
            writing();
          }
      });
      // Killed while it writes, however long a loaded machine takes to start it.
      await Promise.race([firstAck, new Promise((resolve) => child.once('exit', resolve))]);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 700)));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    assert.ok(acknowledged.size > 0, 'the writer acknowledged nothing');
    const opened = openSqliteStore(file);
    assert.ok(opened.ok);
    const store = opened.value;
    for (const id of acknowledged)
      assert.equal((await store.getActa(id))?.recordId, id, `${id} was acknowledged and lost`);
    const head = await store.journalHead();
    const entries = await store.journalEntries(0, head.size);
    const ids = entries.map((e) => {
      const decoded = decodeEntry(e);
      assert.ok(decoded.ok);
      return decoded.value['recordId'] as string;
    });
    assert.equal(new Set(ids).size, ids.length, 'an entry was journaled twice');
    for (const id of acknowledged) assert.ok(ids.includes(id));
    assert.deepEqual(new MerkleTree(await store.journalLeafHashes(0, head.size)).root(), head.rootHash);
    await store.close();
  });
});
