/**
 * The cut builder on two nodes of one election: only the lease holder publishes; when it stops
 * renewing (as if killed), the other takes over after the lease expires and publishes the cuts
 * that come due — one sequence, no cut twice. Time runs 100 times faster than the wall clock.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { acquireLease, runCutScheduler, type SchedulerEvent } from './cut_scheduler.ts';
import { initCenter, openCenter } from '../center/node.ts';
import { SchedulerMetrics } from './scheduler_metrics.ts';

const SPEED = 100;

test('two cut schedulers: one publishes; the other takes over when the first stops renewing', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-scheduler-'));
  try {
    const catalog = generateCatalog({ scale: 'tiny', seed: 31 });
    const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
    const t0 = Date.parse(election.publicationStart) + 3_600_000;
    const r0 = Date.now();
    const clock = () => t0 + (Date.now() - r0) * SPEED;
    const created = await initCenter({ root: work, election, catalog, clock });
    assert.ok(created.ok);
    const other = await openCenter({ root: work, clock });
    assert.ok(other.ok);
    const sleep = (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms / SPEED);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    const events: Record<'a' | 'b', SchedulerEvent[]> = { a: [], b: [] };
    // B's textfile for node_exporter (openprep cut --every --metrics-file).
    const textfile = path.join(work, 'openprep_cut.prom');
    const metricsOfB = new SchedulerMetrics(textfile);
    const run = (name: 'a' | 'b', node: typeof other.value, signal: AbortSignal, releaseOnStop: boolean) =>
      runCutScheduler({
        node,
        intervalMs: 2 * 60_000,
        timeScale: SPEED,
        holder: `node-${name}`,
        signal,
        clock,
        sleep,
        tickMs: 5_000,
        leaseMs: 30_000,
        releaseOnStop,
        onEvent: (event) => {
          events[name].push(event);
          if (name === 'b') void metricsOfB.observe(event);
        },
      });
    // Fails, naming what each scheduler did, instead of waiting forever.
    const twoCutsBy = async (name: 'a' | 'b') => {
      const deadline = Date.now() + 60_000;
      while (events[name].filter((e) => e.kind === 'published').length < 2) {
        assert.ok(Date.now() < deadline, `no two cuts by ${name} in 60 s: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const stopA = new AbortController();
    const stopB = new AbortController();
    const a = run('a', created.value, stopA.signal, false);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const b = run('b', other.value, stopB.signal, true);
    // Until A has published two cuts; then A "dies" without giving the lease back.
    await twoCutsBy('a');
    stopA.abort();
    await a;
    await twoCutsBy('b');
    stopB.abort();
    await b;
    const written = await metricsOfB.observe({ kind: 'stopped' }).then(() => readFile(textfile, 'utf8'));
    const publishedByB = events.b.filter((e) => e.kind === 'published');
    assert.match(
      written,
      new RegExp(`^openprep_cut_builds_total\\{result="published"\\} ${publishedByB.length}$`, 'm'),
    );
    assert.match(written, /^openprep_cut_builds_total\{result="failed"\} 0$/m);
    assert.match(written, /^openprep_cut_scheduler_leading 0$/m);
    const last = publishedByB.at(-1);
    assert.ok(last?.kind === 'published');
    assert.match(written, new RegExp(`^openprep_cut_build_seconds ${last.cut.seconds}$`, 'm'));
    // The election lists no witnesses: -1 cosignatures, and nothing short of a policy.
    assert.match(written, /^openprep_cut_witness_cosignatures -1$/m);
    assert.match(written, /^openprep_cut_witness_policy_met 1$/m);

    assert.equal(events.a[0]?.kind, 'leading');
    assert.equal(events.b[0]?.kind, 'standing-by');
    assert.ok(
      events.b.some((e) => e.kind === 'leading'),
      'B took over',
    );
    const published = (name: 'a' | 'b') =>
      events[name].flatMap((e) => (e.kind === 'published' ? [e.cut.sequence] : []));
    assert.ok(events.a.every((e) => e.kind !== 'failed') && events.b.every((e) => e.kind !== 'failed'));
    const cuts = await created.value.journal.cuts();
    assert.deepEqual(
      cuts.map((c) => c.sequence),
      [...published('a'), ...published('b')],
      'one sequence, each cut by one node',
    );
    assert.deepEqual(
      cuts.map((c) => c.sequence),
      cuts.map((_, i) => i + 1),
    );
    // Cuts are at least the interval apart, on its multiples.
    for (const [i, cut] of cuts.entries())
      if (i > 0) assert.ok(cut.cutTime - cuts[i - 1]!.cutTime >= 2 * 60_000 - 60_000, `cut ${cut.id}`);
    // A lease already held is not taken by another before it expires.
    const now = clock();
    assert.ok(await acquireLease(other.value.leases, { name: 'x', holder: 'p', now, ttlMs: 1_000 }));
    assert.ok(
      !(await acquireLease(created.value.leases, {
        name: 'x',
        holder: 'q',
        now: now + 999,
        ttlMs: 1_000,
      })),
    );
    assert.ok(
      await acquireLease(created.value.leases, {
        name: 'x',
        holder: 'q',
        now: now + 1_000,
        ttlMs: 1_000,
      }),
    );
    await created.value.close();
    await other.value.close();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
