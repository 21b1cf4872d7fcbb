/**
 * What a crashed publisher leaves in the cuts folder — a `.<cut>.<pid>.tmp/` folder, an image's
 * `<name>.<random>.tmp` — is removed when the publisher starts, but never what another process
 * may be writing right now: a live pid here, or anything touched recently (a node on another
 * machine sharing the folder has pids this machine cannot see).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { initCenter } from '../center/node.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { cleanLeftoverTemporaries, publishCut } from './publisher.ts';

test('leftover temporary cut folders and image files are cleaned at start; ones possibly being written are kept', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'openprep-leftovers-'));
  try {
    const now = Date.now();
    const DEAD_PID = 2_147_483_646; // above any pid_max: no such process
    const aged = async (relative: string, minutes: number, file = false) => {
      const target = path.join(root, relative);
      if (file) {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, 'partial');
      } else {
        await mkdir(target, { recursive: true });
        await writeFile(path.join(target, 'PRES_2024.csv'), 'partial');
      }
      const at = new Date(now - minutes * 60_000);
      await utimes(target, at, at);
    };
    await aged(`.20240602_2000.${DEAD_PID}.tmp`, 30); // a crashed publisher's: removed
    await aged(`.20240602_2005.${process.pid}.tmp`, 30); // this live process's: kept
    await aged(`.20240602_2010.${DEAD_PID}.tmp`, 1); // just written, maybe by another machine: kept
    await aged(`.20240602_2015.${process.pid}.tmp`, 180); // a live pid hours old: a reused pid, removed
    await aged('imagenes/sha256/ab/ab12.png.0badf00d.tmp', 30, true); // removed
    await aged('imagenes/sha256/ab/ab34.png.feedbeef.tmp', 1, true); // being written: kept
    await aged('imagenes/sha256/ab/ab56.png', 300, true); // a published image: never touched
    await aged('20240602_1955', 300); // a published cut: never touched
    await aged('.hidden-by-operator', 300); // not ours: never touched

    const removed = await cleanLeftoverTemporaries(root, now);
    assert.deepEqual(removed.sort(), [
      `.20240602_2000.${DEAD_PID}.tmp`,
      `.20240602_2015.${process.pid}.tmp`,
      path.join('imagenes', 'sha256', 'ab', 'ab12.png.0badf00d.tmp'),
    ]);
    assert.deepEqual((await readdir(root)).sort(), [
      '.20240602_2005.' + process.pid + '.tmp',
      `.20240602_2010.${DEAD_PID}.tmp`,
      '.hidden-by-operator',
      '20240602_1955',
      'imagenes',
    ]);
    assert.deepEqual((await readdir(path.join(root, 'imagenes', 'sha256', 'ab'))).sort(), [
      'ab34.png.feedbeef.tmp',
      'ab56.png',
    ]);
    // A folder without cuts yet, or without images: nothing to do, no error.
    const empty = await mkdtemp(path.join(tmpdir(), 'openprep-leftovers-empty-'));
    assert.deepEqual(await cleanLeftoverTemporaries(empty, now), []);
    await rm(empty, { recursive: true, force: true });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("the next cut continues only from the previous cut's files as published: one lost or damaged waits, it is not built on", async () => {
  const catalog = generateCatalog({ scale: 'tiny', seed: 3 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  let now = Date.parse(election.publicationStart) + 3_600_000;
  const clock = () => (now += 60_000);
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-publisher-previous-'));
  const created = await initCenter({ root: work, election, catalog, clock });
  assert.ok(created.ok, created.ok ? '' : created.message);
  const node = created.value;
  try {
    const first = await publishCut(node, { cutTime: clock() });
    assert.ok(first.ok, first.ok ? '' : first.message);
    const damages: [string, (file: string) => Promise<void>][] = [
      ['json/historial.json', (file) => rm(file)],
      ['PRES_2024.csv', async (file) => writeFile(file, `${await readFile(file, 'utf8')}x`)],
      [
        'manifest.json',
        async (file) =>
          writeFile(file, (await readFile(file, 'utf8')).replace('"final": false', '"final": true')),
      ],
    ];
    for (const [name, damage] of damages) {
      const file = path.join(first.value.folder, name);
      const honest = await readFile(file);
      await damage(file);
      const cutTime = clock();
      const next = await publishCut(node, { cutTime });
      assert.ok(!next.ok && next.code === 'previous-unreadable', `${name}: ${JSON.stringify(next)}`);
      assert.match(next.message, new RegExp(name.replace('.', '\\.')));
      assert.deepEqual(
        (await readdir(path.dirname(first.value.folder))).filter((f) => /^[0-9]{8}_[0-9]{4}$/.test(f)),
        [first.value.id],
        `${name}: no cut was written`,
      );
      await writeFile(file, honest);
    }
    const second = await publishCut(node, { cutTime: clock() });
    assert.ok(second.ok, second.ok ? '' : second.message);
    assert.equal(second.value.sequence, 2);
  } finally {
    await node.close();
    await rm(work, { recursive: true, force: true });
  }
});
