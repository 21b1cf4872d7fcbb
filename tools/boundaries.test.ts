/**
 * The floor-plan check must pass on the project as it is, and fail — naming the file — on each
 * kind of wrong turn planted in a copy of it: a wrong-way import, a cycle between rooms, a
 * production room using a tool, a room nobody declared, and PREP Casilla's module list out of
 * step with what it loads. Test code may import anything.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, before, test } from 'node:test';
import { checkBoundaries, importsOf, roomOf } from './boundaries.ts';

const ROOT = path.join(import.meta.dirname, '..');
const SCRIPT = path.join(import.meta.dirname, 'boundaries.ts');
let copies: string;

before(async () => {
  copies = await mkdtemp(path.join(tmpdir(), 'openprep-boundaries-'));
});
after(async () => {
  await rm(copies, { recursive: true, force: true });
});

/** A copy of src/ with one change planted. */
async function plantedCopy(name: string, plant: (root: string) => Promise<void>): Promise<string> {
  const root = path.join(copies, name);
  await cp(path.join(ROOT, 'src'), path.join(root, 'src'), {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}samples${path.sep}`),
  });
  await plant(root);
  return root;
}

test('the project follows its floor plan', async () => {
  assert.deepEqual(await checkBoundaries(ROOT), []);
  const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});

test('a planted wrong-way import fails the check, naming the file and the rule, with exit code 1', async () => {
  const root = await plantedCopy('wrong-way', (r) =>
    appendFile(path.join(r, 'src/domain/keys.ts'), "\nimport '../server/app.ts';\n"),
  );
  const violations = await checkBoundaries(root);
  // server/ imports domain/, so the planted import also closes a cycle between the two.
  assert.deepEqual(
    violations.map((v) => v.kind),
    ['direction', 'cycle'],
  );
  assert.match(
    violations[0]!.message,
    /src\/domain\/keys\.ts imports src\/server\/app\.ts: domain\/ may not import server\//,
  );
  const run = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /src\/domain\/keys\.ts imports src\/server\/app\.ts/);
});

test('two rooms that import each other are a cycle, reported with the import on each side', async () => {
  const root = await plantedCopy('cycle', (r) =>
    appendFile(
      path.join(r, 'src/journal/merkle.ts'),
      "\nexport { hashPassword } from '../auth/password.ts';\n",
    ),
  );
  const violations = await checkBoundaries(root);
  const cycle = violations.find((v) => v.kind === 'cycle');
  assert.ok(cycle, JSON.stringify(violations));
  assert.match(cycle.message, /auth, journal/);
  assert.match(cycle.message, /journal → auth \(src\/journal\/merkle\.ts imports src\/auth\/password\.ts\)/);
});

test('production code may not use a tool (the simulator); a test file may', async () => {
  const root = await plantedCopy('tool', async (r) => {
    await appendFile(path.join(r, 'src/publish/leeme.ts'), "\nimport '../sim/random.ts';\n");
    await writeFile(
      path.join(r, 'src/publish/planted.test.ts'),
      "import '../sim/random.ts';\nimport '../test/fixtures.ts';\n",
    );
  });
  const violations = await checkBoundaries(root);
  assert.equal(violations.length, 1, JSON.stringify(violations));
  assert.match(violations[0]!.message, /src\/publish\/leeme\.ts imports src\/sim\/random\.ts/);
});

test('a new folder must be declared in the plan', async () => {
  const root = await plantedCopy('undeclared', async (r) => {
    await mkdir(path.join(r, 'src/reports'));
    await writeFile(path.join(r, 'src/reports/daily.ts'), "import '../domain/keys.ts';\n");
  });
  const violations = await checkBoundaries(root);
  assert.deepEqual(
    violations.map((v) => v.kind),
    ['undeclared-room'],
  );
  assert.match(violations[0]!.message, /src\/reports\//);
});

test("PREP Casilla's module list must be what its pages load", async () => {
  const root = await plantedCopy('casilla', async (r) => {
    const file = path.join(r, 'src/casilla/files.ts');
    await writeFile(file, (await readFile(file, 'utf8')).replace("  'domain/result.ts',\n", ''));
  });
  const violations = await checkBoundaries(root);
  assert.deepEqual(
    violations.map((v) => v.message),
    ['PREP Casilla loads src/domain/result.ts, missing from APP_MODULES'],
  );
});

test('imports are read in every form the code uses; type-only ones are marked', () => {
  const text = [
    "import { a } from './a.ts';",
    "import type { B } from '../b/b.ts';",
    "export { c } from './c.ts';",
    "const d = await import('../d/d.ts');",
    "import './e.ts';",
    "new Worker(new URL('./f_worker.ts', import.meta.url));",
    "import { z } from 'zod';",
  ].join('\n');
  assert.deepEqual(
    importsOf('src/x/file.ts', text).map((e) => [e.to, e.typeOnly]),
    [
      ['src/x/a.ts', false],
      ['src/b/b.ts', true],
      ['src/x/c.ts', false],
      ['src/d/d.ts', false],
      ['src/x/e.ts', false],
      ['src/x/f_worker.ts', false],
    ],
  );
  assert.equal(roomOf('src/platform/web/web_crypto.ts'), 'platform/web');
  assert.equal(roomOf('src/platform/zip.ts'), 'platform');
  assert.equal(roomOf('bench/run.ts'), null);
});
