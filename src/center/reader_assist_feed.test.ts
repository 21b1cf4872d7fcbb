/**
 * The center hands each stored reading to assist (src/center/reader.ts, AssistFeed): in an
 * election in assist mode, over a real SQLite store and the real pipeline, a reading is refused
 * until assist is earned, is scored once its acta is verified (which earns assist), and then a
 * confident reading of the next acta becomes one of its two captures; in shadow, nothing of it
 * reaches the acta records.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ActaPipeline } from '../capture/pipeline.ts';
import { actaBoxKeys } from '../domain/acta_form.ts';
import { applicableColumns } from '../domain/actas_esperadas.ts';
import type { Casilla } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { capturedValue, type Reading } from '../domain/reader_score.ts';
import type { ActaFields } from '../domain/values.ts';
import { GroupCommit } from '../platform/group_commit.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import { actaKeyOf, BASICA, CATALOG, CONTEST, CONTIGUA, ELECTION, fields } from '../test/fixtures.ts';
import { AssistFeed, assistReading } from './reader.ts';

const AT = Date.parse('2024-06-03T04:00:00.000Z');
const MODEL = 'ab'.repeat(32);
const ASSIST: ElectionDefinition = {
  ...ELECTION,
  reader: { mode: 'assist', agreementThreshold: 0.98, window: 1, minScored: 1 },
};
const image = (casilla: Casilla) => createHash('sha256').update(casilla.key).digest('hex');

function reading(casilla: Casilla, f: ActaFields, confidence = 1): Reading {
  const keys = actaBoxKeys(applicableColumns(CONTEST, casilla).map((c) => c.id));
  return {
    recordId: actaKeyOf(casilla),
    imageSha256: image(casilla),
    modelSha256: MODEL,
    boxes: keys.map((key) => ({ key, value: capturedValue(f, key)!, confidence })),
    failure: null,
    readAt: AT,
  };
}

async function night(election: ElectionDefinition) {
  const opened = openSqliteStore(':memory:');
  assert.ok(opened.ok);
  let now = AT;
  const setup = await ActaPipeline.setup({
    records: opened.value,
    commits: new GroupCommit(opened.value),
    election,
    catalog: CATALOG,
    clock: () => now++,
  });
  assert.ok(setup.ok);
  const pipeline = setup.value;
  const errors: unknown[] = [];
  const feed = new AssistFeed(pipeline, opened.value, (e) => errors.push(e));
  const register = async (casilla: Casilla) => {
    const registered = await pipeline.registerSubmission({
      contest: CONTEST.id,
      claimedKey: actaKeyOf(casilla),
      imageSha256: image(casilla),
      origin: 'CASILLA',
      digitization: 'MOVIL',
      documentType: 'ACTA_PREP',
      transfer: null,
      acopioAt: now,
      source: 'phone-1',
    });
    assert.ok(registered.ok, registered.ok ? '' : registered.message);
  };
  return { pipeline, feed, register, errors, store: opened.value };
}

test('a reading in the form’s box keys is what assist takes, box by box', () => {
  const f = fields(BASICA, [100, 150, 5, 1, 4]);
  const converted = assistReading(reading(BASICA, f, 0.999));
  assert.equal(converted.modelHash, MODEL);
  assert.equal(converted.failure, null);
  const keys = actaBoxKeys(applicableColumns(CONTEST, BASICA).map((c) => c.id));
  assert.deepEqual(Object.keys(converted.boxes), keys);
  for (const key of keys)
    assert.deepEqual(converted.boxes[key], { value: capturedValue(f, key), confidence: 0.999 });
});

test('assist mode: refused until earned, scored once verified, then one of two captures', async () => {
  const { pipeline, feed, register, errors, store } = await night(ASSIST);
  await register(BASICA);
  const f = fields(BASICA, [100, 150, 5, 1, 4]);
  await feed.handToAssist(reading(BASICA, f));
  // Not earned yet: two people type the first acta.
  assert.equal((await store.getActa(actaKeyOf(BASICA)))?.captures.length ?? 0, 0);
  await feed.scoreVerified(); // not verified yet: nothing scored
  assert.equal((await pipeline.readerAssist.status()).scored, 0);
  for (const operatorId of ['ana', 'beto'])
    assert.ok((await pipeline.recordCapture({ recordId: actaKeyOf(BASICA), operatorId, fields: f })).ok);
  await feed.scoreVerified();
  const status = await pipeline.readerAssist.status();
  assert.equal(status.scored, 1);
  assert.equal(status.active, true);
  await feed.scoreVerified(); // scored once, not twice
  assert.equal((await pipeline.readerAssist.status()).scored, 1);

  await register(CONTIGUA);
  await feed.handToAssist(reading(CONTIGUA, fields(CONTIGUA, [10, 20, 3, 4, 5])));
  const record = await store.getActa(actaKeyOf(CONTIGUA));
  assert.equal(record?.status, 'captured_once');
  assert.match(record?.captures[0]?.operatorId ?? '', /^lector:abababababab$/);
  assert.deepEqual(errors, []);
});

test('shadow mode: readings are handed nowhere', async () => {
  const { pipeline, feed, register, errors, store } = await night(ELECTION);
  await register(CONTIGUA);
  await feed.handToAssist(reading(CONTIGUA, fields(CONTIGUA, [10, 20, 3, 4, 5])));
  const record = await store.getActa(actaKeyOf(CONTIGUA));
  assert.equal(record?.status, 'received');
  await feed.scoreVerified();
  assert.equal((await pipeline.readerAssist.status()).scored, 0);
  assert.deepEqual(errors, []);
});
