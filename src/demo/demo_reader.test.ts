import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { imageOf, readingOf } from '../test/readings.ts';
import { ActaPipeline } from '../capture/pipeline.ts';
import type { Casilla } from '../domain/catalog.ts';
import type { ActaReading } from '../domain/reader_assist.ts';
import type { ActaFields } from '../domain/values.ts';
import { openImageStore } from '../images/image_store.ts';
import { GroupCommit } from '../platform/group_commit.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import {
  actaKeyOf,
  BASICA,
  CATALOG,
  CONTEST,
  CONTIGUA,
  ELECTION,
  EXTRAORDINARIA,
  fields,
} from '../test/fixtures.ts';
import { actaContent } from '../sim/acta_images/acta_set.ts';
import { createActaPool } from '../sim/acta_images/acta_pool.ts';
import { DEMO_READER_POLICY, DemoReader, formatReaderNight } from './demo_reader.ts';

const AT = Date.parse('2024-06-03T04:00:00.000Z');
const directory = await mkdtemp(path.join(tmpdir(), 'openprep-demo-reader-'));
after(() => rm(directory, { recursive: true, force: true }));

const image = imageOf;

const reading = (casilla: Casilla, f: ActaFields): ActaReading =>
  readingOf(casilla, f, { modelHash: 'ab'.repeat(32) });

test('the demo counts the captures assist saved and the differences it sent to a verificador', async () => {
  const opened = openSqliteStore(':memory:');
  assert.ok(opened.ok);
  const store = opened.value;
  const setup = await ActaPipeline.setup({
    records: store,
    commits: new GroupCommit(store),
    election: { ...ELECTION, reader: { ...DEMO_READER_POLICY, window: 1, minScored: 1 } },
    catalog: CATALOG,
    clock: () => AT,
  });
  assert.ok(setup.ok);
  const pipeline = setup.value;
  const images = await openImageStore(path.join(directory, 'images'), { store: 'folder' });
  await images.init();
  const reader = DemoReader.create({ pipeline, records: store, blobs: images.blobs });
  assert.ok(typeof reader !== 'string', String(reader));
  for (const casilla of [BASICA, CONTIGUA, EXTRAORDINARIA]) {
    const registered = await pipeline.registerSubmission({
      contest: CONTEST.id,
      claimedKey: actaKeyOf(casilla),
      imageSha256: image(casilla),
      origin: 'CASILLA',
      digitization: 'MOVIL',
      documentType: 'ACTA_PREP',
      transfer: null,
      acopioAt: AT,
      source: 'phone-1',
    });
    assert.ok(registered.ok);
  }
  const typed = (casilla: Casilla, operatorId: string, f: ActaFields) => async () => {
    const r = await pipeline.recordCapture({ recordId: actaKeyOf(casilla), operatorId, fields: f });
    return r.ok ? null : r.message;
  };

  // Two people verify BASICA; the reader read it right: scored, assist earned.
  const basica = fields(BASICA, [100, 150, 5, 1, 4]);
  const event = (casilla: Casilla, truth: ActaFields) => ({ recordId: actaKeyOf(casilla), truth });
  assert.equal(await reader.capture(event(BASICA, basica), typed(BASICA, 'capturista-01', basica)), null);
  assert.equal(await reader.capture(event(BASICA, basica), typed(BASICA, 'capturista-02', basica)), null);
  assert.ok((await pipeline.readerAssist.scoreVerified(reading(BASICA, basica))).ok);
  assert.equal((await pipeline.readerAssist.status()).active, true);

  // CONTIGUA: the reader read one box wrong; the person's capture differs; a verificador decides.
  const contigua = fields(CONTIGUA, [10, 20, 3, 4, 5]);
  const misread = fields(CONTIGUA, [10, 29, 3, 4, 5]);
  assert.ok((await pipeline.readerAssist.offerReading(reading(CONTIGUA, misread))).ok);
  assert.equal(
    await reader.capture(event(CONTIGUA, contigua), typed(CONTIGUA, 'capturista-01', contigua)),
    null,
  );
  const record = await store.getActa(actaKeyOf(CONTIGUA));
  assert.equal(record?.status, 'verified');
  assert.equal(record?.published?.resolvedBy, 'verificador-lector');
  assert.deepEqual(record?.published?.fields, contigua);
  // The second planned capture is saved.
  assert.equal(
    await reader.capture(event(CONTIGUA, contigua), typed(CONTIGUA, 'capturista-02', contigua)),
    null,
  );

  // EXTRAORDINARIA: read right, the person agrees, verified without a verificador; one more saved.
  const extra = fields(EXTRAORDINARIA, [7, 8, 9, 10]);
  assert.ok((await pipeline.readerAssist.offerReading(reading(EXTRAORDINARIA, extra))).ok);
  assert.equal(
    await reader.capture(event(EXTRAORDINARIA, extra), typed(EXTRAORDINARIA, 'capturista-03', extra)),
    null,
  );
  assert.equal(
    await reader.capture(event(EXTRAORDINARIA, extra), typed(EXTRAORDINARIA, 'capturista-04', extra)),
    null,
  );
  assert.equal((await store.getActa(actaKeyOf(EXTRAORDINARIA)))?.published?.resolvedBy, null);

  const night = await reader.night();
  assert.equal(night.saved, 2);
  assert.equal(night.toVerificador, 1);
  assert.match(formatReaderNight(night), /2 human captures saved; 1 differences sent to a verificador/);
  store.close();
});

test('the demo reads an acta from its stored image, through the form’s layout', async () => {
  const opened = openSqliteStore(':memory:');
  assert.ok(opened.ok);
  const store = opened.value;
  const setup = await ActaPipeline.setup({
    records: store,
    commits: new GroupCommit(store),
    election: { ...ELECTION, reader: DEMO_READER_POLICY },
    catalog: CATALOG,
    clock: () => AT,
  });
  assert.ok(setup.ok);
  const pipeline = setup.value;
  const images = await openImageStore(path.join(directory, 'images-read'), { store: 'folder' });
  await images.init();
  const reader = DemoReader.create({ pipeline, records: store, blobs: images.blobs });
  assert.ok(typeof reader !== 'string', String(reader));
  const truth = fields(BASICA, [120, 95, 7, 3, 4]);
  const sheet = actaContent(CATALOG, CONTEST, { actaKey: actaKeyOf(BASICA), casilla: BASICA }, truth);
  const rendered = await createActaPool(path.join(directory, 'forms')).render(sheet, 1, 'scanner');
  const sha256 = createHash('sha256').update(rendered.bytes).digest('hex');
  assert.ok((await images.blobs.put({ sha256, kind: 'png' }, { data: rendered.bytes })).ok);
  const registered = await pipeline.registerSubmission({
    contest: CONTEST.id,
    claimedKey: actaKeyOf(BASICA),
    imageSha256: sha256,
    origin: 'CATD',
    digitization: 'ESCANER',
    documentType: 'ACTA_PREP',
    transfer: null,
    acopioAt: AT,
    source: 'catd-1-1',
  });
  assert.ok(registered.ok);
  await reader.arrived(actaKeyOf(BASICA), sha256, sheet);
  const night = await reader.night();
  assert.equal(night.read, 1);
  // Read (offerable or not), never failed; assist has not earned its place yet.
  assert.equal(night.readings['reading-failed'], undefined);
  assert.deepEqual(night.refused, { 'assist-off': 1 });
  store.close();
});
