/**
 * Three `openprep witness run` processes and a 2-of-3 policy against real centers on loopback:
 * a cut's checkpoint collects the witnesses' cosignatures through the center's routes and
 * verifies; then the center's journal forks — a second center with the same log key shares
 * its first entries and diverges — and is shown, through proxies, to witness 3 only, then to
 * all: the peers' comparison raises the split-view alarm, the witnesses that saw the other
 * history refuse the fork's checkpoints, and no cut of the fork carries 2 cosignatures.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, before, describe, test } from 'node:test';
import { type CenterNode, initCenter, openCenter } from '../center/node.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { cutAwaitsWitnesses, publishCut, signCheckpoint } from '../publish/publisher.ts';
import { buildServer, type ServerHandle } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import { MAIN, runCli } from '../test/center_process.ts';
import { movingClock, tinySimulacro } from '../test/served_center.ts';
import { initWitnesses } from '../test/witnesses.ts';
import { verifyCut } from '../verify/verify.ts';
import { readFile } from 'node:fs/promises';
import { SchedulerMetrics } from '../publish/scheduler_metrics.ts';
import { cosignatureLine } from '../journal/cosignature.ts';
import { openWitness } from './state.ts';
import { startCutServer } from '../mirror/static_server.ts';
import { verifyCutInBrowser, type WitnessesSeen } from '../site/verify_cut.ts';

/** A proxy whose upstream a test switches: what a witness is shown is what it is routed to. */
class SwitchingProxy {
  target = '';
  server!: Server;
  base = '';
  async start(target: string): Promise<void> {
    this.target = target;
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const init: RequestInit = {
          method: request.method ?? 'GET',
          headers: { 'content-type': request.headers['content-type'] ?? 'text/plain' },
          ...(request.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
        };
        fetch(`${this.target}${request.url ?? '/'}`, init)
          .then(async (answer) => {
            const body = Buffer.from(await answer.arrayBuffer());
            response
              .writeHead(answer.status, {
                'content-type': answer.headers.get('content-type') ?? 'text/plain',
              })
              .end(body);
          })
          .catch(() => response.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Status {
  cosigned: { size: number; rootHash: string } | null;
  alarms: { kind: string; message: string }[];
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read().catch(() => null);
    if (value !== null && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('three witnesses, a 2-of-3 policy, and a journal that forks', () => {
  let work: string;
  let election: ElectionDefinition;
  const clock = movingClock(tinySimulacro(7).election);
  const centers: { node: CenterNode; server: ServerHandle; base: string }[] = [];
  const proxies = [new SwitchingProxy(), new SwitchingProxy(), new SwitchingProxy()];
  const witnesses: { child: ChildProcess; url: string; state: string; stderr: () => string }[] = [];
  const keys: string[] = [];
  const ports: number[] = [];
  let logKey = '';

  const serve = async (node: CenterNode) => {
    const server = await buildServer({
      node,
      config: serveConfigSchema.parse({ logLevel: 'silent', rateLimitPerMinute: 1_000_000 }),
      clock,
    });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    return { node, server, base: `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}` };
  };

  const startWitness = (i: number): Promise<(typeof witnesses)[number]> => {
    const state = path.join(work, `w${i + 1}`);
    const peers = ports.filter((_, j) => j !== i).flatMap((port) => ['--peer', `http://127.0.0.1:${port}`]);
    const child = spawn(
      process.execPath,
      [
        MAIN,
        'witness',
        'run',
        '--center',
        proxies[i]!.base,
        '--log-key',
        logKey,
        '--state',
        state,
        '--listen',
        `127.0.0.1:${ports[i]}`,
        '--every',
        '0.2',
        ...peers,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let text = '';
    return new Promise((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /listening on (http:\/\/[0-9.]+:[0-9]+)\//.exec(text);
        if (match !== null) resolve({ child, url: match[1]!, state, stderr: () => text });
      });
      child.once('exit', (code) => reject(new Error(`witness exited (${code}):\n${text}`)));
    });
  };
  const stopWitness = async (i: number) => {
    const { child } = witnesses[i]!;
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const status = async (i: number): Promise<Status> =>
    (await (await fetch(`${witnesses[i]!.url}/status`)).json()) as Status;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'openprep-witnesses-'));
    keys.push(...(await initWitnesses(work, ['testigo1.example', 'testigo2.example', 'testigo3.example'])));
    const simulacro = tinySimulacro(7);
    election = { ...simulacro.election, witnesses: { keys, required: 2, waitSeconds: 4 } };
    // Center A; center B is a copy of its data folder (the same log key) made before anything
    // else happens, so the two journals share their first entries.
    const created = await initCenter({
      root: path.join(work, 'A'),
      election,
      catalog: simulacro.catalog,
      clock,
    });
    assert.ok(created.ok, created.ok ? '' : created.message);
    logKey = created.value.verifierKey;
    await created.value.close();
    await cp(path.join(work, 'A'), path.join(work, 'B'), { recursive: true });
    for (const name of ['A', 'B']) {
      const opened = await openCenter({ root: path.join(work, name), clock });
      assert.ok(opened.ok, opened.ok ? '' : opened.message);
      centers.push(await serve(opened.value));
    }
    for (const proxy of proxies) await proxy.start(centers[0]!.base);
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    for (let i = 0; i < 3; i++) witnesses.push(await startWitness(i));
  });

  after(async () => {
    for (let i = 0; i < witnesses.length; i++) await stopWitness(i);
    for (const proxy of proxies) await new Promise((resolve) => proxy.server.close(resolve));
    for (const center of centers) {
      await center.server.app.close();
      await center.node.close();
    }
    await rm(work, { recursive: true, force: true });
  });

  const cut = async (center: (typeof centers)[number]) => {
    clock.skip(60_000);
    const publishing = publishCut(center.node, { cutTime: clock() });
    // While it waits for its witnesses, serve signs no newer checkpoint that would hide the cut's.
    await until(
      'the cut to hold the checkpoints',
      () => cutAwaitsWitnesses(center.node.leases, clock()),
      (held) => held,
      5_000,
    );
    const published = await publishing;
    assert.ok(published.ok, published.ok ? '' : published.message);
    assert.equal(await cutAwaitsWitnesses(center.node.leases, clock()), false);
    const report = await verifyCut({ cut: published.value.folder, publicKey: logKey });
    return { published: published.value, report };
  };

  /** The site's verify page's reading of a cut (WebCrypto, fetch), from its cuts folder served. */
  const verifyInBrowser = async (cutsFolder: string, cutId: string) => {
    const server = await startCutServer({ root: cutsFolder, port: 0 });
    try {
      let seen: WitnessesSeen | null | 'unreadable' = null;
      const checks = await verifyCutInBrowser({
        base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        keyText: logKey,
        cutId,
        witnesses: (s) => {
          seen = s;
        },
      });
      const read = seen as WitnessesSeen | null | 'unreadable';
      return { checks, seen: read === 'unreadable' ? null : read };
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  };

  test('the center keeps only cosignatures by listed witnesses of checkpoints it signed', async () => {
    const base = centers[0]!.base;
    const post = (body: string) =>
      fetch(`${base}/api/v1/witness/cosignature`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body,
      });
    assert.equal((await post('not a note')).status, 400);
    const foreign = `openprep.X/log\n3\n${Buffer.alloc(32).toString('base64')}\n\n\u2014 someone AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n`;
    assert.equal((await post(foreign)).status, 403);
    assert.equal((await post('x'.repeat(20_000))).status, 413);
    const bad = await fetch(`${base}/api/v1/proof/consistency?from=2&to=1`);
    assert.equal(bad.status, 400);
    assert.equal((await fetch(`${base}/api/v1/proof/consistency?from=01&to=3`)).status, 400);
    assert.equal((await fetch(`${base}/api/v1/proof/consistency?from=1&to=999999`)).status, 400);
    const head = (await centers[0]!.node.journal.journalHead()).size;
    const proof = (await (await fetch(`${base}/api/v1/proof/consistency?from=1&to=${head}`)).json()) as {
      from: number;
      to: number;
      proof: string[];
    };
    assert.equal(proof.to, head);
    assert.ok(proof.proof.length > 0);
  });

  test('a cut collects 2 of 3 cosignatures and verifies, listing who saw it', async () => {
    const { published, report } = await cut(centers[0]!);
    assert.ok(published.witnesses !== null);
    assert.ok(published.witnesses.cosigners.length >= 2, JSON.stringify(published.witnesses));
    assert.ok(report.ok, JSON.stringify(report.checks.filter((c) => c.status === 'fail')));
    const v05 = report.checks.find((c) => c.id === 'V05');
    assert.match(v05?.detail ?? '', /witnesses: [23] of 3 cosigned \(testigo\d\.example at /);
    // A witness's cosigned note posted again changes nothing; one over a checkpoint the center
    // never signed is refused.
    const post = (body: string) =>
      fetch(`${centers[0]!.base}/api/v1/witness/cosignature`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body,
      });
    const served = await (await fetch(`${witnesses[0]!.url}/checkpoint`)).text();
    const size = Number(served.split('\n')[1]);
    const before = (await centers[0]!.node.journal.cosignatures(size)).length;
    const again = await post(served);
    assert.equal(again.status, 200);
    assert.deepEqual(((await again.json()) as { accepted: string[] }).accepted, ['testigo1.example']);
    assert.equal((await centers[0]!.node.journal.cosignatures(size)).length, before);
    const w1 = await openWitness(witnesses[0]!.state);
    assert.ok(w1.ok);
    const neverSigned = `${logKey.split('+')[0]}/log\n999\n${Buffer.alloc(32, 9).toString('base64')}\n`;
    const forged = `${neverSigned}\n${cosignatureLine(neverSigned, w1.value.signer, 1_800_000_000)}\n`;
    assert.equal((await post(forged)).status, 409);
    const browser = await verifyInBrowser(path.dirname(published.folder), published.id);
    assert.ok(
      browser.checks.every((c) => c.status !== 'fail'),
      JSON.stringify(browser.checks),
    );
    assert.equal(browser.seen?.met, true);
    assert.deepEqual(browser.seen?.listed, ['testigo1.example', 'testigo2.example', 'testigo3.example']);
    assert.ok((browser.seen?.cosigned.length ?? 0) >= 2);
  });

  test('a fork: witness 3 shown history B, the others A; a split view; the fork never gets 2', async () => {
    const [a, b] = [centers[0]!, centers[1]!];
    // Witness 3 is routed to B, which still shares every entry A's cut cosigned.
    proxies[2]!.target = b.base;
    // A signs its next checkpoint (its serve does so every few seconds): 1 and 2 cosign it.
    const headA = await a.node.journal.journalHead();
    assert.ok((await signCheckpoint(a.node, headA, clock())).ok);
    const rootA = headA.rootHash.toString('base64');
    for (const i of [0, 1])
      await until(
        `witness ${i + 1} to cosign A's ${headA.size}`,
        () => status(i),
        (s) => s.cosigned?.rootHash === rootA,
      );
    // B writes another entry at that position and signs it: history B, shown to witness 3.
    await b.node.journal.transaction((tx) =>
      tx.appendJournal({ type: 'LOGOUT', at: clock(), operatorId: 'fork' }),
    );
    const headB = await b.node.journal.journalHead();
    assert.equal(headB.size, headA.size);
    const rootB = headB.rootHash.toString('base64');
    assert.notEqual(rootB, rootA);
    assert.ok((await signCheckpoint(b.node, headB, clock())).ok);
    // Witness 3 compares with its peers: whether it cosigned B's checkpoint first (then the
    // same size has two roots) or not (then B's own proof contradicts A's root), a split view.
    const third = await until(
      "witness 3's split-view alarm",
      () => status(2),
      (s) => s.alarms.some((x) => x.kind === 'split-view'),
    );
    if (third.cosigned?.rootHash === rootB)
      for (const i of [0, 1])
        await until(
          `witness ${i + 1}'s split-view alarm`,
          () => status(i),
          (s) => s.alarms.length > 0,
        );
    const metrics = await (await fetch(`${witnesses[2]!.url}/metrics`)).text();
    assert.match(metrics, /^openprep_witness_alarms [1-9]/m);
    const alarms = (await (await fetch(`${witnesses[2]!.url}/alarms`)).json()) as { kind: string }[];
    assert.ok(alarms.some((x) => x.kind === 'split-view'));

    // The fork's cut: at most witness 3 cosigned its checkpoint; it is published short, and fails.
    const forked = await cut(b);
    assert.ok(forked.published.witnesses !== null);
    assert.ok(forked.published.witnesses.cosigners.length < 2);
    assert.ok(!forked.report.ok);
    const v05 = forked.report.checks.find((c) => c.id === 'V05');
    assert.equal(v05?.status, 'fail');
    assert.match(v05?.detail ?? '', /the witness policy is not met/);
    // The scheduler's metrics say it: published short of the policy.
    const textfile = path.join(work, 'scheduler.prom');
    await new SchedulerMetrics(textfile).observe({ kind: 'published', cut: forked.published });
    const written = await readFile(textfile, 'utf8');
    assert.match(written, /^openprep_cut_witness_policy_met 0$/m);
    assert.match(
      written,
      new RegExp(`^openprep_cut_witness_cosignatures ${forked.published.witnesses.cosigners.length}$`, 'm'),
    );
    const browser = await verifyInBrowser(path.dirname(forked.published.folder), forked.published.id);
    assert.equal(browser.checks.find((c) => c.id === 'V05')?.status, 'fail');
    assert.equal(browser.seen?.met, false);

    // Then B is shown to all: witnesses 1 and 2 cosigned A's checkpoint of that size, and
    // refuse B's. Witness 1, its alarms cleared and restarted, refuses it again.
    proxies[0]!.target = b.base;
    proxies[1]!.target = b.base;
    for (const i of [0, 1]) {
      const refused = await until(
        `witness ${i + 1} to refuse B`,
        () => status(i),
        (s) => s.alarms.length > 0,
      );
      assert.equal(refused.cosigned?.rootHash, rootA);
    }
    await stopWitness(0);
    const cleared = await runCli(['witness', 'clear', '--state', witnesses[0]!.state]);
    assert.equal(cleared.code, 0, cleared.stderr);
    witnesses[0] = await startWitness(0);
    const refused = await until(
      "witness 1's refusal of B after a restart",
      () => status(0),
      (s) => s.alarms.some((x) => x.kind === 'fork' || x.kind === 'inconsistent-proof'),
    );
    assert.equal(refused.cosigned?.rootHash, rootA);
    const again = await cut(b);
    assert.ok(again.published.witnesses !== null);
    assert.ok(again.published.witnesses.cosigners.length < 2, JSON.stringify(again.published.witnesses));
    assert.ok(!again.report.ok);
  });
});
