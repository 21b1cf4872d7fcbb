import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { checkInstalledRelease, readInstalledRelease } from './installed.ts';
import { type ReleaseManifest, releaseHash, serializeReleaseManifest } from './manifest.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('checkInstalledRelease', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'openprep-installed-'));
  after(() => rm(root, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'bin/openprep.js': '#!/usr/bin/env node\n',
    'node_modules/node/bin/node': 'not really node',
    'src/a.ts': 'export const a = 1;\n',
    'src/b.ts': 'export const b = 2;\n',
    'docs/x.md': '# x\n',
  };
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
    await chmod(path.join(root, name), name.startsWith('bin/') ? 0o755 : 0o644);
  }
  await mkdir(path.join(root, 'node_modules/.bin'), { recursive: true });
  await symlink('../node/bin/node', path.join(root, 'node_modules/.bin/node'));
  const manifest: ReleaseManifest = {
    format: 'openprep-release/1',
    version: '0.1.0',
    commit: 'a'.repeat(40),
    sourceDateEpoch: 0,
    node: '24.21.0',
    files: [
      ...Object.entries(files).map(([name, text]) => ({
        path: name,
        bytes: Buffer.byteLength(text),
        sha256: sha256(text),
        mode: name.startsWith('bin/') ? '0755' : '0644',
      })),
      { path: 'node_modules/.bin/node', symlink: '../node/bin/node' },
    ],
  };

  it('finds nothing in an intact folder, not even the compile cache Node writes there', async () => {
    await mkdir(path.join(root, 'node_modules/.cache/node-compile-cache'), { recursive: true });
    await writeFile(path.join(root, 'node_modules/.cache/node-compile-cache/x'), 'cached');
    assert.deepEqual(await checkInstalledRelease(root, manifest), { differences: [] });
  });

  it('reads the running release: null in a checkout, the version and hash of its manifest, or the error', async () => {
    assert.deepEqual(await readInstalledRelease(root), { ok: true, value: null });
    const bytes = serializeReleaseManifest(manifest);
    await writeFile(path.join(root, 'release-manifest.json'), bytes);
    assert.deepEqual(await readInstalledRelease(root), {
      ok: true,
      value: { version: '0.1.0', sha256: releaseHash(bytes) },
    });
    await writeFile(path.join(root, 'release-manifest.json'), '{}');
    const bad = await readInstalledRelease(root);
    assert.equal(!bad.ok && bad.code, 'bad-release-manifest');
    await rm(path.join(root, 'release-manifest.json'));
  });

  it('finds missing, changed, unexpected and mode, and a relinked link', async () => {
    await rm(path.join(root, 'src/a.ts'));
    await writeFile(path.join(root, 'src/b.ts'), 'export const b = 3;\n');
    await writeFile(path.join(root, 'src/evil.ts'), 'steal();\n');
    await writeFile(path.join(root, 'docs/notes.md'), 'an extra doc runs nothing\n');
    await chmod(path.join(root, 'bin/openprep.js'), 0o777);
    await rm(path.join(root, 'node_modules/.bin/node'));
    await symlink('/usr/bin/node', path.join(root, 'node_modules/.bin/node'));
    const { differences } = await checkInstalledRelease(root, manifest);
    assert.deepEqual(differences, [
      { path: 'bin/openprep.js', problem: 'mode' },
      { path: 'node_modules/.bin/node', problem: 'changed' },
      { path: 'src/a.ts', problem: 'missing' },
      { path: 'src/b.ts', problem: 'changed' },
      { path: 'src/evil.ts', problem: 'unexpected' },
    ]);
  });
});
