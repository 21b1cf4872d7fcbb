/**
 * Every command in README.md and docs/*.md runs as written, in order, on a fresh clone of
 * HEAD (tools/doc_commands.ts): a block that fails and is not marked
 * `<!-- doc-test: skip (why) -->` fails this test, naming its file and line. Run on HEAD, so
 * commit a doc before this test sees it (`node tools/doc_commands.ts docs/x.md` runs a
 * working-tree file). The extractor and the runner are tested first on planted markdown, so
 * that a failing block, a skip without a reason and a stray marker are seen to fail.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  describeRun,
  documentedFiles,
  extractCommandBlocks,
  runDocs,
  runFileBlocks,
} from './doc_commands.ts';

const ROOT = path.join(import.meta.dirname, '..');
let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-doc-commands-test-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const PLANTED = [
  'Text.',
  '',
  '<!-- doc-test: skip (runs until Ctrl-C) -->',
  '```sh',
  'sleep 1000',
  '```',
  '```json',
  '{"not": "a command"}',
  '```',
  '- in a list:',
  '',
  '  ```bash',
  '  mkdir -p /tmp/a && echo planted > /tmp/a/x',
  '  X=$(cat /tmp/a/x)',
  '  ```',
  '```console',
  '$ test "$X" = planted',
  'output, not run',
  '```',
].join('\n');

test('the extractor finds command blocks in order, with their skips, list indentation and console prompts', () => {
  const { blocks, problems } = extractCommandBlocks(PLANTED);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    blocks.map((b) => [b.line, b.language, b.commands, b.skip]),
    [
      [4, 'sh', 'sleep 1000', 'runs until Ctrl-C'],
      [12, 'bash', 'mkdir -p /tmp/a && echo planted > /tmp/a/x\nX=$(cat /tmp/a/x)', null],
      [16, 'console', 'test "$X" = planted', null],
    ],
  );
});

test('a skip needs a reason and a command block right below it', () => {
  const bad = extractCommandBlocks(
    [
      '<!-- doc-test: skip -->',
      '```sh',
      'true',
      '```',
      '<!-- doc-test: skip (why) -->',
      'text',
      '```sh',
      'true',
      '```',
    ].join('\n'),
  );
  assert.equal(bad.problems.length, 2);
  assert.match(bad.problems[0]!, /^line 1: .*must read/);
  assert.match(bad.problems[1]!, /^line 5: .*right above a command block/);
  assert.deepEqual(
    bad.blocks.map((b) => b.skip),
    [null, null],
  );
});

test('the runner runs the blocks in one shell, confined to its folder, and names the block that fails', async () => {
  const env = path.join(work, 'env');
  const passed = await runFileBlocks({
    file: 'planted.md',
    markdown: PLANTED,
    clone: ROOT,
    env,
    timeoutMs: 20_000,
  });
  assert.equal(passed.failedAt, null, passed.output);
  assert.equal(passed.ran, 2);
  assert.deepEqual(passed.skipped, [{ line: 4, reason: 'runs until Ctrl-C' }]);

  const failing = `${PLANTED}\n\`\`\`sh\nfalse | cat\necho never\n\`\`\`\n\`\`\`sh\necho never either\n\`\`\`\n`;
  const failed = await runFileBlocks({
    file: 'planted.md',
    markdown: failing,
    clone: ROOT,
    env: path.join(work, 'env-2'),
    timeoutMs: 20_000,
  });
  assert.equal(failed.failedAt, 20);
  assert.doesNotMatch(failed.output, /never/);
  assert.match(describeRun(failed), /the block at planted\.md:20 failed \(exit code 1\)/);

  const hanging = await runFileBlocks({
    file: 'h.md',
    markdown: '```sh\nsleep 60\n```',
    clone: ROOT,
    env: path.join(work, 'env-3'),
    timeoutMs: 500,
  });
  assert.equal(hanging.failedAt, 1);
  assert.ok(hanging.timedOut);
});

test('every command block of README.md and docs/*.md runs as written on a fresh clone, or is marked skipped with why', async (t) => {
  const files = documentedFiles(ROOT);
  assert.ok(files.includes('README.md') && files.includes('docs/agent.md'), files.join(' '));
  const runs = await runDocs(ROOT, files, 240_000);
  for (const run of runs) t.diagnostic(describeRun(run));
  const failed = runs.filter((r) => r.failedAt !== null || r.problems.length > 0);
  assert.deepEqual(failed.map(describeRun), []);
  // Not vacuous: most of what the docs say to run is run.
  const ran = runs.reduce((n, r) => n + r.ran, 0);
  const skipped = runs.reduce((n, r) => n + r.skipped.length, 0);
  assert.ok(ran >= 15, `only ${ran} blocks ran (${skipped} skipped)`);
});
