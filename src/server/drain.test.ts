/**
 * Stopping gracefully, as a rolling upgrade does it (deploy/drills/rolling-upgrade.sh): on
 * SIGTERM a `serve` node answers 503 on /readyz at once but goes on taking packages for its
 * drain period, then closes; a `cut --every` builder exits and gives its cut-builder
 * lease back, so that another builder need not wait for it to expire.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { openCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { CUT_BUILDER_LEASE } from '../publish/cut_scheduler.ts';
import { MAIN, preparedCenter, startServer } from '../test/center_process.ts';
import { makePng, packageFor, postPackage } from '../test/packages.ts';

test('SIGTERM on serve: /readyz says 503 at once, packages are still taken during the drain period, then the node stops', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-drain-'));
  try {
    const { catalog, election, start, devices } = await preparedCenter(work, 7, ['CATD-DRAIN-1']);
    const device = devices[0]!;
    const keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey);
    const send = (sequence: number) => {
      const image = makePng(16, 16, { seed: sequence + 1 });
      const pkg = packageFor(device, image, { sequence, claimedKey: keys[sequence]! });
      return postPackage(base, { text: pkg.text, signature: pkg.signature, image });
    };
    const { child, base } = await startServer(work, start, { OPENPREP_DRAIN_SECONDS: '3' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await send(0)).status, 201);
    child.kill('SIGTERM');
    let readyz = 200;
    while (readyz === 200) {
      readyz = (await fetch(`${base}/readyz`)).status;
      if (readyz === 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(readyz, 503);
    // Draining: what still comes is taken (a balancer without health checks keeps sending).
    const during = await send(1);
    assert.equal(during.status, 201, during.body);
    assert.equal(gone, false, 'still serving during the drain period');
    assert.equal(await exited, 0);
    await assert.rejects(fetch(`${base}/healthz`), 'closed after the drain period');
    const reopened = await openCenter({ root: work, clock: () => start });
    assert.ok(reopened.ok);
    assert.equal(
      (await reopened.value.devices.transaction((tx) => tx.getPackage(device.id, 1)))?.receipt,
      during.body,
    );
    await reopened.value.close();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('SIGTERM on a cut builder: it exits and gives the cut-builder lease back', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-cut-term-'));
  try {
    const { start } = await preparedCenter(work, 8, []);
    const child = spawn(
      process.execPath,
      [MAIN, 'cut', '--data', work, '--every', '1', '--simulated-start', new Date(start).toISOString()],
      { env: { ...process.env, OPENPREP_QUALITY_GATE: 'off' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Until it leads (it holds the lease), then SIGTERM.
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/this process builds the cuts/.test(stdout)) resolve();
      });
      void exited.then(() => reject(new Error(`cut exited early:\n${stdout}${stderr}`)));
    });
    assert.match(stdout, /^publishing a cut every 1 minutes/m);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    const reopened = await openCenter({ root: work, clock: () => start });
    assert.ok(reopened.ok);
    const lease = await reopened.value.leases.transaction((tx) => tx.getLease(CUT_BUILDER_LEASE));
    assert.equal(lease?.expiresAt, 0, 'given back');
    await reopened.value.close();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
