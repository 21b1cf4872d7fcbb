/**
 * The intake bench stops what it starts: run for real, failing on purpose once `serve` listens
 * and stopped by SIGTERM, it leaves no `serve` process and no temporary folder behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';

const BENCH = path.join(import.meta.dirname, 'intake.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ESRCH');
    return false;
  }
}

/** Runs the bench with a few packages and no gate-on run; `onServe` is called once a `serve` pid is printed. */
function runBench(env: NodeJS.ProcessEnv, onServe?: (bench: ReturnType<typeof spawn>) => void) {
  const bench = spawn(process.execPath, [BENCH, '4', '2', '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let told = false;
  bench.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!told && /serve pid \d+/.test(stderr)) {
      told = true;
      onServe?.(bench);
    }
  });
  return new Promise<{ code: number | null; stderr: string; servePids: number[]; work: string | undefined }>(
    (resolve) =>
      bench.once('close', (code) =>
        resolve({
          code,
          stderr,
          servePids: [...stderr.matchAll(/serve pid (\d+)/g)].map((m) => Number(m[1])),
          work: /work folder (\S+)/.exec(stderr)?.[1],
        }),
      ),
  );
}

test('a bench that fails after serve started stops serve and removes its folder', async () => {
  const run = await runBench({ OPENPREP_BENCH_FAIL: 'after-serve' });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /OPENPREP_BENCH_FAIL=after-serve/);
  assert.ok(run.servePids.length >= 1, run.stderr);
  for (const pid of run.servePids) assert.equal(alive(pid), false, `serve ${pid} is still running`);
  assert.ok(run.work !== undefined && !existsSync(run.work), `${run.work} is left`);
});

test('a bench stopped by SIGTERM stops serve and removes its folder', async () => {
  const run = await runBench({}, (bench) => bench.kill('SIGTERM'));
  assert.equal(run.code, 143, run.stderr);
  assert.ok(run.servePids.length >= 1, run.stderr);
  for (const pid of run.servePids) assert.equal(alive(pid), false, `serve ${pid} is still running`);
  assert.ok(run.work !== undefined && !existsSync(run.work), `${run.work} is left`);
});

test('a bad argument is refused with the usage', async () => {
  const bench = spawn(process.execPath, [BENCH, 'many'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  bench.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise((resolve) => bench.once('close', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /bad argument "many"[\s\S]*usage: npm run bench -- intake/);
});
