/**
 * Faults told from bugs with real errors: SQLite's own (a full database, a damaged page, a
 * really full tmpfs where mounting is allowed), PostgreSQL's (a connection the server ends, a
 * server that is not there) and the file system's; a mistake in SQL stays a bug.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { errnoError } from '../platform/durable_file.ts';
import { dropSchemas, postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';
import { classifyFault, StoreFaultError } from '../platform/faults.ts';
import { openPostgresStore } from './postgres/postgres_store.ts';
import { openSqliteStore, quickCheckSqlite } from './sqlite/sqlite_store.ts';

const folders: string[] = [];
after(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function folder(): Promise<string> {
  const made = await mkdtemp(path.join(tmpdir(), 'openprep-faults-'));
  folders.push(made);
  return made;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}

describe('SQLite', () => {
  test('SQLITE_FULL (the database may not grow) is disk-full', async () => {
    const db = new DatabaseSync(path.join(await folder(), 'full.sqlite'));
    db.exec('CREATE TABLE t (x BLOB)');
    db.exec('PRAGMA max_page_count = 3');
    const error = thrown(() => db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(64 * 1024)));
    db.close();
    const fault = classifyFault(error);
    assert.equal(fault?.kind, 'disk-full');
    assert.equal(fault?.code, 'SQLITE_FULL');
    assert.equal(fault?.permanent, false);
  });

  test('a damaged page is a permanent store-unavailable; quick_check names it; a store opened on it says so', async () => {
    const file = path.join(await folder(), 'damaged.sqlite');
    const db = new DatabaseSync(file);
    db.exec('CREATE TABLE t (x TEXT)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run(`row ${i} ${'x'.repeat(200)}`);
    db.close();
    assert.deepEqual(quickCheckSqlite(file), { ok: true, value: undefined });
    const { size } = await stat(file);
    const handle = await open(file, 'r+');
    await handle.write(Buffer.alloc(4096, 0x5a), 0, 4096, size - 4096);
    await handle.close();
    const checked = quickCheckSqlite(file);
    assert.equal(checked.ok ? null : checked.code, 'store-damaged');
    const reader = new DatabaseSync(file);
    const error = thrown(() => reader.prepare('SELECT COUNT(*), MAX(x) FROM t').get());
    reader.close();
    assert.deepEqual(
      { ...classifyFault(error), message: '' },
      { kind: 'store-unavailable', code: 'SQLITE_CORRUPT', message: '', permanent: true },
    );
  });

  test('a file that is not a database: the store does not open, with a message', async () => {
    const file = path.join(await folder(), 'not.sqlite');
    const handle = await open(file, 'w');
    await handle.write(Buffer.alloc(8192, 0x41));
    await handle.close();
    const opened = openSqliteStore(file);
    assert.equal(opened.ok ? null : opened.code, 'database-unreadable');
    assert.match(opened.ok ? '' : opened.message, /SQLITE_NOTADB|file is not a database/);
  });

  test('a mistake in SQL is a bug, not a fault', () => {
    const db = new DatabaseSync(':memory:');
    const error = thrown(() => db.exec('SELEC 1'));
    db.close();
    assert.equal(classifyFault(error), null);
  });
});

describe('the file system', () => {
  test('ENOSPC and EDQUOT are disk-full; EIO and EROFS store-unavailable; a cause chain is followed', () => {
    assert.equal(classifyFault(errnoError('ENOSPC', 'write'))?.kind, 'disk-full');
    assert.equal(classifyFault(errnoError('EDQUOT', 'write'))?.kind, 'disk-full');
    assert.equal(classifyFault(errnoError('EIO', 'fsync'))?.kind, 'store-unavailable');
    assert.equal(classifyFault(errnoError('EROFS', 'open'))?.kind, 'store-unavailable');
    const wrapped = new Error('the store could not make a commit durable', {
      cause: errnoError('EIO', 'fsync'),
    });
    assert.equal(classifyFault(wrapped)?.code, 'EIO');
    const known = new StoreFaultError({ kind: 'disk-full', code: 'fsync', message: 'm', permanent: true });
    assert.equal(classifyFault(known)?.permanent, true);
  });

  test('a client hanging up (ECONNRESET on the request) is not a fault of this center', () => {
    const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    assert.equal(classifyFault(reset), null);
    assert.equal(classifyFault(new TypeError('x is undefined')), null);
    assert.equal(classifyFault('a string'), null);
  });

  /** A tmpfs of `megabytes`, or why not (not root, mounting not permitted). */
  const mounted = ((): { folder: string } | { skip: string } => {
    if (process.platform !== 'linux') return { skip: 'tmpfs needs Linux' };
    if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root' };
    const target = path.join(tmpdir(), `openprep-tmpfs-faults-${process.pid}`);
    try {
      execFileSync('mkdir', ['-p', target]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', target], { stdio: 'pipe' });
      return { folder: target };
    } catch (error) {
      return { skip: `mount -t tmpfs is not permitted here: ${(error as Error).message.split('\n')[0]}` };
    }
  })();
  after(() => {
    if ('folder' in mounted) {
      execFileSync('umount', [mounted.folder]);
      execFileSync('rmdir', [mounted.folder]);
    }
  });

  test('the store on a really full disk: its write fails as disk-full, nothing committed is lost, and it writes again once there is room', {
    skip: 'skip' in mounted ? mounted.skip : false,
  }, async () => {
    assert.ok('folder' in mounted);
    const opened = openSqliteStore(path.join(mounted.folder, 'store.sqlite'));
    assert.ok(opened.ok);
    const store = opened.value;
    const filler = path.join(mounted.folder, 'filler');
    try {
      await store.transaction((tx) => tx.setMeta('kept', 'before the disk filled'));
      const handle = await open(filler, 'w');
      try {
        for (;;) await handle.write(Buffer.alloc(64 * 1024));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        await handle.close();
      }
      const failure = await store
        .transaction((tx) => tx.setMeta('big', 'x'.repeat(2 * 1024 * 1024)))
        .then(
          () => null,
          (error: unknown) => error,
        );
      assert.ok(failure !== null, 'a write that needs pages the disk does not have fails');
      assert.equal(classifyFault(failure)?.kind, 'disk-full', String(failure));
      assert.equal(await store.getMeta('kept'), 'before the disk filled');
      await rm(filler);
      await store.transaction((tx) => tx.setMeta('after', 'room again'));
      assert.equal(await store.getMeta('after'), 'room again');
    } finally {
      await rm(filler, { force: true });
      await store.close();
    }
  });
});

