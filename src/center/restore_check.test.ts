/**
 * `journal verify --cut` and `--images` on an embedded center (the PostgreSQL restore drill,
 * src/drill/restore_drill.test.ts, runs them on a restored cluster): a published cut whose
 * checkpoint is a prefix passes; a cut signed by another key, a cut the store does not record,
 * a longer cut than the journal, and a missing image are refused by name.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../test/center_process.ts';

test('journal verify --cut checks a published checkpoint is a prefix; --images that every image is whole', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-restore-check-'));
  try {
    const center = (name: string) => path.join(work, name);
    assert.equal(
      (await runCli(['catalog', 'generate', '--scale', 'tiny', '--seed', '3', '--out', `${work}/c.csv`]))
        .code,
      0,
    );
    for (const name of ['a', 'b'])
      assert.equal((await runCli(['init', '--data', center(name), '--catalog', `${work}/c.csv`])).code, 0);
    const cut = await runCli([
      'cut',
      '--data',
      center('a'),
      '--simulated-start',
      '2024-06-02T21:00:00-06:00',
    ]);
    assert.equal(cut.code, 0, cut.stderr);
    const folder = /: (\S+) \(/.exec(cut.stdout)?.[1];
    assert.ok(folder !== undefined, cut.stdout);

    const ok = await runCli(['journal', 'verify', '--data', center('a'), '--cut', folder, '--images']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /published cut OK: cut \S+'s signed checkpoint \(\d+ entries\) is a prefix of this journal \(\d+\), and the cut is recorded/,
    );
    assert.match(ok.stdout, /images OK: the 0 images the store names are in /);

    // Center b has another key: a's cut is not its election's.
    const other = await runCli(['journal', 'verify', '--data', center('b'), '--cut', folder]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /openprep journal verify: cut \S+'s checkpoint: /);

    // A cut the store does not record: the same checkpoint, another manifest.
    const copy = path.join(work, 'copy');
    await cp(folder, copy, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(copy, 'manifest.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    await writeFile(path.join(copy, 'manifest.json'), JSON.stringify({ ...manifest, extra: 1 }));
    const unrecorded = await runCli(['journal', 'verify', '--data', center('a'), '--cut', copy]);
    assert.equal(unrecorded.code, 1);
    assert.match(unrecorded.stderr, /does not record cut \S+ with this manifest/);

    const none = await runCli([
      'journal',
      'verify',
      '--data',
      center('a'),
      '--cut',
      path.join(work, 'nowhere'),
    ]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /cannot read the cut's manifest/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
