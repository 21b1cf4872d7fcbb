/**
 * `npm run bench -- cli-start [runs] [project folder …]`: how long a quick `openprep` command
 * takes as a whole process, the way a person types it — `npx openprep --version`, `npx openprep
 * verify --help` — and straight through the pinned Node (`node bin/openprep.js …`), with two
 * baselines: the pinned Node doing nothing, and npm's own start (`npx --version`). Each figure
 * is the median wall time of `runs` runs (default 7) after one warm-up, with its min and max,
 * and the most bytes a run wrote to stderr (0: nothing but the command's own output). Several
 * project folders (default: this one), e.g. a checkout from before a change and one after, are
 * timed in turn, command by command and run by run, so a machine whose load drifts affects
 * them alike.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import process from 'node:process';

const runs = Number(process.argv[2] ?? 7);
const roots = (process.argv.length > 3 ? process.argv.slice(3) : [path.join(import.meta.dirname, '..')]).map(
  (root) => path.resolve(root),
);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: npm run bench -- cli-start [runs] [project folder …]\n');
  process.exit(2);
}

const commands = (root: string): Readonly<Record<string, readonly string[]>> => ({
  node_nothing: [path.join(root, 'node_modules', '.bin', 'node'), '-e', '0'],
  npx_itself: ['npx', '--version'],
  node_version: [path.join(root, 'node_modules', '.bin', 'node'), 'bin/openprep.js', '--version'],
  node_verify_help: [path.join(root, 'node_modules', '.bin', 'node'), 'bin/openprep.js', 'verify', '--help'],
  npx_version: ['npx', 'openprep', '--version'],
  npx_verify_help: ['npx', 'openprep', 'verify', '--help'],
});

interface Sample {
  readonly seconds: number;
  readonly stderrBytes: number;
  readonly status: number | null;
}

function time(root: string, [command, ...args]: readonly string[]): Sample {
  const started = performance.now();
  const run = spawnSync(command!, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return {
    seconds: (performance.now() - started) / 1000,
    stderrBytes: run.stderr.length,
    status: run.status,
  };
}

const samples = new Map<string, Sample[]>();
for (const name of Object.keys(commands(roots[0]!))) {
  // A warm-up each: the file cache, Node's compile cache, npx's own cache of the project.
  for (const root of roots) time(root, commands(root)[name]!);
  for (let run = 0; run < runs; run++)
    for (const root of roots) {
      const key = `${root}\n${name}`;
      samples.set(key, [...(samples.get(key) ?? []), time(root, commands(root)[name]!)]);
    }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const result: Record<string, unknown> = { runs };
for (const root of roots) {
  const figures: Record<string, unknown> = {};
  for (const name of Object.keys(commands(root))) {
    const taken = samples.get(`${root}\n${name}`) ?? [];
    const seconds = taken.map((s) => s.seconds).sort((a, b) => a - b);
    figures[name] = {
      median_seconds: round(seconds[Math.floor(seconds.length / 2)]!),
      min_seconds: round(seconds[0]!),
      max_seconds: round(seconds.at(-1)!),
      stderr_bytes: Math.max(...taken.map((s) => s.stderrBytes)),
      exit: taken[0]?.status ?? null,
    };
  }
  result[root] = figures;
}
process.stdout.write(`${JSON.stringify(result)}\n`);
