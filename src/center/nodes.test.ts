/**
 * Three `serve` nodes on one PostgreSQL behind Debian's nginx, as a deployment runs them: CATD
 * agents send through nginx while one node is killed with SIGKILL in the middle of the load.
 * Every receipted package is stored exactly once, capture goes on through the surviving nodes,
 * and the journal verifies. nginx may resend a request whose node died to another node
 * (`proxy_next_upstream … non_idempotent`): intake is idempotent, so that is safe.
 *
 * Needs PostgreSQL and nginx; says it was skipped without them (CI has both).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import pg from 'pg';
import { fromBase32, totp } from '../auth/totp.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { runCli, startServer, stopServer } from '../test/center_process.ts';
import {
  centerJournal,
  declareTerritoryWithCli,
  enrollWithCli,
  newAgent,
  outboxOf,
  runUntilDelivered,
  scan,
} from '../test/field.ts';
import { freePort, nginxUnavailable, startNginx } from '../test/nginx.ts';
import { postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';

const URL = TEST_DATABASE_URL;
const SCHEMA = `openprep_nodes_${process.pid}`;
const ENV = { DATABASE_URL: URL, OPENPREP_DATABASE_SCHEMA: SCHEMA };
const PASSWORD = 'una frase larga que nadie adivina';

const missing = (await postgresUnavailable()) ?? nginxUnavailable();
if (missing !== null && process.env['OPENPREP_REQUIRE_POSTGRES'] === '1') throw new Error(missing);
const cli = (args: readonly string[], stdin = '') => runCli(args, { env: ENV, stdin });

test('three nodes behind nginx, one killed mid-load: nothing receipted lost or doubled, capture goes on, the journal verifies', {
  skip: missing ?? false,
}, async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-nodes-'));
  const children: ChildProcess[] = [];
  try {
    const data = path.join(work, 'center');
    assert.equal(
      (await cli(['catalog', 'generate', '--scale', 'tiny', '--seed', '6', '--out', `${work}/c.csv`])).code,
      0,
    );
    const init = await cli(['init', '--data', data, '--catalog', `${work}/c.csv`]);
    assert.equal(init.code, 0, init.stderr);
    await declareTerritoryWithCli(data, generateCatalog({ scale: 'tiny', seed: 6 }), ENV);
    const added = await cli(
      [
        'operator',
        'add',
        '--data',
        data,
        '--username',
        'ana.captura',
        '--name',
        'Ana',
        '--role',
        'capturista',
        '--scope',
        'nacional',
        '--password-stdin',
      ],
      `${PASSWORD}\n`,
    );
    assert.equal(added.code, 0, added.stderr);
    const secret = fromBase32(/secret=([A-Z2-7]+)/.exec(added.stdout)![1]!);
    const start = Date.parse('2024-06-02T21:00:00-06:00');
    const startedAt = Date.now();
    const clock = () => start + (Date.now() - startedAt);
    const nodes: Awaited<ReturnType<typeof startServer>>[] = [];
    for (let i = 0; i < 3; i++) {
      const node = await startServer(data, start, { ...ENV, OPENPREP_CHECKPOINT_SECONDS: '0.5' });
      children.push(node.child);
      nodes.push(node);
    }
    const port = await freePort();
    const nginx = await startNginx(
      path.join(work, 'nginx'),
      port,
      nodes.map((n) => n.base),
    );
    children.push(nginx);
    const front = `http://127.0.0.1:${port}`;

    const catalog = generateCatalog({ scale: 'tiny', seed: 6 });
    const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
    const keys = election.contests.flatMap((contest) =>
      [...actasEsperadas(catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
    );
    const centerKey = (
      await readFile(path.join(data, 'keys', 'openprep.PEF2024.simulacro.pub'), 'utf8')
    ).trim();
    const agents: string[] = [];
    for (let i = 0; i < 2; i++) {
      const agent = await newAgent(work, `CATD-NODES-${i}`, [{ name: 'nginx', url: front }], centerKey, {
        concurrency: 6,
        backoff: { baseMs: 50, maxMs: 1_000 },
        requestTimeoutMs: 5_000,
      });
      await enrollWithCli(data, agent, ENV);
      agents.push(agent.root);
      await scan(
        agent.watch,
        keys.flatMap((k, j) => (j % 2 === i ? [{ ...k, seed: j + 1 }] : [])),
        20_000,
      );
    }

    let delivered = 0;
    let killed = false;
    const run = await runUntilDelivered(agents, keys.length, 120_000, (event) => {
      if (event.kind !== 'delivered') return;
      delivered++;
      if (!killed && delivered >= keys.length / 3) {
        killed = true;
        nodes[1]!.child.kill('SIGKILL');
      }
    });
    assert.equal(run.done, keys.length, 'every acta delivered within two minutes');
    assert.ok(killed);

    // Capture goes on through nginx and the surviving nodes (the session lives in the database).
    const signIn = await fetch(`${front}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ana.captura', password: PASSWORD, code: totp(secret, clock()) }),
    });
    assert.equal(signIn.status, 201, await signIn.clone().text());
    const session = {
      cookie: (signIn.headers.get('set-cookie') ?? '').split(';')[0]!,
      csrf: ((await signIn.json()) as { csrfToken: string }).csrfToken,
    };
    for (let i = 0; i < 4; i++) {
      const next = await fetch(`${front}/api/v1/capture/next`, { headers: { cookie: session.cookie } });
      assert.equal(next.status, 200);
      const task = (await next.json()) as { recordId: string; columns: { id: string }[] };
      const captured = await fetch(`${front}/api/v1/capture/${encodeURIComponent(task.recordId)}`, {
        method: 'POST',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
        body: JSON.stringify({
          fields: {
            boletasSobrantes: 100,
            personasVotaron: 200,
            representantesVotaron: 2,
            votosSacados: 200,
            votes: Object.fromEntries(task.columns.map((c, j) => [c.id, j === 0 ? 50 : 1])),
            totalAsentado: 200,
          },
        }),
      });
      assert.ok(captured.status < 300, `capture ${captured.status}: ${await captured.text()}`);
    }

    for (const child of children.splice(0)) await stopServer(child);
    const receipts = new Map<string, string>();
    for (const root of agents) {
      const outbox = await outboxOf(root);
      for (const item of outbox.items) {
        assert.equal(item.state, 'delivered');
        receipts.set(`${outbox.deviceId}#${item.sequence}`, item.receipt!);
      }
    }
    assert.equal(receipts.size, keys.length);
    const journalState = await centerJournal(data, clock, { ...process.env, ...ENV });
    assert.deepEqual(
      [...journalState.received.keys()].sort(),
      [...receipts.keys()].sort(),
      'every receipted package, once',
    );
    assert.ok([...journalState.received.values()].every((n) => n === 1));
    for (const [id, receipt] of receipts)
      assert.equal(
        journalState.receipts.get(id),
        receipt,
        `the stored receipt of ${id} is the one the agent holds`,
      );
    t.diagnostic(`${keys.length} actas through nginx; node 2 killed after ${Math.ceil(keys.length / 3)}`);
    const journal = await cli(['journal', 'verify', '--data', data]);
    assert.equal(journal.code, 0, journal.stderr + journal.stdout);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await rm(work, { recursive: true, force: true });
    if (missing === null) {
      const client = new pg.Client({ connectionString: URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(SCHEMA)} CASCADE`);
      await client.end();
    }
  }
});
