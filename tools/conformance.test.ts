/**
 * The conformance corpus (conformance/) is in step with the builder, and `openprep verify`
 * passes it: every case run through the CLI, as a second verifier would be run, must give the
 * hand-written verdict — ok, and exactly the expected set of failing checks.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { CASES, type CaseFile, GENERATED, writeCorpus } from './conformance.ts';

const ROOT = path.join(import.meta.dirname, '..');
const CORPUS = path.join(ROOT, 'conformance');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const run = promisify(execFile);

async function listFiles(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else out.push(child);
  }
  return out.sort();
}

const temporary: string[] = [];
after(async () => {
  for (const dir of temporary) await rm(dir, { recursive: true, force: true });
});

test('the committed corpus is what the generator writes, byte for byte (npm run conformance)', async () => {
  const fresh = await mkdtemp(path.join(tmpdir(), 'openprep-conformance-'));
  temporary.push(fresh);
  await writeCorpus(fresh);
  const committed = (await listFiles(CORPUS)).filter((f) =>
    GENERATED.some((part) => f.startsWith(`${part}/`)),
  );
  const generated = await listFiles(fresh);
  assert.deepEqual(committed, generated, 'the corpus has other files than the generator writes');
  for (const file of generated) {
    const same = (await readFile(path.join(CORPUS, file))).equals(await readFile(path.join(fresh, file)));
    assert.ok(same, `conformance/${file} differs from what the generator writes: run npm run conformance`);
  }
});

/** Runs `openprep verify` as a process in the case folder, as a second verifier is run. */
async function verify(caseDir: string, args: readonly string[]) {
  const result = await run(process.execPath, [MAIN, 'verify', ...args, '--json'], {
    cwd: caseDir,
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    (done) => ({ code: 0, stdout: done.stdout, stderr: done.stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
  return result;
}

describe('openprep verify on the conformance corpus', { concurrency: 2 }, () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const caseDir = path.join(CORPUS, 'cases', c.name);
      const spec = JSON.parse(await readFile(path.join(caseDir, 'case.json'), 'utf8')) as CaseFile;
      const { code, stdout, stderr } = await verify(caseDir, spec.args);
      assert.ok(code === 0 || code === 1, `exit ${code}: a verdict, not a crash or a usage error\n${stderr}`);
      const report = JSON.parse(stdout) as {
        ok: boolean;
        checks: { id: string; status: string; detail: string }[];
      };
      const failing = report.checks.filter((check) => check.status === 'fail');
      const detail = JSON.stringify(failing, null, 2);
      assert.equal(report.ok, spec.expected.ok, detail);
      assert.equal(code, spec.expected.ok ? 0 : 1);
      assert.deepEqual(failing.map((check) => check.id).sort(), [...spec.expected.failing].sort(), detail);
    });
  }
});
