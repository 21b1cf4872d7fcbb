/**
 * The demo's simulated capturistas beside people at the console (people.ts), on a real
 * pipeline over a SQLite file: they leave a share of the actas to a person who is about, never
 * take a place a person holds, and do what was left once the person is gone or too long has
 * passed — the wall clock deciding, whatever the night's clock does — resolving a mismatch a
 * person's capture made with the acta's true values.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ActaPipeline } from '../capture/pipeline.ts';
import { GroupCommit } from '../platform/group_commit.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import type { Store } from '../store/store.ts';
import { actaKeyOf, BASICA, CATALOG, CONTIGUA, ELECTION, fields } from '../test/fixtures.ts';
import { LEFT_MS, PeopleAtTheConsole, PRESENT_MS } from './people.ts';

const NIGHT = Date.parse('2024-06-03T04:00:00.000Z');
let directory: string;
before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'openprep-people-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

let counter = 0;
const TRUTH = fields(BASICA, [100, 150, 5, 1, 4]);
const TYPO = fields(BASICA, [101, 150, 5, 1, 4]);
const KEY = actaKeyOf(BASICA);

/** A pipeline with one acta received, and the people beside it; `wall` is the wall clock. */
async function night(every: number) {
  const clock = { night: NIGHT, wall: Date.parse('2026-12-04T12:00:00.000Z') };
  const opened = openSqliteStore(path.join(directory, `n${counter++}.sqlite`));
  assert.ok(opened.ok);
  const store: Store = opened.value;
  const setup = await ActaPipeline.setup({
    records: store,
    commits: new GroupCommit(store),
    election: ELECTION,
    catalog: CATALOG,
    clock: () => clock.night,
    claimClock: () => clock.wall,
  });
  assert.ok(setup.ok);
  const pipeline = setup.value;
  for (const [key, image] of [
    [KEY, 'a'],
    [actaKeyOf(CONTIGUA), 'b'],
  ] as const)
    assert.ok(
      (
        await pipeline.registerSubmission({
          contest: 'DIP_FED',
          claimedKey: key,
          imageSha256: image.repeat(64),
          origin: 'CASILLA',
          digitization: 'MOVIL',
          documentType: 'ACTA_PREP',
          transfer: null,
          acopioAt: NIGHT,
          source: 'phone-1',
        })
      ).ok,
    );
  const people = new PeopleAtTheConsole({ pipeline, records: store, every, now: () => clock.wall });
  const simulated = (operatorId: string, typed = TRUTH) =>
    people.capture({ recordId: KEY, operatorId, fields: typed, truth: TRUTH });
  const person = (operatorId: string, typed = TRUTH) =>
    pipeline.recordCapture({ recordId: KEY, operatorId, fields: typed, requireClaim: true });
  const acta = async () => (await store.getActa(KEY))!;
  return { clock, store, pipeline, people, simulated, person, acta };
}

test('nobody at the console: the simulated capturistas capture as planned', async () => {
  const { people, simulated, acta, store } = await night(1);
  assert.equal(people.present, false);
  assert.equal(await simulated('capturista-01'), null);
  assert.equal(await simulated('capturista-02'), null);
  assert.equal((await acta()).status, 'verified');
  assert.equal(people.waiting, 0);
  await store.close();
});

