/**
 * Field transmission end to end, over real HTTP on loopback: CATD agents watching their
 * scanner folders, two `openprep serve` nodes on one data folder, and the fault-injecting
 * proxy between them. Every acta must arrive exactly once whatever the network does, the
 * agent must fail over and come back, and survive SIGKILL; a USB bundle must deliver too.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { describe, test } from 'node:test';
import { Accounts } from '../auth/accounts.ts';
import { fromBase32, totp } from '../auth/totp.ts';
import { openCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { startFaultProxy } from '../drill/fault_proxy.ts';
import { createRandom } from '../sim/random.ts';
import { MAIN, preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';
import {
  centerJournal,
  enrollWithCli,
  MIXED_FAULTS,
  newAgent,
  outboxOf,
  runUntilDelivered,
  scan,
} from '../test/field.ts';

describe('field transmission', () => {
  test('1,000 actas from 4 agents through two nodes behind faulty proxies: every one arrives exactly once', async (t) => {
    const work = await mkdtemp(path.join(tmpdir(), 'openprep-field-'));
    try {
      const agents = [];
      const perAgent = 250;
      const center = path.join(work, 'center');
      // The center first (agents are configured with its public key), then each agent makes
      // its own key and staff enrol it with the CLI.
      const prepared = await preparedCenter(center, 11, [], { scale: 'state' });
      const keys = prepared.election.contests.flatMap((contest) =>
        [...actasEsperadas(prepared.catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
      );
      const testStart = Date.now();
      const clock = () => prepared.start + (Date.now() - testStart);
      const a = await startServer(center, clock());
      const b = await startServer(center, clock(), { OPENPREP_CHECKPOINT_SECONDS: '0' });
      const faults = MIXED_FAULTS;
      const proxyA = await startFaultProxy({ target: a.base, rates: faults, seed: 1, delayMs: [5, 120] });
      const proxyB = await startFaultProxy({ target: b.base, rates: faults, seed: 2, delayMs: [5, 120] });
      try {
        for (let i = 0; i < 4; i++) {
          // Half the agents prefer one node, half the other: both take traffic, on one journal.
          const channels =
            i % 2 === 0
              ? [
                  { name: 'primary', url: proxyA.url },
                  { name: 'alternate', url: proxyB.url },
                ]
              : [
                  { name: 'primary', url: proxyB.url },
                  { name: 'alternate', url: proxyA.url },
                ];
          const agent = await newAgent(work, `CATD-FIELD-${i}`, channels, prepared.verifierKey, {
            concurrency: 6,
          });
          await enrollWithCli(center, agent);
          agents.push(agent);
        }
        for (const [i, agent] of agents.entries())
          await scan(
            agent.watch,
            keys
              .slice(i * perAgent, (i + 1) * perAgent)
              .map((k, j) => ({ ...k, seed: i * perAgent + j + 1 })),
          );
        const { events, done } = await runUntilDelivered(
          agents.map((x) => x.root),
          agents.length * perAgent,
          240_000,
        );
        assert.equal(done, agents.length * perAgent, 'every acta delivered before the time limit');
        t.diagnostic(
          `proxy A ${JSON.stringify(proxyA.counts)}; proxy B ${JSON.stringify(proxyB.counts)}; ` +
            `${events.filter((e) => e.kind === 'retry').length} retries`,
        );
        for (const fault of Object.keys(faults))
          assert.ok(
            (proxyA.counts[fault as keyof typeof faults] ?? 0) +
              (proxyB.counts[fault as keyof typeof faults] ?? 0) >
              0,
            `the ${fault} fault happened`,
          );
        for (const agent of agents) {
          const { counts } = await outboxOf(agent.root);
          assert.deepEqual([counts.pending, counts.refused, counts.delivered], [0, 0, perAgent], agent.id);
        }
      } finally {
        await proxyA.close();
        await proxyB.close();
        await stopServer(a.child);
        await stopServer(b.child);
      }
      const journal = await centerJournal(center, clock);
      assert.equal(journal.received.size, agents.length * perAgent, 'one PACKAGE_RECEIVED per acta');
      assert.ok(
        [...journal.received.values()].every((n) => n === 1),
        'no package journaled twice',
      );
      assert.equal(journal.conflicts, 0);
      for (const agent of agents) assert.equal(journal.packages.get(agent.id), perAgent);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('primary down: the agent fails over to the alternate, and returns to the primary once it heals', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'openprep-failover-'));
    try {
      const center = path.join(work, 'center');
      const prepared = await preparedCenter(center, 12, []);
      const keys = prepared.election.contests.flatMap((contest) =>
        [...actasEsperadas(prepared.catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
      );
      const testStart = Date.now();
      const clock = () => prepared.start + (Date.now() - testStart);
      const a = await startServer(center, clock());
      const b = await startServer(center, clock(), { OPENPREP_CHECKPOINT_SECONDS: '0' });
      // The primary's network is gone: every connection dropped.
      const primary = await startFaultProxy({ target: a.base, rates: { drop: 1 }, seed: 3 });
      const alternate = await startFaultProxy({ target: b.base, rates: {}, seed: 4 });
      try {
        const agent = await newAgent(
          work,
          'CATD-FAILOVER',
          [
            { name: 'primary', url: primary.url },
            { name: 'alternate', url: alternate.url },
          ],
          prepared.verifierKey,
        );
        await enrollWithCli(center, agent);
        await scan(
          agent.watch,
          keys.slice(0, 20).map((k, i) => ({ ...k, seed: 100 + i })),
        );
        const first = await runUntilDelivered([agent.root], 20, 60_000);
        assert.equal(first.done, 20);
        assert.ok(first.events.some((e) => e.kind === 'channel-down' && e.via === 'primary'));
        let items = (await outboxOf(agent.root)).items;
        assert.ok(items.every((item) => item.state === 'delivered' && item.deliveredVia === 'alternate'));

        primary.setRates({});
        await scan(
          agent.watch,
          keys.slice(20, 60).map((k, i) => ({ ...k, seed: 200 + i })),
        );
        const second = await runUntilDelivered([agent.root], 40, 60_000);
        assert.equal(second.done, 40);
        items = (await outboxOf(agent.root)).items;
        assert.equal(items.filter((item) => item.state === 'delivered').length, 60);
        // Once the primary answers again, it carries the traffic.
        assert.ok(
          items.slice(-10).every((item) => item.deliveredVia === 'primary'),
          JSON.stringify(items.slice(-10).map((item) => item.deliveredVia)),
        );
      } finally {
        await primary.close();
        await alternate.close();
        await stopServer(a.child);
        await stopServer(b.child);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('the agent killed with SIGKILL 20 times mid-work: nothing lost, nothing duplicated', async (t) => {
    const work = await mkdtemp(path.join(tmpdir(), 'openprep-agent-kill-'));
    try {
      const center = path.join(work, 'center');
      const prepared = await preparedCenter(center, 13, [], { scale: 'state' });
      const keys = prepared.election.contests.flatMap((contest) =>
        [...actasEsperadas(prepared.catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
      );
      const testStart = Date.now();
      const clock = () => prepared.start + (Date.now() - testStart);
      const server = await startServer(center, clock());
      // Lost answers make the agent resend what the center already has.
      const proxy = await startFaultProxy({
        target: server.base,
        rates: { 'lose-response': 0.1, 'reset-mid-upload': 0.05 },
        seed: 5,
      });
      const total = 300;
      const agent = await newAgent(
        work,
        'CATD-KILL',
        [{ name: 'primary', url: proxy.url }],
        prepared.verifierKey,
      );
      try {
        await enrollWithCli(center, agent);
        const random = createRandom('agent-kill');
        // Files keep arriving while the agent is being killed, as a scanner's would.
        for (let kill = 0; kill < 20; kill++) {
          await scan(
            agent.watch,
            keys.slice(kill * 10, kill * 10 + 10).map((k, i) => ({ ...k, seed: 1000 + kill * 10 + i })),
          );
          const child = spawn(process.execPath, [MAIN, 'agent', 'run', '--data', agent.root, '--quiet'], {
            stdio: 'ignore',
          });
          await new Promise((resolve) => setTimeout(resolve, 150 + random.int(0, 600)));
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          await exited;
        }
        await scan(
          agent.watch,
          keys.slice(200, total).map((k, i) => ({ ...k, seed: 1200 + i })),
        );
        const before = await outboxOf(agent.root);
        t.diagnostic(`after 20 kills: ${JSON.stringify(before.counts)}`);
        const rest = await runUntilDelivered([agent.root], total - before.counts.delivered, 120_000);
        assert.equal(rest.done, total - before.counts.delivered);
        const after = await outboxOf(agent.root);
        assert.deepEqual([after.counts.pending, after.counts.refused, after.counts.delivered], [0, 0, total]);
        assert.equal(
          new Set(after.items.map((item) => item.imageSha256)).size,
          total,
          'each image queued once',
        );
      } finally {
        await proxy.close();
        await stopServer(server.child);
      }
      const journal = await centerJournal(center, clock);
      assert.equal(journal.received.size, total);
      assert.ok([...journal.received.values()].every((n) => n === 1));
      assert.equal(journal.conflicts, 0);
      assert.equal(journal.packages.get('CATD-KILL'), total);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('a USB bundle from an offline agent delivers every acta once; twice changes nothing; tampered is refused whole', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'openprep-bundle-'));
    try {
      const center = path.join(work, 'center');
      const prepared = await preparedCenter(center, 14, []);
      const keys = prepared.election.contests.flatMap((contest) =>
        [...actasEsperadas(prepared.catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
      );
      const testStart = Date.now();
      const clock = () => prepared.start + (Date.now() - testStart);
      // No center answers at this address: the agent is offline.
      const agent = await newAgent(
        work,
        'CATD-OFFLINE',
        [{ name: 'primary', url: 'http://127.0.0.1:9/' }],
        prepared.verifierKey,
      );
      await enrollWithCli(center, agent);
      await scan(
        agent.watch,
        keys.slice(0, 30).map((k, i) => ({ ...k, seed: 300 + i })),
      );
      const offline = await runUntilDelivered([agent.root], 1, 2_000);
      assert.equal(offline.done, 0);
      assert.equal((await outboxOf(agent.root)).counts.pending, 30);

      const bundle = path.join(work, 'usb', 'catd-offline.bundle');
      await mkdir(path.dirname(bundle));
      assert.equal((await cli(['agent', 'export-bundle', '--data', agent.root, '--out', bundle])).code, 0);
      const simulated = ['--simulated-start', new Date(clock()).toISOString()];
      const receiptsFile = path.join(work, 'receipts.jsonl');

      // Tampered: one byte of one image changed, or a package re-signed by nobody.
      const original = await readFile(bundle);
      const sizeBefore = (await centerJournal(center, clock)).size;
      for (const at of [original.length - 200, original.indexOf(Buffer.from('"signature":"')) + 20]) {
        const tampered = Buffer.from(original);
        tampered[at] = tampered[at]! ^ 0x01;
        const file = path.join(work, 'usb', `tampered-${at}.bundle`);
        await writeFile(file, tampered);
        const result = await cli(['bundle', 'import', '--data', center, ...simulated, file]);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /nothing was stored/);
      }
      assert.equal((await centerJournal(center, clock)).size, sizeBefore, 'a tampered bundle stores nothing');

      const first = await cli([
        'bundle',
        'import',
        '--data',
        center,
        ...simulated,
        '--receipts',
        receiptsFile,
        bundle,
      ]);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(JSON.parse(first.stdout), {
        deviceId: 'CATD-OFFLINE',
        accepted: 30,
        alreadyAccepted: 0,
        refused: [],
      });
      const afterFirst = await centerJournal(center, clock);
      const again = await cli(['bundle', 'import', '--data', center, ...simulated, bundle]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout), {
        deviceId: 'CATD-OFFLINE',
        accepted: 0,
        alreadyAccepted: 30,
        refused: [],
      });
      assert.equal(
        (await centerJournal(center, clock)).size,
        afterFirst.size,
        'importing twice changes nothing',
      );
      assert.equal(afterFirst.received.size, 30);

      // The network returns: the agent's retries get the very receipts the import produced.
      const server = await startServer(center, clock());
      try {
        const config = JSON.parse(await readFile(path.join(agent.root, 'agent.json'), 'utf8')) as {
          channels: { name: string; url: string }[];
        };
        config.channels = [{ name: 'primary', url: server.base }];
        await writeFile(path.join(agent.root, 'agent.json'), JSON.stringify(config));
        const online = await runUntilDelivered([agent.root], 30, 60_000);
        assert.equal(online.done, 30);
      } finally {
        await stopServer(server.child);
      }
      const imported = new Map(
        (await readFile(receiptsFile, 'utf8'))
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { sequence: number; receipt: string })
          .map((r) => [r.sequence, r.receipt]),
      );
      const { items } = await outboxOf(agent.root);
      for (const item of items)
        assert.equal(item.receipt, imported.get(item.sequence), `receipt of ${item.sequence}`);
      assert.equal((await centerJournal(center, clock)).received.size, 30);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

test('an agent enrols its own device through a coordinator’s sign-in, then delivers', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-agent-enrol-'));
  try {
    const center = path.join(work, 'center');
    const prepared = await preparedCenter(center, 15, []);
    const testStart = Date.now();
    const clock = () => prepared.start + (Date.now() - testStart);
    const node = await openCenter({ root: center, clock });
    assert.ok(node.ok);
    const accounts = await Accounts.open(node.value, clock);
    const added = await accounts.addOperator({
      username: 'coral.coordina',
      name: 'Coral',
      role: 'coordinador',
      scope: 'catd:CATD-1',
      password: 'una frase larga que nadie adivina',
      expiresAt: null,
      by: 'test',
    });
    assert.ok(added.ok);
    await node.value.close();
    const server = await startServer(center, clock());
    try {
      const agent = await newAgent(
        work,
        'CATD-SELF',
        [{ name: 'primary', url: server.base }],
        prepared.verifierKey,
      );
      const enrol = (code: string) =>
        cli(
          ['agent', 'enroll', '--data', agent.root, '--username', 'coral.coordina', '--bound-to', 'CATD-1'],
          {
            stdin: `una frase larga que nadie adivina\n${code}\n`,
          },
        );
      const wrong = await enrol('000000');
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /sign-in-failed/);
      const right = await enrol(totp(fromBase32(added.value.totpSecret), clock()));
      assert.equal(right.code, 0, right.stderr);
      const keys = [...actasEsperadas(prepared.catalog, prepared.election.contests[0]!)].slice(0, 5);
      await scan(
        agent.watch,
        keys.map((k, i) => ({ contest: prepared.election.contests[0]!.id, key: k.actaKey, seed: 500 + i })),
      );
      const run = await runUntilDelivered([agent.root], 5, 30_000);
      assert.equal(run.done, 5);
      assert.ok(run.events.every((e) => e.kind !== 'refused'));
    } finally {
      await stopServer(server.child);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

function cli(args: readonly string[], options: { stdin?: string } = {}) {
  return runCli(args, options);
}
