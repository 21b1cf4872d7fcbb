/**
 * `openprep mirror` against a real night of cuts served over loopback: it follows a center
 * cut by cut and serves exactly the verified bytes; behind a faulty proxy it serves only
 * verified cuts, quarantines and reports the tampered ones, keeps the last good cut and
 * recovers; two mirrors fed a forked history (same key, diverging at a sequence) see the split
 * view through --peer; and the command line runs one poll as a real process.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import process from 'node:process';
import { MAIN, runCli } from '../test/center_process.ts';
import { freePortPair } from '../test/ports.ts';
import {
  type Center,
  closeServer,
  filesUnder,
  forkCut,
  type Night,
  playNight,
  startCenter,
  startFaultyProxy,
} from '../demo/mirror_night.ts';
import { Mirror } from './mirror.ts';
import { startMirrorServer } from './serve.ts';

let work: string;
let night: Night;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-mirror-'));
  night = await playNight(work);
  assert.ok(night.cutIds.length >= 5, `the night has ${night.cutIds.length} cuts`);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function openMirror(label: string, center: string, peers: string[] = []): Promise<Mirror> {
  const opened = await Mirror.open({
    center,
    publicKey: night.publicKey,
    data: path.join(work, label),
    peers,
    timeoutMs: 10_000,
  });
  assert.ok(opened.ok);
  return opened.value;
}

async function serve(mirror: Mirror): Promise<{ server: Server; url: string }> {
  const server = await startMirrorServer(mirror, { port: 0 });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Every file the mirror serves is byte for byte the center's. */
async function assertSameBytes(mirror: Mirror, center: Center, cutIds: readonly string[]): Promise<void> {
  const served = await filesUnder(mirror.served);
  const expected = (await filesUnder(center.root)).filter(
    (f) => f.startsWith('catalogo/') || cutIds.some((id) => f.startsWith(`${id}/`)),
  );
  assert.deepEqual(served, expected);
  for (const file of served)
    assert.ok(
      (await readFile(path.join(mirror.served, file))).equals(await readFile(path.join(center.root, file))),
      `${file} differs`,
    );
}

