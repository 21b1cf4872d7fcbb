/**
 * kill -9 of `openprep serve` at random moments, 20 times, while a client keeps submitting
 * (and retrying whatever got no answer). Afterwards every package the client holds a receipt
 * for is stored exactly once with that very receipt, its image is on disk, the receipt's
 * journal leaf records it, and the last checkpoint seen before each crash is consistent with
 * the final journal.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { imagePath } from '../images/blob_store.ts';
import { parseReceiptBody } from '../intake/package.ts';
import { openCheckpoint } from '../journal/checkpoint.ts';
import { decodeEntry } from '../journal/entries.ts';
import { MerkleTree, verifyConsistency } from '../journal/merkle.ts';
import { openNote, parseVerifierKey } from '../journal/note.ts';
import { createRandom } from '../sim/random.ts';
import { MAIN, preparedCenter, startServer } from '../test/center_process.ts';
import { makePng, packageFor, postPackage } from '../test/packages.ts';

const CRASHES = 20;

test('kill -9 at random moments: every receipted package is stored once, checkpoints stay consistent', async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-crash-'));
  try {
    const {
      catalog,
      election,
      start: clockStart,
      devices,
      verifierKey,
    } = await preparedCenter(work, 5, ['CATD-CRASH-1']);
    const device = devices[0]!;
    const testStart = Date.now();
    const clock = () => clockStart + (Date.now() - testStart);

    // Every acta esperada of every contest: more than enough distinct packages.
    const keys = election.contests.flatMap((contest) =>
      [...actasEsperadas(catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
    );
    const random = createRandom('crash-test');
    const receipts = new Map<number, string>(); // sequence → receipt
    const pending: number[] = []; // sent, no answer: to retry after the restart
    let nextSequence = 0;
    // The actas esperadas first, then keys that name no casilla (fuera de catálogo): one acta each,
    // and one image each (the width varies too, as the pixel pattern repeats every 256 seeds).
    const packageOf = (sequence: number) => {
      const target = keys[sequence] ?? { contest: 'PRES', key: `FC${sequence}` };
      const image = makePng(24 + Math.floor(sequence / 256), 16, { seed: sequence });
      return {
        image,
        ...packageFor(device, image, { sequence, claimedKey: target.key, contest: target.contest }),
      };
    };
    const checkpointsBeforeCrash: string[] = [];

    for (let round = 0; round < CRASHES; round++) {
      const { child, base } = await startServer(work, clock());
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let alive = true;
      let lastCheckpoint: string | null = null;
      const client = async () => {
        while (alive) {
          const sequence = pending.shift() ?? nextSequence++;
          const pkg = packageOf(sequence);
          try {
            const response = await postPackage(base, {
              text: pkg.text,
              signature: pkg.signature,
              image: pkg.image,
            });
            assert.ok(
              response.status === 201 || response.status === 200,
              `#${sequence} ${pkg.header.claimedKey}: ${response.status} ${response.body}`,
            );
            const earlier = receipts.get(sequence);
            if (earlier !== undefined) assert.equal(response.body, earlier, 'a retry got another receipt');
            receipts.set(sequence, response.body);
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            pending.push(sequence); // no answer: the server died under it
          }
        }
      };
      const poller = async () => {
        while (alive) {
          try {
            const response = await fetch(`${base}/api/v1/checkpoint`);
            if (response.status === 200) lastCheckpoint = await response.text();
          } catch {
            // the server is gone
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const clients = [client(), client(), client(), poller()];
      await new Promise((resolve) => setTimeout(resolve, 200 + random.int(0, 500)));
      child.kill('SIGKILL');
      await exited;
      alive = false;
      await Promise.all(clients);
      if (lastCheckpoint !== null) checkpointsBeforeCrash.push(lastCheckpoint);
    }
    // A last, clean run delivers whatever was left without an answer.
    const { child, base } = await startServer(work, clock());
    for (const sequence of pending.splice(0)) {
      const pkg = packageOf(sequence);
      const response = await postPackage(base, {
        text: pkg.text,
        signature: pkg.signature,
        image: pkg.image,
      });
      assert.ok(response.status === 201 || response.status === 200, response.body);
      receipts.set(sequence, response.body);
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));

    assert.ok(receipts.size > 20, `${receipts.size} receipts`);
    assert.ok(
      checkpointsBeforeCrash.length >= CRASHES / 2,
      `${checkpointsBeforeCrash.length} checkpoints seen`,
    );
    t.diagnostic(
      `${CRASHES} kills, ${receipts.size} receipted packages, ${checkpointsBeforeCrash.length} checkpoints seen before a kill`,
    );
    const reopened = await openCenter({ root: work, clock });
    assert.ok(reopened.ok);
    const { journal, devices: store } = reopened.value;
    try {
      const key = parseVerifierKey(verifierKey);
      assert.ok(key.ok);
      assert.equal(
        await store.packageCount(device.id),
        receipts.size,
        'each receipted package stored exactly once',
      );
      const head = await journal.journalHead();
      const entries = await journal.journalEntries(0, head.size);
      for (const [sequence, receiptText] of receipts) {
        const stored = await store.transaction((tx) => tx.getPackage(device.id, sequence));
        assert.equal(stored?.receipt, receiptText, `package ${sequence}`);
        const note = openNote(receiptText, [key.value]);
        assert.ok(note.ok);
        const receipt = parseReceiptBody(note.value.body, key.value.name);
        assert.ok(receipt.ok);
        const entry = decodeEntry(entries[receipt.value.leafIndex]!);
        assert.ok(entry.ok);
        assert.equal(entry.value.type, 'PACKAGE_RECEIVED');
        assert.equal(entry.value['sequence'], sequence);
        await readFile(imagePath(path.join(work, 'images'), receipt.value.imageSha256, 'png'));
      }
      const received = entries.filter((e) => {
        const d = decodeEntry(e);
        return d.ok && d.value.type === 'PACKAGE_RECEIVED';
      });
      assert.equal(received.length, receipts.size, 'one PACKAGE_RECEIVED per package');
      const tree = new MerkleTree(await journal.journalLeafHashes(0, head.size));
      assert.ok(tree.root().equals(head.rootHash));
      for (const text of checkpointsBeforeCrash) {
        const checkpoint = openCheckpoint(text, [key.value]);
        assert.ok(checkpoint.ok, checkpoint.ok ? '' : checkpoint.message);
        const { size, rootHash } = checkpoint.value;
        assert.ok(
          verifyConsistency({
            oldSize: size,
            newSize: head.size,
            oldRoot: rootHash,
            newRoot: head.rootHash,
            proof: tree.consistencyProof(size, head.size),
          }),
          `checkpoint at ${size} is consistent with the journal at ${head.size}`,
        );
      }
    } finally {
      await reopened.value.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('SIGTERM: an upload in progress still gets its receipt, then the service stops and the store is closed', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-sigterm-'));
  try {
    const { catalog, election, start, devices } = await preparedCenter(work, 6, ['CATD-TERM-1']);
    const device = devices[0]!;
    const key = [...actasEsperadas(catalog, election.contests[0]!)][0]!.actaKey;
    const image = makePng(64, 64, { seed: 1 });
    const pkg = packageFor(device, image, { sequence: 0, claimedKey: key });
    const { child, base } = await startServer(work, start);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // A slow device: the headers and half the image, then a pause, then the rest.
    const { request } = await import('node:http');
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/api/v1/packages`, {
        method: 'POST',
        headers: {
          'content-type': 'image/png',
          'content-length': image.length,
          'openprep-package': Buffer.from(pkg.text).toString('base64url'),
          'openprep-signature': pkg.signature,
        },
      });
      req.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(image.subarray(0, image.length >> 1));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(image.subarray(image.length >> 1)), 300);
      }, 300);
    });
    const result = await answer;
    assert.equal(result.status, 201, result.body);
    assert.equal(await exited, 0);
    const reopened = await openCenter({ root: work, clock: () => start });
    assert.ok(reopened.ok);
    assert.equal(
      (await reopened.value.devices.transaction((tx) => tx.getPackage(device.id, 0)))?.receipt,
      result.body,
    );
    await reopened.value.close();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('an administrator revokes a device with the CLI while serve runs: the next package is refused, the journal stays whole', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-beside-'));
  try {
    const { catalog, election, start, devices } = await preparedCenter(work, 8, ['CATD-A-1', 'CATD-A-2']);
    const [one, two] = devices;
    const keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey);
    const { child, base } = await startServer(work, start);
    const send = (device: typeof one, sequence: number, key: string) => {
      const image = makePng(16, 16, { seed: sequence + (device === one ? 0 : 500) });
      const pkg = packageFor(device!, image, { sequence, claimedKey: key });
      return postPackage(base, { text: pkg.text, signature: pkg.signature, image });
    };
    assert.equal((await send(one, 0, keys[0]!)).status, 201);
    const { spawnSync } = await import('node:child_process');
    const revoked = spawnSync(
      process.execPath,
      [MAIN, 'device', 'revoke', '--data', work, '--id', one!.id, '--reason', 'stolen'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.equal((await send(one, 1, keys[1]!)).status, 403);
    assert.equal((await send(two, 0, keys[2]!)).status, 201);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    const verified = spawnSync(process.execPath, [MAIN, 'journal', 'verify', '--data', work], {
      encoding: 'utf8',
    });
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
