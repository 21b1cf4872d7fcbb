/**
 * Recovery after lost storage (docs/journal.md, "Lost storage"): a center's store restored
 * from a copy older than its last receipts — which no start check can see when the lost
 * packages came after the last signed checkpoint — gets them back from the CATD agents'
 * outboxes: `agent export-bundle --from-leaf <the restored journal's size>` at each agent, then
 * `bundle import` at the center, before it serves again.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';
import { centerJournal, enrollWithCli, newAgent, outboxOf, runUntilDelivered, scan } from '../test/field.ts';

test('a store restored from an older copy: the agent exports the packages receipted past the restored journal, the import takes back exactly those', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-recovery-'));
  try {
    const center = path.join(work, 'center');
    const prepared = await preparedCenter(center, 23, []);
    const keys = prepared.election.contests.flatMap((contest) =>
      [...actasEsperadas(prepared.catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
    );
    const testStart = Date.now();
    const clock = () => prepared.start + (Date.now() - testStart);
    const database = path.join(center, 'openprep.sqlite');
    const backup = path.join(work, 'backup.sqlite');

    // The night's first ten actas; the center stops cleanly and its store is copied.
    const first = await startServer(center, clock());
    const agent = await newAgent(
      work,
      'CATD-REC-1',
      [{ name: 'primary', url: first.base }],
      prepared.verifierKey,
    );
    await enrollWithCli(center, agent);
    await scan(
      agent.watch,
      keys.slice(0, 10).map((k, i) => ({ ...k, seed: 500 + i })),
    );
    assert.equal((await runUntilDelivered([agent.root], 10, 30_000)).done, 10);
    await stopServer(first.child);
    await copyFile(database, backup);
    const restoredSize = (await centerJournal(center, clock)).size;

    // Ten more, receipted by a node that signs no checkpoint; then the store is lost and the copy restored.
    const second = await startServer(center, clock(), { OPENPREP_CHECKPOINT_SECONDS: '0' });
    const { writeFile, readFile } = await import('node:fs/promises');
    const config = path.join(agent.root, 'agent.json');
    const settings = JSON.parse(await readFile(config, 'utf8')) as {
      channels: { name: string; url: string }[];
    };
    settings.channels = [{ name: 'primary', url: second.base }];
    await writeFile(config, JSON.stringify(settings));
    await scan(
      agent.watch,
      keys.slice(10, 20).map((k, i) => ({ ...k, seed: 510 + i })),
    );
    assert.equal((await runUntilDelivered([agent.root], 10, 30_000)).done, 10);
    second.child.kill('SIGKILL');
    await new Promise((resolve) => second.child.once('exit', resolve));
    await copyFile(backup, database);
    await rm(`${database}-wal`, { force: true });
    await rm(`${database}-shm`, { force: true });
    assert.equal((await centerJournal(center, clock)).size, restoredSize);
    assert.equal((await outboxOf(agent.root)).counts.delivered, 20, 'the agent holds twenty receipts');

    // The agent's packages receipted at or past the restored journal's size: the second ten.
    const usb = path.join(work, 'usb');
    await mkdir(usb);
    const bundle = path.join(usb, 'recovery.bundle');
    const exported = await runCli([
      'agent',
      'export-bundle',
      '--data',
      agent.root,
      '--out',
      bundle,
      '--from-leaf',
      String(restoredSize),
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /10 delivered packages whose receipts name leaves/);
    const simulated = ['--simulated-start', new Date(clock()).toISOString()];
    const imported = await runCli(['bundle', 'import', '--data', center, ...simulated, bundle]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(JSON.parse(imported.stdout), {
      deviceId: 'CATD-REC-1',
      accepted: 10,
      alreadyAccepted: 0,
      refused: [],
    });
    // Everything the agent delivered is at the center again, once.
    const all = path.join(usb, 'all.bundle');
    const everything = await runCli([
      'agent',
      'export-bundle',
      '--data',
      agent.root,
      '--out',
      all,
      '--from-leaf',
      '0',
    ]);
    assert.equal(everything.code, 0, everything.stderr);
    const again = await runCli(['bundle', 'import', '--data', center, ...simulated, all]);
    assert.deepEqual(JSON.parse(again.stdout), {
      deviceId: 'CATD-REC-1',
      accepted: 0,
      alreadyAccepted: 20,
      refused: [],
    });
    const journal = await centerJournal(center, clock);
    assert.equal(journal.packages.get('CATD-REC-1'), 20);
    assert.ok([...journal.received.values()].every((n) => n === 1));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
