/**
 * The rolling-upgrade drill (deploy/drills/rolling-upgrade.sh) during a night's load: three
 * `serve` nodes on one PostgreSQL behind Debian's nginx and two cut builders publishing a cut
 * every minute, CATD agents sending actas through nginx at a steady rate. The script moves
 * every process from the OLD release to NEW one at a time (drain, stop, start, ready), then
 * back (the rollback). After each: every package an agent holds a receipt for is stored once
 * with that very receipt, no agent was refused (4xx), the cuts run on without a gap or a
 * duplicate, the last cut verifies with `openprep verify`, and `openprep journal verify` passes.
 *
 * The releases are copies of this tree, not two versions of OpenPREP: NEW is OLD plus one
 * additive migration (a table), so the upgrade migrates the database and the rollback runs
 * OLD on NEW's schema, as the expand/contract rule allows; a third copy whose migration
 * contracts (drops a column and says so in PG_OLDEST_READER) is refused by the script.
 *
 * Needs PostgreSQL, nginx, curl and jq; says it was skipped without them (CI has them).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import type { SenderEvent } from '../agent/transport.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { runCli, stopServer } from '../test/center_process.ts';
import {
  centerJournal,
  declareTerritoryWithCli,
  enrollWithCli,
  newAgent,
  outboxOf,
  runUntilDelivered,
  scan,
} from '../test/field.ts';
import { freePort, NGINX, nginxUnavailable, startNginx } from '../test/nginx.ts';
import { dropSchemas, postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';
import { openCenter } from './node.ts';
import { PG_MIGRATIONS } from '../store/postgres/migrations.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'deploy', 'drills', 'rolling-upgrade.sh');
const SCHEMA = `openprep_upgrade_${process.pid}`;
const ENV = { DATABASE_URL: TEST_DATABASE_URL, OPENPREP_DATABASE_SCHEMA: SCHEMA };
/** Cut ids name the minute (YYYYMMDD_HHMM): one a minute is the most the format allows. */
const CUT_SECONDS = 60;
const DRAIN_SECONDS = 2;

const tool = (name: string) =>
  spawnSync('sh', ['-c', `command -v ${name}`]).status === 0 ? null : `no ${name}`;
const missing = (await postgresUnavailable()) ?? nginxUnavailable() ?? tool('curl') ?? tool('jq');
if (missing !== null && process.env['OPENPREP_REQUIRE_POSTGRES'] === '1') throw new Error(missing);
const cli = (args: readonly string[]) => runCli(args, { env: ENV });

/** A release folder as installed: bin/, src/, package.json and the dependencies. */
async function release(folder: string, migrations?: (text: string) => string): Promise<string> {
  await mkdir(folder, { recursive: true });
  for (const part of ['bin', 'src', 'package.json'])
    await cp(path.join(ROOT, part), path.join(folder, part), { recursive: true });
  await symlink(realpathSync(path.join(ROOT, 'node_modules')), path.join(folder, 'node_modules'));
  if (migrations !== undefined) {
    const file = path.join(folder, 'src', 'store', 'postgres', 'migrations.ts');
    const changed = migrations(await readFile(file, 'utf8'));
    await writeFile(file, changed);
  }
  return folder;
}

