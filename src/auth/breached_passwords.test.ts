import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type BreachCorpus,
  corpusHashes,
  inCorpus,
  openBreachCorpus,
  passwordSha1,
  RangeFolderCorpus,
  rangeFiles,
  SortedFileCorpus,
  sortedCorpusText,
} from './breached_passwords.ts';

const PASSWORD_SHA1 = '5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8';

let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-breach-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeFolder(folder: string, hashes: ReadonlyMap<string, number>): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (const [name, text] of rangeFiles(hashes)) await writeFile(path.join(folder, name), text);
}

const has = async (corpus: BreachCorpus, password: string) => {
  const found = await inCorpus(corpus, passwordSha1(password));
  assert.ok(found.ok, found.ok ? '' : found.message);
  return found.value;
};

describe('breached passwords: the corpus, read one range at a time', () => {
  test('known answer: SHA-1 of "password", upper-case hex; NFKC before hashing', () => {
    assert.equal(passwordSha1('password'), PASSWORD_SHA1);
    // The full-width form is the same password once normalised (as Argon2id sees it).
    assert.equal(passwordSha1('ｐａｓｓｗｏｒｄ'), PASSWORD_SHA1);
  });

  test('both layouts answer the same: a folder of range files and one sorted file', async () => {
    const listed = corpusHashes('password\r\nuna frase larga filtrada\n\nletmein2024\n', 'passwords');
    assert.ok(listed.ok);
    const folder = path.join(work, 'ranges');
    await writeFolder(folder, listed.value);
    const file = path.join(work, 'sorted.txt');
    await writeFile(file, sortedCorpusText(listed.value));
    for (const corpus of [new RangeFolderCorpus(folder), new SortedFileCorpus(file)]) {
      assert.equal(await has(corpus, 'password'), true, corpus.description);
      assert.equal(await has(corpus, 'una frase larga filtrada'), true);
      assert.equal(await has(corpus, 'letmein2024'), true);
      assert.equal(await has(corpus, 'una frase larga que nadie adivina'), false);
      const range = await corpus.range('5BAA6');
      assert.ok(range.ok);
      assert.equal(range.value.get(PASSWORD_SHA1.slice(5)), 1);
    }
  });

  test('HIBP range files: CRLF, lower case, padding with count 0 does not count, a missing file is an empty range', async () => {
    const folder = path.join(work, 'hibp');
    await mkdir(folder);
    await writeFile(
      path.join(folder, '5BAA6.txt'),
      `${PASSWORD_SHA1.slice(5).toLowerCase()}:9545824\r\n${'0'.repeat(35)}:0\r\n`,
    );
    const corpus = new RangeFolderCorpus(folder);
    assert.equal(await has(corpus, 'password'), true);
    assert.equal((await inCorpus(corpus, `5BAA6${'0'.repeat(35)}`)).ok, true);
    assert.deepEqual(await inCorpus(corpus, `5BAA6${'0'.repeat(35)}`), { ok: true, value: false });
    assert.deepEqual(await inCorpus(corpus, `00000${'1'.repeat(35)}`), { ok: true, value: false });
  });

  test('a damaged range or file is an error naming it, never a silent pass', async () => {
    const folder = path.join(work, 'damaged');
    await mkdir(folder);
    await writeFile(path.join(folder, '5BAA6.txt'), 'not a range\n');
    const range = await new RangeFolderCorpus(folder).range('5BAA6');
    assert.equal(range.ok, false);
    assert.match(range.ok ? '' : range.message, /5BAA6\.txt: line 1 is not SUFFIX:COUNT/);
    const missing = await openBreachCorpus(path.join(work, 'nowhere'));
    assert.equal(missing.ok ? 'ok' : missing.code, 'corpus-unreadable');
    assert.match(missing.ok ? '' : missing.message, /no such file or folder/);
    const empty = path.join(work, 'empty');
    await mkdir(empty);
    const opened = await openBreachCorpus(empty);
    assert.match(opened.ok ? '' : opened.message, /holds no range file/);
    const wrong = path.join(work, 'wrong.txt');
    await writeFile(wrong, 'password\n');
    const notSorted = await openBreachCorpus(wrong);
    assert.match(notSorted.ok ? '' : notSorted.message, /first line is not SHA1:COUNT/);
    const list = corpusHashes('5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3\nnope\n', 'hashes');
    assert.equal(
      list.ok ? 'ok' : list.message,
      'line 2 is not SHA1 or SHA1:COUNT (40 hex digits, a colon, a count)',
    );
  });

  test('the shipped blocklist applies with or without a corpus; a corpus adds to it', async () => {
    const none = await openBreachCorpus(undefined);
    assert.ok(none.ok);
    assert.equal(await has(none.value, 'Elecciones2024!'), true);
    assert.equal(await has(none.value, 'institutonacionalelectoral'), true);
    assert.equal(await has(none.value, 'una frase larga filtrada'), false);
    const listed = corpusHashes('una frase larga filtrada\n', 'passwords');
    assert.ok(listed.ok);
    const file = path.join(work, 'one.txt');
    await writeFile(file, sortedCorpusText(listed.value));
    const both = await openBreachCorpus(file);
    assert.ok(both.ok);
    assert.equal(await has(both.value, 'una frase larga filtrada'), true);
    assert.equal(await has(both.value, 'Elecciones2024!'), true);
  });

  test('property: the sorted file finds exactly the hashes it holds, whatever their spread', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.uint8Array({ minLength: 20, maxLength: 20 }), { minLength: 0, maxLength: 400 }),
        fc.array(fc.uint8Array({ minLength: 20, maxLength: 20 }), { maxLength: 20 }),
        fc.boolean(),
        async (held, others, sharePrefix) => {
          const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
          // Crowd one range, as a real corpus does (~1,000 hashes a prefix).
          const hashes = new Map(held.map((b) => [sharePrefix ? `ABCDE${hex(b).slice(5)}` : hex(b), 2]));
          const file = path.join(work, `prop-${round++}.txt`);
          await writeFile(file, sortedCorpusText(hashes));
          const corpus = new SortedFileCorpus(file);
          for (const hash of hashes.keys())
            assert.deepEqual(await inCorpus(corpus, hash), { ok: true, value: true });
          for (const b of others) {
            const hash = sharePrefix ? `ABCDE${hex(b).slice(5)}` : hex(b);
            assert.deepEqual(await inCorpus(corpus, hash), { ok: true, value: hashes.has(hash) });
          }
          const prefix = [...hashes.keys()][0]?.slice(0, 5) ?? 'ABCDE';
          const range = await corpus.range(prefix);
          assert.ok(range.ok);
          assert.equal(range.value.size, [...hashes.keys()].filter((h) => h.startsWith(prefix)).length);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a sorted file of 200,000 hashes: a range found without reading the file', async () => {
    const hashes = new Map<string, number>();
    for (let i = 0; i < 200_000; i++)
      hashes.set(createHash('sha1').update(randomBytes(8)).digest('hex').toUpperCase(), 1);
    const file = path.join(work, 'big.txt');
    await writeFile(file, sortedCorpusText(hashes));
    const corpus = new SortedFileCorpus(file);
    const sample = [...hashes.keys()].filter((_, i) => i % 997 === 0);
    for (const hash of sample) assert.deepEqual(await inCorpus(corpus, hash), { ok: true, value: true });
    assert.deepEqual(await inCorpus(corpus, 'F'.repeat(40)), { ok: true, value: hashes.has('F'.repeat(40)) });
    assert.deepEqual(await inCorpus(corpus, '0'.repeat(40)), { ok: true, value: hashes.has('0'.repeat(40)) });
  });
});
