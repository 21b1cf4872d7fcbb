/**
 * `npm run bench -- demo`: `npm start`'s night as a newcomer gets it — the default demo (state
 * scale, acta images, site and console served, 30 simulated minutes a second) in a fresh data
 * folder, run as a child process with its output piped. `first_cut_seconds` is the time from
 * the start to the first cut's line (the site serves it from then), `whole_night_seconds` to
 * the final cut's summary; then one SIGINT stops it, and `stop_seconds` is how long that took.
 * `startup_seconds` is how long `node bin/openprep.js --version` takes to exit;
 * `whole_night_cpu_seconds` the demo's CPU time (all its threads) until the final cut. Goals (issue 17):
 * whole night ≤ 600 s, first cut ≤ 30 s, startup ≤ 1 s. The data folder is deleted at the end;
 * `--record FILE` keeps the demo's output there, each line with its time.
 */
import { statCpuSeconds } from './proc_cpu.ts';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';

const repo = path.join(import.meta.dirname, '..');
/** `--record FILE`: the demo's terminal output, each line with the seconds since the start. */
const recordAt = process.argv.indexOf('--record');
const record = recordAt < 0 ? null : (process.argv[recordAt + 1] ?? null);
const transcript: string[] = [];

const started = performance.now();
const version = spawnSync(process.execPath, [path.join(repo, 'bin', 'openprep.js'), '--version'], {
  encoding: 'utf8',
});
const startupSeconds = (performance.now() - started) / 1000;
if (version.status !== 0) {
  process.stderr.write(`openprep --version exited ${version.status}: ${version.stderr}\n`);
  process.exit(1);
}

/** A free port whose next one is free too (the console). */
async function freePort(): Promise<number> {
  for (;;) {
    const listen = (port: number) =>
      new Promise<ReturnType<typeof createServer> | null>((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(null));
        server.listen(port, '127.0.0.1', () => resolve(server));
      });
    const first = await listen(0);
    if (first === null) continue;
    const port = (first.address() as AddressInfo).port;
    const second = await listen(port + 1);
    await new Promise((resolve) => first.close(resolve));
    if (second !== null) {
      await new Promise((resolve) => second.close(resolve));
      return port;
    }
  }
}

const work = await mkdtemp(path.join(tmpdir(), 'openprep-bench-demo-'));
const port = await freePort();
const t0 = performance.now();
const child = spawn(
  process.execPath,
  [path.join(repo, 'src', 'cli', 'main.ts'), 'demo', '--data', work, '--port', String(port)],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TZ: 'America/Mexico_City' } },
);
let firstCut: number | null = null;
let wholeNight: number | null = null;
let summary = '';
let stopAsked: number | null = null;
let buffered = '';
/** The demo's CPU time (user + system, all threads) so far, from /proc: what the night costs whatever else runs. */
const cpuSeconds = (): number | null => {
  try {
    return statCpuSeconds(readFileSync(`/proc/${child.pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
};
let cpuAtFinalCut: number | null = null;
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk: string) => {
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    const seconds = (performance.now() - t0) / 1000;
    transcript.push(`[${seconds.toFixed(1).padStart(6)} s] ${line}\n`);
    if (firstCut === null && / corte \S+ #1 /.test(line)) firstCut = seconds;
    if (/cuts published, \d+ verified/.test(line)) {
      wholeNight = seconds;
      cpuAtFinalCut = cpuSeconds();
      summary = line;
    }
    if (stopAsked === null && line.startsWith('Still serving')) {
      stopAsked = performance.now();
      transcript.push(`[${seconds.toFixed(1).padStart(6)} s] ^C\n`);
      child.kill('SIGINT');
    }
  }
});
const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
const stopSeconds = stopAsked === null ? null : (performance.now() - stopAsked) / 1000;
const images = (
  await readdir(path.join(work, 'cuts', 'imagenes', 'sha256'), {
    recursive: true,
    withFileTypes: true,
  }).catch(() => [])
).filter((entry) => entry.isFile()).length;
if (record !== null) await writeFile(record, transcript.join(''));
await rm(work, { recursive: true, force: true });

const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'demo',
    command: 'openprep demo (defaults: --scale state, images, serving, --speed 30, --cut-every 20)',
    whole_night_seconds: round(wholeNight),
    first_cut_seconds: round(firstCut),
    startup_seconds: Math.round(startupSeconds * 100) / 100,
    stop_seconds: round(stopSeconds),
    // The machine is shared: the demo's own CPU time, and how loaded the machine was at the end.
    whole_night_cpu_seconds: round(cpuAtFinalCut),
    load_average_1_5_15: loadavg().map((x) => Math.round(x * 10) / 10),
    goals: { whole_night_seconds: 600, first_cut_seconds: 30, startup_seconds: 1 },
    summary,
    public_image_entries: images,
    exit_code: code,
  })}\n`,
);
process.exit(wholeNight === null ? 1 : 0);
