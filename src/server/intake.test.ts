/**
 * Signed intake over real HTTP on loopback: enrol, submit, check the receipt; retries; conflicts;
 * revoked and unknown devices; altered bytes; hostile input. Every refusal leaves nothing stored.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { enrollDevice, revokeDevice } from '../intake/devices.ts';
import { type CenterNode, initCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { imagePath } from '../images/blob_store.ts';
import { REJECTIONS_JOURNALED_PER_MINUTE } from '../intake/intake_service.ts';
import { parseReceiptBody } from '../intake/package.ts';
import { decodeEntry } from '../journal/entries.ts';
import { openNote, parseVerifierKey } from '../journal/note.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import {
  makeDevice,
  makePng,
  packageFor,
  pngOfSize,
  postPackage,
  postPackageRaw,
  servesWholeCatalog,
  type TestDevice,
} from '../test/packages.ts';
import { buildServer, type ServerHandle } from './app.ts';
import { serveConfigSchema } from './config.ts';
import { typedJournal } from '../test/journal.ts';

let work: string;
let node: CenterNode;
let server: ServerHandle;
let base: string;
let keys: string[];
let scanner: TestDevice;

const catalog = generateCatalog({ scale: 'tiny', seed: 3 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
let now = Date.parse(election.publicationStart) + 3_600_000;
let tick = 1000; // ms the clock moves at each reading
const clock = () => (now += tick);

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-intake-'));
  const created = await initCenter({ root: work, election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  const config = serveConfigSchema.parse({
    logLevel: 'silent',
    intake: { maxImageBytes: 64 * 1024, maxPixels: 4_000_000, maxInFlight: 64, qualityGate: 'off' },
  });
  server = await buildServer({ node, config, clock });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey);
  scanner = makeDevice('CATD-01-001-S1');
  const enrolled = await enrollDevice(node.devices, {
    id: scanner.id,
    publicKey: scanner.publicKey,
    origin: 'CATD',
    boundTo: 'CATD-01-001',
    label: 'scanner',
    at: clock(),
  });
  assert.ok(enrolled.ok);
  await servesWholeCatalog(node.devices, catalog, 'CATD-01-001', { at: clock() });
});

after(async () => {
  await server.app.close();
  await node.close();
  await rm(work, { recursive: true, force: true });
});

/** What a refused request must leave unchanged. */
async function storedState() {
  const head = await node.journal.journalHead();
  const packages = await node.devices.packageCount();
  const staging = (
    await readdir(path.join(work, 'images', 'staging'), { recursive: true, withFileTypes: true })
  )
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
  return { packages, staging, nonRejection: head.size - (await rejections()) };
}

async function rejections(): Promise<number> {
  const head = await node.journal.journalHead();
  const entries = await node.journal.journalEntries(0, head.size);
  return entries.filter((e) => {
    const d = decodeEntry(e);
    return d.ok && d.value.type === 'PACKAGE_REJECTED';
  }).length;
}

