import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { zipFiles } from '../platform/zip.ts';
import { readZipEntries } from '../platform/zip.ts';
import { makeDevice, packageFor, pngOfSize } from '../test/packages.ts';
import { openBundle, verifyBundle, writeBundle } from './bundle.ts';

const device = makeDevice('CATD-B-1');

function packagesOf(count: number, from = device) {
  return Array.from({ length: count }, (_, sequence) => {
    const image = pngOfSize(2_000, sequence + 1);
    const pkg = packageFor(from, image, { sequence, claimedKey: `0100${sequence}B010001` });
    return {
      text: pkg.text,
      signature: pkg.signature,
      contentType: 'image/png' as const,
      imageSha256: pkg.header.imageSha256,
      image,
    };
  });
}

async function bundleOf(packages = packagesOf(3)) {
  return writeBundle({
    deviceId: device.id,
    createdAt: '2024-06-02T22:00:00-06:00',
    privateKey: device.privateKey,
    packages,
  });
}

async function refusal(zip: Buffer): Promise<string> {
  const opened = await openBundle(zip);
  if (!opened.ok) return opened.message;
  const verified = verifyBundle(opened.value, publicKeyOf(device));
  assert.ok(!verified.ok, 'the bundle should have been refused');
  return verified.message;
}

function publicKeyOf(d: typeof device) {
  return createPublicKey(d.privateKey);
}

describe('USB bundles', () => {
  test('a bundle opens and verifies with the device key, packages and images intact', async () => {
    const packages = packagesOf(3);
    const opened = await openBundle(await bundleOf(packages));
    assert.ok(opened.ok, opened.ok ? '' : opened.message);
    assert.ok(verifyBundle(opened.value, publicKeyOf(device)).ok);
    assert.deepEqual(
      opened.value.packages.map((p) => [p.text, p.image.equals(packages[p.pkg.header.sequence]!.image)]),
      packages.map((p) => [p.text, true]),
    );
    const other = generateKeyPairSync('ed25519');
    assert.ok(!verifyBundle(opened.value, other.publicKey).ok, 'another key does not verify it');
  });

  test('hostile bundles are refused whole, naming the problem', async () => {
    const good = packagesOf(2);
    const valid = await bundleOf(good);
    const read = await readZipEntries(valid);
    assert.ok(read.ok);
    const entries = read.value;
    const rezip = (change: (files: Map<string, Buffer>) => void) => {
      const files = new Map(entries);
      change(files);
      return zipFiles([...files.entries()], { compress: false });
    };
    const imageName = [...entries.keys()].find((n) => n.endsWith('.png'))!;
    assert.match(await refusal(Buffer.from('not a zip at all')), /not a readable zip/);
    assert.match(await refusal(Buffer.alloc(0)), /not a readable zip/);
    assert.match(await refusal(await rezip((f) => f.delete(imageName))), /is missing/);
    assert.match(
      await refusal(
        await rezip((f) => f.set(imageName, Buffer.concat([f.get(imageName)!, Buffer.from([0])]))),
      ),
      /SHA-256/,
    );
    assert.match(await refusal(await rezip((f) => f.set('extra.txt', Buffer.from('x')))), /unexpected entry/);
    assert.match(await refusal(await rezip((f) => f.delete('bundle.sig'))), /bundle.json and bundle.sig/);
    assert.match(
      await refusal(await rezip((f) => f.set('bundle.json', Buffer.from('{"format":"openprep-bundle/1"}')))),
      /bundle.json: /,
    );
    assert.match(
      await refusal(
        await rezip((f) => f.set('bundle.json', Buffer.from(` ${f.get('bundle.json')!.toString()}`))),
      ),
      /canonical/,
    );
    // A path in a name is never followed: refused before anything is read.
    // (zip writers refuse to write such a name, so it is patched into the bytes.)
    const traversal = await zipFiles([['XX/XX/etc/passwd', Buffer.from('x')]], { compress: false });
    const patched = Buffer.from(traversal.toString('latin1').replaceAll('XX/XX/', '../../'), 'latin1');
    assert.match(await refusal(patched), /unsafe or nested|invalid relative path/);
    // Re-signed by someone else: the bundle signature fails.
    assert.match(
      await refusal(
        await rezip((f) => f.set('bundle.sig', Buffer.from(Buffer.alloc(64, 1).toString('base64')))),
      ),
      /bundle.sig does not verify/,
    );
  });

  test("a package of another device inside a device's bundle is refused", async () => {
    const intruder = makeDevice('CATD-B-2');
    const mixed = [...packagesOf(1), ...packagesOf(2, intruder).slice(1)];
    const zip = await writeBundle({
      deviceId: device.id,
      createdAt: '2024-06-02T22:00:00-06:00',
      privateKey: device.privateKey,
      packages: mixed,
    });
    assert.match(await refusal(zip), /from device CATD-B-2/);
  });
});
