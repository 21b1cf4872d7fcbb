/**
 * After the final cut the PREP is closed, on every node: a new package is 409 after-close and
 * stores nothing, a retry of one accepted before still gets its receipt, captures and bundle
 * imports are refused too. The closure is read from the store, so a node that did not publish
 * the cut (another process on the same PostgreSQL) refuses as well.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { writeBundle } from '../intake/bundle.ts';
import { type CenterNode, initCenter, openCenter } from '../center/node.ts';
import { publishCut } from '../publish/publisher.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { imagePath } from '../images/blob_store.ts';
import { importBundle } from '../intake/bundle_import.ts';
import { IntakeService } from '../intake/intake_service.ts';
import { ImageStore } from '../images/image_store.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { dropSchemas, postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';
import { enrolledDevice, makePng, packageFor, postPackage, type TestDevice } from '../test/packages.ts';
import { buildServer, type ServerHandle } from './app.ts';
import { serveConfigSchema } from './config.ts';

const catalog = generateCatalog({ scale: 'tiny', seed: 3 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
const keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey);
// Well inside the publication window: the close comes from the final cut, not the clock.
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => (now += 1000);

async function serve(node: CenterNode): Promise<{ server: ServerHandle; base: string }> {
  const config = serveConfigSchema.parse({
    logLevel: 'silent',
    intake: { maxImageBytes: 64 * 1024, maxPixels: 4_000_000, maxInFlight: 16, qualityGate: 'off' },
  });
  const server = await buildServer({ node, config, clock });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  return { server, base: `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}` };
}

async function send(base: string, device: TestDevice, sequence: number, key: string, seed: number) {
  const image = makePng(40, 30, { seed });
  const pkg = packageFor(device, image, { sequence, claimedKey: key });
  return { image, pkg, response: await postPackage(base, { ...pkg, image }) };
}

test('after the final cut: a new package is 409 after-close and stores nothing; retries, captures and bundles behave', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-after-close-'));
  const created = await initCenter({ root: work, election, catalog, clock });
  assert.ok(created.ok);
  const node = created.value;
  const { server, base } = await serve(node);
  try {
    const device = await enrolledDevice(node.devices, {
      id: 'CATD-01-001-S1',
      boundTo: 'CATD-01-001',
      serves: catalog,
      at: clock(),
    });
    const first = await send(base, device, 0, keys[0]!, 1);
    assert.equal(first.response.status, 201, first.response.body);

    const task = await node.pipeline.nextToCapture({ operatorId: 'op-1' });
    assert.ok(task !== null);
    const cut = await publishCut(node, { cutTime: clock(), final: true });
    assert.ok(cut.ok, cut.ok ? '' : cut.message);
    assert.equal(cut.value.final, true);
    const head = await node.journal.journalHead();
    const packages = await node.devices.packageCount();

    const late = await send(base, device, 1, keys[1]!, 2);
    assert.equal(late.response.status, 409, late.response.body);
    assert.equal(JSON.parse(late.response.body).error, 'after-close');
    assert.equal(await node.devices.packageCount(), packages);
    assert.equal(await node.records.getActa(`PRES:${keys[1]}`), null);
    // Not even its image: refused before it is committed to the image store.
    await assert.rejects(readFile(imagePath(path.join(work, 'images'), late.pkg.header.imageSha256, 'png')));

    // A device that never got its answer for a package accepted before the close gets it now.
    const retry = await postPackage(base, { ...first.pkg, image: first.image });
    assert.equal(retry.status, 200);
    assert.equal(retry.body, first.response.body);

    // Capture would change a result the final cut published (the acta was handed out before).
    const capture = await node.pipeline.recordCapture({
      recordId: task.recordId,
      operatorId: 'op-1',
      fields: {
        boletasSobrantes: 10,
        personasVotaron: 0,
        representantesVotaron: 0,
        votosSacados: 0,
        votes: Object.fromEntries(task.columns.map((c) => [c.id, 0])),
        totalAsentado: 0,
      },
    });
    assert.ok(!capture.ok && capture.code === 'after-close', JSON.stringify(capture));
    const sinActa = await node.pipeline.declareSinActa({
      contest: election.contests[0]!.id,
      actaKey: keys[5]!,
      reason: 'PAQUETE_NO_ENTREGADO',
      operatorId: 'op-1',
    });
    assert.ok(!sinActa.ok && sinActa.code === 'after-close', JSON.stringify(sinActa));

    // A USB bundle brought in after the close is refused whole, nothing stored.
    const images = new ImageStore(path.join(work, 'images'));
    const intake = new IntakeService({
      pipeline: node.pipeline,
      devices: node.devices,
      commits: node.commits,
      signer: node.receipts,
      images,
      limits: { maxBytes: 64 * 1024, maxPixels: 4_000_000 },
      clock,
    });
    const image = makePng(40, 30, { seed: 3 });
    const pkg = packageFor(device, image, { sequence: 2, claimedKey: keys[2]! });
    const zip = await writeBundle({
      deviceId: device.id,
      createdAt: '2024-06-02T23:00:00-06:00',
      privateKey: device.privateKey,
      packages: [{ ...pkg, contentType: 'image/png', imageSha256: pkg.header.imageSha256, image }],
    });
    const imported = await importBundle({ zip, intake });
    assert.ok(!imported.ok && imported.code === 'after-close', JSON.stringify(imported));
    assert.equal(await node.devices.packageCount(), packages);

    // Nothing but the refusals' own journal lines (if any) was written, and no new cut.
    const entries = await node.journal.journalEntries(head.size, (await node.journal.journalHead()).size);
    for (const entry of entries)
      assert.doesNotMatch(
        entry.toString(),
        /PACKAGE_RECEIVED|SUBMISSION_REGISTERED|CAPTURE_RECORDED|SIN_ACTA/,
      );
    const again = await publishCut(node, { cutTime: clock() });
    assert.ok(!again.ok && again.code === 'closed');
  } finally {
    await server.app.close();
    await node.close();
    await rm(work, { recursive: true, force: true });
  }
});

const unreachable = await postgresUnavailable();

test('on PostgreSQL, a node that did not publish the final cut refuses after-close too', {
  skip: unreachable ?? false,
}, async () => {
  const schema = `openprep_after_close_${process.pid}`;
  const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, OPENPREP_DATABASE_SCHEMA: schema };
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-after-close-pg-'));
  const saved = { url: process.env['DATABASE_URL'], schema: process.env['OPENPREP_DATABASE_SCHEMA'] };
  // initCenter reads the database from the process's environment.
  process.env['DATABASE_URL'] = TEST_DATABASE_URL;
  process.env['OPENPREP_DATABASE_SCHEMA'] = schema;
  let a: CenterNode | null = null;
  let b: CenterNode | null = null;
  let served: { server: ServerHandle; base: string } | null = null;
  try {
    const created = await initCenter({ root: work, election, catalog, clock });
    assert.ok(created.ok, created.ok ? '' : created.message);
    a = created.value;
    const opened = await openCenter({ root: work, clock, env });
    assert.ok(opened.ok);
    b = opened.value;
    served = await serve(b);
    const device = await enrolledDevice(a.devices, {
      id: 'CATD-01-001-S1',
      boundTo: 'CATD-01-001',
      serves: catalog,
      at: clock(),
    });
    assert.equal((await send(served.base, device, 0, keys[0]!, 1)).response.status, 201);
    // B has accepted (and so read the store) before A closes: nothing it keeps in memory may say "open".
    const cut = await publishCut(a, { cutTime: clock(), final: true });
    assert.ok(cut.ok, cut.ok ? '' : cut.message);
    const late = await send(served.base, device, 1, keys[1]!, 2);
    assert.equal(late.response.status, 409, late.response.body);
    assert.equal(JSON.parse(late.response.body).error, 'after-close');
    assert.equal(await b.devices.packageCount(), 1);
  } finally {
    await served?.server.app.close();
    await b?.close();
    await a?.close();
    if (saved.url === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = saved.url;
    if (saved.schema === undefined) delete process.env['OPENPREP_DATABASE_SCHEMA'];
    else process.env['OPENPREP_DATABASE_SCHEMA'] = saved.schema;
    await dropSchemas([schema]);
    await rm(work, { recursive: true, force: true });
  }
});
