/** `--help` for every command, `--version`, and the closest name for a mistake. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { closest, editDistance, parseCommandArgs } from './args.ts';
import { runCli } from './cli.ts';
import { COMMANDS, catalogGenerate, simRender, verify } from './commands.ts';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'openprep.js');
const VERSION = (
  JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { status, stdout, stderr };
}

function openprep(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

/** The words of one example after `openprep <command>`, split as a shell would (quotes, no expansion). */
function exampleArgs(example: string, name: string): string[] {
  const line = example.slice(Math.max(0, example.indexOf(`openprep ${name}`)));
  const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  const start = words[0] === 'openprep' ? 1 : 0;
  assert.deepEqual(words.slice(start, start + name.split(' ').length), name.split(' '), example);
  return words.slice(start + name.split(' ').length);
}

describe('openprep --help', () => {
  for (const command of COMMANDS) {
    test(`${command.name} --help and -h: every option, its default, an example that parses`, async () => {
      for (const flag of ['--help', '-h']) {
        const { status, stdout, stderr } = await cli(...command.name.split(' '), flag);
        assert.equal(status, 0, stderr);
        assert.equal(stderr, '');
        assert.match(stdout, new RegExp(`^openprep ${command.name} — `));
        for (const [name, option] of Object.entries(command.options)) {
          assert.match(stdout, new RegExp(`--${name}\\b`), `${command.name}: --${name} missing`);
          assert.ok(stdout.includes(option.help), `${command.name}: --${name}'s help missing`);
        }
        assert.match(stdout, /\nexamples?:\n {2}.*openprep /);
      }
      assert.ok(command.examples.length > 0, `${command.name} has no example`);
      for (const example of command.examples) {
        const parsed = parseCommandArgs(exampleArgs(example, command.name), command.options);
        assert.ok(parsed.ok, `${example}: ${parsed.ok ? '' : parsed.message}`);
      }
    });
  }

  test('a default in the help is the one the parser uses', async () => {
    const { stdout } = await cli('sim', 'render', '--help');
    assert.match(stdout, /--count N +how many actas \(default: 20\)/);
    assert.match(stdout, /--out DIR +.*\(required\)/);
    const parsed = parseCommandArgs(['--out', 'x'], simRender.options);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.options.count, 20);
  });

  test('help after -- is a positional, not a request for help', () => {
    const { status, stderr } = openprep('verify', '--', '--help');
    assert.equal(status, 2);
    assert.match(stderr, /--key FILE\|KEY is required/);
  });

  test('openprep --help lists every command; a group lists its own', async () => {
    const all = await cli('--help');
    assert.equal(all.status, 0);
    for (const command of COMMANDS) assert.ok(all.stdout.includes(`  ${command.name} `), command.name);
    const agent = await cli('agent', '--help');
    assert.equal(agent.status, 0);
    assert.match(agent.stdout, /agent run/);
    assert.doesNotMatch(agent.stdout, /catalog generate/);
    assert.equal((await cli('agent')).status, 2);
    const named = await cli('help', 'journal', 'verify');
    assert.equal(named.status, 0);
    assert.match(named.stdout, /^openprep journal verify — /);
  });
});

describe('mistakes name the closest right one', () => {
  test('edit distance', () => {
    assert.equal(editDistance('', 'out'), 3);
    assert.equal(editDistance('outt', 'out'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(closest('outt', ['out', 'scale', 'seed']), 'out');
    assert.equal(closest('sed', ['out', 'scale', 'seed']), 'seed');
    assert.equal(closest('phone', ['phone-share', 'defective']), 'phone-share');
    assert.equal(closest('zzzzzz', ['out', 'scale', 'seed']), undefined);
  });

  test('a wrong flag', () => {
    const near = parseCommandArgs(['--scale', 'tiny', '--outt', 'x.csv'], catalogGenerate.options);
    assert.ok(!near.ok);
    assert.equal(near.message, 'unknown option --outt (did you mean --out?)');
    const far = parseCommandArgs(['cut', '--key', 'k', '--zzzzzzzz'], verify.options);
    assert.ok(!far.ok);
    assert.equal(far.message, 'unknown option --zzzzzzzz');
    const missing = parseCommandArgs(['--scale', 'tiny'], catalogGenerate.options);
    assert.ok(!missing.ok);
    assert.equal(missing.message, '--out FILE is required');
  });

  test('a wrong command', async () => {
    const one = await cli('verfy', 'cut');
    assert.equal(one.status, 2);
    assert.match(one.stderr, /unknown command "verfy" \(did you mean "verify"\?\)/);
    const sub = await cli('catalog', 'generat', '--scale', 'tiny');
    assert.equal(sub.status, 2);
    assert.match(sub.stderr, /unknown command "catalog generat" \(did you mean "catalog generate"\?\)/);
    const group = await cli('agnet', 'run');
    assert.match(group.stderr, /did you mean "agent run"\?/);
  });
});

describe('the bin script', () => {
  test('--version prints the version in package.json, and nothing on stderr', () => {
    const run = openprep('--version');
    assert.equal(run.status, 0);
    assert.equal(run.stdout, `openprep ${VERSION}\n`);
    assert.equal(run.stderr, '');
  });

  test('only the type-stripping ExperimentalWarnings are dropped; others still show', () => {
    const script = `process.argv.push('_', '--version'); await import(${JSON.stringify(BIN)});
      process.emitWarning('Type Stripping is an experimental feature and might change at any time', 'ExperimentalWarning');
      (await import('node:module')).stripTypeScriptTypes('const served: number = 1;');
      process.emitWarning('Something else is an experimental feature', 'ExperimentalWarning');`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /Type Stripping|stripTypeScriptTypes/);
    assert.match(run.stderr, /ExperimentalWarning: Something else is an experimental feature/);
  });

  test('a command answers --help as a process: stdout, exit 0, no warning', () => {
    const run = openprep('demo', '--help');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /--until-close/);
    assert.equal(run.stderr, '');
  });

  test('progress goes to stderr: stdout holds only the result', async () => {
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'openprep-help-')), 'c.csv');
    const run = openprep('catalog', 'generate', '--scale', 'tiny', '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^[^\n]*c\.csv: 40 casillas[^\n]*\n$/);
    assert.match(run.stderr, /catalog generate: 1 \/ 1 entidades · 100\.0 %/);
    await rm(path.dirname(out), { recursive: true });
  });

  test('a wrong flag as a process: stderr, exit 2', () => {
    const run = openprep('sim', 'render', '--out', 'x', '--count', '3', '--sed', '2');
    assert.equal(run.status, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^openprep sim render: unknown option --sed \(did you mean --seed\?\)/);
  });
});