/** Adds migrations at the end of PG_MIGRATIONS (the array closes with the first "\n];"). */
const addMigrations = (text: string, added: readonly string[]) => {
  const end = text.indexOf('\n];\n');
  assert.ok(end > 0);
  return `${text.slice(0, end)}\n${added.map((sql) => `  \`${sql}\`,`).join('\n')}${text.slice(end)}`;
};
const EXPAND = 'CREATE TABLE upgrade_drill_note (id INTEGER PRIMARY KEY, note TEXT)';

function runScript(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

interface Timings {
  readonly action: string;
  readonly schemaBefore: number;
  readonly schemaAfter: number;
  readonly seconds: number;
  readonly nodes: readonly { name: string; drain: number; stop: number; start: number; ready: number }[];
  readonly builders: readonly { name: string; stop: number; start: number }[];
  readonly balancer: { answered5xx: number | null; retriedOnAnotherNode: number | null };
}

test('rolling upgrade and rollback of three nodes and two cut builders during the load: no acta lost, no cut missed', {
  skip: missing ?? false,
  timeout: 15 * 60_000,
}, async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-upgrade-'));
  const drill = path.join(work, 'drill');
  const nginxDir = path.join(work, 'nginx');
  let nginx: ReturnType<typeof spawn> | null = null;
  try {
    const data = path.join(work, 'center');
    await mkdir(drill, { recursive: true });
    const [oldRelease, newRelease, contractRelease] = await Promise.all([
      release(path.join(work, 'releases', 'old')),
      release(path.join(work, 'releases', 'new'), (text) => addMigrations(text, [EXPAND])),
      release(path.join(work, 'releases', 'contract'), (text) =>
        addMigrations(text, [EXPAND, 'ALTER TABLE upgrade_drill_note DROP COLUMN note']).replace(
          /export const PG_OLDEST_READER = \d+;/,
          `export const PG_OLDEST_READER = ${PG_MIGRATIONS.length + 2};`,
        ),
      ),
    ]);

    // The election, its territory, and a drill clock every process reads from the store.
    assert.equal(
      (await cli(['catalog', 'generate', '--scale', 'tiny', '--seed', '6', '--out', `${work}/c.csv`])).code,
      0,
    );
    const init = await cli(['init', '--data', data, '--catalog', `${work}/c.csv`]);
    assert.equal(init.code, 0, init.stderr);
    const catalog = generateCatalog({ scale: 'tiny', seed: 6 });
    await declareTerritoryWithCli(data, catalog, ENV);
    const start = Date.parse('2024-06-02T21:00:00-06:00');
    const env = { ...process.env, ...ENV };
    const clocked = await openCenter({ root: data, clock: Date.now, env, simulatedStart: start });
    assert.ok(clocked.ok);
    await clocked.value.close();

    // The drill folder the script reads: three nodes, two builders, nginx's hooks.
    const ports = [await freePort(), await freePort(), await freePort()];
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    const front = await freePort();
    const accessLog = path.join(work, 'access.log');
    await writeFile(path.join(drill, 'nodes'), addresses.map((a, i) => `node-${i + 1} ${a}\n`).join(''));
    await writeFile(path.join(drill, 'builders'), 'cut-1\ncut-2\n');
    const balancer = path.join(drill, 'balancer.sh');
    await writeFile(
      balancer,
      `#!/usr/bin/env bash
# nginx (without active health checks): mark the node down, or up again, and reload.
set -euo pipefail
conf=${nginxDir}/upstream.conf
sed -i -e "/^server $3 /s/ down;/;/" "$conf"
if [ "$1" = out ]; then sed -i -e "/^server $3 /s/;$/ down;/" "$conf"; fi
${NGINX} -p ${nginxDir} -c ${nginxDir}/nginx.conf -s reload 2>/dev/null
`,
    );
    await chmod(balancer, 0o755);
    await writeFile(
      path.join(drill, 'drill.env'),
      `DATA=${data}
