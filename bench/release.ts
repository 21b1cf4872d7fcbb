/**
 * `npm run bench -- release [runs]`: what the trust of issue 20 costs.
 *
 * - The release: `npm run release`'s build of this commit (uncommitted changes allowed, as the
 *   tests do), its time, the tarball's size and file count.
 * - Attestation: the installed release, extracted and signed by 2 of 3 generated maintainer keys,
 *   runs `openprep --version` through its own pinned Node `runs` times (default 7, after one
 *   warm-up) with the check (the bootstrap reads and hashes every file of the manifest) and the
 *   same folder without its manifest (a development checkout: nothing checked), interleaved run
 *   by run so that a drifting load touches both alike. The difference is what every command of an
 *   installed release pays at start; the page cache is warm (the cold figure needs root to drop
 *   the cache: see docs/trust.md).
 *
 * Prints one JSON object. Everything is made in a temporary folder, removed at the end, also
 * when a step fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { pinMaintainers, signRelease } from '../src/test/release_keys.ts';
import { buildRelease } from '../tools/release.ts';

const runs = Number(process.argv[2] ?? 7);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: npm run bench -- release [runs]\n');
  process.exit(2);
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const summary = (values: readonly number[]) => ({
  median_ms: Math.round(median(values)),
  min_ms: Math.round(Math.min(...values)),
  max_ms: Math.round(Math.max(...values)),
});

const work = await mkdtemp(path.join(tmpdir(), 'openprep-bench-release-'));
try {
  const built = await buildRelease({
    repo: path.join(import.meta.dirname, '..'),
    out: path.join(work, 'release'),
    allowDirty: true,
    level: 6,
  });
  const extracted = path.join(work, 'installed');
  await mkdir(extracted);
  const tar = spawnSync('tar', ['-xzf', built.tarball, '-C', extracted], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  const installed = path.join(extracted, `openprep-${built.version}`);
  const keysFile = path.join(work, 'release-keys.txt');
  const env = { ...process.env, OPENPREP_RELEASE_KEYS: keysFile };
  const openprep = (args: readonly string[]) => {
    const run = spawnSync(
      path.join(installed, 'node_modules/.bin/node'),
      [path.join(installed, 'bin/openprep.js'), ...args],
      { encoding: 'utf8', env, timeout: 120_000 },
    );
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const keys = path.join(work, 'maintainers');
  await pinMaintainers(openprep, keys, ['ana', 'beto', 'carla'], keysFile);
  signRelease(openprep, path.join(installed, 'release-manifest.json'), keys, ['ana', 'carla']);

  const manifest = path.join(installed, 'release-manifest.json');
  const aside = path.join(work, 'release-manifest.json');
  const timed = (): number => {
    const started = performance.now();
    const run = openprep(['--version']);
    if (run.code !== 0) throw new Error(`openprep --version exited ${run.code}: ${run.stderr}`);
    return performance.now() - started;
  };
  const attested: number[] = [];
  const development: number[] = [];
  timed(); // warm-up: the page cache holds the release from here on
  for (let i = 0; i < runs; i++) {
    attested.push(timed());
    await rename(manifest, aside);
    try {
      development.push(timed());
    } finally {
      await rename(aside, manifest);
    }
  }
  const a = summary(attested);
  const d = summary(development);
  process.stdout.write(
    `${JSON.stringify({
      release: {
        version: built.version,
        release_sha256: built.releaseHash,
        tarball_bytes: built.bytes,
        files: built.files,
        build_seconds: Number(built.seconds.toFixed(1)),
      },
      attest: {
        runs,
        command: 'openprep --version',
        attested: a,
        development: d,
        overhead_median_ms: a.median_ms - d.median_ms,
      },
    })}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
