/**
 * Helpers for field scenarios, shared by the field, several-node and PostgreSQL tests and by
 * `npm run bench -- field`: agent folders made and enrolled as staff would, scanned actas
 * dropped in their folders, agents run until every acta is answered, and what the center's
 * journal then holds. Failures throw, so benchmarks can use them too.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { agentConfigSchema, initAgent, openAgent, runAgent } from '../agent/agent.ts';
import type { SenderEvent } from '../agent/transport.ts';
import { openCenter } from '../center/node.ts';
import type { Catalog } from '../domain/catalog.ts';
import { readEntry } from '../journal/entries.ts';
import { runCli } from './center_process.ts';
import { pngOfSize } from './packages.ts';

/** Every fault at once, at rates a bad election-night network could show: the field scenario's. */
export const MIXED_FAULTS = {
  drop: 0.05,
  delay: 0.05,
  duplicate: 0.05,
  'reset-mid-upload': 0.05,
  'lose-response': 0.08,
  reorder: 0.05,
  'black-hole': 0.01,
} as const;

export interface TestAgent {
  readonly id: string;
  readonly root: string;
  readonly watch: string;
  readonly publicKey: string;
}

/** An agent folder `<work>/agents/<id>` watching `<work>/scans/<id>`, quick to retry by default. */
export async function newAgent(
  work: string,
  id: string,
  channels: readonly { name: string; url: string }[],
  centerKey: string,
  extra: Record<string, unknown> = {},
): Promise<TestAgent> {
  const root = path.join(work, 'agents', id);
  const watch = path.join(work, 'scans', id);
  await mkdir(watch, { recursive: true });
  const config = agentConfigSchema.parse({
    deviceId: id,
    watch,
    channels,
    centerKey,
    backoff: { baseMs: 20, maxMs: 400 },
    settleMs: 0,
    requestTimeoutMs: 3_000,
    // Scans here are noise PNGs: the agent's gate is tested with real synthetic actas (agent_quality.test.ts).
    qualityGate: 'off',
    ...extra,
  });
  const created = await initAgent(root, config);
  if (!created.ok) throw new Error(created.message);
  return { id, root, watch, publicKey: created.value.publicKey };
}

/** `openprep territory import`, as the center's administrator runs it: CATD-1 serves every distrito. */
export async function declareTerritoryWithCli(
  center: string,
  catalog: Catalog,
  env: Record<string, string> = {},
): Promise<void> {
  const file = path.join(center, '..', `territory-${path.basename(center)}.csv`);
  await writeFile(
    file,
    [
      'UNIDAD,TIPO_UNIDAD,ID_ENTIDAD,ID_DISTRITO_FEDERAL,CLAVE_CASILLA',
      ...catalog.distritos.map((d) => `CATD-1,CATD,${d.entidad},${d.id},`),
      '',
    ].join('\n'),
  );
  const result = await runCli(['territory', 'import', file, '--data', center], { env });
  if (result.code !== 0) throw new Error(`territory import: ${result.stderr}`);
}

/** `openprep device enroll` for an agent's key, as the center's administrator runs it. */
export async function enrollWithCli(
  center: string,
  agent: { readonly id: string; readonly publicKey: string },
  env: Record<string, string> = {},
): Promise<void> {
  const result = await runCli(
    [
      'device',
      'enroll',
      '--data',
      center,
      '--id',
      agent.id,
      '--origin',
      'CATD',
      '--bound-to',
      'CATD-1',
      '--public-key',
      agent.publicKey,
    ],
    { env },
  );
  if (result.code !== 0) throw new Error(`device enroll ${agent.id}: ${result.stderr}`);
}

/** Places scanned actas in a folder, named as the agent identifies them. */
export async function scan(
  folder: string,
  actas: readonly { contest: string; key: string; seed: number }[],
  imageBytes = 3_000,
): Promise<void> {
  // Whole or not there, as a scanner's finished file: written under a dot name (which agents
  // skip) and renamed, so an agent on a loaded machine never takes a file half written.
  for (const a of actas) {
    const name = `${a.contest}_${a.key}.png`;
    await writeFile(path.join(folder, `.${name}.partial`), pngOfSize(imageBytes, a.seed));
    await rename(path.join(folder, `.${name}.partial`), path.join(folder, name));
  }
}

/**
 * Runs agents in this process until `expected` packages are delivered or refused (or the time
 * runs out); returns their events and how many were answered.
 */
export async function runUntilDelivered(
  roots: readonly string[],
  expected: number,
  timeoutMs: number,
  onEvent?: (event: SenderEvent) => void,
): Promise<{ events: SenderEvent[]; done: number }> {
  const controller = new AbortController();
  const events: SenderEvent[] = [];
  let done = 0;
  const running: Promise<unknown>[] = [];
  const finished = new Promise<void>((resolve) => {
    const record = (event: SenderEvent | { kind: 'queued'; count: number }) => {
      if (event.kind === 'queued') return;
      events.push(event);
      if (event.kind === 'delivered' || event.kind === 'refused') done++;
      onEvent?.(event);
      if (done >= expected) resolve();
    };
    for (const root of roots)
      running.push(runAgent({ root, signal: controller.signal, scanMs: 200, onEvent: record }));
  });
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  await Promise.race([
    finished,
    new Promise((resolve) => controller.signal.addEventListener('abort', resolve)),
  ]);
  clearTimeout(timer);
  controller.abort();
  // The agents finish their current round, write their last status and close their outboxes:
  // a fixed pause was not always enough on a loaded machine, and a folder removed meanwhile
  // got a new file.
  await Promise.all(running);
  return { events, done };
}

export async function outboxOf(root: string) {
  const opened = await openAgent(root, Date.now);
  if (!opened.ok) throw new Error(opened.message);
  try {
    return {
      deviceId: opened.value.config.deviceId,
      counts: opened.value.outbox.counts(),
      items: opened.value.outbox.list(),
    };
  } finally {
    opened.value.close();
  }
}

/**
 * What the center's journal says about packages: PACKAGE_RECEIVED entries per
 * `device#sequence`, conflicts, and the stored package rows per device.
 */
export async function centerJournal(center: string, clock: () => number, env?: NodeJS.ProcessEnv) {
  const node = await openCenter({ root: center, clock, ...(env !== undefined ? { env } : {}) });
  if (!node.ok) throw new Error(node.message);
  try {
    const { journal, devices } = node.value;
    const head = await journal.journalHead();
    const received = new Map<string, number>();
    let conflicts = 0;
    for (const bytes of await journal.journalEntries(0, head.size)) {
      // Typed: every entry of a field test's journal must be one of the known types.
      const entry = readEntry(bytes);
      if (!entry.ok) throw new Error(`journal entry does not read: ${entry.message}`);
      if (entry.value.type === 'PACKAGE_CONFLICT') conflicts++;
      if (entry.value.type !== 'PACKAGE_RECEIVED') continue;
      const id = `${entry.value.deviceId}#${entry.value.sequence}`;
      received.set(id, (received.get(id) ?? 0) + 1);
    }
    const packages = new Map<string, number>();
    const receipts = new Map<string, string | null>();
    for (const id of received.keys()) {
      const [deviceId, sequence] = id.split('#') as [string, string];
      packages.set(deviceId, packages.get(deviceId) ?? (await devices.packageCount(deviceId)));
      const row = await devices.transaction((tx) => tx.getPackage(deviceId, Number(sequence)));
      receipts.set(id, row?.receipt ?? null);
    }
    return { size: head.size, received, conflicts, packages, receipts };
  } finally {
    await node.value.close();
  }
}
