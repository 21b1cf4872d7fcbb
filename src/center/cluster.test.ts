/**
 * The whole deployment on one machine, as docs/deployment.md describes it, with every process
 * killed in turn under load (issue 24): PostgreSQL (a schema of its own), the S3 test server
 * with a bucket for the images and one for the cuts, the signer in its own process with the
 * election key in its own folder, `init` run once, three `serve` nodes each on its OWN empty data
 * folder behind nginx, two `openprep cut --every 1` builders each on its own folder, and two
 * CATD agents sending every acta of a tiny catalog. The actas are dropped in waves; during each
 * wave one process gets SIGKILL and comes back: node 1, node 2, node 3 (on the same port), the
 * signer (on the same socket and key), then the cut builder holding the lease (the other takes
 * the lease when it expires and publishes the next cut). Afterwards: every package an agent
 * holds a receipt for is stored once with that very receipt; no agent was answered a 4xx; a
 * final cut is in the bucket and, downloaded, every cut verifies against the one before;
 * `openprep journal verify` passes; and no file of the test outside the signer's folder holds
 * a private key of the center — no "PRIVATE KEY" (the agents' own device keys aside) and nowhere
 * the election key's seed, raw, in base64 or in hex.
 *
 * Needs PostgreSQL and nginx; says it was skipped without them (CI has both).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import type { SenderEvent } from '../agent/transport.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { keyNameFor } from '../journal/keys.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { MAIN, runCli, startServer, stopServer } from '../test/center_process.ts';
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
import { dropSchemas, postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';
import { listKeys, S3_CREDENTIALS, startS3 } from '../test/s3.ts';
import { killHard, startSigner } from '../test/signer.ts';

const SCHEMA = `openprep_cluster_${process.pid}`;
const SEED = 8;
const missing = (await postgresUnavailable()) ?? nginxUnavailable();
if (missing !== null && process.env['OPENPREP_REQUIRE_POSTGRES'] === '1') throw new Error(missing);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `done`, failing with `what` past `ms` (a hung process, not a slow one). */
async function until(what: string, done: () => boolean, ms = 240_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    assert.ok(Date.now() < deadline, `waited too long for ${what}`);
    await sleep(50);
  }
}

