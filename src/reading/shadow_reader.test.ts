/**
 * The shadow reader end to end on a real SQLite store and real worker threads: a realistic acta
 * read and stored, failures stored as values, the sweep reading what no reading names, a reading
 * redone without a second row.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { actaBoxKeys } from '../domain/acta_form.ts';
import type { Reading } from '../domain/reader_score.ts';
import { renderRealisticPage } from '../sim/acta_images/realistic/page.ts';
import { evaluationContent } from '../sim/reader_evaluate.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import type { Store } from '../store/store.ts';
import { ReaderPool } from './reader_pool.ts';
import { ShadowReader } from './shadow_reader.ts';

let directory: string;
let store: Store;
const pool = new ReaderPool(1);
before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'openprep-reader-'));
  const opened = openSqliteStore(path.join(directory, 'store.sqlite'));
  assert.ok(opened.ok);
  store = opened.value;
});
after(async () => {
  await pool.close();
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

const sha = (c: string) => c.repeat(64);

test('reads an acta as it arrives, stores failures as values, sweeps what was missed, never twice', async () => {
  const content = evaluationContent(1, 0);
  const page = await renderRealisticPage(content, { seed: '1:0', digitSplit: 'test' });
  assert.ok(page.ok);
  const { data, width, height } = page.value.pixels;
  const png = await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  const keys = content.boxes.map((b) => b.key);
  // The sim's acta and the console's form share one order of boxes.
  assert.deepEqual(keys, actaBoxKeys(keys.filter((k) => k.startsWith('vote:')).map((k) => k.slice(5))));
  const blank = await sharp({ create: { width: 850, height: 1100, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
  const bytes = new Map<string, Uint8Array>([
    [sha('a'), png],
    [sha('b'), blank],
    [sha('c'), Buffer.from('not an image at all')],
  ]);
  const seen: Reading[] = [];
  let now = 1000;
  const reader = new ShadowReader({
    readings: store,
    read: (b, k) => pool.read(b, k),
    modelSha256: 'model-1',
    boxKeys: async (recordId) => (recordId === 'NOLAYOUT' ? null : keys),
    imageBytes: async (s) => bytes.get(s) ?? null,
    clock: () => now++,
    onReading: (r) => seen.push(r),
  });
  reader.submit('A', sha('a'));
  reader.submit('B', sha('b'));
  reader.submit('C', sha('c'));
  reader.submit('D', sha('d'));
  reader.submit('NOLAYOUT', sha('a'));
  await reader.idle();
  const stored = await store.readings('model-1');
  assert.deepEqual(
    stored.map((r) => [r.recordId, r.failure]),
    [
      ['A', null],
      ['B', 'marks_not_found'],
      ['C', 'decode_error'],
      ['D', 'image_missing'],
      ['NOLAYOUT', 'no_layout'],
    ],
  );
  assert.deepEqual(seen, stored, 'each stored reading is handed on (to assist, later) once');
  const a = stored[0]!;
  assert.deepEqual(
    a.boxes.map((b) => b.key),
    keys,
  );
  const right = a.boxes.filter((b) => b.value === page.value.boxes[b.key]).length;
  assert.ok(right >= keys.length - 4, `read ${right} of ${keys.length} boxes right`);
  for (const b of a.boxes) assert.ok(b.confidence >= 0 && b.confidence <= 1);

  // Images of record registered while no reader ran: the sweep reads them, and only them.
  await store.transaction(async (tx) => {
    await tx.addImage({ sha256: sha('a'), recordId: 'A', receivedAt: 1, role: 'record', source: 'test' });
    await tx.addImage({ sha256: sha('e'), recordId: 'E', receivedAt: 2, role: 'record', source: 'test' });
    await tx.addImage({ sha256: sha('f'), recordId: 'E', receivedAt: 3, role: 'additional', source: 'test' });
  });
  bytes.set(sha('e'), blank);
  await reader.sweep();
  assert.deepEqual(await store.unreadImages('model-1', 10), []);
  const after = await store.readings('model-1');
  assert.deepEqual(
    after.map((r) => r.recordId),
    ['A', 'B', 'C', 'D', 'NOLAYOUT', 'E'],
  );
  // Redone (a crash between reading and acknowledging): still one reading, the first.
  reader.submit('A', sha('a'));
  await reader.idle();
  assert.deepEqual(
    (await store.readings('model-1')).filter((r) => r.recordId === 'A'),
    [a],
  );
  assert.equal(reader.counts.read, 7);
  assert.equal(reader.counts.failed, 5);
});

test('a full queue drops work to the next sweep, never an error to the caller', async () => {
  const reads: string[] = [];
  const reader = new ShadowReader({
    readings: store,
    read: async () => ({ boxes: [], failure: 'marks_not_found' }),
    modelSha256: 'model-2',
    boxKeys: async () => ['boletasSobrantes'],
    imageBytes: async (s) => {
      reads.push(s);
      return new Uint8Array(1);
    },
    clock: () => 1,
    capacity: 2,
  });
  await store.transaction(async (tx) => {
    for (const c of ['1', '2', '3', '4', '5'])
      await tx.addImage({
        sha256: sha(c),
        recordId: `Q${c}`,
        receivedAt: 10,
        role: 'record',
        source: 'test',
      });
  });
  for (const c of ['1', '2', '3', '4', '5']) reader.submit(`Q${c}`, sha(c));
  assert.ok(reader.counts.dropped >= 2);
  await reader.idle();
  await reader.sweep();
  assert.deepEqual(await store.unreadImages('model-2', 100), []);
});

test('stopping mid-read stores nothing for that image: the next sweep reads it', async () => {
  let release: (() => void) | null = null;
  const reader = new ShadowReader({
    readings: store,
    read: () =>
      new Promise((resolve) => {
        release = () => resolve({ boxes: [], failure: 'reader_error' });
      }),
    modelSha256: 'model-3',
    boxKeys: async () => ['boletasSobrantes'],
    imageBytes: async () => new Uint8Array(1),
    clock: () => 1,
  });
  reader.submit('S1', sha('9'));
  while (release === null) await new Promise((resolve) => setTimeout(resolve, 1));
  reader.close();
  (release as () => void)();
  await reader.idle();
  assert.deepEqual(await store.readings('model-3'), []);
});
