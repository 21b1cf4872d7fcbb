/**
 * The closed list of entry types (entry_types.ts) against what the journal's readers rely on.
 *
 * docs/journal.md is written by hand (it says when each entry is written, which a schema
 * cannot) and CHECKED here against the schemas, rather than generated: its "Entry types" table
 * must list every type of the union and no other, each with exactly the schema's fields (`?`
 * marking an optional one). A new type or field fails this test until the documentation says it.
 *
 * Also: the encoding of a few entries pinned byte for byte (the pipeline's are pinned in
 * capture/journal_bytes.test.ts), the schema's refusals, and — checked by `tsc`, through the
 * `@ts-expect-error` lines — that a writer of an unknown type, or with a field missing or extra,
 * does not compile.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { decodeEntry, encodeEntry, type JournalEntry, readEntry } from './entries.ts';
import { journalEntrySchemas } from './entry_types.ts';

const text = (entry: JournalEntry) => Buffer.from(encodeEntry(entry)).toString('utf8');

describe('journal entry types', () => {
  test('docs/journal.md lists every entry type with exactly its fields, and nothing else', () => {
    const doc = readFileSync(path.join(import.meta.dirname, '../../docs/journal.md'), 'utf8');
    const start = doc.indexOf('<!-- entry-types:');
    assert.ok(start >= 0, 'docs/journal.md has no entry-types table');
    const documented = new Map<string, string[]>();
    for (const line of doc.slice(start).split('\n').slice(1)) {
      if (!line.startsWith('|')) break;
      const cells = line.split('|').map((cell) => cell.trim());
      const type = /^`([A-Z_]+)`$/.exec(cells[1] ?? '')?.[1];
      if (type === undefined) continue; // the header and its rule
      assert.ok(!documented.has(type), `${type} is documented twice`);
      documented.set(
        type,
        [...(cells[3] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1]!),
      );
    }
    const schemas = new Map<string, string[]>(
      journalEntrySchemas.map((schema) => [
        schema.shape.type.value,
        Object.entries(schema.shape)
          .filter(([name]) => name !== 'type' && name !== 'at')
          .map(([name, field]) => (field.safeParse(undefined).success ? `${name}?` : name)),
      ]),
    );
    assert.deepEqual([...documented.keys()].sort(), [...schemas.keys()].sort());
    for (const [type, fields] of schemas)
      assert.deepEqual([...documented.get(type)!].sort(), [...fields].sort(), `the fields of ${type}`);
  });

  test('known answers: the bytes of entries of a few types', () => {
    assert.equal(
      text({
        type: 'PACKAGE_REJECTED',
        at: 1717387200000,
        reason: 'out-of-scope',
        deviceId: 'CATD-01-S1',
        sequence: 7,
        packageSha256: 'ab'.repeat(32),
        boundTo: 'CATD-01',
        claimedKey: '010338B010003',
        unjournaledBefore: 3,
      }),
      `{"at":1717387200000,"boundTo":"CATD-01","claimedKey":"010338B010003","deviceId":"CATD-01-S1","packageSha256":"${'ab'.repeat(32)}","reason":"out-of-scope","sequence":7,"type":"PACKAGE_REJECTED","unjournaledBefore":3}`,
    );
    assert.equal(
      text({ type: 'LOGIN_FAILED', at: 5, operatorId: null, factor: 'account', address: '10.0.0.1' }),
      '{"address":"10.0.0.1","at":5,"factor":"account","operatorId":null,"type":"LOGIN_FAILED"}',
    );
    // An optional field left undefined is left out, as canonical JSON always did.
    assert.equal(
      text({
        type: 'LOGIN_FAILED',
        at: 5,
        operatorId: 'op-1',
        factor: 'webauthn',
        reason: 'no',
        address: undefined,
      }),
      '{"at":5,"factor":"webauthn","operatorId":"op-1","reason":"no","type":"LOGIN_FAILED"}',
    );
    assert.equal(
      text({
        type: 'CUT_PUBLISHED',
        at: 1717398000000,
        cutId: '20240603-0700',
        sequence: 1,
        final: false,
        journalSize: 4821,
        manifestSha256: '0f'.repeat(32),
      }),
      `{"at":1717398000000,"cutId":"20240603-0700","final":false,"journalSize":4821,"manifestSha256":"${'0f'.repeat(32)}","sequence":1,"type":"CUT_PUBLISHED"}`,
    );
    assert.equal(
      text({
        type: 'ACCOUNTS_PURGED',
        at: 9,
        scope: 'catd:CATD-01',
        reason: 'lost laptop',
        by: 'admin',
        operators: 2,
        sessions: 3,
        devices: 1,
      }),
      '{"at":9,"by":"admin","devices":1,"operators":2,"reason":"lost laptop","scope":"catd:CATD-01","sessions":3,"type":"ACCOUNTS_PURGED"}',
    );
  });

  test('reading typed: known types with exactly their fields; decoding alone still takes any canonical entry', () => {
    const good = encodeEntry({ type: 'DEVICE_REVOKED', at: 1, deviceId: 'd', reason: 'lost' });
    const read = readEntry(good);
    assert.ok(read.ok);
    if (read.value.type === 'DEVICE_REVOKED') assert.equal(read.value.deviceId, 'd'); // narrowed
    const refused = (json: string) => {
      assert.ok(decodeEntry(Buffer.from(json)).ok, `${json} decodes`);
      const typed = readEntry(Buffer.from(json));
      assert.equal(typed.ok, false, `${json} is refused`);
    };
    refused('{"at":1,"type":"NOT_A_TYPE"}');
    refused('{"at":1,"deviceId":"d","type":"DEVICE_REVOKED"}'); // reason missing
    refused('{"at":1,"deviceId":"d","extra":1,"reason":"lost","type":"DEVICE_REVOKED"}');
    refused('{"at":1,"deviceId":7,"reason":"lost","type":"DEVICE_REVOKED"}');
    refused('{"at":1,"reason":"x","sequence":-1,"type":"PACKAGE_REJECTED"}');
    assert.equal(readEntry(Buffer.from('{"type":"LOGOUT", "at":1}')).ok, false, 'not canonical');
  });

  test('writers are typed: unknown types, missing and extra fields do not compile', () => {
    const entries: JournalEntry[] = [
      // @ts-expect-error an unknown type
      { type: 'NOT_A_TYPE', at: 1 },
      // @ts-expect-error reason is missing
      { type: 'DEVICE_REVOKED', at: 1, deviceId: 'd' },
      // @ts-expect-error an extra field
      { type: 'DEVICE_REVOKED', at: 1, deviceId: 'd', reason: 'lost', note: 'x' },
      // @ts-expect-error a field of the wrong type
      { type: 'LOGOUT', at: 1, operatorId: 7 },
    ];
    assert.equal(entries.length, 4);
  });
});
