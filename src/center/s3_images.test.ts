/**
 * A center whose images live in S3-compatible object storage, end to end with the real
 * command line: `openprep serve` on an S3 protocol server running on loopback (s3rver, from
 * npm), a package sent over HTTP and another in a USB bundle, both images in the bucket under
 * their content address and none in the data folder, an operator shown the same bytes; the
 * store going away while serving, and a wrong bucket or address at start.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { writeBundle } from '../intake/bundle.ts';
import { fromBase32, totp } from '../auth/totp.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { blobName } from '../images/blob_store.ts';
import { preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';
import { makePng, packageFor, postPackageRaw } from '../test/packages.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { S3_CREDENTIALS, startS3 } from '../test/s3.ts';

const PASSWORD = 'una frase larga que nadie adivina';

test('serve with the images in S3: received into the bucket by content address, shown to operators, nothing in the data folder; a bad bucket stops it at start', {
  timeout: 120_000,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-s3-center-'));
  const s3 = await startS3();
  let s3Running = true;
  const bucket = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
  const inBucket = async (image: Buffer) => {
    const object = await bucket.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: blobName(sha256Hex(image), 'png') }),
    );
    return Buffer.from(await object.Body!.transformToByteArray());
  };
  try {
    const data = path.join(work, 'center');
    const prepared = await preparedCenter(data, 21, ['CATD-S3-1']);
    const device = prepared.devices[0]!;
    const keys = [...actasEsperadas(prepared.catalog, prepared.election.contests[0]!)].map((e) => e.actaKey);

    // At start: a bucket that is not there, or no server at the address, is a clear error.
    const serve = (env: Record<string, string>) =>
      runCli(['serve', '--data', data, '--port', '0'], { env: { ...s3.env, ...env } });
    const noBucket = await serve({ OPENPREP_S3_BUCKET: 'no-such-bucket' });
    assert.equal(noBucket.code, 1, noBucket.stderr);
    assert.match(
      noBucket.stderr,
      /^openprep serve: the image store cannot be used: .*there is no bucket no-such-bucket\n$/,
    );
    const noServer = await serve({ OPENPREP_S3_ENDPOINT: 'http://127.0.0.1:9' });
    assert.equal(noServer.code, 1, noServer.stderr);
    assert.match(noServer.stderr, /^openprep serve: the image store cannot be used: .*ECONNREFUSED.*\n$/);
    const noKey = await serve({ OPENPREP_S3_BUCKET: '' });
    assert.equal(noKey.code, 2, noKey.stderr);
    assert.match(noKey.stderr, /images\.s3\.bucket/);

    const added = await runCli(
      [
        'operator',
        'add',
        '--data',
        data,
        '--username',
        'ana.captura',
        '--name',
        'Ana',
        '--role',
        'capturista',
        '--scope',
        'nacional',
        '--password-stdin',
      ],
      { stdin: `${PASSWORD}\n` },
    );
    assert.equal(added.code, 0, added.stderr);
    const secret = fromBase32(/secret=([A-Z2-7]+)/.exec(added.stdout)![1]!);

    const startedAt = Date.now();
    const clock = () => prepared.start + (Date.now() - startedAt);
    const server = await startServer(data, prepared.start, s3.env);
    try {
      const image = makePng(320, 240, { seed: 1 });
      const sent = await postPackageRaw(server.base, {
        ...packageFor(device, image, { sequence: 1, claimedKey: keys[0]! }),
        image,
      });
      assert.equal(sent.status, 201, sent.body);
      assert.deepEqual(await inBucket(image), image);

      const signIn = await fetch(`${server.base}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ana.captura', password: PASSWORD, code: totp(secret, clock()) }),
      });
      assert.equal(signIn.status, 201, await signIn.clone().text());
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
      const shown = await fetch(`${server.base}/api/v1/images/${sha256Hex(image)}`, { headers: { cookie } });
      assert.equal(shown.status, 200);
      assert.equal(shown.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await shown.arrayBuffer()), image);
      const never = await fetch(`${server.base}/api/v1/images/${'0'.repeat(64)}`, { headers: { cookie } });
      assert.equal(never.status, 404);

      // A USB bundle imported beside serve puts its image in the same bucket.
      const bundled = makePng(320, 240, { seed: 2 });
      const pkg = packageFor(device, bundled, { sequence: 2, claimedKey: keys[1]! });
      const bundle = path.join(work, 'usb.bundle');
      await writeFile(
        bundle,
        await writeBundle({
          deviceId: device.id,
          createdAt: '2024-06-02T21:30:00-06:00',
          privateKey: device.privateKey,
          packages: [
            {
              text: pkg.text,
              signature: pkg.signature,
              contentType: 'image/png',
              imageSha256: sha256Hex(bundled),
              image: bundled,
            },
          ],
        }),
      );
      const imported = await runCli(
        ['bundle', 'import', '--data', data, '--simulated-start', new Date(clock()).toISOString(), bundle],
        { env: s3.env },
      );
      assert.equal(imported.code, 0, imported.stderr);
      assert.equal((JSON.parse(imported.stdout) as { accepted: number }).accepted, 1);
      assert.deepEqual(await inBucket(bundled), bundled);

      assert.equal(existsSync(path.join(data, 'images', 'sha256')), false, 'no image in the data folder');

      // The store goes away: no receipt without the image stored, and the device is told to
      // try elsewhere (502), not that its package is bad.
      await s3.close();
      s3Running = false;
      const later = makePng(320, 240, { seed: 3 });
      const refused = await postPackageRaw(server.base, {
        ...packageFor(device, later, { sequence: 3, claimedKey: keys[2]! }),
        image: later,
      });
      assert.equal(refused.status, 502, refused.body);
      assert.equal((JSON.parse(refused.body) as { error: string }).error, 'image-store-unavailable');
      const unavailable = await fetch(`${server.base}/api/v1/images/${sha256Hex(image)}`, {
        headers: { cookie },
      });
      assert.equal(unavailable.status, 503);
    } finally {
      await stopServer(server.child);
    }
  } finally {
    bucket.destroy();
    if (s3Running) await s3.close();
    await rm(work, { recursive: true, force: true });
  }
});
