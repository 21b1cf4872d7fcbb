/**
 * The CATD agent checks each scan with the quality gate before it queues it: a good scan is
 * queued, an unfit one is held with the reasons to rescan it, and one whose QR label names
 * another acta is held until the operator confirms the key in the file's name.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { formatVerifierKey, rawPublicKeyOf } from '../journal/note.ts';
import { testSigner } from '../journal/test_keys.ts';
import { testActaImage } from '../test/actas.ts';
import { agentConfigSchema, FolderScanner, initAgent, type OpenedAgent, openAgent } from './agent.ts';

let work: string;
let agent: OpenedAgent;
let scanner: FolderScanner;
const watch = () => path.join(work, 'scans');

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-agent-quality-'));
  const center = testSigner('openprep-test');
  const config = agentConfigSchema.parse({
    deviceId: 'CATD-01-001-S1',
    watch: path.join(work, 'scans'),
    channels: [{ name: 'center', url: 'http://127.0.0.1:9/' }],
    centerKey: formatVerifierKey(center.name, rawPublicKeyOf(center.privateKey)),
    settleMs: 0,
  });
  assert.equal(config.qualityGate, 'enforce');
  await import('node:fs/promises').then((fs) => fs.mkdir(watch(), { recursive: true }));
  const created = await initAgent(path.join(work, 'agent'), config);
  assert.ok(created.ok);
  const opened = await openAgent(path.join(work, 'agent'), Date.now);
  assert.ok(opened.ok, opened.ok ? '' : opened.message);
  agent = opened.value;
  scanner = new FolderScanner(agent, Date.now);
});

after(async () => {
  agent.outbox.close();
  await rm(work, { recursive: true, force: true });
});

test('a good scan is queued; a blurred one is held with the reason; a mismatched label waits for confirmation', async () => {
  const good = await testActaImage({ actaKey: '010338B010001' });
  const blurred = await testActaImage({ actaKey: '010338B010002', defects: ['blur'] });
  const other = await testActaImage({ actaKey: '010338B010003' });
  await writeFile(path.join(watch(), 'PRES_010338B010001.png'), good.png);
  await writeFile(path.join(watch(), 'PRES_010338B010002.png'), blurred.png);
  // The acta of 010338B010003 scanned under the name of 010338B010004.
  await writeFile(path.join(watch(), 'PRES_010338B010004.png'), other.png);

  const first = await scanner.scan();
  assert.equal(first.queued, 1);
  assert.deepEqual(
    first.rejected.map((r) => r.file),
    ['PRES_010338B010002.png'],
  );
  assert.match(first.rejected[0]!.reason, /borrosa/);
  assert.deepEqual(
    first.review.map((r) => r.file),
    ['PRES_010338B010004.png'],
  );
  assert.match(first.review[0]!.reason, /dice 010338B010003, no 010338B010004.*_CONFIRMADA/);
  assert.equal(agent.outbox.counts().pending, 1);

  // Held files stay listed, with their reasons, until they change.
  const again = await scanner.scan();
  assert.equal(again.queued, 0);
  assert.equal(again.rejected.length, 1);
  assert.equal(again.review.length, 1);

  // The operator rescans the blurred acta and confirms the other's key.
  await writeFile(
    path.join(watch(), 'PRES_010338B010002.png'),
    (await testActaImage({ actaKey: '010338B010002' })).png,
  );
  await rename(
    path.join(watch(), 'PRES_010338B010004.png'),
    path.join(watch(), 'PRES_010338B010004_CONFIRMADA.png'),
  );
  const third = await scanner.scan();
  assert.equal(third.queued, 2);
  assert.deepEqual(third.rejected, []);
  assert.deepEqual(third.review, []);
  assert.equal(agent.outbox.counts().pending, 3);
  // The confirmed one says so in its signed package (the center refuses a doubtful label otherwise).
  const headers = agent.outbox.list().map((item) => JSON.parse(item.packageText) as Record<string, unknown>);
  assert.deepEqual(
    headers.map((h) => [h['claimedKey'], h['keyConfirmed'] ?? false]),
    [
      ['010338B010001', false],
      ['010338B010002', false],
      ['010338B010004', true],
    ],
  );
});
