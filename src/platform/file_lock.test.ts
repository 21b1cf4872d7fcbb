import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, test } from 'node:test';
import { withFileLock } from './file_lock.ts';

const directory = await mkdtemp(path.join(tmpdir(), 'openprep-lock-'));
after(() => rm(directory, { recursive: true, force: true }));

test('the lock excludes: work under one lock never overlaps', async () => {
  const lock = path.join(directory, 'a.lock');
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 8 }, () =>
      withFileLock(lock, async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inside--;
      }),
    ),
  );
  assert.equal(most, 1);
  await assert.rejects(readFile(lock), 'released afterwards');
});

test('a lock left by a process of this machine that is gone is taken over; a live owner, or one of another machine, is waited for', async () => {
  const lock = path.join(directory, 'b.lock');
  await writeFile(lock, `${hostname()} 999999999`);
  assert.equal(await withFileLock(lock, async () => 'taken over'), 'taken over');
  for (const owner of [`${hostname()} ${process.ppid}`, 'another-machine 999999999']) {
    await writeFile(lock, owner);
    await assert.rejects(
      withFileLock(lock, async () => 'never', 200),
      /held by another process/,
    );
    assert.equal(await readFile(lock, 'utf8'), owner, "a live (or unknowable) owner's lock is left alone");
  }
  await rm(lock);
});
