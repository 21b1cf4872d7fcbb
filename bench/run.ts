/**
 * `npm run bench -- <name>`: runs one benchmark in a fresh Node process and passes its single
 * JSON object through. Each benchmark is a script under bench/ that prints one JSON object.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

const BENCHMARKS: Readonly<Record<string, string>> = {
  core: 'core.ts',
  history: 'history.ts',
  catalog: 'catalog.ts',
  intake: 'intake.ts',
  field: 'field.ts',
  site: 'site.ts',
  capture: 'capture.ts',
  national: 'national.ts',
  images: 'images.ts',
  measure: 'measure.ts',
  'realistic-page': 'realistic_page.ts',
  'realistic-scene': 'realistic_scene.ts',
  reader: 'reader.ts',
  'signin-flood': 'signin_flood.ts',
  adversarial: 'adversarial.ts',
  demo: 'demo.ts',
  'cli-start': 'cli_start.ts',
  restore: 'restore.ts',
  breached: 'breached.ts',
  detections: 'detections.ts',
  release: 'release.ts',
};

const name = process.argv[2];
if (name === undefined || !(name in BENCHMARKS)) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|')}>\n`);
  process.exit(2);
}
const script = path.join(import.meta.dirname, BENCHMARKS[name]!);
if (!existsSync(script)) {
  process.stderr.write(`benchmark ${name}: ${script} is missing\n`);
  process.exit(2);
}
// Asynchronous, so that a SIGINT or SIGTERM sent to this process reaches the benchmark, which
// then stops what it started (bench/intake.ts) before exiting.
const child = spawn(
  process.execPath,
  ['--max-old-space-size=4096', '--expose-gc', script, ...process.argv.slice(3)],
  {
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.once('exit', (code, signal) =>
  process.exit(code ?? (signal === null ? 1 : 128 + os.constants.signals[signal])),
);
