/**
 * The quality gate at intake, over real HTTP on loopback, with real synthetic actas: a good
 * image gets its receipt (and says so), an unfit one is refused with the reasons and leaves
 * nothing stored, an image whose QR label names another acta is refused until the device
 * confirms the key, then taken but flagged for a person — in the answer, the journal and the
 * dashboard's activity.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type CenterNode, initCenter } from '../center/node.ts';
import { modelSha256 } from '../center/reader.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { decodeEntry } from '../journal/entries.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { testActaImage } from '../test/actas.ts';
import { enrolledDevice, packageFor, postPackageRaw, type TestDevice } from '../test/packages.ts';
import { buildServer, type ServerHandle } from './app.ts';
import { serveConfigSchema } from './config.ts';

let work: string;
let node: CenterNode;
let server: ServerHandle;
let base: string;
let keys: string[];
let scanner: TestDevice;

const catalog = generateCatalog({ scale: 'tiny', seed: 3 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => (now += 1000);

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-intake-quality-'));
  const created = await initCenter({ root: work, election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  // The default configuration: the gate enforced.
  const config = serveConfigSchema.parse({ logLevel: 'silent' });
  assert.equal(config.intake.qualityGate, 'enforce');
  server = await buildServer({ node, config, clock });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey);
  scanner = await enrolledDevice(node.devices, {
    id: 'CATD-01-001-S1',
    boundTo: 'CATD-01-001',
    at: clock(),
    serves: catalog,
  });
});

after(async () => {
  await server.app.close();
  await node.close();
  await rm(work, { recursive: true, force: true });
});

async function lastEntry() {
  const head = await node.journal.journalHead();
  const [entry] = await node.journal.journalEntries(head.size - 1, head.size);
  const decoded = decodeEntry(entry!);
  assert.ok(decoded.ok);
  return decoded.value as unknown as Record<string, unknown>;
}

test('a good acta image gets its receipt, and the answer says the gate accepted it', async () => {
  const { png } = await testActaImage({ actaKey: keys[0]! });
  const pkg = packageFor(scanner, png, { sequence: 0, claimedKey: keys[0]! });
  const response = await postPackageRaw(base, { text: pkg.text, signature: pkg.signature, image: png });
  assert.equal(response.status, 201, response.body);
  assert.equal(response.headers.get('openprep-quality'), 'accept');
  const entry = await lastEntry();
  assert.equal(entry['type'], 'PACKAGE_RECEIVED');
  assert.equal(entry['quality'], undefined);
});

test('a blurred image is refused with the reasons in Spanish, journaled, and nothing is stored', async () => {
  const packagesBefore = await node.devices.packageCount();
  const { png } = await testActaImage({ actaKey: keys[1]!, style: 'phone', defects: ['motion_blur'] });
  const pkg = packageFor(scanner, png, { sequence: 1, claimedKey: keys[1]! });
  const response = await postPackageRaw(base, {
    text: pkg.text,
    signature: pkg.signature,
    image: png,
    contentType: 'image/jpeg',
  });
  assert.equal(response.status, 422, response.body);
  const body = JSON.parse(response.body) as { error: string; message: string };
  assert.equal(body.error, 'image-quality');
  assert.match(body.message, /movida: sostenga el teléfono firme/);
  assert.equal(await node.devices.packageCount(), packagesBefore);
  const entry = await lastEntry();
  assert.equal(entry['type'], 'PACKAGE_REJECTED');
  assert.equal(entry['reason'], 'image-quality');
  assert.deepEqual(entry['quality'], ['motion_blur']);
  // What the label said is journaled with the refusal; through this blur it does not read.
  assert.equal(entry['qr'], null);
  // The device retakes it: the same sequence number, a good image, a receipt.
  const retake = await testActaImage({ actaKey: keys[1]!, style: 'phone' });
  const again = packageFor(scanner, retake.png, { sequence: 1, claimedKey: keys[1]! });
  const accepted = await postPackageRaw(base, {
    text: again.text,
    signature: again.signature,
    image: retake.png,
    contentType: 'image/jpeg',
  });
  assert.equal(accepted.status, 201, accepted.body);
});

test('an image whose QR label names another acta is refused until the device confirms the key, then taken and flagged: answer, journal, dashboard', async () => {
  // The label says keys[2]; the device claims keys[3].
  const { png } = await testActaImage({ actaKey: keys[2]! });
  const packagesBefore = await node.devices.packageCount();
  const pkg = packageFor(scanner, png, { sequence: 2, claimedKey: keys[3]! });
  const doubtful = await postPackageRaw(base, { text: pkg.text, signature: pkg.signature, image: png });
  assert.equal(doubtful.status, 422, doubtful.body);
  const refusal = JSON.parse(doubtful.body) as { error: string; message: string };
  assert.equal(refusal.error, 'identification');
  assert.match(refusal.message, new RegExp(`la etiqueta QR dice ${keys[2]}, no ${keys[3]}.*confírmela`));
  assert.equal(await node.devices.packageCount(), packagesBefore);
  const refused = await lastEntry();
  assert.equal(refused['type'], 'PACKAGE_REJECTED');
  assert.equal(refused['reason'], 'identification');
  assert.equal(refused['qr'], keys[2]);

  // The person at the device confirms the key: a new package saying so.
  const confirmed = packageFor(scanner, png, { sequence: 3, claimedKey: keys[3]!, keyConfirmed: true });
  const response = await postPackageRaw(base, {
    text: confirmed.text,
    signature: confirmed.signature,
    image: png,
  });
  assert.equal(response.status, 201, response.body);
  assert.equal(response.headers.get('openprep-quality'), 'review; qr_mismatch');
  const entry = await lastEntry();
  assert.equal(entry['type'], 'PACKAGE_RECEIVED');
  assert.equal(entry['quality'], 'review');
  assert.deepEqual(entry['qualityReasons'], ['qr_mismatch']);
  assert.equal(entry['qr'], keys[2]);
  assert.equal(entry['keyConfirmed'], true);
  const activity = server.intake.qualityActivity();
  assert.equal(activity.rejected, 1);
  assert.equal(activity.review, 2);
  assert.deepEqual(
    activity.recent.map((e) => [e.verdict, e.claimedKey, e.qr]),
    [
      ['reject', keys[1], null],
      ['review', keys[3], keys[2]],
      ['review', keys[3], keys[2]],
    ],
  );
});

test('hostile bytes that pass the type check are refused by the gate with a reason, not a crash', async () => {
  const good = (await testActaImage({ actaKey: keys[4]! })).png;
  const polyglot = Buffer.concat([good, Buffer.from('<html><script>alert(1)</script></html>')]);
  const pkg = packageFor(scanner, polyglot, { sequence: 4, claimedKey: keys[4]! });
  const response = await postPackageRaw(base, { text: pkg.text, signature: pkg.signature, image: polyglot });
  assert.equal(response.status, 422, response.body);
  assert.match(JSON.parse(response.body).message, /bytes después de la imagen/);
});

test('the reader, in shadow, reads every accepted acta off the request path and keeps the reading apart', async () => {
  assert.ok(server.reader !== null, 'serve reads in shadow by default');
  await server.reader.idle();
  const readings = await node.readings.readings(server.reader.modelSha256);
  const record = await node.records.getActa(keys[0]!);
  assert.ok(record?.submission !== null && record !== null);
  const reading = readings.find((r) => r.recordId === keys[0]);
  assert.ok(reading !== undefined, 'the good acta was read');
  assert.equal(reading.imageSha256, record.submission!.imageSha256);
  assert.equal(reading.modelSha256, await modelSha256());
  assert.equal(reading.failure, null);
  assert.equal(reading.boxes.length, node.pipeline.columnsOf(record).length + 5);
  // Never a capture: the acta waits for its two people as before.
  assert.equal(record.status, 'received');
  assert.deepEqual(record.captures, []);
});