describe('PostgreSQL', async () => {
  const skip = await postgresUnavailable();

  test('a server that is not there is store-unavailable', async () => {
    const client = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:1/test' });
    const error = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    await client.end().catch(() => undefined);
    assert.equal(classifyFault(error)?.kind, 'store-unavailable', String(error));
  });

  test('a query whose connection the server ends mid-way (57P01) is store-unavailable', {
    skip: skip ?? false,
  }, async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    client.on('error', () => {});
    await client.connect();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const running = client.query('SELECT pg_sleep(30)').then(
        () => null,
        (e: unknown) => e,
      );
      // Ended while the query is in flight: the failure is certain, not a race with the pool.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const error = await running;
      assert.ok(error !== null, 'the query on an ended connection fails');
      assert.equal(classifyFault(error)?.kind, 'store-unavailable', String(error));
    } finally {
      await admin.end();
      await client.end().catch(() => undefined);
    }
  });

  test("the server ends the store's connections: a read that meets it is store-unavailable, the next works", {
    skip: skip ?? false,
  }, async () => {
    const schema = `faults_${process.pid}`;
    const name = `openprep-faults-${process.pid}`;
    const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}application_name=${name}`;
    const opened = await openPostgresStore({ url, schema });
    assert.ok(opened.ok, opened.ok ? '' : opened.message);
    const store = opened.value;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      await store.journalHead();
      // Only this test's own connections, by their application name.
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
      const error = await store.journalHead().then(
        () => null,
        (e: unknown) => e,
      );
      // The pool may have seen its idle connection end and dropped it before this read (then the
      // read simply works on a new one): a race of the machine's load, not of the store. When
      // the read does meet the ended connection, it is a fault, never a bug or a client error;
      // the classification of 57P01 itself is pinned by the test above.
      if (error !== null) assert.equal(classifyFault(error)?.kind, 'store-unavailable', String(error));
      // A bug stays a bug: a query on a table that does not exist.
      const bug = await admin.query('SELECT * FROM no_such_table_here').then(
        () => null,
        (e: unknown) => e,
      );
      assert.equal(classifyFault(bug), null);
      await store.journalHead();
    } finally {
      await admin.end();
      await store.close();
      await dropSchemas([schema]);
    }
  });
});
