/**
 * The bootstrap on a small real installed folder: the checker's own files copied from this
 * checkout, a stand-in application (src/cli/main.ts prints a line), a manifest written with the
 * release's own code, three maintainers' keys and a 2-of-3 threshold. `bin/openprep.js` is run as
 * a process: it starts the application when everything checks, and refuses (exit 20, the file
 * named, nothing of the application loaded) on one changed byte, an unexpected file, a missing
 * signature, a changed checker or preloaded code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, before, describe, it } from 'node:test';
import { formatVerifierKey, type NoteSigner, rawPublicKeyOf, signNote } from '../journal/note.ts';
import {
  attestRelease,
  CHECKER_FILES,
  CHECKER_PACKAGES,
  preloadedCode,
  RELEASE_REFUSED_EXIT,
} from './bootstrap.ts';
import { modeText } from './installed.ts';
import { type ReleaseFile, releaseHash, releaseStatement, serializeReleaseManifest } from './manifest.ts';

const CHECKOUT = path.join(import.meta.dirname, '..', '..');
const APP_LOADED = 'the application was loaded';

function maintainer(name: string): { signer: NoteSigner; verifier: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: { name, privateKey }, verifier: formatVerifierKey(name, rawPublicKeyOf(publicKey)) };
}
const maintainers = [maintainer('ana.openprep'), maintainer('beto.openprep'), maintainer('carla.openprep')];

async function listFiles(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else out.push(child);
  }
  return out;
}

/** Writes the manifest of everything under `root` and its signatures by `signers`. */
async function seal(root: string, signers: readonly NoteSigner[]): Promise<string> {
  const files: ReleaseFile[] = [];
  for (const file of await listFiles(root)) {
    if (file.startsWith('release-manifest.')) continue;
    const absolute = path.join(root, file);
    const bytes = await readFile(absolute);
    const { createHash } = await import('node:crypto');
    files.push({
      path: file,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      mode: modeText((await lstat(absolute)).mode),
    });
  }
  const manifest = serializeReleaseManifest({
    format: 'openprep-release/1',
    version: '0.1.0',
    commit: '0'.repeat(40),
    sourceDateEpoch: 1_700_000_000,
    node: process.versions.node,
    files,
  });
  await writeFile(path.join(root, 'release-manifest.json'), manifest);
  const hash = releaseHash(manifest);
  await writeFile(
    path.join(root, 'release-manifest.sig'),
    signNote(releaseStatement('0.1.0', hash), ...signers),
  );
  return hash;
}