describe('signed intake over HTTP', () => {
  test('enrol → submit → a receipt that verifies with the election key and names the journal leaf', async () => {
    const image = makePng(40, 30, { seed: 1 });
    const pkg = packageFor(scanner, image, { sequence: 0, claimedKey: keys[0]! });
    const response = await postPackage(base, { text: pkg.text, signature: pkg.signature, image });
    assert.equal(response.status, 201, response.body);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const key = parseVerifierKey(node.verifierKey);
    assert.ok(key.ok);
    const note = openNote(response.body, [key.value]);
    assert.ok(note.ok, note.ok ? '' : note.message);
    const receipt = parseReceiptBody(note.value.body, key.value.name);
    assert.ok(receipt.ok);
    assert.equal(receipt.value.deviceId, scanner.id);
    assert.equal(receipt.value.imageSha256, pkg.header.imageSha256);
    const [entry] = await node.journal.journalEntries(receipt.value.leafIndex, receipt.value.leafIndex + 1);
    const decoded = decodeEntry(entry!);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.type, 'PACKAGE_RECEIVED');
    assert.equal(decoded.value['packageSha256'], receipt.value.packageSha256);
    const stored = await readFile(imagePath(path.join(work, 'images'), pkg.header.imageSha256, 'png'));
    assert.ok(stored.equals(image));
    assert.equal((await node.records.getActa(receipt.value.recordId))?.status, 'received');
  });

  test('the lean form (image body, signed header in HTTP headers) gives the same receipt as multipart', async () => {
    const image = makePng(40, 30, { seed: 11 });
    const pkg = packageFor(scanner, image, { sequence: 50, claimedKey: keys[7]! });
    const lean = await postPackageRaw(base, { text: pkg.text, signature: pkg.signature, image });
    assert.equal(lean.status, 201, lean.body);
    const multipart = await postPackage(base, { text: pkg.text, signature: pkg.signature, image });
    assert.equal(multipart.status, 200);
    assert.equal(multipart.body, lean.body);
    const big = pngOfSize(100_000, 12);
    const bigPkg = packageFor(scanner, big, { sequence: 51, claimedKey: keys[8]! });
    assert.equal(
      (await postPackageRaw(base, { text: bigPkg.text, signature: bigPkg.signature, image: big })).status,
      413,
    );
    const noHeaders = await fetch(`${base}/api/v1/packages`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(image),
    });
    assert.equal(noHeaders.status, 400);
    const forged = await postPackageRaw(base, {
      text: pkg.text.replace('"sequence":50', '"sequence":52'),
      signature: pkg.signature,
      image,
    });
    assert.equal(forged.status, 401);
  });

  test('ten retries, some at once, give one stored package and byte-identical receipts', async () => {
    const image = makePng(40, 30, { seed: 2 });
    const pkg = packageFor(scanner, image, { sequence: 1, claimedKey: keys[1]! });
    const send = () => postPackage(base, { text: pkg.text, signature: pkg.signature, image });
    const before = await node.devices.packageCount(scanner.id);
    const first = await send();
    assert.equal(first.status, 201);
    const concurrent = await Promise.all(Array.from({ length: 6 }, send));
    const sequential = [];
    for (let i = 0; i < 3; i++) sequential.push(await send());
    for (const r of [...concurrent, ...sequential]) {
      assert.equal(r.status, 200);
      assert.equal(r.body, first.body);
    }
    assert.equal(await node.devices.packageCount(scanner.id), before + 1);
  });

  test('a different package under the same sequence is 409 and the first stays as it was', async () => {
    const original = makePng(40, 30, { seed: 3 });
    const pkg = packageFor(scanner, original, { sequence: 2, claimedKey: keys[2]! });
    const first = await postPackage(base, { text: pkg.text, signature: pkg.signature, image: original });
    assert.equal(first.status, 201);
    const other = makePng(40, 30, { seed: 4 });
    const conflicting = packageFor(scanner, other, { sequence: 2, claimedKey: keys[2]! });
    const refused = await postPackage(base, {
      text: conflicting.text,
      signature: conflicting.signature,
      image: other,
    });
    assert.equal(refused.status, 409, refused.body);
    assert.equal(JSON.parse(refused.body).error, 'conflict');
    const again = await postPackage(base, { text: pkg.text, signature: pkg.signature, image: original });
    assert.equal(again.status, 200);
    assert.equal(again.body, first.body);
    // The conflicting image is kept for review, not thrown away.
    await readFile(imagePath(path.join(work, 'images'), conflicting.header.imageSha256, 'png'));
  });

  test('another image of an acta that already has one is 409, kept for review', async () => {
    const image = makePng(40, 30, { seed: 5 });
    const pkg = packageFor(scanner, image, { sequence: 3, claimedKey: keys[0]! });
    const response = await postPackage(base, { text: pkg.text, signature: pkg.signature, image });
    assert.equal(response.status, 409, response.body);
    const retry = await postPackage(base, { text: pkg.text, signature: pkg.signature, image });
    assert.equal(retry.status, 409);
  });

  test('a revoked device, an unknown key, a wrong origin and one altered byte are refused and journaled', async () => {
    const before = await rejections();
    const stranger = makeDevice('PHONE-UNKNOWN');
    const image = makePng(20, 20, { seed: 6 });
    const unknown = packageFor(stranger, image, { sequence: 0, claimedKey: keys[3]! });
    assert.equal(
      (await postPackage(base, { text: unknown.text, signature: unknown.signature, image })).status,
      401,
    );

    const pkg = packageFor(scanner, image, { sequence: 10, claimedKey: keys[3]! });
    const altered = Buffer.from(pkg.text);
    altered[altered.indexOf('"sequence":10') + 12] = '1'.charCodeAt(0);
    const forged = await postPackage(base, { text: altered.toString(), signature: pkg.signature, image });
    assert.equal(forged.status, 401, forged.body);
    const alteredImage = Buffer.from(image);
    alteredImage[alteredImage.length - 20]! ^= 1;
    const badImage = await postPackage(base, {
      text: pkg.text,
      signature: pkg.signature,
      image: alteredImage,
    });
    assert.ok([400, 415].includes(badImage.status), badImage.body);

    const wrongOrigin = packageFor(scanner, image, { sequence: 11, claimedKey: keys[3]!, origin: 'CASILLA' });
    assert.equal(
      (await postPackage(base, { text: wrongOrigin.text, signature: wrongOrigin.signature, image })).status,
      403,
    );

    const phone = makeDevice('PHONE-CAE-7');
    assert.ok(
      (
        await enrollDevice(node.devices, {
          id: phone.id,
          publicKey: phone.publicKey,
          origin: 'CASILLA',
          boundTo: 'CAE-7',
          label: '',
          at: clock(),
        })
      ).ok,
    );
    assert.ok((await revokeDevice(node.devices, { id: phone.id, at: clock(), reason: 'lost' })).ok);
    const revoked = packageFor(phone, image, { sequence: 0, claimedKey: keys[3]!, origin: 'CASILLA' });
    assert.equal(
      (await postPackage(base, { text: revoked.text, signature: revoked.signature, image })).status,
      403,
    );
    assert.equal((await rejections()) - before, 5);
  });

  test('hostile input gets a clear 4xx and stores nothing', async () => {
    const image = makePng(20, 20, { seed: 7 });
    const pkg = packageFor(scanner, image, { sequence: 20, claimedKey: keys[4]! });
    const start = await storedState();
    const expectRefused = async (status: number, response: { status: number; body: string }) => {
      assert.equal(response.status, status, response.body);
      const body = JSON.parse(response.body) as { error: string; message: string };
      assert.ok(body.error.length > 0 && body.message.length > 0);
    };

    // Oversized: a PNG over the 64 KiB limit, refused with 413 while streaming.
    const big = pngOfSize(100_000, 8);
    const bigPkg = packageFor(scanner, big, { sequence: 21, claimedKey: keys[4]! });
    await expectRefused(
      413,
      await postPackage(base, { text: bigPkg.text, signature: bigPkg.signature, image: big }),
    );
    // A body that declares more than the limit is refused before it is read.
    const declared = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${base}/api/v1/packages`, {
        method: 'POST',
        headers: {
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(10 * 1024 * 1024),
        },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.write(Buffer.alloc(1024)); // and never the rest: the answer must not wait for it
    });
    assert.equal(declared, 413);

    // Not an image, renamed .jpg.
    const text = Buffer.from('GIF89a and then some text, not a JPEG at all');
    const textPkg = packageFor(scanner, text, { sequence: 22, claimedKey: keys[4]! });
    await expectRefused(
      415,
      await postPackage(base, {
        text: textPkg.text,
        signature: textPkg.signature,
        image: text,
        filename: 'acta.jpg',
      }),
    );
    // A 20000×20000 pixel flood: a tiny file whose header claims 400 million pixels.
    const flood = makePng(20000, 20000, { dataRows: 1 });
    const floodPkg = packageFor(scanner, flood, { sequence: 23, claimedKey: keys[4]! });
    await expectRefused(
      422,
      await postPackage(base, { text: floodPkg.text, signature: floodPkg.signature, image: flood }),
    );
    // Malformed JSON, a non-canonical header, path traversal in the device id.
    await expectRefused(
      400,
      await postPackage(base, { text: '{"format":', signature: pkg.signature, image }),
    );
    await expectRefused(
      400,
      await postPackage(base, { text: ` ${pkg.text}`, signature: pkg.signature, image }),
    );
    const traversal = pkg.text.replace(`"deviceId":"${scanner.id}"`, '"deviceId":"../../etc/passwd"');
    await expectRefused(400, await postPackage(base, { text: traversal, signature: pkg.signature, image }));
    // Bad signatures: not base64, wrong length.
    await expectRefused(
      401,
      await postPackage(base, { text: pkg.text, signature: 'not a signature', image }),
    );
    // Wrong content types.
    const json = await fetch(`${base}/api/v1/packages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ package: pkg.text }),
    });
    await expectRefused(400, { status: json.status, body: await json.text() });
    const plain = await fetch(`${base}/api/v1/packages`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    assert.ok(plain.status >= 400 && plain.status < 500, String(plain.status));
    await plain.text();
    // Truncated multipart: the body stops in the middle of the image part.
    const boundary = 'openprepboundary';
    const truncated = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="package"\r\n\r\n${pkg.text}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="signature"\r\n\r\n${pkg.signature}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      image.subarray(0, 30),
    ]);
    const cut = await fetch(`${base}/api/v1/packages`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: truncated,
    });
    assert.ok(cut.status === 400, `${cut.status} ${await cut.text()}`);
    // Fields out of order: the image before the signed header.
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(image)]), 'a.png');
    form.append('package', pkg.text);
    const disordered = await fetch(`${base}/api/v1/packages`, { method: 'POST', body: form });
    await expectRefused(400, { status: disordered.status, body: await disordered.text() });

    const end = await storedState();
    assert.equal(end.packages, start.packages);
    assert.equal(end.nonRejection, start.nonRejection, 'only PACKAGE_REJECTED entries may be added');
    assert.deepEqual(end.staging, []);
    // And the honest package still goes through afterwards.
    assert.equal((await postPackage(base, { text: pkg.text, signature: pkg.signature, image })).status, 201);
  });

  test('overload: past maxInFlight uploads, 503 with Retry-After', async () => {
    const config = serveConfigSchema.parse({
      logLevel: 'silent',
      intake: { maxImageBytes: 64 * 1024, maxPixels: 4_000_000, maxInFlight: 1, qualityGate: 'off' },
    });
    const busy = await buildServer({ node, config, clock });
    await busy.app.listen({ host: '127.0.0.1', port: 0 });
    const busyBase = `http://127.0.0.1:${(busy.app.server.address() as AddressInfo).port}`;
    const image = makePng(20, 20, { seed: 9 });
    const pkg = packageFor(scanner, image, { sequence: 30, claimedKey: keys[5]! });
    // A slow client whose signed header checks out: its upload starts and then stalls, holding
    // the only slot (an unauthenticated one would hold none: src/server/slow_clients.test.ts).
    const boundary = 'slowboundary';
    const slow = httpRequest(`${busyBase}/api/v1/packages`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    slow.on('error', () => {});
    slow.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="package"\r\n\r\n${pkg.text}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="signature"\r\n\r\n${pkg.signature}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n`,
    );
    // The first bytes of the image: the parser holds back a tail that could begin a boundary.
    slow.write(image.subarray(0, 32));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await postPackage(busyBase, { text: pkg.text, signature: pkg.signature, image });
    assert.equal(refused.status, 503, refused.body);
    assert.equal(refused.headers.get('retry-after'), '1');
    slow.destroy();
    await busy.app.close();
  });

  test('rate limits per client address on every route but intake', async () => {
    const limited = await buildServer({
      node,
      config: serveConfigSchema.parse({
        logLevel: 'silent',
        rateLimitPerMinute: 5,
        intake: { qualityGate: 'off' },
      }),
      clock,
    });
    await limited.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(limited.app.server.address() as AddressInfo).port}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': `198.51.100.${i}` } })).status,
      );
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const refused = await fetch(`${url}/readyz`);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal(((await refused.json()) as { error: string }).error, 'rate-limited');
    // Intake is not rate-limited by address (a CATD's devices share one).
    const image = makePng(20, 20, { seed: 10 });
    const pkg = packageFor(scanner, image, { sequence: 40, claimedKey: keys[6]! });
    assert.equal((await postPackage(url, { text: pkg.text, signature: pkg.signature, image })).status, 201);
    await limited.app.close();
  });

  test('a flood of forged packages cannot flood the journal', async () => {
    const stranger = makeDevice('FLOOD');
    const image = makePng(8, 8, { seed: 99 });
    const before = await rejections();
    const flood = REJECTIONS_JOURNALED_PER_MINUTE + 50;
    tick = 0; // all within one minute
    await Promise.all(
      Array.from({ length: flood }, (_, i) => {
        const pkg = packageFor(stranger, image, { sequence: i, claimedKey: keys[0]! });
        return server.intake.check(pkg.text, pkg.signature);
      }),
    );
    const journaled = (await rejections()) - before;
    assert.ok(journaled <= REJECTIONS_JOURNALED_PER_MINUTE, `${journaled} rejections journaled`);
    now += 61_000;
    tick = 1000;
    const pkg = packageFor(stranger, image, { sequence: flood, claimedKey: keys[0]! });
    assert.equal((await server.intake.check(pkg.text, pkg.signature)).ok, false);
    const head = await node.journal.journalHead();
    const [last] = await node.journal.journalEntries(head.size - 1, head.size);
    const entry = decodeEntry(last!);
    assert.ok(entry.ok);
    assert.equal(entry.value['unjournaledBefore'], flood - journaled);
  });

  test('health and readiness', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { status: string };
    assert.equal(ready.status, 'ready');
  });

  test('route inventory: every route declares an authorization policy, and one without cannot be added', async () => {
    const config = serveConfigSchema.parse({ logLevel: 'silent', intake: { qualityGate: 'off' } });
    const probe = await buildServer({ node, config, clock });
    assert.throws(() => probe.app.get('/no-policy', async () => 'x'), /declares no authorization policy/);
    await probe.app.ready();
    await probe.app.close();
    const inventory = server.app.printRoutes({ commonPrefix: false });
    for (const url of ['/healthz', '/readyz', '/api/v1/packages', '/api/v1/checkpoint'])
      assert.ok(inventory.includes(url), `${url} is served`);
  });

  test('every entry this file journaled is of a known type with exactly its fields', async () => {
    const types = await typedJournal(node.journal);
    for (const type of [
      'PACKAGE_RECEIVED',
      'PACKAGE_CONFLICT',
      'PACKAGE_REJECTED',
      'SUBMISSION_REGISTERED',
    ] as const)
      assert.ok(types.has(type), `no ${type} entry was written`);
  });
});
