/**
 * `openprep signer backup` and `signer recover` as an operator runs them: five share files,
 * three of them rebuild the exact key file (mode 0600); two, a damaged one or another
 * backup's are refused with one line.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { generateSigningKey, saveSigningKey } from '../journal/keys.ts';
import { runCli } from '../test/center_process.ts';

test('signer backup splits the key into share files; signer recover rebuilds it from any three', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-key-backup-'));
  try {
    const saved = await saveSigningKey(path.join(work, 'keys'), generateSigningKey('openprep.PEF2024.live'));
    const backup = await runCli([
      'signer',
      'backup',
      '--key',
      saved.key,
      '--shares',
      '5',
      '--threshold',
      '3',
      '--out',
      `${work}/shares`,
    ]);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /5 shares of openprep\.PEF2024\.live .*any 3 rebuild it/);
    const files = (await readdir(`${work}/shares`)).sort().map((f) => path.join(work, 'shares', f));
    assert.equal(files.length, 5);
    for (const file of files) assert.equal((await stat(file)).mode & 0o777, 0o600);
    const share = JSON.parse(await readFile(files[0]!, 'utf8')) as Record<string, unknown>;
    assert.equal(share['threshold'], 3);
    assert.equal(share['publicKey'], (await readFile(saved.pub, 'utf8')).trim());

    const out = path.join(work, 'recovered', 'openprep.PEF2024.live.key');
    const recovered = await runCli([
      'signer',
      'recover',
      '--shares',
      files[4]!,
      files[1]!,
      files[2]!,
      '--out',
      out,
    ]);
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.equal(await readFile(out, 'utf8'), await readFile(saved.key, 'utf8'));
    assert.equal((await stat(out)).mode & 0o777, 0o600);

    const again = await runCli(['signer', 'recover', '--shares', ...files.slice(0, 3), '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists/);
    const fewer = await runCli([
      'signer',
      'recover',
      '--shares',
      files[0]!,
      files[1]!,
      '--out',
      `${work}/x/openprep.PEF2024.live.key`,
    ]);
    assert.equal(fewer.code, 1);
    assert.equal(fewer.stderr, 'openprep signer recover: 2 shares given; this backup needs 3 of its 5\n');
    const text = await readFile(files[3]!, 'utf8');
    await writeFile(
      files[3]!,
      text.replace(/"share": "(.)/, (_, c: string) => `"share": "${c === 'Q' ? 'R' : 'Q'}`),
    );
    const damaged = await runCli([
      'signer',
      'recover',
      '--shares',
      files[0]!,
      files[1]!,
      files[3]!,
      '--out',
      `${work}/x/openprep.PEF2024.live.key`,
    ]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /share-4-of-5\.json is damaged or mistyped/);
    const second = await runCli([
      'signer',
      'backup',
      '--key',
      saved.key,
      '--shares',
      '3',
      '--threshold',
      '2',
      '--out',
      `${work}/other`,
    ]);
    assert.equal(second.code, 0, second.stderr);
    const [other] = (await readdir(`${work}/other`)).map((f) => path.join(work, 'other', f));
    const mixed = await runCli([
      'signer',
      'recover',
      '--shares',
      files[0]!,
      files[1]!,
      other!,
      '--out',
      `${work}/x/openprep.PEF2024.live.key`,
    ]);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /belongs to another backup/);
    const tooMany = await runCli([
      'signer',
      'backup',
      '--key',
      saved.key,
      '--shares',
      '2',
      '--threshold',
      '3',
      '--out',
      `${work}/bad`,
    ]);
    assert.equal(tooMany.code, 2);
    assert.match(tooMany.stderr, /need 2 ≤ K ≤ N/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
