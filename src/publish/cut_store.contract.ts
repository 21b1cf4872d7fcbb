/**
 * The contract every cut store must pass (the folder and S3): run it from a test file with a
 * function that opens a fresh, empty store.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CutStore } from './cut_store.ts';

export interface OpenedCutStore {
  readonly store: CutStore;
  close(): Promise<void>;
}

const CUT = '20240602_2100';
const files = (text: string) =>
  new Map([
    ['json/historial.json', Buffer.from(`{"h":"${text}"}\n`)],
    ['PRES_2024.csv', Buffer.from(`a,b\n${text}\n`)],
    ['manifest.sig', Buffer.from(`sig ${text}\n`)],
    ['manifest.json', Buffer.from(`{"m":"${text}"}\n`)],
  ]);

async function read(store: CutStore, name: string): Promise<Buffer | null> {
  const got = await store.read(name);
  if (!got.ok) {
    assert.equal(got.code, 'not-found', got.message);
    return null;
  }
  return got.value;
}

export function cutStoreContract(name: string, open: () => Promise<OpenedCutStore>): void {
  describe(`cut store contract: ${name}`, () => {
    test('an immutable file is put once: the same bytes again are present, other bytes refused', async () => {
      const opened = await open();
      try {
        const { store } = opened;
        assert.ok((await store.check()).ok);
        assert.equal(await read(store, 'catalogo/X.csv'), null);
        assert.deepEqual(await store.has('catalogo/X.csv'), { ok: true, value: false });
        assert.deepEqual(await store.putFile('catalogo/X.csv', Buffer.from('uno\n')), {
          ok: true,
          value: 'written',
        });
        await store.sync();
        assert.deepEqual(await store.putFile('catalogo/X.csv', Buffer.from('uno\n')), {
          ok: true,
          value: 'present',
        });
        const other = await store.putFile('catalogo/X.csv', Buffer.from('dos\n'));
        assert.ok(!other.ok && other.code === 'different');
        assert.deepEqual(await read(store, 'catalogo/X.csv'), Buffer.from('uno\n'));
        assert.deepEqual(await store.has('catalogo/X.csv'), { ok: true, value: true });
        await assert.rejects(async () => store.has('../escape'));
      } finally {
        await opened.close();
      }
    });

    test('a cut is put whole; the same cut again is present, another under its id refused', async () => {
      const opened = await open();
      try {
        const { store } = opened;
        assert.deepEqual(await store.listCuts(), { ok: true, value: [] });
        assert.deepEqual(await store.putCut(CUT, files('a')), { ok: true, value: 'written' });
        assert.deepEqual(await store.putCut(CUT, files('a')), { ok: true, value: 'present' });
        const other = await store.putCut(CUT, files('b'));
        assert.ok(!other.ok && other.code === 'cut-exists');
        for (const [relative, bytes] of files('a'))
          assert.deepEqual(await read(store, `${CUT}/${relative}`), bytes);
        assert.deepEqual(await store.putCut('20240602_2130', files('c')), { ok: true, value: 'written' });
        assert.deepEqual(await store.listCuts(), { ok: true, value: [CUT, '20240602_2130'] });
        assert.ok(store.whereIs(CUT).includes(CUT));
      } finally {
        await opened.close();
      }
    });

    test('the latest pointer is replaced, json and signature', async () => {
      const opened = await open();
      try {
        const { store } = opened;
        assert.ok((await store.writeLatest(Buffer.from('{"cut":1}'), Buffer.from('sig 1\n'))).ok);
        assert.ok((await store.writeLatest(Buffer.from('{"cut":2}'), Buffer.from('sig 2\n'))).ok);
        assert.deepEqual(await read(store, 'latest.json'), Buffer.from('{"cut":2}'));
        assert.deepEqual(await read(store, 'latest.sig'), Buffer.from('sig 2\n'));
        assert.deepEqual(await store.cleanLeftovers(Date.now()), []);
      } finally {
        await opened.close();
      }
    });
  });
}
