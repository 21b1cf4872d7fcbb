/**
 * `npm run release`, for real: two builds from two fresh clones of this commit — other folders,
 * another time zone, another umask, a later clock, the same SOURCE_DATE_EPOCH — must give the
 * same tarball, manifest and SBOM, byte for byte; the tarball, extracted by GNU tar, must run
 * (help, the verifier on a cut, `serve` answering /healthz) and verify against its manifest; 2
 * of 3 maintainer signatures must be accepted, 1 refused, and a changed byte named.
 *
 * Cost: about 2 to 3 minutes on two busy cores — two builds of 30–50 s each (hashing and
 * compressing ~200 MB, mostly the pinned Node), `serve` started from the extracted release, and
 * four `release verify` runs that hash every file.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, before, describe, it } from 'node:test';
import { generateSigningKey, saveSigningKey } from '../src/journal/keys.ts';
import { parseReleaseManifest, releaseHash } from '../src/release/manifest.ts';
import { stopServer } from '../src/test/center_process.ts';
import { writeFirstCut } from '../src/test/first_cut.ts';
import { pinMaintainers, signRelease } from '../src/test/release_keys.ts';

const ROOT = path.join(import.meta.dirname, '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const CUT_TIME = Date.parse('2024-06-03T05:00:00.000Z');

interface Built {
  readonly dir: string;
  readonly line: {
    tarball: string;
    manifest: string;
    sbom: string;
    version: string;
    releaseHash: string;
    tarballSha256: string;
    files: number;
    bytes: number;
    seconds: number;
  };
}

function sh(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh clone of this commit, made under `umask`, so its files' modes on disk differ. */
function cloneAt(dir: string, commit: string, umask: string): void {
  const cloned = sh('sh', [
    '-c',
    `umask ${umask} && git clone -q --no-checkout "$0" "$1" && git -C "$1" fetch -q "$0" "$2" && git -C "$1" checkout -q "$2"`,
    ROOT,
    dir,
    commit,
  ]);
  assert.equal(cloned.code, 0, cloned.stderr);
}

/**
 * The clone runs the tool (and builds dist/) with this checkout's installed packages, linked
 * as the worktrees link them; a link is not the folder `.gitignore` names, so it is excluded
 * here, lest it count as an uncommitted change.
 */
async function linkNodeModules(dir: string): Promise<void> {
  await symlink(NODE_MODULES, path.join(dir, 'node_modules'));
  await appendFile(path.join(dir, '.git/info/exclude'), '/node_modules\n');
}

function buildIn(dir: string, env: Record<string, string>, ...extra: string[]) {
  return sh(process.execPath, ['tools/release.ts', '--node-modules', NODE_MODULES, ...extra], {
    cwd: dir,
    env: { ...process.env, ...env },
  });
}

