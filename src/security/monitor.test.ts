import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, before, describe, test } from 'node:test';
import { readEntry } from '../journal/entries.ts';
import type { JournalEntry } from '../journal/entry_types.ts';
import { openPostgresStore } from '../store/postgres/postgres_store.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import { dropSchemas, postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';
import type { Store } from '../store/store.ts';
import { DEFAULT_DETECTION_CONFIG } from './detection_config.ts';
import { SECURITY_MONITOR_LEASE, SecurityMonitor, type SecurityAlertEntry } from './monitor.ts';

let directory: string;
let counter = 0;
before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'openprep-monitor-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A fresh store, and another connection to it (another node's). */
interface Opened {
  readonly store: Store;
  another(): Promise<Store>;
}

function openSqlite(): Promise<Opened> {
  const file = path.join(directory, `monitor-${counter++}.sqlite`);
  const open = () => {
    const opened = openSqliteStore(file);
    assert.ok(opened.ok);
    return opened.value;
  };
  return Promise.resolve({ store: open(), another: async () => open() });
}

const schemas: string[] = [];
async function openPostgres(): Promise<Opened> {
  const schema = `openprep_monitor_${process.pid}_${counter++}`;
  schemas.push(schema);
  const open = async () => {
    const opened = await openPostgresStore({ url: TEST_DATABASE_URL, schema });
    assert.ok(opened.ok, opened.ok ? '' : opened.message);
    return opened.value;
  };
  return { store: await open(), another: open };
}
const postgresMissing = await postgresUnavailable();
after(() => (postgresMissing === null ? dropSchemas(schemas) : undefined));

const T0 = Date.parse('2024-06-03T04:00:00Z');

async function append(store: Store, entries: readonly JournalEntry[]): Promise<void> {
  await store.transaction(async (tx) => {
    for (const entry of entries) await tx.appendJournal(entry);
  });
}

async function journal(store: Store): Promise<JournalEntry[]> {
  const head = await store.journalHead();
  return (await store.journalEntries(0, head.size)).map((bytes) => {
    const entry = readEntry(bytes);
    assert.ok(entry.ok);
    return entry.value;
  });
}

const failure = (i: number, address: string): JournalEntry => ({
  type: 'LOGIN_FAILED',
  at: T0 + i * 1000,
  operatorId: null,
  factor: 'account',
  address,
});

function monitorTests(name: string, openFresh: () => Promise<Opened>, skip: string | false = false): void {
  describe(`security monitor (${name})`, { skip }, () => {
    test('each alert is kept and journaled once, with its responses, whoever reads the entries again', async () => {
      const { store } = await openFresh();
      const now = { t: T0 + 3_600_000 };
      const monitor = new SecurityMonitor({
        store,
        config: DEFAULT_DETECTION_CONFIG,
        night: null,
        holder: 'node-a',
        clock: () => now.t,
      });
      const seen: SecurityAlertEntry[] = [];
      monitor.onAlert((alert) => seen.push(alert));
      await store.transaction(async (tx) => {
        await tx.putDevice({
          id: 'decoy-device',
          publicKey: 'x',
          origin: 'CATD',
          boundTo: 'CATD-01',
          label: 'decoy',
          enrolledAt: 1,
          revokedAt: null,
        });
      });
      await append(
        store,
        Array.from({ length: 25 }, (_, i) => failure(i, '10.0.0.9')),
      );
      await append(store, [
        {
          type: 'DECOY_USED',
          at: T0 + 30_000,
          decoyId: 'decoy-device',
          kind: 'device',
          via: 'POST /api/v1/packages',
        },
      ]);
      const first = await monitor.poll();
      assert.equal(first.leading, true);
      assert.deepEqual(
        first.alerts.map((a) => a.detection),
        ['credential-stuffing', 'decoy-used'],
      );
      assert.deepEqual(seen, first.alerts);
      // The responses: the address refused for throttleMinutes, the decoy device revoked with a reason naming the alert.
      assert.deepEqual(await store.addressBlocks(now.t), [
        { address: '10.0.0.9', until: now.t + 15 * 60_000, alertId: first.alerts[0]!.alertId },
      ]);
      assert.equal((await store.getDevice('decoy-device'))?.revokedAt, now.t);
      const entries = await journal(store);
      assert.deepEqual(
        entries.slice(26).map((e) => e.type),
        ['SECURITY_ALERT', 'SECURITY_ALERT', 'DEVICE_REVOKED'],
      );
      const revoked = entries.at(-1);
      assert.ok(revoked?.type === 'DEVICE_REVOKED' && revoked.reason.includes(first.alerts[1]!.alertId));
      // Nothing new: nothing raised; more of the same attack within its window: no second alert.
      assert.deepEqual((await monitor.poll()).alerts, []);
      await append(
        store,
        Array.from({ length: 5 }, (_, i) => failure(30 + i, '10.0.0.9')),
      );
      assert.deepEqual((await monitor.poll()).alerts, []);
      // A monitor restarted on a lost state reads the whole journal again and raises nothing twice.
      await store.transaction((tx) =>
        tx.putSecurityMonitor(JSON.stringify({ position: 0, detector: undefined })),
      );
      const restarted = new SecurityMonitor({
        store,
        config: DEFAULT_DETECTION_CONFIG,
        night: null,
        holder: 'node-a',
        clock: () => now.t,
      });
      const again = await restarted.poll();
      assert.equal(again.leading, true);
      assert.deepEqual(again.alerts, []);
      assert.equal(
        JSON.parse((await store.transaction((tx) => tx.getSecurityMonitor())) ?? '{}').position,
        (await store.journalHead()).size,
      );
      assert.equal((await store.securityAlerts(100)).length, 2);
      await store.close();
    });

    test('one node at a time; another takes over once the lease expires and resumes where it stopped', async () => {
      const opened = await openFresh();
      const store = opened.store;
      const other = await opened.another();
      const now = { t: T0 };
      const make = (holder: string, on: Store) =>
        new SecurityMonitor({
          store: on,
          config: DEFAULT_DETECTION_CONFIG,
          night: null,
          holder,
          clock: () => now.t,
        });
      // Two nodes, each with its own connection to the one database.
      const a = make('node-a', store);
      const b = make('node-b', other);
      // Half of a brute force seen by a, the rest after a stopped renewing: b raises it from a's state.
      const brute = (i: number): JournalEntry => ({
        type: 'LOGIN_FAILED',
        at: T0 + i * 1000,
        operatorId: 'op1',
        factor: 'password',
        address: '10.1.0.1',
      });
      await append(
        store,
        Array.from({ length: 6 }, (_, i) => brute(i)),
      );
      assert.equal((await a.poll()).leading, true);
      assert.equal((await b.poll()).leading, false);
      await append(
        store,
        Array.from({ length: 4 }, (_, i) => brute(6 + i)),
      );
      now.t += 16_000;
      const takeover = await b.poll();
      assert.equal(takeover.leading, true);
      assert.deepEqual(
        takeover.alerts.map((x) => [x.detection, x.evidence.attempts]),
        [['brute-force', 10]],
      );
      assert.equal((await store.transaction((tx) => tx.getLease(SECURITY_MONITOR_LEASE)))?.holder, 'node-b');
      // The old holder, back, stands by.
      assert.equal((await a.poll()).leading, false);
      await b.release();
      assert.equal((await a.poll()).leading, true);
      await other.close();
      await store.close();
    });
  });
}

monitorTests('SQLite', openSqlite);
monitorTests('PostgreSQL', openPostgres, postgresMissing ?? false);
