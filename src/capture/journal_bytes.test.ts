/**
 * Known answer: the bytes of the entries the pipeline writes for one acta's every step (and the
 * setup and the close before and after), pinned. They were taken from the code before the
 * journal was typed (issue 22) and must never change by accident: receipts, checkpoints and
 * published cuts name these bytes. Each must also read as its type (journal/entry_types.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readEntry } from '../journal/entries.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import { BASICA, CATALOG, CONTIGUA, ELECTION, EXTRAORDINARIA, actaKeyOf, fields } from '../test/fixtures.ts';
import { ActaPipeline, type SubmissionInput } from './pipeline.ts';
import { GroupCommit } from '../platform/group_commit.ts';

const EXPECTED = [
  '{"at":1717387200000,"definitionSha256":"a8ee521e62588e5e0342b321d691e4992595bfc22a8a7a9e532bfaa7d5aadd62","electionId":"TEST2024","mode":"simulacro","type":"ELECTION_CONFIGURED"}',
  '{"at":1717387200000,"casillas":4,"catalogSha256":"72798a11e81b27135733db734025e11f895fc5ce26406b3a84320f1f6da06a83","distritos":2,"entidades":1,"type":"CATALOG_IMPORTED"}',
  '{"at":1717387201000,"claimedKey":"010338B010003","contest":"DIP_FED","inCatalog":true,"recordId":"010338B010003","submission":{"acopioAt":1717387200000,"digitization":"MOVIL","documentType":"ACTA_PREP","imageSha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","origin":"CASILLA","source":"phone-1","transfer":null},"type":"SUBMISSION_REGISTERED"}',
  '{"at":1717387203000,"claimedKey":"010338B010003","contest":"DIP_FED","inCatalog":true,"recordId":"010338B010003","submission":{"acopioAt":1717387200000,"digitization":"MOVIL","documentType":"ACTA_PREP","imageSha256":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","origin":"CASILLA","source":"phone-1","transfer":null},"type":"ADDITIONAL_IMAGE_REGISTERED"}',
  '{"alreadyRegisteredAs":"010338B010003","at":1717387206000,"claimedKey":"010338C010003","contest":"DIP_FED","imageSha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","recordId":"010338C010003","source":"phone-1","type":"SUBMISSION_CONFLICT"}',
  '{"at":1717387207000,"claimedKey":"010338C010003","contest":"DIP_FED","inCatalog":true,"recordId":"010338C010003","submission":{"acopioAt":1717387200000,"digitization":"MOVIL","documentType":"ACTA_PREP","imageSha256":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","origin":"CASILLA","source":"phone-1","transfer":null},"type":"SUBMISSION_REGISTERED"}',
  '{"at":1717387210000,"captured":{"boletasSobrantes":100,"personasVotaron":260,"representantesVotaron":2,"totalAsentado":260,"votes":{"MORENA":150,"NO_REGISTRADAS":1,"NULOS":4,"PAN":100,"PAN_MORENA":5},"votosSacados":260},"contest":"DIP_FED","operatorId":"ana","recordId":"010338B010003","type":"CAPTURE_RECORDED"}',
  '{"at":1717387213000,"captured":{"boletasSobrantes":100,"personasVotaron":260,"representantesVotaron":2,"totalAsentado":260,"votes":{"MORENA":150,"NO_REGISTRADAS":1,"NULOS":4,"PAN":100,"PAN_MORENA":5},"votosSacados":260},"classification":{"computedTotal":260,"contabilizada":1,"observations":[],"sinActaReason":null,"totalMismatch":false},"contest":"DIP_FED","fields":{"boletasSobrantes":100,"personasVotaron":260,"representantesVotaron":2,"totalAsentado":260,"votes":{"MORENA":150,"NO_REGISTRADAS":1,"NULOS":4,"PAN":100,"PAN_MORENA":5},"votosSacados":260},"operatorId":"beto","recordId":"010338B010003","type":"ACTA_VERIFIED"}',
  '{"at":1717387215000,"captured":{"boletasSobrantes":100,"personasVotaron":32,"representantesVotaron":2,"totalAsentado":32,"votes":{"MORENA":20,"NO_REGISTRADAS":0,"NULOS":1,"PAN":10,"PAN_MORENA":1},"votosSacados":32},"contest":"DIP_FED","operatorId":"ana","recordId":"010338C010003","type":"CAPTURE_RECORDED"}',
  '{"at":1717387218000,"captured":{"boletasSobrantes":100,"personasVotaron":33,"representantesVotaron":2,"totalAsentado":33,"votes":{"MORENA":21,"NO_REGISTRADAS":0,"NULOS":1,"PAN":10,"PAN_MORENA":1},"votosSacados":33},"contest":"DIP_FED","operatorId":"beto","recordId":"010338C010003","type":"CAPTURE_MISMATCH"}',
  '{"at":1717387220000,"classification":{"computedTotal":33,"contabilizada":1,"observations":[],"sinActaReason":null,"totalMismatch":false},"contest":"DIP_FED","fields":{"boletasSobrantes":100,"personasVotaron":33,"representantesVotaron":2,"totalAsentado":33,"votes":{"MORENA":21,"NO_REGISTRADAS":0,"NULOS":1,"PAN":10,"PAN_MORENA":1},"votosSacados":33},"recordId":"010338C010003","type":"MISMATCH_RESOLVED","verifierId":"vera"}',
  '{"at":1717387222000,"contest":"DIP_FED","reason":"suma","recordId":"010338B010003","reviewerId":"rosa","type":"COTEJO_REOPENED"}',
  '{"at":1717387225000,"contest":"DIP_FED","reason":null,"recordId":"010338C010003","reviewerId":"rosa","type":"COTEJO_ACCEPTED"}',
  '{"at":1717387227000,"contest":"DIP_FED","operatorId":"olga","reason":"SIN_SOBRE","recordId":"010512E010003","type":"SIN_ACTA_DECLARED"}',
  '{"at":1717387228000,"reason":"final cut X","type":"INTAKE_CLOSED"}',
];
const EXPECTED_ROOT = 'bccc1c4cd949d3b8ae6362f05c096920b819160732dd7db80b28d91f102bd129';

test('the pipeline journals every step of an acta in the same bytes as before the journal was typed', async () => {
  const AT = Date.parse('2024-06-03T04:00:00.000Z');
  let tick = 0;
  const clock = () => AT + 1000 * tick++;
  const directory = await mkdtemp(path.join(tmpdir(), 'openprep-journal-bytes-'));
  try {
    const opened = openSqliteStore(path.join(directory, 'journal.sqlite'));
    assert.ok(opened.ok);
    const store = opened.value;
    const setup = await ActaPipeline.setup({
      records: store,
      commits: new GroupCommit(store),
      election: ELECTION,
      catalog: CATALOG,
      clock,
    });
    assert.ok(setup.ok);
    const pipeline = setup.value;
    const submission = (claimedKey: string, image: string): SubmissionInput => ({
      contest: 'DIP_FED',
      claimedKey,
      imageSha256: image.repeat(64),
      origin: 'CASILLA',
      digitization: 'MOVIL',
      documentType: 'ACTA_PREP',
      transfer: null,
      acopioAt: AT,
      source: 'phone-1',
    });
    const b = actaKeyOf(BASICA);
    const c = actaKeyOf(CONTIGUA);
    const steps = [
      () => pipeline.registerSubmission(submission(b, 'a')),
      () => pipeline.registerSubmission(submission(b, 'b')), // additional image
      () => pipeline.registerSubmission(submission(c, 'a')), // conflict: b's image
      () => pipeline.registerSubmission(submission(c, 'c')),
      () =>
        pipeline.recordCapture({
          recordId: b,
          operatorId: 'ana',
          fields: fields(BASICA, [100, 150, 5, 1, 4]),
        }),
      () =>
        pipeline.recordCapture({
          recordId: b,
          operatorId: 'beto',
          fields: fields(BASICA, [100, 150, 5, 1, 4]),
        }),
      () =>
        pipeline.recordCapture({
          recordId: c,
          operatorId: 'ana',
          fields: fields(CONTIGUA, [10, 20, 1, 0, 1]),
        }),
      () =>
        pipeline.recordCapture({
          recordId: c,
          operatorId: 'beto',
          fields: fields(CONTIGUA, [10, 21, 1, 0, 1]),
        }),
      () =>
        pipeline.resolveMismatch({
          recordId: c,
          verifierId: 'vera',
          fields: fields(CONTIGUA, [10, 21, 1, 0, 1]),
        }),
      () => pipeline.cotejo({ recordId: b, reviewerId: 'rosa', decision: 'reopen', reason: 'suma' }),
      () => pipeline.cotejo({ recordId: c, reviewerId: 'rosa', decision: 'accept' }),
      () =>
        pipeline.declareSinActa({
          contest: 'DIP_FED',
          actaKey: actaKeyOf(EXTRAORDINARIA),
          reason: 'SIN_SOBRE',
          operatorId: 'olga',
        }),
    ];
    for (const step of steps) {
      const result = await step();
      assert.ok(result.ok, JSON.stringify(result));
    }
    await pipeline.closeIntake(clock(), 'final cut X');
    const head = await store.journalHead();
    const entries = await store.journalEntries(0, head.size);
    assert.deepEqual(
      entries.map((bytes) => Buffer.from(bytes).toString('utf8')),
      EXPECTED,
    );
    assert.equal(Buffer.from(head.rootHash).toString('hex'), EXPECTED_ROOT);
    for (const bytes of entries) {
      const read = readEntry(bytes);
      assert.ok(read.ok, read.ok ? '' : read.message);
    }
    await store.close();
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
