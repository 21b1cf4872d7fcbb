/**
 * Witnesses for tests: `openprep witness init` run for real, one state folder per witness under
 * `work` (`w1`, `w2`, …), giving the verifier keys to put in an election definition.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { runCli } from './center_process.ts';

export async function initWitnesses(work: string, names: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const [i, name] of names.entries()) {
    const made = await runCli(['witness', 'init', '--name', name, '--state', path.join(work, `w${i + 1}`)]);
    assert.equal(made.code, 0, made.stderr);
    keys.push(made.stdout.trim());
  }
  return keys;
}
