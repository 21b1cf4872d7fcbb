/** The release's tar writer read back by GNU tar: long names (pax), links, modes, times, owners. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type TarEntry, writeTarGz } from './tar_writer.ts';

describe('writeTarGz', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-tar-'));
  after(() => rm(work, { recursive: true, force: true }));
  const longFolder = `top/${'a'.repeat(120)}`;
  const longName = `${longFolder}/${'b'.repeat(150)}.js`; // no ustar prefix/name split holds it
  const source = path.join(work, 'source.bin');
  await writeFile(source, Buffer.alloc(1000, 7));
  const entries: TarEntry[] = [
    { kind: 'directory', path: 'top', mode: 0o755 },
    { kind: 'directory', path: longFolder, mode: 0o755 },
    { kind: 'file', path: longName, mode: 0o755, size: 1000, source },
    { kind: 'file', path: 'top/small.txt', mode: 0o644, size: 3, source: Buffer.from('hi\n') },
    { kind: 'symlink', path: 'top/link', target: `${'../'.repeat(1)}top/${'c'.repeat(110)}` },
  ];

  it('writes the same bytes twice, with a gzip header holding no name and no time', async () => {
    const a = await writeTarGz(path.join(work, 'a.tgz'), entries, { mtime: 1_700_000_000, level: 6 });
    const b = await writeTarGz(path.join(work, 'b.tgz'), entries, { mtime: 1_700_000_000, level: 6 });
    assert.deepEqual(a, b);
    const bytes = await readFile(path.join(work, 'a.tgz'));
    assert.deepEqual([...bytes.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    assert.equal(gunzipSync(bytes).length % 10240, 0, 'whole tar records');
  });

  it('is read back by GNU tar: names, contents, modes, link targets, owner and time', async () => {
    const out = path.join(work, 'out');
    await mkdir(out);
    const extracted = spawnSync('tar', ['-xzf', path.join(work, 'a.tgz'), '-C', out], { encoding: 'utf8' });
    assert.equal(extracted.status, 0, extracted.stderr);
    assert.deepEqual(await readFile(path.join(out, longName)), Buffer.alloc(1000, 7));
    assert.equal((await lstat(path.join(out, longName))).mode & 0o777, 0o755);
    assert.equal(await readFile(path.join(out, 'top/small.txt'), 'utf8'), 'hi\n');
    assert.equal(
      await readlink(path.join(out, 'top/link')),
      entries[4]!.kind === 'symlink' ? entries[4]!.target : '',
    );
    const listing = spawnSync('tar', ['-tvzf', path.join(work, 'a.tgz'), '--numeric-owner', '--utc'], {
      encoding: 'utf8',
    }).stdout;
    for (const line of listing.trim().split('\n')) {
      assert.match(line, / 0\/0 /);
      assert.match(line, /2023-11-14 22:13/);
    }
    assert.ok(listing.includes(longName), 'the pax path is the name GNU tar shows');
  });

  it('refuses a file whose size changed since it was listed', async () => {
    await assert.rejects(
      writeTarGz(path.join(work, 'c.tgz'), [{ kind: 'file', path: 'x', mode: 0o644, size: 5, source }], {
        mtime: 0,
        level: 1,
      }),
      /changed while the release was written/,
    );
  });
});
