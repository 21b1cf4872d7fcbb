/**
 * A drill's clock is the simulated one in every command of its data folder: `serve
 * --simulated-start` records it in the store, and `openprep cut` (a separate process, later)
 * cuts at the simulated time, so the first cut of a drill replaying a past night is not final
 * merely because the machine's clock is past that night's close.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { formatCutId } from '../domain/local_time.ts';
import { preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';
import { makeDevice } from '../test/packages.ts';
import { openCenter } from './node.ts';

const cutLine = (stdout: string) => /^cut (\d{8}_\d{4}) #(\d+)( \(final\))?:/m.exec(stdout);

test('openprep cut uses the drill clock serve recorded: the first cut of a past night is not final', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-drill-clock-'));
  try {
    const data = path.join(work, 'center');
    const { election, start } = await preparedCenter(data, 21, []);
    const server = await startServer(data, start);
    await stopServer(server.child);

    const cut = await runCli(['cut', '--data', data]);
    assert.equal(cut.code, 0, cut.stderr);
    const line = cutLine(cut.stdout);
    assert.ok(line !== null, cut.stdout);
    // The simulated night (a minute or so after serve's start), not today's date.
    assert.equal(line[1]!.slice(0, 8), formatCutId(start, election.utcOffsetMinutes).slice(0, 8));
    assert.equal(line[3], undefined, `the drill's first cut must not be final: ${cut.stdout}`);

    // Other commands stamp the drill's time too (device enrolment, in the journal).
    const device = makeDevice('CATD-1-S9');
    const enrolled = await runCli([
      'device',
      'enroll',
      '--data',
      data,
      '--id',
      device.id,
      '--origin',
      'CATD',
      '--bound-to',
      'CATD-1',
      '--public-key',
      device.publicKey,
    ]);
    assert.equal(enrolled.code, 0, enrolled.stderr);

    // Any other opening of the folder reads the same clock.
    const node = await openCenter({ root: data, clock: Date.now });
    assert.ok(node.ok);
    const simulated = node.value.clock();
    const head = await node.value.journal.journalHead();
    const entries = (await node.value.journal.journalEntries(0, head.size)).map(
      (e) => JSON.parse(e.toString()) as { type: string; at: number },
    );
    await node.value.close();
    assert.ok(Math.abs(simulated - start) < 5 * 60_000, `${new Date(simulated).toISOString()}`);
    const enrolment = entries.find((e) => e.type === 'DEVICE_ENROLLED');
    assert.ok(enrolment !== undefined);
    assert.ok(
      Math.abs(enrolment.at - start) < 5 * 60_000,
      `enrolled at ${new Date(enrolment.at).toISOString()}`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('openprep cut --simulated-start starts the drill clock when serve did not, and cuts past the close are final', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-drill-clock-'));
  try {
    const data = path.join(work, 'center');
    const { election, start } = await preparedCenter(data, 22, []);
    const first = await runCli(['cut', '--data', data, '--simulated-start', new Date(start).toISOString()]);
    assert.equal(first.code, 0, first.stderr);
    const line = cutLine(first.stdout);
    assert.ok(line !== null, first.stdout);
    assert.equal(line[1], formatCutId(start, election.utcOffsetMinutes));
    assert.equal(line[3], undefined);

    const bad = await runCli(['cut', '--data', data, '--simulated-start', 'yesterday']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /simulated-start/);

    const closes = Date.parse(election.publicationStart) + election.publicationHours * 3_600_000;
    const late = await runCli([
      'cut',
      '--data',
      data,
      '--simulated-start',
      new Date(closes + 60_000).toISOString(),
    ]);
    assert.equal(late.code, 0, late.stderr);
    assert.match(late.stdout, /^cut \d{8}_\d{4} #2 \(final\):/m);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