DATABASE_URL=${TEST_DATABASE_URL}
OPENPREP_DATABASE_SCHEMA=${SCHEMA}
OPENPREP_LOG_LEVEL=warn
OPENPREP_QUALITY_GATE=off
OPENPREP_CHECKPOINT_SECONDS=1
OPENPREP_DRAIN_SECONDS=${DRAIN_SECONDS}
OPENPREP_TRUSTED_PROXIES=127.0.0.1
OPENPREP_RATE_LIMIT_PER_MINUTE=1000000
CUT_ARGS="--every 1"
BALANCER_OUT="${balancer} out"
BALANCER_IN="${balancer} in"
ACCESS_LOG=${accessLog}
`,
    );
    const started = await runScript(['start', oldRelease, drill]);
    assert.equal(started.code, 0, started.stderr);
    nginx = await startNginx(
      nginxDir,
      front,
      addresses.map((a) => `http://${a}`),
      { accessLog },
    );

    const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
    const keys = election.contests.flatMap((contest) =>
      [...actasEsperadas(catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
    );
    const keyFile = path.join(data, 'keys', 'openprep.PEF2024.simulacro.pub');
    const centerKey = (await readFile(keyFile, 'utf8')).trim();
    const agents: Awaited<ReturnType<typeof newAgent>>[] = [];
    for (let i = 0; i < 2; i++) {
      const agent = await newAgent(
        work,
        `CATD-UPGRADE-${i}`,
        [{ name: 'nginx', url: `http://127.0.0.1:${front}` }],
        centerKey,
        { concurrency: 4, backoff: { baseMs: 50, maxMs: 1_000 }, requestTimeoutMs: 10_000 },
      );
      await enrollWithCli(data, agent, ENV);
      agents.push(agent);
    }

    const cutsNow = async () => {
      const node = await openCenter({ root: data, clock: Date.now, env });
      assert.ok(node.ok);
      try {
        return { cuts: await node.value.journal.cuts(), now: node.value.clock() };
      } finally {
        await node.value.close();
      }
    };

    /** One action of the script under load, then everything the night must still be. */
    const phase = async (action: 'upgrade' | 'rollback', from: string, to: string, actas: typeof keys) => {
      // A night's cuts are under way: a builder started before any cut was published counts its
      // first due one from its own start (cut_scheduler.ts), so before the first cut a restart
      // would put it off by an interval.
      while ((await cutsNow()).cuts.length === 0) await new Promise((resolve) => setTimeout(resolve, 500));
      // The nodes take ~20 s: start so that the builders restart around a minute's turn, when a
      // cut comes due (the simulated clock's seconds, which the cuts' minutes follow).
      for (;;) {
        const second = Math.floor((await cutsNow()).now / 1000) % 60;
        if (second >= 30 && second <= 34) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const events: SenderEvent[] = [];
      let dripping = true;
      // A steady rate: one acta every 900 ms (~55 s for the phase's half of the actas, longer
      // than the script takes here), alternately to each agent's scanner folder.
      const drip = (async () => {
        for (const [i, acta] of actas.entries()) {
          await scan(agents[i % 2]!.watch, [{ ...acta, seed: keys.indexOf(acta) + 1 }], 20_000);
          await new Promise((resolve) => setTimeout(resolve, 900));
        }
        dripping = false;
      })();
      const delivered = runUntilDelivered(
        agents.map((a) => a.root),
        actas.length,
        10 * 60_000,
        (event) => events.push(event),
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const script = await runScript([action, from, to, drill]);
      const loadedToTheEnd = dripping;
      assert.equal(script.code, 0, script.stderr);
      const timings = JSON.parse(script.stdout) as Timings;
      await drip;
      const run = await delivered;
      assert.equal(run.done, actas.length, `every acta of the ${action} delivered`);
      // One more cut after the last restart, so that one due after it is checked too.
      const before = (await cutsNow()).cuts.length;
      for (;;) {
        if ((await cutsNow()).cuts.length >= before + 1) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const refused = events.filter((e) => e.kind === 'refused');
      assert.deepEqual(refused, [], 'no agent was refused (4xx)');
      const retries = events.filter((e) => e.kind === 'retry');
      const retries5xx = retries.filter((e) => e.kind === 'retry' && /\b5\d\d\b/.test(e.reason));

      // Every receipted package, stored once, with the very receipt the agent holds.
      const receipts = new Map<string, string>();
      for (const agent of agents) {
        const outbox = await outboxOf(agent.root);
        for (const item of outbox.items) {
          assert.equal(item.state, 'delivered');
          receipts.set(`${outbox.deviceId}#${item.sequence}`, item.receipt!);
        }
      }
      const journal = await centerJournal(data, Date.now, env);
      assert.deepEqual([...journal.received.keys()].sort(), [...receipts.keys()].sort());
      assert.ok(
        [...journal.received.values()].every((n) => n === 1),
        'each package once',
      );
      for (const [id, receipt] of receipts) assert.equal(journal.receipts.get(id), receipt, id);

      // The cuts: numbered 1, 2, 3… once each, one in each interval since the first (none
      // missed while a builder restarted), the last one recent.
      const { cuts, now } = await cutsNow();
      assert.deepEqual(
        cuts.map((c) => c.sequence),
        cuts.map((_, i) => i + 1),
      );
      const slot = (time: number) => Math.floor(time / (CUT_SECONDS * 1000));
      for (const [i, cut] of cuts.entries())
        if (i > 0)
          assert.equal(
            slot(cut.cutTime),
            slot(cuts[i - 1]!.cutTime) + 1,
            `cut #${cut.sequence} follows the one before: ${JSON.stringify(cuts.map((c) => [c.sequence, new Date(c.cutTime).toISOString()]))}\n${script.stderr}`,
          );
      assert.ok(slot(now) - slot(cuts.at(-1)!.cutTime) <= 1, 'the last due cut was published');
      const last = cuts.at(-1)!;
      const previous = cuts.at(-2)!;
      const verified = await cli([
        'verify',
        path.join(data, 'cuts', last.id),
        '--key',
        keyFile,
        '--previous',
        path.join(data, 'cuts', previous.id),
      ]);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      const journalVerified = await cli(['journal', 'verify', '--data', data]);
      assert.equal(journalVerified.code, 0, journalVerified.stdout + journalVerified.stderr);
      for (const name of ['node-1', 'node-2', 'node-3', 'cut-1', 'cut-2'])
        assert.equal((await readFile(path.join(drill, `${name}.release`), 'utf8')).trim(), to);
      const summary = {
        ...timings,
        agents: {
          actas: actas.length,
          loadedToTheEnd,
          refused: refused.length,
          retries: retries.length,
          retries5xx: retries5xx.length,
        },
        // Which builder published each cut (from their logs): the lease moved between them.
        cuts: await Promise.all(
          cuts.map(async (c) => {
            const logs = await Promise.all(
              ['cut-1', 'cut-2'].map((n) => readFile(path.join(drill, `${n}.log`), 'utf8')),
            );
            const by = ['cut-1', 'cut-2'].filter((_, i) => logs[i]!.includes(`cut ${c.id} #${c.sequence}:`));
            return `#${c.sequence} ${c.id} by ${by.join('+')}`;
          }),
        ),
      };
      t.diagnostic(JSON.stringify(summary));
      return summary;
    };

    const half = Math.ceil(keys.length / 2);
    const upgrade = await phase('upgrade', oldRelease, newRelease, keys.slice(0, half));
    assert.equal(upgrade.schemaBefore, PG_MIGRATIONS.length);
    assert.equal(upgrade.schemaAfter, PG_MIGRATIONS.length + 1, 'NEW migrated the database');
    const rollback = await phase('rollback', newRelease, oldRelease, keys.slice(half));
    assert.equal(rollback.schemaAfter, PG_MIGRATIONS.length + 1, 'OLD runs on the schema NEW left');

    // A release whose migration contracts (drops a column) cannot be rolled back from: refused
    // before anything is touched.
    const refused = await runScript(['upgrade', oldRelease, contractRelease, drill]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /REFUSED: .*no way back/);
    assert.equal(
      JSON.parse((await cli(['schema', '--json'])).stdout).database.version,
      PG_MIGRATIONS.length + 1,
    );

    const stopped = await runScript(['stop', drill]);
    assert.equal(stopped.code, 0, stopped.stderr);
    // The timings for docs/benchmarks.md.
    const report = process.env['OPENPREP_UPGRADE_REPORT'];
    if (report !== undefined) await writeFile(report, `${JSON.stringify({ upgrade, rollback }, null, 2)}\n`);
  } finally {
    // Whatever the script left running (it records each process's pid).
    for (const name of ['node-1', 'node-2', 'node-3', 'cut-1', 'cut-2']) {
      const pid = Number((await readFile(path.join(drill, `${name}.pid`), 'utf8').catch(() => '')).trim());
      if (pid > 0)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
    }
    // SIGTERM: a killed nginx master would leave its worker holding the test's pipe.
    if (nginx !== null) await stopServer(nginx);
    // OPENPREP_KEEP_DRILL=1 keeps the drill folder (each process's log) to look at.
    if (process.env['OPENPREP_KEEP_DRILL'] === '1') t.diagnostic(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
    if (missing === null) await dropSchemas([SCHEMA]);
  }
});
