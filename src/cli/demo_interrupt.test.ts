/**
 * Ctrl-C in `openprep demo`, with a real child process and real SIGINTs: the first says what it
 * finishes and stops within seconds, the second stops at once — and either way the journal
 * verifies afterwards (`openprep journal verify`).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';

const MAIN = path.join(import.meta.dirname, 'main.ts');

function startDemo(data: string, extra: readonly string[]) {
  const child = spawn(
    process.execPath,
    [MAIN, 'demo', '--scale', 'tiny', '--no-serve', '--data', data, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    out += chunk;
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: performance.now() })),
  );
  return { child, output: () => out, exited };
}

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function journalVerifies(data: string): void {
  const result = spawnSync(process.execPath, [MAIN, 'journal', 'verify', '--data', data], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, `journal verify: ${result.stdout}${result.stderr}`);
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null) child.kill('SIGKILL');
}

test('the first Ctrl-C says what it finishes and stops within seconds; the journal verifies', async () => {
  const data = await mkdtemp(path.join(tmpdir(), 'openprep-demo-int-'));
  // Slow simulated time: the night is well under way, and far from over, when Ctrl-C comes.
  const demo = startDemo(data, ['--speed', '20']);
  try {
    await until(() => / corte \S+ #3 /.test(demo.output()), 'the third cut');
    const sent = performance.now();
    demo.child.kill('SIGINT');
    const { code, at } = await demo.exited;
    assert.equal(code, 130, demo.output());
    assert.ok(at - sent < 10_000, `stopped after ${Math.round(at - sent)} ms`);
    assert.match(demo.output(), /SIGINT: finishing the step in hand .* Ctrl-C again to stop at once/);
    assert.match(demo.output(), /Stopped; the journal and the cuts are whole/);
    assert.doesNotMatch(demo.output(), /FINAL/);
    journalVerifies(data);
  } finally {
    kill(demo.child);
    await rm(data, { recursive: true, force: true });
  }
});

test('a second Ctrl-C stops at once, and what was written is still whole', async () => {
  const data = await mkdtemp(path.join(tmpdir(), 'openprep-demo-int-'));
  // As fast as it goes: always in the middle of registering actas or publishing a cut.
  const demo = startDemo(data, ['--until-close', '--speed', '0']);
  try {
    await until(() => / corte \S+ #2 /.test(demo.output()), 'the second cut');
    // The second as soon as the first is acknowledged: while the demo finishes its step.
    let sent = 0;
    demo.child.stdout?.on('data', () => {
      if (sent === 0 && /SIGINT: finishing/.test(demo.output())) {
        sent = performance.now();
        demo.child.kill('SIGINT');
      }
    });
    demo.child.kill('SIGINT');
    const { code, at } = await demo.exited;
    assert.equal(code, 130, demo.output());
    assert.ok(at - sent < 2_000, `stopped after ${Math.round(at - sent)} ms`);
    assert.match(demo.output(), /stopping at once/);
    journalVerifies(data);
  } finally {
    kill(demo.child);
    await rm(data, { recursive: true, force: true });
  }
});