describe('npm run release', { timeout: 300_000 }, () => {
  let work: string;
  let epoch: string;
  const builds: Built[] = [];
  let installed: string;

  /** `openprep` of the extracted release, with its own pinned Node. */
  const openprep = (args: readonly string[], env: Record<string, string> = {}) =>
    sh(path.join(installed, 'node_modules/.bin/node'), [path.join(installed, 'bin/openprep.js'), ...args], {
      env: { ...process.env, OPENPREP_QUALITY_GATE: 'off', ...env },
    });

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'openprep-release-test-'));
    const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    epoch = execFileSync('git', ['-C', ROOT, 'log', '-1', '--format=%ct', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    for (const [name, tz, umask] of [
      ['a', 'America/Mexico_City', '022'],
      ['b', 'Asia/Tokyo', '002'],
    ] as const) {
      const dir = path.join(work, `clone-${name}`);
      cloneAt(dir, commit, umask);
      await linkNodeModules(dir);
      const built = buildIn(dir, { TZ: tz, SOURCE_DATE_EPOCH: epoch });
      assert.equal(built.code, 0, built.stderr);
      builds.push({ dir, line: JSON.parse(built.stdout) as Built['line'] });
    }
    const extracted = path.join(work, 'installed');
    await mkdir(extracted);
    const tar = sh('tar', ['-xzf', builds[0]!.line.tarball, '-C', extracted]);
    assert.equal(tar.code, 0, tar.stderr);
    installed = path.join(extracted, `openprep-${builds[0]!.line.version}`);
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('gives the same tarball, manifest and SBOM from two clones (folder, TZ, umask, clock differ)', async () => {
    const [a, b] = builds as [Built, Built];
    assert.notEqual(a.dir, b.dir);
    for (const file of ['tarball', 'manifest', 'sbom'] as const) {
      const bytesA = await readFile(a.line[file]);
      const bytesB = await readFile(b.line[file]);
      assert.ok(bytesA.equals(bytesB), `${file} differs between the two builds`);
    }
    assert.equal(a.line.tarballSha256, b.line.tarballSha256);
    assert.equal(a.line.releaseHash, releaseHash(await readFile(a.line.manifest)));
    assert.equal(path.basename(a.line.tarball), `openprep-${a.line.version}.tgz`);
    // What it cost, for the report: seconds and bytes of each build.
    process.stderr.write(
      `release builds: ${builds.map((build) => `${build.line.seconds} s`).join(', ')}; ${build_size(a)}\n`,
    );
  });

  it('ships the sources without tests or tools, dist, the production packages and the pinned Node', async () => {
    const manifest = parseReleaseManifest(await readFile(builds[0]!.line.manifest));
    assert.ok(manifest.ok, manifest.ok ? '' : manifest.message);
    const paths = new Set(manifest.value.files.map((file) => file.path));
    for (const expected of [
      'bin/openprep.js',
      'src/cli/main.ts',
      'package-lock.json',
      'deploy/release-keys.txt',
      'docs/trust.md',
      'dist/site/index.html',
      'dist/console/index.html',
      'node_modules/node/bin/node',
      'node_modules/fastify/package.json',
      'node_modules/.bin/node',
      'node_modules/.bin/openprep',
    ])
      assert.ok(paths.has(expected), `${expected} is missing from the release`);
    for (const file of paths) {
      if (!file.startsWith('node_modules/'))
        assert.doesNotMatch(file, /\.(test|contract|adversarial)\.tsx?$|^src\/test\/|^tools\/|^bench\//);
      assert.doesNotMatch(file, /^node_modules\/(vite|typescript|@biomejs|playwright-core)\//, file);
      assert.doesNotMatch(file, /\.package-lock\.json$|^node_modules\/\.cache\//);
    }
    assert.equal(manifest.value.sourceDateEpoch, Number(epoch));
    assert.equal(manifest.value.dirty, undefined);
    assert.deepEqual(
      manifest.value.files.find((file) => file.path === 'node_modules/.bin/node'),
      { path: 'node_modules/.bin/node', symlink: '../node/bin/node' },
    );
    // The manifest at the tarball's root is the one beside it.
    assert.ok(
      (await readFile(path.join(installed, 'release-manifest.json'))).equals(
        await readFile(builds[0]!.line.manifest),
      ),
    );
    // Every entry as GNU tar lists it: owned by root, one time, no absolute path.
    const listing = sh('tar', ['-tvzf', builds[0]!.line.tarball, '--numeric-owner', '--utc'])
      .stdout.trim()
      .split('\n');
    const stamp = new Date(Number(epoch) * 1000).toISOString().slice(0, 16).replace('T', ' ');
    for (const line of listing) {
      assert.match(line, / 0\/0 /, line);
      assert.ok(line.includes(stamp), `${line} is not dated ${stamp}`);
      assert.match(line, / openprep-\d+\.\d+\.\d+\/?/, line);
    }
  });

  it('writes a CycloneDX SBOM of the production packages, with purl, version, SHA-512 and licence', async () => {
    const sbom = JSON.parse(await readFile(builds[0]!.line.sbom, 'utf8')) as {
      bomFormat: string;
      specVersion: string;
      serialNumber: string;
      version: number;
      metadata: { timestamp: string; component: { name: string; version: string } };
      components: {
        type: string;
        name: string;
        version: string;
        purl: string;
        'bom-ref': string;
        hashes?: { alg: string; content: string }[];
        licenses?: { expression: string }[];
      }[];
    };
    assert.equal(sbom.bomFormat, 'CycloneDX');
    assert.equal(sbom.specVersion, '1.6');
    assert.equal(sbom.version, 1);
    assert.match(
      sbom.serialNumber,
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(sbom.metadata.timestamp, new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z'));
    assert.equal(sbom.metadata.component.name, 'openprep');
    const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string; integrity?: string; dev?: boolean }>;
    };
    const byName = new Map(sbom.components.map((component) => [component.name, component]));
    const fastify = byName.get('fastify');
    assert.ok(fastify !== undefined);
    assert.equal(fastify.version, lock.packages['node_modules/fastify']!.version);
    assert.equal(fastify.purl, `pkg:npm/fastify@${fastify.version}`);
    assert.equal(
      fastify.hashes?.[0]?.content,
      Buffer.from(lock.packages['node_modules/fastify']!.integrity!.slice(7), 'base64').toString('hex'),
    );
    assert.equal(fastify.hashes?.[0]?.alg, 'SHA-512');
    assert.deepEqual(fastify.licenses, [{ expression: 'MIT' }]);
    assert.ok(byName.get('@fastify/multipart')?.purl.startsWith('pkg:npm/%40fastify/multipart@'));
    assert.ok(byName.has('node'), 'the pinned Node is a component');
    for (const dev of ['vite', 'typescript', '@biomejs/biome']) assert.equal(byName.has(dev), false, dev);
    for (const component of sbom.components) {
      assert.equal(component.type, 'library');
      assert.equal(component['bom-ref'], component.purl);
      assert.match(component.purl, /^pkg:npm\/[^@]+@.+$/);
    }
  });

  it('runs once extracted: help, the verifier on a cut, serve answering /healthz', async () => {
    // An installed release runs only signed by its pinned maintainers (src/release/bootstrap.ts):
    // two of three operators' keys sign it here (the next test's keys are others).
    const operators = path.join(work, 'operators');
    const pinnedFile = path.join(work, 'operators-keys.txt');
    await pinMaintainers(openprep, operators, ['uno', 'dos', 'tres'], pinnedFile);
    signRelease(openprep, path.join(installed, 'release-manifest.json'), operators, ['uno', 'tres']);
    process.env['OPENPREP_RELEASE_KEYS'] = pinnedFile;
    const help = openprep(['help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /release verify/);

    const signer = generateSigningKey('openprep.TEST.simulacro');
    const cut = await writeFirstCut({
      cutsRoot: path.join(work, 'cuts'),
      actas: [],
      cutTime: CUT_TIME,
      signer,
    });
    const { pub } = await saveSigningKey(path.join(work, 'keys'), signer);
    const verified = openprep(['verify', cut.folder, '--key', pub]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    const csv = path.join(work, 'catalog.csv');
    const data = path.join(work, 'center');
    assert.equal(openprep(['catalog', 'generate', '--scale', 'tiny', '--seed', '3', '--out', csv]).code, 0);
    const init = openprep(['init', '--data', data, '--catalog', csv]);
    assert.equal(init.code, 0, init.stderr);
    const child = spawn(
      path.join(installed, 'node_modules/.bin/node'),
      [path.join(installed, 'bin/openprep.js'), 'serve', '--data', data, '--port', '0'],
      {
        env: { ...process.env, OPENPREP_LOG_LEVEL: 'silent', OPENPREP_DRAIN_SECONDS: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      const base = await listening(child);
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const consolePage = await fetch(`${base}/consola/`);
      assert.equal(consolePage.status, 200);
      assert.match(await consolePage.text(), /integrity="sha384-/, 'the built console is served');
    } finally {
      await stopServer(child);
      delete process.env['OPENPREP_RELEASE_KEYS'];
    }
  });

  it('verifies with 2 of 3 maintainers, refuses 1, and names a changed byte', async () => {
    const keys = path.join(work, 'maintainers');
    const lines: string[] = [];
    for (const name of ['ana', 'beto', 'carla']) {
      const made = openprep(['release', 'keygen', '--name', `openprep-release.${name}`, '--out', keys]);
      assert.equal(made.code, 0, made.stderr);
      lines.push(made.stdout.split('\n')[0]!);
      assert.equal((await lstat(path.join(keys, `openprep-release.${name}.key`))).mode & 0o777, 0o600);
    }
    const keysFile = path.join(work, 'release-keys.txt');
    await writeFile(keysFile, `# three maintainers\n${lines.join('\n')}\nthreshold 2\n`);
    const manifest = path.join(installed, 'release-manifest.json');
    const sign = (name: string) =>
      openprep(['release', 'sign', manifest, '--key', path.join(keys, `openprep-release.${name}.key`)]);

    assert.equal(sign('carla').code, 0);
    // The signatures alone (the manifest, release-manifest.sig beside it): reading every file takes seconds.
    const one = openprep(['release', 'verify', manifest, '--keys', keysFile]);
    assert.equal(one.code, 1);
    assert.match(one.stderr, /release-threshold/);

    assert.equal(sign('ana').code, 0);
    assert.match((await readdir(installed)).join(' '), /release-manifest\.sig/);
    const two = openprep(['release', 'verify', installed, '--json'], { OPENPREP_RELEASE_KEYS: keysFile });
    assert.equal(two.code, 0, two.stdout + two.stderr);
    const report = JSON.parse(two.stdout) as { ok: boolean; signers: string[]; releaseHash: string };
    assert.deepEqual(report.signers, ['openprep-release.ana', 'openprep-release.carla']);
    assert.equal(report.releaseHash, builds[0]!.line.releaseHash);

    // The shipped keys file has no keys yet: it refuses everything, as it says.
    const shipped = openprep([
      'release',
      'verify',
      installed,
      '--keys',
      path.join(installed, 'deploy/release-keys.txt'),
    ]);
    assert.equal(shipped.code, 1);
    assert.match(shipped.stderr, /bad-release-keys/);

    const target = path.join(installed, 'src/journal/note.ts');
    const bytes = await readFile(target);
    bytes[100] = bytes[100]! ^ 0x20;
    await writeFile(target, bytes);
    await appendFile(path.join(installed, 'node_modules/fastify/planted.js'), 'process.exit(0)\n');
    const tampered = openprep(['release', 'verify', installed, '--keys', keysFile]);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /^changed: src\/journal\/note\.ts$/m);
    assert.match(tampered.stderr, /^unexpected: node_modules\/fastify\/planted\.js$/m);
  });

  it('refuses a dirty work tree unless --allow-dirty', async () => {
    const dir = builds[1]!.dir;
    await appendFile(path.join(dir, 'README.md'), '\nan uncommitted line\n');
    const refused = buildIn(dir, { SOURCE_DATE_EPOCH: epoch }, '--out', 'release-dirty');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /uncommitted changes.*--allow-dirty/s);
  });
});

function build_size(build: Built): string {
  return `${build.line.files} files, ${(build.line.bytes / 1e6).toFixed(1)} MB`;
}

/** Resolves with the base URL once `serve` says it listens. */
function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/[0-9.]+:[0-9]+)\//.exec(text);
      if (match !== null) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${text}`)));
  });
}
