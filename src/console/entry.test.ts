import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyKey, type BoxValue, boxesOf, differences, fromFields, MAX_DIGITS, toFields } from './entry.ts';
import { WORDS } from './i18n.ts';

const columns = [
  { id: 'PAN', name: 'Partido Acción Nacional' },
  { id: 'PRI_PRD', name: 'Coalición PRI-PRD' },
  { id: 'NO_REGISTRADAS', name: 'Candidaturas no registradas' },
  { id: 'NULOS', name: 'Votos nulos' },
];
const boxes = boxesOf(columns, WORDS.es);
const value = fc.oneof(
  fc.integer({ min: 0, max: 99_999 }),
  fc.constantFrom('ilegible' as const, 'sin_dato' as const),
);

test('boxes follow the acta: the four at the top, one per option in ballot order, the total', () => {
  assert.deepEqual(
    boxes.map((b) => b.key),
    [
      'boletasSobrantes',
      'personasVotaron',
      'representantesVotaron',
      'votosSacados',
      'vote:PAN',
      'vote:PRI_PRD',
      'vote:NO_REGISTRADAS',
      'vote:NULOS',
      'totalAsentado',
    ],
  );
});

test('typing the keys of a value gives that value back as the API field', () => {
  fc.assert(
    fc.property(fc.array(value, { minLength: boxes.length, maxLength: boxes.length }), (typed) => {
      const values = new Map<string, BoxValue>();
      boxes.forEach((box, i) => {
        const v = typed[i]!;
        const keys = v === 'ilegible' ? ['i'] : v === 'sin_dato' ? ['s'] : [...String(v)];
        let current: BoxValue = '';
        for (const key of keys) current = applyKey(current, key) ?? current;
        values.set(box.key, current);
      });
      const fields = toFields(boxes, values);
      assert.ok(fields.ok);
      assert.deepEqual(fromFields(boxes, fields.value), values);
      assert.equal(differences(boxes, fields.value, fields.value).size, 0);
    }),
  );
});

test('keys: no leading zeros, at most five digits, a digit replaces a mark, other keys are the browser’s', () => {
  assert.equal(applyKey('0', '7'), '7');
  assert.equal(applyKey('12345', '6'), '12345');
  assert.equal('12345'.length, MAX_DIGITS);
  assert.equal(applyKey('ilegible', '4'), '4');
  assert.equal(applyKey('sin_dato', 'Backspace'), '');
  assert.equal(applyKey('123', 'Backspace'), '12');
  assert.equal(applyKey('123', 'Delete'), '');
  assert.equal(applyKey('12', 'x'), null);
  assert.equal(applyKey('12', 'Tab'), null);
});

test('an empty box is named, and two captures differ exactly where a box differs', () => {
  const values = new Map<string, BoxValue>(boxes.map((b) => [b.key, '1']));
  values.set('vote:PRI_PRD', '');
  const missing = toFields(boxes, values);
  assert.equal(missing.ok, false);
  assert.equal(missing.ok ? '' : missing.message, 'Coalición PRI-PRD');
  values.set('vote:PRI_PRD', '3');
  const a = toFields(boxes, values);
  values.set('vote:NULOS', 'ilegible');
  const b = toFields(boxes, values);
  assert.ok(a.ok && b.ok);
  assert.deepEqual([...differences(boxes, a.value, b.value)], ['vote:NULOS']);
});
