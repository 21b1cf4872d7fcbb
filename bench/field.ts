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
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { agentConfigSchema, initAgent, openAgent } from '../src/agent/agent.ts';
import { enrollDevice } from '../src/center/devices.ts';
import { openCenter } from '../src/center/node.ts';
import { actasEsperadas } from '../src/domain/actas_esperadas.ts';
import { startFaultProxy } from '../src/drill/fault_proxy.ts';
import { decodeEntry } from '../src/journal/entries.ts';
import { MAIN, preparedCenter, startServer, stopServer } from '../src/test/center_process.ts';
import { pngOfSize } from '../src/test/packages.ts';

const total = Number(process.argv[2] ?? 1000);
const agentCount = Number(process.argv[3] ?? 4);
const IMAGE_BYTES = 20_000;
const FAULTS = {
  drop: 0.05,
  delay: 0.05,
  duplicate: 0.05,
  'reset-mid-upload': 0.05,
  'lose-response': 0.08,
  reorder: 0.05,
  'black-hole': 0.01,
};

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

  const agents: string[] = [];
  const node = await openCenter({ root: center, clock });
  if (!node.ok) throw new Error(node.message);
  for (let i = 0; i < agentCount; i++) {
    const root = path.join(work, 'agents', String(i));
    const watch = path.join(work, 'scans', String(i));
    await mkdir(watch, { recursive: true });
    const [first, second] = i % 2 === 0 ? [proxyA.url, proxyB.url] : [proxyB.url, proxyA.url];
    const created = await initAgent(
      root,
      agentConfigSchema.parse({
        deviceId: `CATD-BENCH-${i}`,
        watch,
        channels: [
          { name: 'primary', url: first },
          { name: 'alternate', url: second },
        ],
        centerKey: prepared.verifierKey,
        backoff: { baseMs: 50, maxMs: 2_000 },
        settleMs: 0,
        requestTimeoutMs: 3_000,
        concurrency: 6,
      }),
    );
    if (!created.ok) throw new Error(created.message);
    const enrolled = await enrollDevice(node.value.pipeline.store, {
      id: `CATD-BENCH-${i}`,
      publicKey: created.value.publicKey,
      origin: 'CATD',
      boundTo: 'CATD-BENCH',
      label: '',
      at: clock(),
    });
    if (!enrolled.ok) throw new Error(enrolled.message);
    agents.push(root);
  }
  await node.value.close();
  // The scans, spread over the agents, written before the clock starts.
  for (let i = 0; i < total; i++) {
    const target = keys[i]!;
    await writeFile(
      path.join(work, 'scans', String(i % agentCount), `${target.contest}_${target.key}.png`),
      pngOfSize(IMAGE_BYTES, i + 1),
    );
  }

  const started = performance.now();
  for (const root of agents)
    children.push(
      spawn(process.execPath, [MAIN, 'agent', 'run', '--data', root, '--quiet'], { stdio: 'ignore' }),
    );
  const states = async () => {
    let delivered = 0;
    let pending = 0;
    let refused = 0;
    let attempts = 0;
    for (const root of agents) {
      const opened = await openAgent(root, Date.now);
      if (!opened.ok) throw new Error(opened.message);
      for (const item of opened.value.outbox.list()) {
        attempts += item.attempts;
        if (item.state === 'delivered') delivered++;
        else if (item.state === 'refused') refused++;
        else pending++;
      }
      opened.value.close();
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
  const reopened = await openCenter({ root: center, clock });
  if (!reopened.ok) throw new Error(reopened.message);
  const store = reopened.value.pipeline.store;
  const head = await store.journalHead();
  const received = new Map<string, number>();
  for (const bytes of await store.journalEntries(0, head.size)) {
    const entry = decodeEntry(bytes);
    if (!entry.ok || entry.value.type !== 'PACKAGE_RECEIVED') continue;
    const id = `${entry.value['deviceId']}#${entry.value['sequence']}`;
    received.set(id, (received.get(id) ?? 0) + 1);
  }
  let stored = 0;
  for (let i = 0; i < agentCount; i++) stored += await store.packageCount(`CATD-BENCH-${i}`);
  await reopened.value.close();
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
