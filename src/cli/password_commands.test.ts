/**
 * The password commands as an administrator runs them: a corpus built from a curated list in
 * both layouts, `operator add` and `operator password` refusing what it holds, `passwords
 * recheck` naming the accounts it finds, and `serve` refusing to start on a corpus it cannot read.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusIdentity, passwordSha1 } from '../auth/breached_passwords.ts';
import {
  addOperatorWithCli,
  preparedCenter,
  runCli,
  startServer,
  stopServer,
} from '../test/center_process.ts';

let work: string;
let data: string;
/** The election's clock the center was made at (serve runs a drill on it). */
let start: number;
const LEAKED = 'una frase filtrada en otra parte';
const GOOD = 'una frase larga que nadie adivina';
const LATER = 'otra frase que se filtró después';

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-pwcli-'));
  data = path.join(work, 'center');
  ({ start } = await preparedCenter(data, 5, []));
  await writeFile(path.join(work, 'list.txt'), `${LEAKED}\r\n\n${LEAKED}\n`);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const addOperator = (username: string, password: string, env: Record<string, string> = {}) =>
  addOperatorWithCli(data, { username, role: 'capturista', password }, env);

describe('openprep passwords and operator password', () => {
  test('corpus build: one sorted file and a folder of HIBP range files', async () => {
    const file = path.join(work, 'corpus.txt');
    const built = await runCli(['passwords', 'corpus', path.join(work, 'list.txt'), '--out', file]);
    assert.equal(built.code, 0, built.stderr);
    assert.equal(await readFile(file, 'utf8'), `${passwordSha1(LEAKED)}:2\n`);
    const folder = path.join(work, 'ranges');
    const ranges = await runCli([
      'passwords',
      'corpus',
      path.join(work, 'list.txt'),
      '--layout',
      'folder',
      '--out',
      folder,
    ]);
    assert.equal(ranges.code, 0, ranges.stderr);
    assert.deepEqual(await readdir(folder), [`${passwordSha1(LEAKED).slice(0, 5)}.txt`]);
    const again = await runCli([
      'passwords',
      'corpus',
      path.join(work, 'list.txt'),
      '--layout',
      'folder',
      '--out',
      folder,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not empty/);
    await writeFile(path.join(work, 'hashes.txt'), `${passwordSha1(LEAKED)}:7\nnot a hash\n`);
    const bad = await runCli([
      'passwords',
      'corpus',
      path.join(work, 'hashes.txt'),
      '--from',
      'hashes',
      '--out',
      file,
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /line 2 is not SHA1 or SHA1:COUNT/);
  });

  test('operator add and operator password refuse a breached password; recheck finds a later leak', async () => {
    const env = { OPENPREP_BREACHED_PASSWORDS: path.join(work, 'corpus.txt') };
    const refused = await addOperator('ana.lopez', LEAKED, env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /appears in published breaches/);
    // The folder layout answers the same.
    const fromFolder = await addOperator('ana.lopez', LEAKED, {
      OPENPREP_BREACHED_PASSWORDS: path.join(work, 'ranges'),
    });
    assert.equal(fromFolder.code, 2);
    const added = await addOperator('ana.lopez', GOOD, env);
    assert.equal(added.code, 0, added.stderr);
    assert.equal((await addOperator('beto.ruiz', `${GOOD} también`, env)).code, 0);
    const reset = await runCli(
      ['operator', 'password', '--data', data, '--username', 'ana.lopez', '--password-stdin'],
      {
        stdin: `${LEAKED}\n`,
        env,
      },
    );
    assert.equal(reset.code, 2);
    assert.match(reset.stderr, /appears in published breaches/);
    const done = await runCli(
      ['operator', 'password', '--data', data, '--username', 'ana.lopez', '--password-stdin'],
      {
        stdin: `${LATER}\n`,
        env,
      },
    );
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /must change it at their next sign-in/);
    const listed = await runCli(['operator', 'list', '--data', data]);
    assert.match(listed.stdout, /ana\.lopez\t.*must change password \(reset\)/);
    // A new corpus holds beto's password: recheck names him, and nobody else.
    await writeFile(path.join(work, 'later.txt'), `${GOOD} también\n`);
    const later = path.join(work, 'later-corpus.txt');
    assert.equal(
      (await runCli(['passwords', 'corpus', path.join(work, 'later.txt'), '--out', later])).code,
      0,
    );
    const recheck = await runCli(['passwords', 'recheck', '--data', data, '--corpus', later]);
    assert.equal(recheck.code, 0, recheck.stderr);
    assert.match(recheck.stdout, /checked 2 accounts/);
    assert.match(
      recheck.stdout,
      /1 must change their password at their next request or sign-in:\n {2}beto\.ruiz\n$/,
    );
    assert.ok(!recheck.stdout.includes(GOOD));
  });

  test('serve re-checks the kept fingerprints at start when the corpus is new to it', async () => {
    const env = { OPENPREP_BREACHED_PASSWORDS: path.join(work, 'corpus.txt') };
    assert.equal((await addOperator('carla.diaz', `${GOOD} de carla`, env)).code, 0);
    await writeFile(path.join(work, 'carla.txt'), `${GOOD} de carla\n`);
    const corpus = path.join(work, 'carla-corpus.txt');
    assert.equal(
      (await runCli(['passwords', 'corpus', path.join(work, 'carla.txt'), '--out', corpus])).code,
      0,
    );
    const { child } = await startServer(data, start, { OPENPREP_BREACHED_PASSWORDS: corpus });
    // The re-check runs in the background; its mark is written once every account is checked
    // (a node stopped before then checks again at its next start).
    const marker = path.join(data, 'breached-passwords.checked');
    for (let waited = 0; !existsSync(marker) && waited < 120_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await stopServer(child);
    const listed = await runCli(['operator', 'list', '--data', data]);
    assert.match(listed.stdout, /carla\.diaz\t.*must change password \(breached\)/);
    assert.equal(
      await readFile(path.join(data, 'breached-passwords.checked'), 'utf8'),
      await corpusIdentity(corpus),
    );
  });

  test('serve does not start on a corpus it cannot read', async () => {
    const served = await runCli(['serve', '--data', data, '--port', '0'], {
      env: { OPENPREP_BREACHED_PASSWORDS: path.join(work, 'nowhere') },
      timeoutMs: 60_000,
    });
    assert.equal(served.code, 1);
    assert.match(served.stderr, /the breached-password corpus .*nowhere: there is no such file or folder/);
  });
});