/** `openprep cut --every 1` in its own process; its output lines kept. */
function startBuilder(data: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN, 'cut', '--data', data, '--every', '1'], {
    env: { ...process.env, OPENPREP_QUALITY_GATE: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  child.stdout!.on('data', (chunk: Buffer) => {
    output.text += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output.text += chunk.toString();
  });
  return {
    child,
    output,
    leading: () => output.text.includes('this process builds the cuts'),
    published: () => [...output.text.matchAll(/^cut (\d{8}_\d{4}) #(\d+)/gm)].map((m) => m[1]!),
  };
}

async function filesUnder(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) found.push(path.join(entry.parentPath, entry.name));
  return found;
}

test('the cluster — three nodes, the signer, two cut builders — each killed -9 in turn under load: every receipted acta once, the cuts verify, no key outside the signer', {
  skip: missing ?? false,
  timeout: 600_000,
}, async (t) => {
  const began = Date.now();
  const took = () => `${((Date.now() - began) / 1000).toFixed(1)} s`;
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-cluster-'));
  const s3 = await startS3('actas', ['cortes']);
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
  const children: ChildProcess[] = [];
  let signer: ChildProcess | null = null;
  // Stopped with SIGTERM: killed -9, its master would leave its worker holding our pipe open.
  let nginx: ChildProcess | null = null;
  try {
    await dropSchemas([SCHEMA]);
    const catalog = generateCatalog({ scale: 'tiny', seed: SEED });
    const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
    const keyName = keyNameFor(election.id, election.mode);
    const signerDir = path.join(work, 'signer');
    const keyFile = path.join(signerDir, `${keyName}.key`);
    const socket = path.join(work, 'run', 'signer.sock');
    await mkdir(path.dirname(socket), { recursive: true });
    signer = await startSigner(keyFile, socket, ['--create-key']);
    const env: Record<string, string> = {
      ...s3.env,
      DATABASE_URL: TEST_DATABASE_URL,
      OPENPREP_DATABASE_SCHEMA: SCHEMA,
      OPENPREP_SIGNER_SOCKET: socket,
      OPENPREP_SECRETS_KEY_FILE: path.join(work, 'etc', 'secrets.key'),
      OPENPREP_CUT_STORE: 's3',
      OPENPREP_CUTS_BUCKET: 'cortes',
      OPENPREP_CUTS_PREFIX: 'pef2024/',
    };

    // `init` once, from the administrator's own folder; the territory and the agents' keys too.
    const admin = path.join(work, 'admin');
    const generated = await runCli([
      'catalog',
      'generate',
      '--scale',
      'tiny',
      '--seed',
      String(SEED),
      '--out',
      `${work}/c.csv`,
    ]);
    assert.equal(generated.code, 0, generated.stderr);
    const init = await runCli(['init', '--data', admin, '--catalog', `${work}/c.csv`], { env });
    assert.equal(init.code, 0, init.stderr);
    await declareTerritoryWithCli(admin, catalog, env);
    const centerKey = (await readFile(path.join(signerDir, `${keyName}.pub`), 'utf8')).trim();

    // Three nodes, each on its own empty folder, behind nginx. The drill's clock starts 25 s
    // before a whole minute, so that the first cut is due soon after the builders start.
    const start = Date.parse('2024-06-02T21:09:35-06:00');
    const startedAt = Date.now();
    const clock = () => start + (Date.now() - startedAt);
    const nodeEnv = (i: number) => ({
      ...env,
      OPENPREP_NODE_ID: `node-${i + 1}`,
      OPENPREP_CHECKPOINT_SECONDS: '0.5',
      OPENPREP_RATE_LIMIT_PER_MINUTE: '1000000',
    });
    const nodes: { data: string; port: number; child: ChildProcess }[] = [];
    for (let i = 0; i < 3; i++) {
      const data = path.join(work, `node-${i + 1}`);
      const port = await freePort();
      const node = await startServer(data, i === 0 ? start : clock(), nodeEnv(i), port);
      children.push(node.child);
      nodes.push({ data, port, child: node.child });
    }
    const frontPort = await freePort();
    nginx = await startNginx(
      path.join(work, 'nginx'),
      frontPort,
      nodes.map((n) => `127.0.0.1:${n.port}`),
    );
    const front = `http://127.0.0.1:${frontPort}`;

    // Two cut builders, each on its own folder: the first to start holds the lease.
    const builders = [] as ReturnType<typeof startBuilder>[];
    for (const name of ['builder-a', 'builder-b']) {
      const builder = startBuilder(path.join(work, name), { ...env, OPENPREP_NODE_ID: name });
      children.push(builder.child);
      builders.push(builder);
      await until(`${name} to start`, () => /builds the cuts|standing by/.test(builder.output.text), 60_000);
    }
    const [builderA, builderB] = builders as [
      ReturnType<typeof startBuilder>,
      ReturnType<typeof startBuilder>,
    ];
    assert.ok(builderA.leading(), builderA.output.text);
    assert.ok(!builderB.leading(), builderB.output.text);

    // Two agents, each sending half of the actas, dropped in six waves.
    const keys = election.contests.flatMap((contest) =>
      [...actasEsperadas(catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
    );
    const agents = [] as Awaited<ReturnType<typeof newAgent>>[];
    for (let i = 0; i < 2; i++) {
      const agent = await newAgent(work, `CATD-CLUSTER-${i}`, [{ name: 'nginx', url: front }], centerKey, {
        concurrency: 6,
        backoff: { baseMs: 50, maxMs: 1_000 },
        requestTimeoutMs: 5_000,
      });
      await enrollWithCli(admin, agent, env);
      agents.push(agent);
    }
    const WAVES = 6;
    const waveOf = (j: number) => Math.floor((j * WAVES) / keys.length);
    const dropWave = async (w: number) => {
      for (const [i, agent] of agents.entries())
        await scan(
          agent.watch,
          keys.flatMap((k, j) => (j % 2 === i && waveOf(j) === w ? [{ ...k, seed: j + 1 }] : [])),
          20_000,
        );
    };
    const upToWave = (w: number) => keys.filter((_, j) => waveOf(j) <= w).length;

    let delivered = 0;
    const running = runUntilDelivered(
      agents.map((a) => a.root),
      keys.length,
      300_000,
      (event) => {
        if (event.kind === 'delivered') delivered++;
      },
    );
    // Each wave: its actas dropped, a third of them delivered, then one process killed -9 while
    // the rest are on their way, and started again.
    const kills: string[] = [];
    const inWave = async (w: number, what: string, kill: () => Promise<void>) => {
      await dropWave(w);
      const before = w === 0 ? 0 : upToWave(w - 1);
      await until(`wave ${w} under way`, () => delivered >= before + (upToWave(w) - before) / 3);
      const at = delivered;
      await kill();
      kills.push(`${what} at ${at}/${keys.length} delivered (${took()})`);
    };
    for (const [i, node] of nodes.entries())
      await inWave(i, `node ${i + 1}`, async () => {
        await killHard(node.child);
        const again = await startServer(node.data, clock(), nodeEnv(i), node.port);
        children.push(again.child);
        node.child = again.child;
      });
    await inWave(3, 'the signer', async () => {
      await killHard(signer!);
      signer = await startSigner(keyFile, socket);
    });
    const firstCut = Date.now();
    await inWave(4, 'cut builder A (holding the lease)', async () => {
      await until('a cut by builder A', () => builderA.published().length > 0);
      assert.ok(builderA.leading());
      await killHard(builderA.child);
    });
    t.diagnostic(`builder A's first cut came ${((Date.now() - firstCut) / 1000).toFixed(1)} s into wave 4`);
    await dropWave(5);
    const run = await running;
    assert.equal(run.done, keys.length, 'every acta answered');
    t.diagnostic(`${keys.length} actas delivered (${took()}); killed: ${kills.join('; ')}`);
    const refusals = run.events.filter(
      (e): e is SenderEvent & { reason: string } =>
        e.kind === 'refused' || (e.kind === 'retry' && /^4\d\d\b/.test(e.reason)),
    );
    assert.deepEqual(refusals, [], 'no agent was answered a 4xx');
    const retries = run.events.filter((e) => e.kind === 'retry').length;

    // Builder B took the lease when A's expired, and publishes the next cut.
    await until('builder B to publish', () => builderB.published().length > 0);
    t.diagnostic(`builder B leading and published ${builderB.published().join(' ')} (${took()})`);
    await stopServer(builderB.child);
    for (const node of nodes) await stopServer(node.child);

    // The final cut, once its minute is not the last cut's (cuts are a minute apart at least).
    let final = '';
    for (let attempt = 0; final === ''; attempt++) {
      const cut = await runCli(['cut', '--final', '--data', path.join(work, 'builder-b')], {
        env: { ...env, OPENPREP_NODE_ID: 'builder-b' },
      });
      const id = /^cut (\d{8}_\d{4}) #\d+ \(final\): s3:\/\/cortes\/pef2024\/\1\//m.exec(cut.stdout)?.[1];
      if (id !== undefined) final = id;
      else {
        assert.match(cut.stderr, /already published/, cut.stdout + cut.stderr);
        assert.ok(attempt < 30, cut.stderr);
        await sleep(3_000);
      }
    }
    t.diagnostic(`final cut ${final} (${took()})`);

    // Every receipted package once, with the very receipt its agent holds.
    const receipts = new Map<string, string>();
    for (const agent of agents) {
      const outbox = await outboxOf(agent.root);
      for (const item of outbox.items) {
        assert.equal(item.state, 'delivered');
        receipts.set(`${outbox.deviceId}#${item.sequence}`, item.receipt!);
      }
    }
    assert.equal(receipts.size, keys.length);
    const journalState = await centerJournal(nodes[0]!.data, clock, { ...process.env, ...env });
    assert.deepEqual(
      [...journalState.received.keys()].sort(),
      [...receipts.keys()].sort(),
      'every receipted package, once',
    );
    assert.ok([...journalState.received.values()].every((n) => n === 1));
    for (const [id, receipt] of receipts)
      assert.equal(journalState.receipts.get(id), receipt, `the stored receipt of ${id} is the agent's`);
    const journal = await runCli(['journal', 'verify', '--data', nodes[1]!.data], { env });
    assert.equal(journal.code, 0, journal.stderr + journal.stdout);

    // The bucket, downloaded as a mirror would: the pointer on the final cut, every cut
    // verifying against the one before.
    const mirror = path.join(work, 'mirror');
    const listed = await listKeys(client, 'cortes', 'pef2024/');
    for (const key of listed) {
      const got = await client.send(new GetObjectCommand({ Bucket: 'cortes', Key: `pef2024/${key}` }));
      await mkdir(path.dirname(path.join(mirror, key)), { recursive: true });
      await writeFile(path.join(mirror, key), await got.Body!.transformToByteArray());
    }
    assert.equal(JSON.parse(await readFile(path.join(mirror, 'latest.json'), 'utf8')).cut, final);
    const cuts = [...new Set(listed.flatMap((k) => /^(\d{8}_\d{4})\//.exec(k)?.[1] ?? []))].sort();
    assert.equal(cuts.at(-1), final);
    assert.ok(cuts.length >= 3, `A's, B's and the final cut: ${cuts.join(' ')}`);
    for (const id of [...builderA.published(), ...builderB.published()]) assert.ok(cuts.includes(id), id);
    for (const [i, id] of cuts.entries()) {
      const verified = await runCli([
        'verify',
        path.join(mirror, id),
        '--key',
        path.join(signerDir, `${keyName}.pub`),
        '--catalog',
        path.join(mirror, 'catalogo'),
        ...(i > 0 ? ['--previous', path.join(mirror, cuts[i - 1]!)] : []),
      ]);
      assert.equal(verified.code, 0, `${id}: ${verified.stdout}${verified.stderr}`);
    }
    for (const child of children) child.kill('SIGKILL');
    await killHard(signer);

    // No private key of the center outside the signer's folder: every file of the test (the
    // S3 server's objects included), its text and its bytes.
    const seed = Buffer.from(
      createPrivateKey(await readFile(keyFile)).export({ format: 'jwk' }).d!,
      'base64url',
    );
    assert.equal(seed.length, 32);
    const pem = await readFile(keyFile, 'utf8');
    assert.ok(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64').includes(seed), 'the seed found');
    const forms = [
      seed,
      ...['base64', 'base64url', 'hex'].map((f) => Buffer.from(seed.toString(f as 'hex'))),
    ];
    const agentKeys = new Set<string>();
    for (const agent of agents)
      for (const file of await filesUnder(agent.root))
        if ((await readFile(file, 'utf8')).startsWith('-----BEGIN PRIVATE KEY-----')) agentKeys.add(file);
    assert.equal(agentKeys.size, agents.length, 'each agent holds its own device key, one file');
    let scanned = 0;
    for (const folder of [work, s3.directory])
      for (const file of await filesUnder(folder)) {
        if (file.startsWith(`${signerDir}${path.sep}`)) continue;
        const bytes = await readFile(file);
        scanned++;
        if (!agentKeys.has(file)) assert.ok(!bytes.includes('PRIVATE KEY'), `${file} holds a private key`);
        for (const form of forms) assert.ok(!bytes.includes(form), `${file} holds the election key's seed`);
      }
    // Nor in the database: every row of every table of the schema, as text (bytea in hex).
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    let rows = 0;
    try {
      const tables = await db.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        [SCHEMA],
      );
      assert.ok(tables.rows.length > 0);
      for (const { table_name } of tables.rows) {
        const all = await db.query<{ row: string }>(
          `SELECT t::text AS row FROM ${pg.escapeIdentifier(SCHEMA)}.${pg.escapeIdentifier(table_name)} t`,
        );
        for (const { row } of all.rows) {
          rows++;
          for (const form of forms.slice(1))
            assert.ok(!row.includes(form.toString()), `a row of ${table_name} holds the election key's seed`);
        }
      }
    } finally {
      await db.end();
    }
    t.diagnostic(
      `${cuts.length} cuts verified, ${retries} agent retries, ${scanned} files and ${rows} database rows scanned for the key; ${took()} in all`,
    );
  } finally {
    for (const child of children) child.kill('SIGKILL');
    signer?.kill('SIGKILL');
    if (nginx !== null) await stopServer(nginx);
    client.destroy();
    await s3.close();
    await dropSchemas([SCHEMA]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
});
