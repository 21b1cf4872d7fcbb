/**
 * The secrets key (secrets_key.ts) given by the deployment: `init` writes the file it is told
 * (0600) and records the key's check value in the store; a node given the same file opens,
 * as does one given it as a systemd credential; a node given another key — or none, making its
 * own — is refused at start naming the file, as are a key file others may read and a missing
 * one; a store from before the check adopts a key only if it opens the seeds already sealed.
 */
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Accounts } from '../auth/accounts.ts';
import { SecretBox } from '../auth/secret_box.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { runCli } from '../test/center_process.ts';
import { initCenter, openCenter } from './node.ts';

test('a secrets key given to every node: written by init, the same one opens, another is refused at start', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-secrets-key-'));
  try {
    const data = path.join(work, 'center');
    const key = path.join(work, 'etc', 'secrets.key');
    const catalog = generateCatalog({ scale: 'tiny', seed: 5 });
    const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
    const env = { OPENPREP_SECRETS_KEY_FILE: key };
    const created = await initCenter({ root: data, election, catalog, clock: Date.now, env });
    assert.ok(created.ok, created.ok ? '' : created.message);
    assert.equal((await stat(key)).mode & 0o777, 0o600);
    assert.ok((await SecretBox.load(key)).ok);
    await created.value.close();

    const opens = async (given: NodeJS.ProcessEnv) => {
      const node = await openCenter({ root: data, clock: Date.now, env: given });
      assert.ok(node.ok, node.ok ? '' : node.message);
      try {
        const box = await node.value.secrets();
        return box.ok ? 'ok' : `${box.code}: ${box.message}`;
      } finally {
        await node.value.close();
      }
    };
    assert.equal(await opens(env), 'ok');
    // As a systemd credential (LoadCredential=openprep-secrets.key:…).
    const credentials = path.join(work, 'credentials');
    await mkdir(credentials);
    await copyFile(key, path.join(credentials, 'openprep-secrets.key'));
    await chmod(path.join(credentials, 'openprep-secrets.key'), 0o400);
    assert.equal(await opens({ CREDENTIALS_DIRECTORY: credentials }), 'ok');

    // Another key, or none (the node makes its own in its folder): refused, naming the file.
    const other = path.join(work, 'other.key');
    await writeFile(other, SecretBox.newKeyText(), { mode: 0o600 });
    assert.match(
      await opens({ OPENPREP_SECRETS_KEY_FILE: other }),
      /^secrets-key-mismatch: the secrets key .*other\.key is not the key/,
    );
    assert.match(
      await opens({}),
      /^secrets-key-mismatch: the secrets key .*center\/keys\/secrets\.key is not the key/,
    );
    // A key others may read, and a missing one.
    await chmod(other, 0o644);
    assert.match(
      await opens({ OPENPREP_SECRETS_KEY_FILE: other }),
      /^secrets-key-unreadable: .*others may read it \(mode 644\)/,
    );
    assert.match(
      await opens({ OPENPREP_SECRETS_KEY_FILE: path.join(work, 'nowhere.key') }),
      /^secrets-key-unreadable: .*there is no such file/,
    );

    // serve and the operator commands stop with that line.
    const served = await runCli(['serve', '--data', data, '--port', '0'], {
      env: { OPENPREP_SECRETS_KEY_FILE: path.join(work, 'nowhere.key') },
      timeoutMs: 60_000,
    });
    assert.equal(served.code, 1, served.stderr);
    assert.match(served.stderr, /^openprep serve: the secrets key .*nowhere\.key: there is no such file\n$/);
    const listed = await runCli(['operator', 'list', '--data', data], { env: {} });
    assert.equal(listed.code, 1, listed.stderr);
    assert.match(listed.stderr, /secrets\.key is not the key the other nodes of this election use/);
    assert.equal(await readFile(key, 'utf8').then((t) => t.trim().length), 44);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('a store from before the check: a key that does not open the sealed seeds is refused, the right one adopted', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-secrets-old-'));
  try {
    const data = path.join(work, 'center');
    const catalog = generateCatalog({ scale: 'tiny', seed: 6 });
    const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
    const created = await initCenter({ root: data, election, catalog, clock: Date.now, env: {} });
    assert.ok(created.ok, created.ok ? '' : created.message);
    const accounts = await Accounts.open(created.value, Date.now);
    const added = await accounts.addOperator({
      username: 'ana.captura',
      name: 'Ana',
      role: 'capturista',
      scope: 'nacional',
      password: 'una frase larga que nadie adivina',
      expiresAt: null,
      by: 'test',
    });
    assert.ok(added.ok, added.ok ? '' : added.message);
    // As a store written before the check value existed.
    await created.value.records.transaction((tx) => tx.setMeta('secrets-key-check', ''));
    await created.value.close();
    const other = path.join(work, 'other.key');
    await writeFile(other, SecretBox.newKeyText(), { mode: 0o600 });
    const wrong = await openCenter({
      root: data,
      clock: Date.now,
      env: { OPENPREP_SECRETS_KEY_FILE: other },
    });
    assert.ok(wrong.ok);
    const refused = await wrong.value.secrets();
    assert.ok(
      !refused.ok && /does not open 1 of the 1 sealed TOTP seeds/.test(refused.message),
      JSON.stringify(refused),
    );
    await wrong.value.close();
    const right = await openCenter({ root: data, clock: Date.now, env: {} });
    assert.ok(right.ok);
    assert.ok((await right.value.secrets()).ok);
    await right.value.close();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