describe('the bootstrap of an installed release', () => {
  let work: string;
  let pristine: string;
  let keys: string;
  let hash: string;
  let n = 0;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'openprep-bootstrap-'));
    pristine = path.join(work, 'pristine');
    for (const file of ['bin/openprep.js', 'src/release/bootstrap.ts', ...CHECKER_FILES]) {
      await mkdir(path.dirname(path.join(pristine, file)), { recursive: true });
      await cp(path.join(CHECKOUT, file), path.join(pristine, file));
    }
    await chmod(path.join(pristine, 'bin/openprep.js'), 0o755);
    // zod, as the checker loads it (a package the manifest lists file by file).
    await cp(path.join(CHECKOUT, 'node_modules/zod'), path.join(pristine, 'node_modules/zod'), {
      recursive: true,
      dereference: true,
    });
    await mkdir(path.join(pristine, 'src/cli'), { recursive: true });
    await writeFile(
      path.join(pristine, 'src/cli/main.ts'),
      `process.stdout.write(${JSON.stringify(`${APP_LOADED}\n`)});\n`,
    );
    await writeFile(path.join(pristine, 'README.md'), 'an installed release\n');
    await mkdir(path.join(pristine, 'node_modules/left-pad'), { recursive: true });
    await writeFile(
      path.join(pristine, 'node_modules/left-pad/index.js'),
      'export const pad = (s) => " " + s;\n',
    );
    hash = await seal(pristine, [maintainers[0]!.signer, maintainers[2]!.signer]);
    keys = path.join(work, 'release-keys.txt');
    await writeFile(
      keys,
      `# the maintainers\n${maintainers.map((m) => m.verifier).join('\n')}\nthreshold 2\n`,
    );
  });
  after(() => rm(work, { recursive: true, force: true }));

  /** A fresh copy of the sealed release, `change` applied. */
  const install = async (change?: (root: string) => Promise<void>): Promise<string> => {
    const root = path.join(work, `install-${n++}`);
    await cp(pristine, root, { recursive: true });
    await change?.(root);
    return root;
  };
  const run = (root: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [path.join(root, 'bin/openprep.js')], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', OPENPREP_RELEASE_KEYS: keys, ...env },
      timeout: 60_000,
    });
  const flipByte = (file: string) => async (root: string) => {
    const bytes = await readFile(path.join(root, file));
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    await writeFile(path.join(root, file), bytes);
  };

  it('attests an unchanged release: the version, the hash and the 2 signers of 3', async () => {
    const root = await install();
    const result = await attestRelease(root, { OPENPREP_RELEASE_KEYS: keys });
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.value.version, '0.1.0');
    assert.equal(result.value.sha256, hash);
    assert.deepEqual(result.value.signers, ['ana.openprep', 'carla.openprep']);
    const child = run(root);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, `${APP_LOADED}\n`);
    // No compile cache is written into an installed release (it would be code nobody listed).
    await assert.rejects(lstat(path.join(root, 'node_modules/.cache')));
  });

  it('refuses one changed byte of a source file, naming it, before the application loads', async () => {
    const root = await install(async (r) => {
      await writeFile(
        path.join(r, 'src/cli/main.ts'),
        `${await readFile(path.join(r, 'src/cli/main.ts'), 'utf8')} `,
      );
    });
    const child = run(root);
    assert.equal(child.status, RELEASE_REFUSED_EXIT);
    assert.equal(child.stdout, '', 'nothing of the application ran');
    assert.match(child.stderr, /refusing to start/);
    assert.match(child.stderr, /src\/cli\/main\.ts: changed/);
  });

  it('refuses a changed file of a package and an unexpected file under node_modules', async () => {
    const root = await install(async (r) => {
      await writeFile(path.join(r, 'node_modules/planted.js'), 'globalThis.owned = true;\n');
      await flipByte('node_modules/left-pad/index.js')(r);
    });
    const result = await attestRelease(root, { OPENPREP_RELEASE_KEYS: keys });
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.code, 'release-modified');
    assert.deepEqual(result.differences, [
      { path: 'node_modules/left-pad/index.js', problem: 'changed' },
      { path: 'node_modules/planted.js', problem: 'unexpected' },
    ]);
    const child = run(root);
    assert.equal(child.status, RELEASE_REFUSED_EXIT);
    assert.match(child.stderr, /node_modules\/planted\.js: unexpected/);
  });

  it("refuses a change to the checker's own code before loading it", async () => {
    const root = await install(flipByte('src/journal/note.ts'));
    const result = await attestRelease(root, { OPENPREP_RELEASE_KEYS: keys });
    assert.ok(!result.ok);
    assert.equal(result.code, 'release-modified');
    assert.match(result.message, /check's own code/);
    assert.deepEqual(result.differences, [{ path: 'src/journal/note.ts', problem: 'changed' }]);
  });

  it('refuses a changed mode', async () => {
    const root = await install((r) => chmod(path.join(r, 'src/cli/main.ts'), 0o777));
    const result = await attestRelease(root, { OPENPREP_RELEASE_KEYS: keys });
    assert.ok(!result.ok);
    assert.deepEqual(result.differences, [{ path: 'src/cli/main.ts', problem: 'mode' }]);
  });

  it('refuses one signature where two are required, and keys it cannot read', async () => {
    const root = await install(async (r) => {
      const manifest = await readFile(path.join(r, 'release-manifest.json'));
      await writeFile(
        path.join(r, 'release-manifest.sig'),
        signNote(releaseStatement('0.1.0', releaseHash(manifest)), maintainers[1]!.signer),
      );
    });
    const one = await attestRelease(root, { OPENPREP_RELEASE_KEYS: keys });
    assert.ok(!one.ok);
    assert.equal(one.code, 'release-threshold');
    const child = run(root);
    assert.equal(child.status, RELEASE_REFUSED_EXIT);
    assert.match(child.stderr, /release-threshold/);
    const noKeys = await attestRelease(await install(), {
      OPENPREP_RELEASE_KEYS: path.join(work, 'absent.txt'),
    });
    assert.ok(!noKeys.ok);
    assert.equal(noKeys.code, 'release-keys-unreadable');
  });

  it('refuses a manifest rewritten to match a changed file (its signatures no longer match it)', async () => {
    const root = await install(async (r) => {
      await writeFile(path.join(r, 'src/cli/main.ts'), 'process.stdout.write("patched\\n");\n');
      const sig = await readFile(path.join(r, 'release-manifest.sig'));
      await seal(r, [maintainers[0]!.signer]);
      await writeFile(path.join(r, 'release-manifest.sig'), sig);
    });
    const result = await attestRelease(root, { OPENPREP_RELEASE_KEYS: keys });
    assert.ok(!result.ok);
    assert.equal(result.code, 'bad-release-signature');
    assert.equal(run(root).stdout, '');
  });

  it('refuses code preloaded through Node options', async () => {
    assert.equal(preloadedCode('--max-old-space-size=4096', []), null);
    assert.match(preloadedCode('--require /tmp/x.js', []) ?? '', /--require/);
    assert.match(preloadedCode('', ['--import=/tmp/x.mjs']) ?? '', /--import/);
    const root = await install();
    const child = run(root, { NODE_OPTIONS: '--import=data:text/javascript,0' });
    assert.equal(child.status, RELEASE_REFUSED_EXIT);
    assert.equal(child.stdout, '');
    const cached = run(root, { NODE_COMPILE_CACHE: path.join(work, 'cache') });
    assert.equal(cached.status, RELEASE_REFUSED_EXIT);
    assert.match(cached.stderr, /NODE_COMPILE_CACHE/);
  });

  it('lists every file the checker imports, followed to the end, as checked before it is loaded', async () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const follow = async (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = await readFile(path.join(CHECKOUT, file), 'utf8');
      for (const match of text.matchAll(/^import (?!type )[^;]*? from '([^']+)';/gms)) {
        const target = match[1]!;
        if (target.startsWith('node:')) continue;
        if (target.startsWith('.')) await follow(path.posix.join(path.posix.dirname(file), target));
        else packages.add(`node_modules/${target}/`);
      }
    };
    await follow('src/release/manifest.ts');
    await follow('src/release/installed.ts');
    assert.deepEqual([...seen].sort(), [...CHECKER_FILES].sort());
    assert.deepEqual([...packages].sort(), [...CHECKER_PACKAGES].sort());
  });
});

describe('a development checkout', () => {
  it('has no release manifest: bin/openprep.js runs it as it is, not attested', async () => {
    await assert.rejects(lstat(path.join(CHECKOUT, 'release-manifest.json')));
    const { currentAttestation } = await import('./bootstrap.ts');
    assert.deepEqual(currentAttestation(), { kind: 'development' });
  });
});
