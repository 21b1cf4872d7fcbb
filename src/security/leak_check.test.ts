/** The leak check's rules on their own: parsing dumps, keyed matching, canaries naming their export. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { OperatorRow } from '../auth/operators_port.ts';
import type { DecoyRow, ExportRow } from './decoys_port.ts';
import { type Canary, makeCanaries, mixIn, operatorTable, type Random, renderExport } from './exports.ts';
import { fingerprint, normalise } from './fingerprint.ts';
import { buildLeakIndex, checkLeak, parseDump } from './leak_check.ts';

const KEY = Buffer.alloc(32, 7);
const AT = Date.parse('2024-06-02T20:00:00Z');

/** A seeded Random (mulberry32), so that a failing case replays. */
function seeded(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n) => Math.floor(next() * n),
    hex: (bytes) =>
      Array.from({ length: bytes }, () =>
        Math.floor(next() * 256)
          .toString(16)
          .padStart(2, '0'),
      ).join(''),
  };
}

function operator(i: number): OperatorRow {
  return {
    id: `op-${String(i).padStart(16, '0')}`,
    username: `persona.${i}`,
    name: `Persona Número ${i}`,
    role: 'capturista',
    scope: `catd:CATD-0${i % 3}`,
    passwordHash: 'x',
    totpSealed: null,
    totpLastStep: null,
    failedAttempts: 0,
    lockedUntil: null,
    expiresAt: null,
    certifiedFor: 'PEF2024',
    createdAt: AT,
    disabledAt: null,
  };
}

const OPERATORS = Array.from({ length: 12 }, (_, i) => operator(i));

/** Two exports of the operator list, as `openprep export operators` registers them. */
function twoExports(seed: number) {
  const random = seeded(seed);
  const real = operatorTable(OPERATORS);
  const exports: ExportRow[] = [];
  const decoys: DecoyRow[] = [];
  const files: { id: string; canaries: Canary[]; table: ReturnType<typeof mixIn> }[] = [];
  for (const [n, recipient] of ['Auditoría externa', 'Proveedor'].entries()) {
    const id = `exp-${n}`;
    const canaries = makeCanaries('operators', real, 3, random, AT);
    const table = mixIn(real, canaries, random);
    exports.push({
      id,
      kind: 'operators',
      format: 'csv',
      recipient,
      by: 'cli',
      at: AT + n,
      rows: table.rows.length,
      canaries: 3,
    });
    for (const [i, c] of canaries.entries())
      decoys.push({
        id: `${id}-c${i + 1}`,
        kind: 'record',
        label: '',
        subject: null,
        fingerprints: c.identifying.map((v) => fingerprint(KEY, v)),
        exportId: id,
        createdAt: AT,
        by: 'cli',
      });
    files.push({ id, canaries, table });
  }
  const index = buildLeakIndex({
    key: KEY,
    operators: OPERATORS,
    devices: [],
    sessionHashes: [],
    decoys,
    exports,
    publicTexts: ['entidad,nombre\n09,CIUDAD DE MÉXICO\n15,MÉXICO\n'],
  });
  return { index, files };
}

describe('fingerprints', () => {
  test('normalised before keying: case, spaces, compatibility forms; another key, another print', () => {
    assert.equal(normalise('  Ana\u00a0 LÓPEZ '), 'ana lópez');
    assert.equal(fingerprint(KEY, 'ＡＮＡ.lopez'), fingerprint(KEY, 'ana.lopez'));
    assert.notEqual(fingerprint(KEY, 'ana.lopez'), fingerprint(Buffer.alloc(32, 8), 'ana.lopez'));
    assert.equal(fingerprint(KEY, '   '), '');
  });
});

describe('canaries', () => {
  test("look like the rows around them: in the list's id order, dates among the real ones, values nobody has", () => {
    const real = operatorTable(OPERATORS);
    for (let seed = 1; seed <= 20; seed++) {
      const random = seeded(seed);
      const canaries = makeCanaries('operators', real, 4, random, AT);
      const table = mixIn(real, canaries, random);
      const ids = table.rows.map((r) => r[0]!);
      assert.deepEqual(ids, [...ids].sort());
      for (const c of canaries) {
        const created = Date.parse(c.row[5]!);
        assert.ok(created >= AT && created <= AT + 2 * 3_600_000, c.row[5]);
        assert.match(c.row[1]!, /^[a-z]+\.[a-z]+[0-9]{2}$/);
        assert.ok(!OPERATORS.some((o) => o.id === c.row[0] || o.username === c.row[1]));
      }
      assert.equal(new Set(canaries.flatMap((c) => c.identifying)).size, 8);
    }
  });
});