test('a person about is left one capture of a shared acta; it waits in their queue, and their capture is the second', async () => {
  const { clock, people, pipeline, simulated, person, acta, store } = await night(1);
  people.seen();
  assert.ok(people.shared(KEY));
  assert.equal(await simulated('capturista-01'), null);
  assert.equal((await acta()).captures.length, 0, 'the first simulated capture is left to people');
  assert.equal(await simulated('capturista-02'), null);
  assert.equal((await acta()).status, 'captured_once');
  // An hour of the night later the acta still waits for the person.
  clock.night += 3_600_000;
  clock.wall += 60_000;
  await people.settle(false);
  assert.equal((await acta()).captures.length, 1);
  assert.equal((await pipeline.nextToCapture({ operatorId: 'op-ana', contest: 'DIP_FED' }))?.recordId, KEY);
  const theirs = await person('op-ana');
  assert.ok(theirs.ok);
  assert.equal(theirs.value.outcome, 'verified');
  // What was left is no longer needed: dropped, nothing more is recorded.
  clock.wall += LEFT_MS;
  await people.settle(false);
  assert.equal(people.waiting, 0);
  assert.deepEqual(
    (await acta()).captures.map((c) => c.operatorId),
    ['capturista-02', 'op-ana'],
  );
  await store.close();
});

test('the simulated capturistas take no place a person holds, whatever the night’s clock does; a person who leaves is replaced', async () => {
  const { clock, people, pipeline, simulated, person, acta, store } = await night(0);
  people.seen();
  assert.equal((await pipeline.nextToCapture({ operatorId: 'op-ana', contest: 'DIP_FED' }))?.recordId, KEY);
  assert.equal(await simulated('capturista-01'), null);
  clock.night += 5 * 3_600_000;
  assert.equal(await simulated('capturista-02'), null);
  assert.equal((await acta()).captures.length, 1, 'the second place is ana’s');
  assert.equal(people.waiting, 1);
  await people.settle(false);
  assert.equal(people.waiting, 1, 'still held: still put off');
  assert.ok((await person('op-ana')).ok);
  await people.settle(false);
  assert.equal(people.waiting, 0);
  assert.equal((await acta()).status, 'verified');

  // Another night: beto is handed an acta and walks away; once his hold ends on the wall clock,
  // the simulated capturista put off records it.
  const other = await night(0);
  other.people.seen();
  assert.equal(
    (await other.pipeline.nextToCapture({ operatorId: 'op-beto', contest: 'DIP_FED' }))?.recordId,
    KEY,
  );
  assert.equal(await other.simulated('capturista-01'), null);
  assert.equal(await other.simulated('capturista-02'), null);
  other.clock.wall += 11 * 60_000;
  await other.people.settle(false);
  assert.equal((await other.acta()).status, 'verified');
  await other.store.close();
  await store.close();
});

test('what was left waits LEFT_MS (or until nobody is about); a mismatch a person made is resolved with the true values', async () => {
  const { clock, people, simulated, person, pipeline, acta, store } = await night(1);
  people.seen();
  assert.equal(await simulated('capturista-01'), null);
  assert.equal(await simulated('capturista-02'), null);
  clock.wall += LEFT_MS - 1_000;
  people.seen();
  await people.settle(false);
  assert.equal((await acta()).captures.length, 1, 'the person is about and it has not waited long');
  // Ana takes it and mistypes a box: a mismatch no simulated verifier was planned for.
  assert.equal((await pipeline.nextToCapture({ operatorId: 'op-ana', contest: 'DIP_FED' }))?.recordId, KEY);
  assert.ok((await person('op-ana', TYPO)).ok);
  assert.equal((await acta()).status, 'mismatch');
  await people.settle(false);
  assert.equal((await acta()).status, 'mismatch', 'a person verifier may take it first');
  clock.wall += LEFT_MS;
  await people.settle(false);
  const resolved = await acta();
  assert.equal(resolved.status, 'verified');
  assert.deepEqual(resolved.published?.fields, TRUTH);

  // Nobody about any more (PRESENT_MS later): what is left is done at the next settle.
  const other = await night(1);
  other.people.seen();
  assert.equal(await other.simulated('capturista-01'), null);
  assert.equal(await other.simulated('capturista-02'), null);
  other.clock.wall += PRESENT_MS;
  assert.equal(other.people.present, false);
  await other.people.settle(false);
  assert.equal((await other.acta()).status, 'verified');
  await other.store.close();
  await store.close();
});
