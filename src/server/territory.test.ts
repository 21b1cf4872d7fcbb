/**
 * A device sends only the actas of its own CATD or CAE (docs/territory.md): over real HTTP on
 * loopback and through a USB bundle, a package for an acta outside the territory of the unit
 * its device is bound to is refused 403 out-of-scope before its image is stored or anything is
 * registered, journaled, and so never blocks the genuine package.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeBundle } from '../intake/bundle.ts';
import { enrollDevice } from '../intake/devices.ts';
import { type CenterNode, initCenter } from '../center/node.ts';
import { declareTerritory } from '../intake/territory.ts';
import { territoryOf } from '../catalog/territory_csv.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { distritoKey } from '../domain/catalog.ts';
import { imagePath } from '../images/blob_store.ts';
import { importBundle } from '../intake/bundle_import.ts';
import { type DecodedEntry, decodeEntry } from '../journal/entries.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { runCli } from '../test/center_process.ts';
import { newAgent, outboxOf, runUntilDelivered, scan } from '../test/field.ts';
import { enrolledDevice, packageFor, postPackage, type TestDevice, uniquePng } from '../test/packages.ts';
import { buildServer, type ServerHandle } from './app.ts';
import { serveConfigSchema } from './config.ts';

const catalog = generateCatalog({ scale: 'tiny', seed: 3 });
const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => (now += 1000);
const esperadas = [...actasEsperadas(catalog, election.contests[0]!)];
const inDistrito = (d: number) => esperadas.filter((e) => e.casilla.distrito === d);
const d1 = catalog.distritos[0]!;
const d2 = catalog.distritos[1]!;

let work: string;
let node: CenterNode;
let server: ServerHandle;
let base: string;
let catd1: TestDevice;
let catd2: TestDevice;
let catd3: TestDevice;
let nowhere: TestDevice;
let phone: TestDevice;
let seed = 1;

before(async () => {
  assert.ok(inDistrito(d1.id).length > 6 && inDistrito(d2.id).length > 6);
  work = await mkdtemp(path.join(tmpdir(), 'openprep-territory-'));
  const created = await initCenter({ root: work, election, catalog, clock });
  assert.ok(created.ok);
  node = created.value;
  const config = serveConfigSchema.parse({ logLevel: 'silent', intake: { qualityGate: 'off' } });
  server = await buildServer({ node, config, clock });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  const store = node.devices;
  catd1 = await enrolledDevice(store, { id: 'CATD-01-S1', boundTo: 'CATD-01', at: clock() });
  catd2 = await enrolledDevice(store, { id: 'CATD-02-S1', boundTo: 'CATD-02', at: clock() });
  catd3 = await enrolledDevice(store, { id: 'CATD-03-S1', boundTo: 'CATD-03', at: clock() });
  nowhere = await enrolledDevice(store, { id: 'CATD-99-S1', boundTo: 'CATD-99', at: clock() });
  phone = await enrolledDevice(store, { id: 'CAE-7-P1', boundTo: 'CAE-7', at: clock(), origin: 'CASILLA' });
  // CATD-01 and CATD-02 serve a distrito each; CATD-03 helps CATD-02 with one of its casillas;
  // CAE-7's ARE is two casillas of distrito 1; CATD-99 has nothing declared.
  const are = inDistrito(d1.id).slice(0, 2);
  await declareTerritory(
    store,
    territoryOf([
      { unit: 'CATD-01', unitKind: 'CATD', areaKind: 'distrito', area: distritoKey(d1.entidad, d1.id) },
      { unit: 'CATD-02', unitKind: 'CATD', areaKind: 'distrito', area: distritoKey(d2.entidad, d2.id) },
      { unit: 'CATD-03', unitKind: 'CATD', areaKind: 'casilla', area: inDistrito(d2.id)[4]!.casilla.key },
      ...are.map((e) => ({
        unit: 'CAE-7',
        unitKind: 'CAE' as const,
        areaKind: 'casilla' as const,
        area: e.casilla.key,
      })),
    ]),
    clock(),
  );
});

after(async () => {
  await server.app.close();
  await node.close();
  await rm(work, { recursive: true, force: true });
});

async function send(device: TestDevice, sequence: number, claimedKey: string, origin?: 'CASILLA') {
  const image = uniquePng(2_000, seed++);
  const pkg = packageFor(device, image, { sequence, claimedKey, ...(origin ? { origin } : {}) });
  const response = await postPackage(base, { text: pkg.text, signature: pkg.signature, image });
  return { ...response, imageSha256: pkg.header.imageSha256 };
}

async function journal(): Promise<DecodedEntry[]> {
  const head = await node.journal.journalHead();
  return (await node.journal.journalEntries(0, head.size)).map((bytes) => {
    const decoded = decodeEntry(bytes);
    assert.ok(decoded.ok);
    return decoded.value;
  });
}

describe('territory at intake', () => {
  test("a CATD-01 scanner's package for CATD-02's distrito: 403 out-of-scope, journaled, nothing kept; the genuine one then 201", async () => {
    const acta = inDistrito(d2.id)[0]!.actaKey;
    const hostile = await send(catd1, 0, acta);
    assert.equal(hostile.status, 403, hostile.body);
    const body = JSON.parse(hostile.body) as { error: string; message: string };
    assert.equal(body.error, 'out-of-scope');
    assert.match(body.message, /outside the territory of CATD-01/);
    const refusal = (await journal()).filter((e) => e.type === 'PACKAGE_REJECTED').at(-1);
    assert.equal(refusal?.['reason'], 'out-of-scope');
    assert.equal(refusal?.['deviceId'], catd1.id);
    assert.equal(refusal?.['boundTo'], 'CATD-01');
    assert.equal(refusal?.['claimedKey'], acta);
    assert.equal(await node.records.getActa(acta), null, 'nothing registered for the acta');
    assert.deepEqual(await node.records.images(acta), []);
    await assert.rejects(stat(imagePath(path.join(work, 'images'), hostile.imageSha256, 'png')), {
      code: 'ENOENT',
    });

    const genuine = await send(catd2, 0, acta);
    assert.equal(genuine.status, 201, genuine.body);
    assert.equal((await node.records.getActa(acta))?.submission?.imageSha256, genuine.imageSha256);
  });

  test('a distrito split at casilla level: the helping CATD sends its casilla only', async () => {
    assert.equal((await send(catd3, 0, inDistrito(d2.id)[4]!.actaKey)).status, 201);
    assert.equal((await send(catd3, 1, inDistrito(d2.id)[5]!.actaKey)).status, 403);
    assert.equal((await send(catd2, 1, inDistrito(d2.id)[5]!.actaKey)).status, 201, 'its own CATD still can');
  });

  test("a CAE's phone: the casillas of its ARE only, never fuera de catálogo; a CATD scanner may send fuera de catálogo", async () => {
    const ownCasillas = new Set(
      inDistrito(d1.id)
        .slice(0, 2)
        .map((e) => e.casilla.key as string),
    );
    const own = inDistrito(d1.id).find((e) => ownCasillas.has(e.casilla.key))!;
    const other = inDistrito(d1.id).find((e) => !ownCasillas.has(e.casilla.key))!;
    const outside = await send(phone, 0, other.actaKey, 'CASILLA');
    assert.equal(outside.status, 403, outside.body);
    assert.match(JSON.parse(outside.body).message, /outside the territory of CAE-7/);
    assert.equal((await send(phone, 1, own.actaKey, 'CASILLA')).status, 201);
    const fueraDeCatalogo = `${String(d1.entidad).padStart(2, '0')}9999B0100${own.tipoActa}`;
    const fc = await send(phone, 2, fueraDeCatalogo, 'CASILLA');
    assert.equal(fc.status, 403, fc.body);
    assert.match(JSON.parse(fc.body).message, /no casilla of the catalog/);
    assert.equal((await send(catd1, 1, fueraDeCatalogo)).status, 201, 'published as fuera de catálogo');
  });

  test('a device whose CATD has no declared territory is refused, telling the operator to declare it', async () => {
    const response = await send(nowhere, 0, inDistrito(d1.id)[3]!.actaKey);
    assert.equal(response.status, 403);
    assert.match(JSON.parse(response.body).message, /CATD-99.*no declared territory.*territory import/);
  });

  test('a CATD agent gives up an out-of-scope acta as refused (listed with the reason) and delivers its own', async () => {
    const agent = await newAgent(work, 'CATD-01-AGENT', [{ name: 'primary', url: base }], node.verifierKey);
    assert.ok(
      (
        await enrollDevice(node.devices, {
          id: agent.id,
          publicKey: agent.publicKey,
          origin: 'CATD',
          boundTo: 'CATD-01',
          label: '',
          at: clock(),
        })
      ).ok,
    );
    const contest = election.contests[0]!.id;
    const own = inDistrito(d1.id)[8]!.actaKey;
    const other = inDistrito(d2.id)[8]!.actaKey;
    await scan(agent.watch, [
      { contest, key: own, seed: 501 },
      { contest, key: other, seed: 502 },
    ]);
    const run = await runUntilDelivered([agent.root], 2, 30_000);
    assert.equal(run.done, 2);
    const outbox = await outboxOf(agent.root);
    const refused = outbox.items.filter((item) => item.state === 'refused');
    assert.equal(refused.length, 1);
    assert.match(refused[0]!.source, new RegExp(other));
    assert.match(
      refused[0]!.lastError ?? '',
      /^403 out-of-scope: acta .* is outside the territory of CATD-01/,
    );
    assert.equal(outbox.items.filter((item) => item.state === 'delivered').length, 1);
    // What CATD staff see.
    const status = await runCli(['agent', 'status', '--data', agent.root]);
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as {
      refused: number;
      refusedItems: { file: string; reason: string }[];
    };
    assert.equal(shown.refused, 1);
    assert.match(shown.refusedItems[0]?.reason ?? '', /^403 out-of-scope: .*CATD-01/);
  });

  test('a USB bundle: each package checked as over HTTP, the out-of-scope one refused without blocking', async () => {
    const mine = inDistrito(d1.id)[6]!.actaKey;
    const theirs = inDistrito(d2.id)[6]!.actaKey;
    const packages = [mine, theirs].map((claimedKey, i) => {
      const image = uniquePng(2_000, 900 + i);
      const pkg = packageFor(catd1, image, { sequence: 10 + i, claimedKey });
      return {
        text: pkg.text,
        signature: pkg.signature,
        contentType: 'image/png' as const,
        imageSha256: pkg.header.imageSha256,
        image,
      };
    });
    const zip = await writeBundle({
      deviceId: catd1.id,
      createdAt: '2024-06-02T22:00:00-06:00',
      privateKey: catd1.privateKey,
      packages,
    });
    const imported = await importBundle({ zip, intake: server.intake });
    assert.ok(imported.ok, imported.ok ? '' : imported.message);
    assert.deepEqual(
      imported.value.packages.map((p) => [p.sequence, p.outcome, p.reason ?? null]),
      [
        [10, 'accepted', null],
        [11, 'refused', 'out-of-scope'],
      ],
    );
    assert.equal(await node.records.getActa(theirs), null);
    assert.equal((await send(catd2, 2, theirs)).status, 201);
  });
});