describe('a mirror follows a center', () => {
  test('cut by cut, it serves exactly the verified files, the pointer, the checkpoint and its status', async () => {
    const [first, second, third] = night.cutIds;
    const center = await startCenter(path.join(work, 'center-follow'), night);
    const mirror = await openMirror('mirror-follow', center.url);
    const { server, url } = await serve(mirror);
    try {
      // Before the first poll there is nothing verified to serve.
      assert.equal((await fetch(`${url}latest.json`)).status, 404);
      await center.publish([first!]);
      await mirror.poll();
      assert.equal(mirror.latest()?.cut, first);
      // Two cuts at once: both verified, in order (the second against the first).
      await center.publish([second!, third!]);
      await mirror.poll();
      assert.equal(mirror.latest()?.cut, third);
      assert.equal(mirror.status().counts.cutsVerified, 3);
      assert.equal(mirror.status().lastPoll?.outcome, 'updated');
      await assertSameBytes(mirror, center, [first!, second!, third!]);
      for (const name of ['latest.json', 'latest.sig']) {
        const answer = await fetch(`${url}${name}`);
        assert.ok(
          Buffer.from(await answer.arrayBuffer()).equals(await readFile(path.join(center.root, name))),
        );
      }
      const checkpoint = await fetch(`${url}checkpoint`);
      assert.equal(checkpoint.headers.get('access-control-allow-origin'), '*');
      const manifest = JSON.parse(await readFile(path.join(center.root, third!, 'manifest.json'), 'utf8'));
      assert.equal(await checkpoint.text(), manifest.journal.checkpoint);
      const status = await fetch(`${url}status.json`);
      assert.equal(status.headers.get('access-control-allow-origin'), '*');
      assert.match(status.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const body = (await status.json()) as { latest: { cut: string }; verifiedCuts: number };
      assert.equal(body.latest.cut, third);
      assert.equal(body.verifiedCuts, 3);
      // The cut files, with the static server's headers and CORS for a reader's page elsewhere.
      const file = await fetch(`${url}${third}/manifest.json`);
      assert.equal(file.headers.get('access-control-allow-origin'), '*');
      assert.equal(file.headers.get('x-content-type-options'), 'nosniff');
      const metrics = await (await fetch(`${url}metrics`)).text();
      assert.match(metrics, /^openprep_mirror_cuts_verified_total 3$/m);
      assert.match(metrics, /^openprep_mirror_latest_sequence 3$/m);
      // Nothing new: up to date.
      await mirror.poll();
      assert.equal(mirror.status().lastPoll?.outcome, 'up-to-date');
      // Read-only.
      assert.equal((await fetch(`${url}latest.json`, { method: 'PUT' })).status, 405);
    } finally {
      await closeServer(server);
      await center.close();
    }
  });

  test('a mirror reopened on its folder serves what it verified before, and goes on from there', async () => {
    const center = await startCenter(path.join(work, 'center-restart'), night);
    try {
      await center.publish(night.cutIds.slice(0, 2));
      const first = await openMirror('mirror-restart', center.url);
      await first.poll();
      // A cut folder the mirror did not verify (put there by hand, its signature broken) is moved
      // out of the served tree at start, not taken as verified.
      const { cp, writeFile } = await import('node:fs/promises');
      const planted = path.join(first.served, night.cutIds[2]!);
      await cp(path.join(night.cuts, night.cutIds[2]!), planted, { recursive: true });
      await writeFile(path.join(planted, 'manifest.sig'), 'not a signature\n');
      const again = await openMirror('mirror-restart', center.url);
      assert.equal(again.latest()?.cut, night.cutIds[1]);
      await assert.rejects(stat(planted));
      assert.ok(again.pointer() !== null);
      await center.publish(night.cutIds.slice(2, 3));
      await again.poll();
      assert.equal(again.latest()?.cut, night.cutIds[2]);
    } finally {
      await center.close();
    }
  });
});

describe('a mirror behind a faulty proxy', () => {
  test('serves only verified cuts: the tampered one is quarantined and reported, the last good one kept, until the proxy behaves', async () => {
    const [c1, c2, c3] = night.cutIds as [string, string, string];
    const center = await startCenter(path.join(work, 'center-faulty'), night);
    const proxy = await startFaultyProxy(center.url);
    const mirror = await openMirror('mirror-faulty', proxy.url);
    const { server, url } = await serve(mirror);
    const servedPointer = async () => (await (await fetch(`${url}latest.json`)).json()) as { cut: string };
    try {
      await center.publish([c1]);
      await mirror.poll();
      assert.equal(mirror.latest()?.cut, c1);
      await center.publish([c2]);
      const rejected = () => mirror.status().counts.rejected;

      // One byte flipped in one file of the new cut: V04 fails, the cut is quarantined.
      proxy.fault = (pathname, body) => {
        if (pathname !== `/${c2}/PRES_2024.csv`) return null;
        const flipped = Buffer.from(body);
        flipped[flipped.length - 3]! ^= 0x01;
        return { status: 200, body: flipped };
      };
      await mirror.poll();
      assert.equal(mirror.latest()?.cut, c1);
      assert.equal(rejected(), 1);
      const flipped = mirror.status().quarantine.at(-1)!;
      assert.equal(flipped.kind, 'verification-failed');
      assert.equal(flipped.cut, c2);
      assert.ok(flipped.failedChecks.includes('V04'), flipped.failedChecks.join());
      assert.match(flipped.reason, /PRES_2024\.csv/);
      const report = JSON.parse(
        await readFile(path.join(work, 'mirror-faulty', flipped.folder!, 'report.json'), 'utf8'),
      );
      assert.equal(report.report.ok, false);
      await assert.rejects(stat(path.join(mirror.served, c2)));
      assert.equal((await servedPointer()).cut, c1);
      assert.equal((await fetch(`${url}${c2}/manifest.json`)).status, 404);

      // Another file truncated: the same verdict, on that file.
      proxy.fault = (pathname, body) =>
        pathname === `/${c2}/json/index.json`
          ? { status: 200, body: body.subarray(0, body.length >> 1) }
          : null;
      await mirror.poll();
      assert.equal(rejected(), 2);
      assert.match(mirror.status().quarantine.at(-1)!.reason, /json\/index\.json/);

      // A file longer than the manifest signs: refused before it is all read.
      proxy.fault = (pathname, body) =>
        pathname === `/${c2}/LEEME.txt`
          ? { status: 200, body: Buffer.concat([body, Buffer.from('más')]) }
          : null;
      await mirror.poll();
      assert.equal(mirror.status().quarantine.at(-1)!.kind, 'oversize');

      // A garbled pointer: its signature fails, nothing is fetched on its word.
      proxy.fault = (pathname, body) =>
        pathname === '/latest.json'
          ? { status: 200, body: Buffer.from(body.toString().replace(c2, c3)) }
          : null;
      await mirror.poll();
      assert.equal(mirror.status().quarantine.at(-1)!.kind, 'bad-pointer');

      // The network failing is no verdict: retried, not counted as a rejection.
      const before = rejected();
      proxy.fault = (pathname) =>
        pathname === `/${c2}/SEN_2024.csv` ? { status: 503, body: Buffer.from('busy') } : null;
      await mirror.poll();
      assert.equal(rejected(), before);
      assert.equal(mirror.status().lastPoll?.outcome, 'transient');
      assert.equal(mirror.status().counts.transient, 1);
      assert.equal(mirror.latest()?.cut, c1);
      assert.equal((await servedPointer()).cut, c1);

      // The proxy behaves: the cut is verified and served, byte for byte the center's.
      proxy.fault = null;
      await mirror.poll();
      assert.equal(mirror.latest()?.cut, c2);
      assert.equal((await servedPointer()).cut, c2);
      await assertSameBytes(mirror, center, [c1, c2]);

      // A stale pointer (the center's own, signed, for the older cut) does not move the mirror back.
      const old = await (await fetch(`${center.url}${c1}/manifest.json`)).arrayBuffer();
      assert.ok(old.byteLength > 0);
      const { pointerTo } = await import('../demo/mirror_night.ts');
      const stale = await pointerTo(path.join(center.root, c1), night.signer);
      proxy.fault = (pathname) =>
        pathname === '/latest.json'
          ? { status: 200, body: stale.json }
          : pathname === '/latest.sig'
            ? { status: 200, body: stale.sig }
            : null;
      await mirror.poll();
      assert.equal(mirror.status().quarantine.at(-1)!.kind, 'stale-pointer');
      assert.equal(mirror.latest()?.cut, c2);
      assert.equal((await servedPointer()).cut, c2);
      assert.deepEqual(mirror.status().splitViews, []);
    } finally {
      await closeServer(server);
      await proxy.close();
      await center.close();
    }
  });
});

describe('a hostile center', () => {
  test('a signed manifest naming a file outside its folder, or a file twice, is refused and nothing is written outside', async () => {
    const { cp } = await import('node:fs/promises');
    const { resignCut, sha256Hex } = await import('../test/resigned_cut.ts');
    const [c1, c2] = night.cutIds as [string, string];
    for (const [label, extra] of [
      ['outside', { path: '../../escape.txt', bytes: 5, sha256: sha256Hex(Buffer.from('hola\n')) }],
      ['twice', null],
    ] as const) {
      // A center of its own for each: a published cut never changes, so its server caches it.
      const center = await startCenter(path.join(work, `center-hostile-${label}`), night);
      try {
        await center.publish([c1]);
        const mirror = await openMirror(`mirror-hostile-${label}`, center.url);
        await mirror.poll();
        const root = path.join(work, `hostile-${label}`);
        await cp(path.join(night.cuts, c2), path.join(root, c2), { recursive: true });
        await resignCut(path.join(root, c2), night.signer, {
          editManifest: (manifest) => {
            manifest.files.push(extra ?? manifest.files[0]);
          },
        });
        await center.publish([c2], root);
        await mirror.poll();
        const rejection = mirror.status().quarantine.at(-1)!;
        assert.equal(rejection.kind, 'unsafe-path', rejection.reason);
        assert.equal(mirror.latest()?.cut, c1);
      } finally {
        await center.close();
      }
    }
    await assert.rejects(stat(path.join(work, 'escape.txt')));
    await assert.rejects(stat(path.join(work, 'mirror-hostile-outside', 'escape.txt')));
  });
});

describe('two mirrors fed a forked history', () => {
  test('compare notes through --peer and raise the split view, on both sides, durably', async () => {
    const [c1, c2, c3, c4] = night.cutIds as [string, string, string, string];
    // The fork: the same key signs another third cut (its LEEME.txt says something else).
    const forkRoot = path.join(work, 'fork-cuts');
    await forkCut(night, c3, forkRoot);
    const centerA = await startCenter(path.join(work, 'center-a'), night);
    const centerB = await startCenter(path.join(work, 'center-b'), night);
    await centerA.publish([c1, c2, c3]);
    await centerB.publish([c1, c2]);
    await centerB.publish([c3], forkRoot);
    // Each mirror names the other as its peer, as two difusores would.
    const port = await freePortPair();
    const urlA = `http://127.0.0.1:${port}/`;
    const urlB = `http://127.0.0.1:${port + 1}/`;
    const a = await openMirror('mirror-a', centerA.url, [urlB]);
    const b = await openMirror('mirror-b', centerB.url, [urlA]);
    const servedA = { server: await startMirrorServer(a, { port }) };
    const servedB = { server: await startMirrorServer(b, { port: port + 1 }) };
    try {
      await a.poll();
      await b.poll();
      // Each history verifies on its own: the fork is only visible by comparing.
      assert.equal(a.latest()?.cut, c3);
      assert.equal(b.latest()?.cut, c3);
      assert.notEqual(a.latest()?.manifestSha256, b.latest()?.manifestSha256);
      const peerOfB = b.status().peers[0]!;
      assert.equal(peerOfB.state, 'split');
      assert.equal(b.status().splitViews.length, 1);
      assert.equal(b.status().splitViews[0]!.sequence, 3);
      await a.poll();
      assert.equal(a.status().peers[0]!.state, 'split');
      // Durable: reopened, the mirror still reports it.
      const reopened = await openMirror('mirror-b', centerB.url, [urlA]);
      assert.equal(reopened.status().splitViews.length, 1);
      const lines = (await readFile(path.join(work, 'mirror-b', 'split-views.jsonl'), 'utf8'))
        .trim()
        .split('\n');
      assert.equal(lines.length, 1);

      // A moves on to a fourth cut: B walks A's signed chain back to sequence 3 and still sees the split.
      await centerA.publish([c4]);
      await a.poll();
      assert.equal(a.latest()?.cut, c4);
      await b.poll();
      assert.equal(b.status().peers[0]!.state, 'split');
      // And B's center forking onto A's chain would be refused: A's fourth cut does not extend B's third.
      await centerB.publish([c4]);
      await b.poll();
      assert.equal(b.latest()?.cut, c3);
      assert.equal(b.status().quarantine.at(-1)!.kind, 'chain-mismatch');

      // Mirrors that agree say so.
      const c = await openMirror('mirror-c', centerA.url, [urlA]);
      await c.poll();
      assert.equal(c.status().peers[0]!.state, 'agrees');
      assert.deepEqual(c.status().splitViews, []);
    } finally {
      await closeServer(servedA.server);
      await closeServer(servedB.server);
      await centerA.close();
      await centerB.close();
    }
  });
});

describe("the site's comparison with a mirror (src/site/mirror_compare.ts, here in Node)", () => {
  test('the same cut, a signed split view, altered files, a mirror behind, a bad address', async () => {
    const { compareWithMirror } = await import('../site/mirror_compare.ts');
    const { writeFile } = await import('node:fs/promises');
    const [c1, c2] = night.cutIds as [string, string];
    const center = await startCenter(path.join(work, 'center-gossip'), night);
    await center.publish([c1, c2]);
    const same = await openMirror('mirror-gossip-same', center.url);
    await same.poll();
    const forkRoot = path.join(work, 'fork-gossip');
    await forkCut(night, c2, forkRoot);
    const forked = await startCenter(path.join(work, 'center-gossip-forked'), night);
    await forked.publish([c1]);
    await forked.publish([c2], forkRoot);
    // A server that altered the manifest without the key: not signed.
    const altered = await startCenter(path.join(work, 'center-gossip-altered'), night);
    await altered.publish([c1, c2]);
    const manifest = path.join(altered.root, c2, 'manifest.json');
    await writeFile(manifest, (await readFile(manifest, 'utf8')).replace('"final": false', '"final": true'));
    const behind = await startCenter(path.join(work, 'center-gossip-behind'), night);
    await behind.publish([c1]);
    const served = await serve(same);
    try {
      const ask = (mirror: string, keyText = night.publicKey) =>
        compareWithMirror({ base: center.url, mirror, cutId: c2, keyText });
      const match = await ask(served.url);
      assert.equal(match.kind, 'match');
      const split = await ask(forked.url);
      assert.ok(split.kind === 'mismatch' && split.signed === true);
      assert.equal(split.ours, match.kind === 'match' ? match.sha256 : '');
      const unsigned = await ask(altered.url);
      assert.ok(unsigned.kind === 'mismatch' && unsigned.signed === false);
      const noKey = await ask(forked.url, '');
      assert.ok(noKey.kind === 'mismatch' && noKey.signed === null);
      assert.deepEqual(await ask(behind.url), { kind: 'absent', latest: c1 });
      assert.deepEqual(await ask('ftp://espejo.example/'), { kind: 'bad-url' });
      assert.deepEqual(await ask('http://127.0.0.1:1/'), { kind: 'unreachable' });
    } finally {
      await closeServer(served.server);
      for (const c of [center, forked, altered, behind]) await c.close();
    }
  });
});

describe('openprep mirror', () => {
  test('--once polls, prints the status and exits 0; a wrong key or URL is refused with a clear message', async () => {
    const center = await startCenter(path.join(work, 'center-cli'), night);
    try {
      await center.publish(night.cutIds.slice(0, 1));
      const keyFile = path.join(work, 'election.pub');
      const { writeFile } = await import('node:fs/promises');
      await writeFile(keyFile, `${night.publicKey}\n`);
      const data = path.join(work, 'mirror-cli');
      const run = await runCli(['mirror', center.url, '--key', keyFile, '--data', data, '--once'], {
        timeoutMs: 60_000,
      });
      assert.equal(run.code, 0, run.stderr);
      const status = JSON.parse(run.stdout.slice(run.stdout.indexOf('{\n')));
      assert.equal(status.latest.cut, night.cutIds[0]);
      const badUrl = await runCli(['mirror', 'ftp://example', '--key', keyFile, '--data', data, '--once']);
      assert.equal(badUrl.code, 2);
      assert.match(badUrl.stderr, /not an http or https URL/);
      const noKey = await runCli(['mirror', center.url, '--data', data, '--once']);
      assert.equal(noKey.code, 2);
      assert.match(noKey.stderr, /--key .* is required/);

      // Running: it serves, picks up a new cut at its next poll, and stops on SIGTERM.
      const port = await freePortPair();
      const child = spawn(
        process.execPath,
        [
          MAIN,
          'mirror',
          center.url,
          '--key',
          keyFile,
          '--data',
          data,
          '--listen',
          `127.0.0.1:${port}`,
          '--every',
          '1',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let log = '';
      child.stdout.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      const waitFor = async (text: string) => {
        for (let i = 0; i < 300 && !log.includes(text); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(log.includes(text), `no ${text} in:\n${log}`);
      };
      try {
        await waitFor('"event":"listening"');
        await center.publish(night.cutIds.slice(1, 2));
        await waitFor(`"event":"verified","cut":"${night.cutIds[1]}"`);
        const status = (await (await fetch(`http://127.0.0.1:${port}/status.json`)).json()) as {
          latest: { cut: string };
        };
        assert.equal(status.latest.cut, night.cutIds[1]);
      } finally {
        const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
      }
    } finally {
      await center.close();
    }
  });
});
