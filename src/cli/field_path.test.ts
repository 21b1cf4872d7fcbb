/**
 * The field path in one go, by the command line only, as CATD staff and the center's
 * administrator run it: `agent init` makes the scanner's folder it is told to watch,
 * `sim render` writes actas into it named as a scanner names them, and `agent run` sends each
 * one through both quality gates (the agent's and the center's) to a real `serve` on
 * loopback, until its signed receipt comes back. An agent whose folder is gone stops at once
 * and names it, instead of running on and saying nothing.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, before, test } from 'node:test';
import { MAIN, runCli, startServer, stopServer } from '../test/center_process.ts';
import { centerJournal } from '../test/field.ts';

const SEED = 3;
const COUNT = 4;
const START = Date.parse('2024-06-02T21:00:00-06:00');
const GATE = { OPENPREP_QUALITY_GATE: 'enforce' };
let work: string;
let center: { child: ChildProcess; base: string } | null = null;
let agent: ChildProcess | null = null;

const cli = async (...args: string[]) => {
  const result = await runCli(args, { env: GATE, timeoutMs: 120_000 });
  assert.equal(result.code, 0, `openprep ${args.join(' ')}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
};

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-field-path-'));
});

after(async () => {
  if (agent !== null && agent.exitCode === null) agent.kill('SIGKILL');
  if (center !== null) await stopServer(center.child);
  await rm(work, { recursive: true, force: true });
});

test('sim render into a new agent’s watch folder: agent run sends every acta to serve and gets its receipts', async () => {
  const data = path.join(work, 'center');
  const agentRoot = path.join(work, 'agent');
  const scans = path.join(work, 'escaner', 'salida'); // not there before agent init
  await cli(
    'catalog',
    'generate',
    '--scale',
    'tiny',
    '--seed',
    String(SEED),
    '--out',
    path.join(work, 'c.csv'),
  );
  await cli('init', '--data', data, '--catalog', path.join(work, 'c.csv'));
  const territory = path.join(work, 'territorio.csv');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    territory,
    'UNIDAD,TIPO_UNIDAD,ID_ENTIDAD,ID_DISTRITO_FEDERAL,CLAVE_CASILLA\nCATD-01,CATD,1,1,\n',
  );
  await cli('territory', 'import', territory, '--data', data);
  center = await startServer(data, START, GATE);

  const keys = path.join(data, 'keys');
  const centerKey = path.join(keys, (await readdir(keys)).find((f) => f.endsWith('.pub'))!);
  const init = await cli(
    'agent',
    'init',
    '--data',
    agentRoot,
    '--device-id',
    'CATD-01-S1',
    '--watch',
    scans,
    '--center',
    center.base,
    '--center-key',
    centerKey,
  );
  assert.ok((await stat(scans)).isDirectory(), 'agent init creates the folder it watches');
  assert.match(init, new RegExp(`watching ${scans} `));
  const publicKey = /^device public key: (\S+)$/m.exec(init)?.[1];
  assert.ok(publicKey !== undefined, init);
  await cli(
    'device',
    'enroll',
    '--data',
    data,
    '--id',
    'CATD-01-S1',
    '--origin',
    'CATD',
    '--bound-to',
    'CATD-01',
    '--public-key',
    publicKey,
  );

  await cli(
    'sim',
    'render',
    '--out',
    scans,
    '--scale',
    'tiny',
    '--seed',
    String(SEED),
    '--count',
    String(COUNT),
    '--defective',
    '0',
  );
  const images = (await readdir(scans)).filter((n) => n !== 'truth');
  assert.equal(images.length, COUNT);

  const metricsFile = path.join(work, 'textfile', 'openprep_agent.prom');
  await mkdir(path.dirname(metricsFile));
  agent = spawn(
    process.execPath,
    [MAIN, 'agent', 'run', '--data', agentRoot, '--metrics-file', metricsFile],
    {
      env: { ...process.env, ...GATE },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  agent.stderr!.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const deadline = Date.now() + 90_000;
  let status: {
    delivered: number;
    pending: number;
    refused: number;
    unidentified: string[];
    rejected: unknown[];
    review: unknown[];
  };
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    status = JSON.parse(await cli('agent', 'status', '--data', agentRoot)) as typeof status;
    if (status.delivered === COUNT || Date.now() > deadline) break;
  }
  const exited = new Promise((resolve) => agent!.once('exit', resolve));
  agent.kill('SIGTERM');
  await exited;
  assert.equal(status.delivered, COUNT, `agent status: ${JSON.stringify(status)}\nagent log:\n${log}`);
  assert.equal(status.refused, 0);
  // Nothing in the folder that the agent could not place: the ground truth is not in its way.
  assert.deepEqual(status.unidentified, []);
  // The agent's textfile for node_exporter, and serve's /metrics (loopback), say the same.
  const textfile = await readFile(metricsFile, 'utf8');
  assert.match(textfile, new RegExp(`^openprep_agent_outbox\\{state="delivered"\\} ${COUNT}$`, 'm'));
  assert.match(textfile, /^openprep_agent_outbox\{state="pending"\} 0$/m);
  assert.match(textfile, /^openprep_agent_channel_up\{channel="primary"\} 1$/m);
  assert.doesNotMatch(textfile, /CATD-01-S1/, 'no device id in a label');
  const scraped = await (await fetch(`${center.base}/metrics`)).text();
  assert.match(
    scraped,
    new RegExp(`^openprep_intake_packages_received_total\\{result="accepted"\\} ${COUNT}$`, 'm'),
  );

  // The center journalled one package per acta, each with a receipt.
  await stopServer(center.child);
  center = null;
  const journal = await centerJournal(data, () => START);
  assert.equal([...journal.received.keys()].filter((k) => k.startsWith('CATD-01-S1#')).length, COUNT);
  assert.ok([...journal.receipts.values()].every((r) => r !== null));
});

test('agent run stops at once, naming the watch folder, when the folder is gone', async () => {
  const root = path.join(work, 'agent-2');
  const scans = path.join(work, 'usb-scanner');
  const keys = path.join(work, 'center', 'keys');
  const centerKey = path.join(keys, (await readdir(keys)).find((f) => f.endsWith('.pub'))!);
  await cli(
    'agent',
    'init',
    '--data',
    root,
    '--device-id',
    'CATD-01-S9',
    '--watch',
    scans,
    '--center',
    'http://127.0.0.1:9/',
    '--center-key',
    centerKey,
  );
  await rm(scans, { recursive: true });
  const run = await runCli(['agent', 'run', '--data', root], { timeoutMs: 20_000 });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, new RegExp(`openprep agent run: the watch folder ${scans} is not there`));
});
