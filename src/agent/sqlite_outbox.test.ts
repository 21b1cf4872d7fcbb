import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parsePackageHeader } from '../intake/package.ts';
import { pngOfSize } from '../test/packages.ts';
import { identifyByFileName } from './agent.ts';
import { SqliteOutbox } from './sqlite_outbox.ts';

const pair = generateKeyPairSync('ed25519');
const device = {
  deviceId: 'CATD-O-1',
  origin: 'CATD' as const,
  privateKey: pair.privateKey,
  utcOffsetMinutes: -360,
};

async function folder(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'openprep-outbox-'));
  after(() => rm(root, { recursive: true, force: true }));
  return root;
}

describe('agent outbox', () => {
  test('a queued package is signed once, numbered in order, and survives reopening', async () => {
    const root = await folder();
    let outbox = await SqliteOutbox.open(root, device, () => Date.parse('2024-06-02T20:30:00-06:00'));
    const queued = [];
    for (let i = 0; i < 3; i++)
      queued.push(
        await outbox.queue({
          image: pngOfSize(1_000, i + 1),
          contentType: 'image/png',
          contest: 'PRES',
          claimedKey: `010001B01000${i}`,
          source: `PRES_010001B01000${i}.png`,
        }),
      );
    assert.deepEqual(
      queued.map((q) => [q.item.sequence, q.queued]),
      [
        [0, true],
        [1, true],
        [2, true],
      ],
    );
    const first = queued[0]!.item;
    const header = parsePackageHeader(first.packageText);
    assert.ok(header.ok);
    assert.equal(header.value.header.deviceTime, '2024-06-02T20:30:00-06:00');
    assert.equal(header.value.sha256, first.packageSha256);
    assert.ok(verify(null, header.value.bytes, pair.publicKey, Buffer.from(first.signature, 'base64')));
    // The same image for the same acta again: the item already there, nothing new.
    const again = await outbox.queue({
      image: pngOfSize(1_000, 1),
      contentType: 'image/png',
      contest: 'PRES',
      claimedKey: '010001B010000',
      source: 'copy.png',
    });
    assert.equal(again.queued, false);
    assert.equal(again.item.packageText, first.packageText);
    outbox.close();
    outbox = await SqliteOutbox.open(root, device, Date.now);
    assert.deepEqual(outbox.counts(), {
      pending: 3,
      delivered: 0,
      refused: 0,
      oldestPendingAt: first.queuedAt,
    });
    await outbox.markDelivered(1, 'receipt', 'primary');
    await outbox.markRetry(2, 5_000, 'primary: no answer');
    assert.deepEqual(
      (await outbox.due(1_000, 10)).map((i) => i.sequence),
      [0],
    );
    assert.equal(await outbox.nextDue(), 0);
    // Done is done: a late answer cannot turn a delivered package back.
    await outbox.markRefused(1, 'late');
    assert.equal((await outbox.get(1))?.state, 'delivered');
    outbox.close();
  });

  test('a damaged outbox copy of an image is never sent as if it were the signed one', async () => {
    const root = await folder();
    const outbox = await SqliteOutbox.open(root, device, Date.now);
    const { item } = await outbox.queue({
      image: pngOfSize(1_000, 9),
      contentType: 'image/png',
      contest: 'PRES',
      claimedKey: '010001B010009',
      source: 'x.png',
    });
    await writeFile(path.join(root, 'images', `${item.imageSha256}.png`), 'bit rot');
    await assert.rejects(outbox.image(item), /damaged/);
    outbox.close();
  });

  test('file names identify the acta: <ELECTION>_<CLAVE_ACTA>[_CONFIRMADA].jpg|jpeg|png, nothing else', () => {
    assert.deepEqual(identifyByFileName('PRES_010338B010002.jpg'), {
      contest: 'PRES',
      claimedKey: '010338B010002',
      confirmed: false,
    });
    assert.deepEqual(identifyByFileName('DIP_FED_010338B010002.PNG'), {
      contest: 'DIP_FED',
      claimedKey: '010338B010002',
      confirmed: false,
    });
    assert.deepEqual(identifyByFileName('PRES_010338B010002_CONFIRMADA.jpg'), {
      contest: 'PRES',
      claimedKey: '010338B010002',
      confirmed: true,
    });
    for (const name of [
      'scan0001.jpg',
      'PRES_010338B010002.pdf',
      '../PRES_0103.jpg',
      'PRES_01 03.jpg',
      'PRES_.jpg',
    ])
      assert.equal(identifyByFileName(name), null, name);
  });
});
