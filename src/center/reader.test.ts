/**
 * The reader's figures as the center computes them (console panel, json/reader.json): readings
 * in a real SQLite store, scored against acta records the real pipeline verified — by two
 * agreeing captures, and by a verificador (counted apart) — and an acta not verified yet, read but
 * not scored. Readings never change the acta records.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ActaPipeline } from '../capture/pipeline.ts';
import { actaBoxKeys } from '../domain/acta_form.ts';
import { capturedValue, type Reading } from '../domain/reader_score.ts';
import type { ActaFields } from '../domain/values.ts';
import { GroupCommit } from '../platform/group_commit.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import type { Store } from '../store/store.ts';
import { actaKeyOf, BASICA, CATALOG, CONTIGUA, ELECTION, ESPECIAL, fields } from '../test/fixtures.ts';
import { currentReaderReport, modelSha256 } from './reader.ts';

const AT = Date.parse('2024-06-03T04:00:00.000Z');
let directory: string;
let store: Store;
before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'openprep-reader-figures-'));
  const opened = openSqliteStore(path.join(directory, 'store.sqlite'));
  assert.ok(opened.ok);
  store = opened.value;
});
after(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

test('readings scored against verified actas: agreement and resolution apart, the unverified read but not scored', async () => {
  const setup = await ActaPipeline.setup({
    records: store,
    commits: new GroupCommit(store),
    election: ELECTION,
    catalog: CATALOG,
    clock: () => AT,
  });
  assert.ok(setup.ok);
  const pipeline = setup.value;
  const model = await modelSha256();
  const register = async (key: string, image: string) => {
    const registered = await pipeline.registerSubmission({
      contest: 'DIP_FED',
      claimedKey: key,
      imageSha256: image.repeat(64),
      origin: 'CASILLA',
      digitization: 'MOVIL',
      documentType: 'ACTA_PREP',
      transfer: null,
      acopioAt: AT,
      source: 'phone-1',
    });
    assert.ok(registered.ok);
  };
  const readingOf = async (
    key: string,
    image: string,
    values: ActaFields,
    misread?: string,
  ): Promise<Reading> => {
    const record = await store.getActa(key);
    assert.ok(record !== null);
    return {
      recordId: key,
      imageSha256: image.repeat(64),
      modelSha256: model,
      boxes: actaBoxKeys(pipeline.columnsOf(record).map((c) => c.id)).map((box) => ({
        key: box,
        value: box === misread ? 7 : capturedValue(values, box)!,
        confidence: box === misread ? 0.5 : 0.999,
      })),
      failure: null,
      readAt: AT,
    };
  };
  const agreed = actaKeyOf(BASICA);
  const resolved = actaKeyOf(CONTIGUA);
  const waiting = actaKeyOf(ESPECIAL);
  await register(agreed, 'a');
  await register(resolved, 'b');
  await register(waiting, 'c');
  const f1 = fields(BASICA, [100, 150, 5, 1, 4]);
  const f2 = fields(CONTIGUA, [90, 140, 5, 1, 4]);
  // Two captures of each of the first two actas: equal for the first, different for the second.
  const typed = (operatorId: string) => (key: string) =>
    key === agreed
      ? f1
      : key === resolved
        ? operatorId === 'beto'
          ? fields(CONTIGUA, [91, 140, 5, 1, 4])
          : f2
        : f1;
  for (const operatorId of ['ana', 'beto']) {
    for (let i = 0; i < 2; i++) {
      const task = await pipeline.nextToCapture({ operatorId });
      assert.ok(task !== null);
      if (task.recordId === waiting) continue;
      assert.ok(
        (
          await pipeline.recordCapture({
            recordId: task.recordId,
            operatorId,
            fields: typed(operatorId)(task.recordId),
          })
        ).ok,
      );
    }
  }
  assert.equal((await store.getActa(agreed))?.status, 'verified');
  assert.equal((await pipeline.nextToVerify({ operatorId: 'vera' }))?.recordId, resolved);
  assert.ok((await pipeline.resolveMismatch({ recordId: resolved, verifierId: 'vera', fields: f2 })).ok);
  const before = await store.snapshot();

  await store.putReading(await readingOf(agreed, 'a', f1));
  await store.putReading(await readingOf(resolved, 'b', f2, 'vote:PAN'));
  await store.putReading(await readingOf(waiting, 'c', f1));
  const report = await currentReaderReport({ readings: store, records: store });
  const f = report.figures;
  assert.equal(report.modelSha256, model);
  assert.equal(f.actasRead, 3);
  const boxes = (key: string) =>
    pipeline.columnsOf(before.records.find((r) => r.recordId === key)!).length + 5;
  assert.deepEqual(f.agreement, {
    actas: 1,
    actasExact: 1,
    boxes: boxes(agreed),
    boxesRight: boxes(agreed),
    confidentBoxes: boxes(agreed),
    confidentRight: boxes(agreed),
  });
  assert.deepEqual(f.resolved, {
    actas: 1,
    actasExact: 0,
    boxes: boxes(resolved),
    boxesRight: boxes(resolved) - 1,
    confidentBoxes: boxes(resolved) - 1,
    confidentRight: boxes(resolved) - 1,
  });
  assert.equal(f.disagreementsTotal, 1);
  assert.deepEqual(
    f.disagreements.map((d) => [d.recordId, d.box, d.read, d.verified, d.by, d.imageSha256]),
    [[resolved, 'vote:PAN', 7, 90, 'verificador', 'b'.repeat(64)]],
  );
  // The calibration curve counts the agreed acta's boxes only, all in the top bin.
  assert.equal(
    f.calibration.reduce((n, bin) => n + bin.boxes, 0),
    boxes(agreed),
  );
  // The readings changed no acta record.
  assert.deepEqual((await store.snapshot()).records, before.records);
});
