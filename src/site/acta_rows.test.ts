import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseActaRows, parseCsvRecords } from './acta_rows.ts';

/** How the cut writer quotes a field (docs/publication-format.md). */
const quote = (field: string) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field);

test('records written as the cut writes them read back the same', () => {
  const field = fc.string({ unit: fc.constantFrom('a', 'Ñ', ',', '"', '\r', '\n', ' ', '1', "'") });
  fc.assert(
    fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 6 }), { maxLength: 5 }), (records) => {
      const text = records.map((r) => `${r.map(quote).join(',')}\r`).join('');
      const parsed = parseCsvRecords(text);
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value, records);
    }),
  );
});

test("a casilla's rows keyed by the header, and rows of the wrong width refused", () => {
  const header = ['CLAVE_ACTA', 'OBSERVACIONES', 'PAN'];
  const bytes = new TextEncoder().encode(
    `'010338B0100P,-,12\r'010338B0100X,"['Ilegible', 'Sin dato']",Ilegible\r`,
  );
  const rows = parseActaRows(bytes, header);
  assert.ok(rows.ok);
  assert.deepEqual(rows.value[1], {
    CLAVE_ACTA: "'010338B0100X",
    OBSERVACIONES: "['Ilegible', 'Sin dato']",
    PAN: 'Ilegible',
  });
  const short = parseActaRows(new TextEncoder().encode('a,b\r'), header);
  assert.equal(short.ok, false);
  assert.equal(parseCsvRecords('"open').ok, false);
  assert.equal(parseCsvRecords('"a"b,c').ok, false);
});