describe('parsing a dump', () => {
  test('CSV with quotes and another delimiter, JSON objects at any depth, text words and runs of words', () => {
    const csv = parseDump('a;b;c\r\n"x;1";"say ""hi""";\r\n', 'dump.txt');
    assert.equal(csv.format, 'csv');
    assert.deepEqual(
      [...csv.records],
      [
        ['a', 'b', 'c'],
        ['x;1', 'say "hi"'],
      ],
    );
    const json = parseDump(
      JSON.stringify({ data: [{ u: 'ana', n: 3, more: { k: 'x' } }, { u: 'luis' }] }),
      'x',
    );
    assert.equal(json.format, 'json');
    assert.deepEqual([...json.records], [['x'], ['ana', '3'], ['luis']]);
    const text = parseDump('login ana.lopez from 10.0.0.1\n\nAna López Pérez', 'notes');
    assert.equal(text.format, 'text');
    const lines = [...text.records];
    assert.equal(lines.length, 2, 'the empty line is no record');
    assert.ok(lines[0]!.includes('ana.lopez'));
    assert.ok(lines[1]!.includes('Ana López'));
  });
});

describe('checking a dump', () => {
  test('a whole export names it: recipient, date, every canary', () => {
    const { index, files } = twoExports(1);
    const file = files[1]!;
    const report = checkLeak(index, parseDump(renderExport(file.table, 'csv'), 'leak.csv'));
    assert.equal(report.verdict, 'export-leaked');
    assert.equal(report.exports.length, 1);
    assert.deepEqual(
      { ...report.exports[0], at: undefined },
      {
        exportId: 'exp-1',
        kind: 'operators',
        recipient: 'Proveedor',
        at: undefined,
        by: 'cli',
        canariesFound: 3,
        canariesInExport: 3,
      },
    );
    assert.equal(report.recordsMatched, 15, 'every row but the header holds an internal value');
    assert.equal(report.records, 16);
    assert.equal(report.internalMatches.operator, 36);
    assert.match(report.summary, /export exp-1 .*Proveedor/);
  });

  test('property: any non-empty subset of an export with one of its canaries names that export, and only it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.array(fc.boolean(), { minLength: 15, maxLength: 15 }),
        fc.nat(2),
        fc.constantFrom<'csv' | 'json'>('csv', 'json'),
        (seed, keep, which, format) => {
          const { index, files } = twoExports(seed);
          const file = files[seed % 2]!;
          const canary = file.canaries[which]!.row;
          const rows = file.table.rows.filter((row, i) => row === canary || keep[i] === true);
          const report = checkLeak(
            index,
            parseDump(renderExport({ columns: file.table.columns, rows }, format), `x.${format}`),
          );
          assert.equal(report.verdict, 'export-leaked');
          assert.deepEqual(
            report.exports.map((e) => e.exportId),
            [file.id],
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  test('internal rows without a canary: ours, but no export named; the match ratio is over the records', () => {
    const { index } = twoExports(2);
    const dump = `${OPERATORS.slice(0, 3)
      .map((o) => `${o.username},${o.name},x`)
      .join('\n')}\nfoo,bar,baz\n`;
    const report = checkLeak(index, parseDump(dump, 'x.csv'));
    assert.equal(report.verdict, 'internal-data');
    assert.equal(report.matchRatio, 3 / 4);
    assert.deepEqual(report.exports, []);
  });

  test('a session: its id hash, or the token itself (a stolen cookie), is found', () => {
    const token = randomBytes(32).toString('base64url');
    const idHash = createHash('sha256').update(token).digest('hex');
    const index = buildLeakIndex({
      key: KEY,
      operators: [],
      devices: [],
      sessionHashes: [idHash],
      decoys: [],
      exports: [],
      publicTexts: [],
    });
    for (const dump of [`cookie ${token} seen`, `hash,${idHash},x`]) {
      const report = checkLeak(index, parseDump(dump, 'x'));
      assert.equal(report.verdict, 'internal-data', dump);
      assert.equal(report.internalMatches.session, 1);
    }
    assert.equal(checkLeak(index, parseDump(`cookie ${token.toLowerCase()} seen`, 'x')).verdict, 'no-match');
  });

  test('only public values (catalog names, counts, dates): public data, proves nothing', () => {
    const { index } = twoExports(3);
    const report = checkLeak(
      index,
      parseDump('09,Ciudad de México,1234,2024-06-02\n15,MÉXICO,77,51.2%\n', 'x.csv'),
    );
    assert.equal(report.verdict, 'public-data');
    assert.match(report.summary, /^public PREP data: proves nothing about a breach/);
    assert.equal(report.recordsMatched, 0);
  });

  test('unrelated data: no match', () => {
    const { index } = twoExports(4);
    const lines = Array.from(
      { length: 50 },
      () => `${randomBytes(6).toString('hex')},${randomBytes(4).toString('base64url')} user,x@y.z`,
    );
    const report = checkLeak(index, parseDump(lines.join('\n'), 'x.csv'));
    assert.equal(report.verdict, 'no-match');
    assert.equal(report.recordsMatched, 0);
    assert.equal(report.tokensChecked, 150);
  });
});
