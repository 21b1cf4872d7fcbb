/**
 * `npm run bench -- field [actas] [agents]`: the field fault scenario. Two `openprep serve`
 * nodes share one data folder (a state election); each sits behind a fault-injecting proxy
 * (drops, delays, duplicates, uploads cut halfway, lost answers, reordering, black holes);
 * `agents` CATD agents, each an `openprep agent run` process watching its own scanner folder,
 * send `actas` scanned actas between them, half preferring one node, half the other. Prints
 * how many were sent and stored, how many were lost or stored twice (both must be 0), the
 * time until the last receipt, and what the proxies did.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { enrollDevice } from '../src/intake/devices.ts';
import { openCenter } from '../src/center/node.ts';
import { actasEsperadas } from '../src/domain/actas_esperadas.ts';
import { startFaultProxy } from '../src/drill/fault_proxy.ts';
import { MAIN, preparedCenter, startServer, stopServer } from '../src/test/center_process.ts';
import { centerJournal, MIXED_FAULTS, newAgent, outboxOf, scan, type TestAgent } from '../src/test/field.ts';

const total = Number(process.argv[2] ?? 1000);
const agentCount = Number(process.argv[3] ?? 4);
const IMAGE_BYTES = 20_000;
const FAULTS = MIXED_FAULTS;

const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-field-'));
const children: ChildProcess[] = [];
try {
  const center = path.join(work, 'center');
  const prepared = await preparedCenter(center, 1, [], { scale: 'state' });
  const keys = prepared.election.contests.flatMap((contest) =>
    [...actasEsperadas(prepared.catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
  );
  if (keys.length < total) throw new Error(`only ${keys.length} actas for ${total}`);
  const began = Date.now();
  const clock = () => prepared.start + (Date.now() - began);
  const a = await startServer(center, clock());
  const b = await startServer(center, clock(), { OPENPREP_CHECKPOINT_SECONDS: '0' });
  children.push(a.child, b.child);
  const proxyA = await startFaultProxy({ target: a.base, rates: FAULTS, seed: 1, delayMs: [5, 200] });
  const proxyB = await startFaultProxy({ target: b.base, rates: FAULTS, seed: 2, delayMs: [5, 200] });

  const agents: TestAgent[] = [];
  const node = await openCenter({ root: center, clock });
  if (!node.ok) throw new Error(node.message);
  for (let i = 0; i < agentCount; i++) {
    const [first, second] = i % 2 === 0 ? [proxyA.url, proxyB.url] : [proxyB.url, proxyA.url];
    const agent = await newAgent(
      work,
      `CATD-BENCH-${i}`,
      [
        { name: 'primary', url: first },
        { name: 'alternate', url: second },
      ],
      prepared.verifierKey,
      { backoff: { baseMs: 50, maxMs: 2_000 }, concurrency: 6 },
    );
    const enrolled = await enrollDevice(node.value.devices, {
      id: agent.id,
      publicKey: agent.publicKey,
      origin: 'CATD',
      // preparedCenter declares CATD-1's territory: the whole catalog.
      boundTo: 'CATD-1',
      label: '',
      at: clock(),
    });
    if (!enrolled.ok) throw new Error(enrolled.message);
    agents.push(agent);
  }
  await node.value.close();
  // The scans, spread over the agents, written before the clock starts.
  for (const [a, agent] of agents.entries())
    await scan(
      agent.watch,
      keys.slice(0, total).flatMap((k, i) => (i % agentCount === a ? [{ ...k, seed: i + 1 }] : [])),
      IMAGE_BYTES,
    );

  const started = performance.now();
  for (const agent of agents)
    children.push(
      spawn(process.execPath, [MAIN, 'agent', 'run', '--data', agent.root, '--quiet'], { stdio: 'ignore' }),
    );
  const states = async () => {
    let delivered = 0;
    let pending = 0;
    let refused = 0;
    let attempts = 0;
    for (const agent of agents)
      for (const item of (await outboxOf(agent.root)).items) {
        attempts += item.attempts;
        if (item.state === 'delivered') delivered++;
        else if (item.state === 'refused') refused++;
        else pending++;
      }
    return { delivered, pending, refused, attempts };
  };
  let last = await states();
  const deadline = Date.now() + 600_000;
  while (last.delivered + last.refused < total && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await states();
  }
  const seconds = (performance.now() - started) / 1000;
  for (const child of children.splice(0, children.length)) await stopServer(child);
  await proxyA.close();
  await proxyB.close();

  // What the center holds: one PACKAGE_RECEIVED per (device, sequence), one package row each.
  const { received, packages } = await centerJournal(center, clock);
  let stored = 0;
  for (const count of packages.values()) stored += count;
  const duplicated = [...received.values()].reduce((sum, n) => sum + (n - 1), 0) + (stored - received.size);
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'field',
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      agents: agentCount,
      nodes: 2,
      image_bytes: IMAGE_BYTES,
      fault_rates: FAULTS,
      actas_sent: total,
      actas_stored: received.size,
      lost: total - received.size,
      duplicated,
      refused: last.refused,
      seconds: Math.round(seconds * 10) / 10,
      attempts: last.attempts + last.delivered,
      faults: { a: proxyA.counts, b: proxyB.counts },
    })}\n`,
  );
} finally {
  for (const child of children) child.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
}
