/**
 * `npm run bench -- cli-start [project folder] [runs]`: how long a quick `openprep` command
 * takes as a whole process, the way a person types it — `npx openprep --version`, `npx openprep
 * verify --help` — and straight through the pinned Node (`node bin/openprep.js …`), with two
 * baselines: the pinned Node doing nothing, and npm's own start (`npx --version`). Each figure
 * is the median wall time of `runs` runs (default 7) after one warm-up, with its min and max,
 * and the bytes each wrote to stderr (0: nothing but the command's own output). The project
 * folder (default: this one) lets the same script time another checkout, e.g. before a change.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import process from 'node:process';

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..'));
const runs = Number(process.argv[3] ?? 7);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: npm run bench -- cli-start [project folder] [runs]\n');
  process.exit(2);
}
const node = path.join(root, 'node_modules', '.bin', 'node');

const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  node_nothing: [node, '-e', '0'],
  npx_itself: ['npx', '--version'],
  node_version: [node, 'bin/openprep.js', '--version'],
  node_verify_help: [node, 'bin/openprep.js', 'verify', '--help'],
  npx_version: ['npx', 'openprep', '--version'],
  npx_verify_help: ['npx', 'openprep', 'verify', '--help'],
};

function time([command, ...args]: readonly string[]): {
  seconds: number;
  stderrBytes: number;
  status: number | null;
} {
  const started = performance.now();
  const run = spawnSync(command!, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return {
    seconds: (performance.now() - started) / 1000,
    stderrBytes: run.stderr.length,
    status: run.status,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const result: Record<string, unknown> = { root, runs };
for (const [name, command] of Object.entries(COMMANDS)) {
  time(command); // warm-up: file cache, and npx's own cache of the project
  const samples = Array.from({ length: runs }, () => time(command));
  const seconds = samples.map((s) => s.seconds).sort((a, b) => a - b);
  result[name] = {
    median_seconds: round(seconds[Math.floor(seconds.length / 2)]!),
    min_seconds: round(seconds[0]!),
    max_seconds: round(seconds.at(-1)!),
    stderr_bytes: Math.max(...samples.map((s) => s.stderrBytes)),
    exit: samples[0]!.status,
  };
}
process.stdout.write(`${JSON.stringify(result)}\n`);
