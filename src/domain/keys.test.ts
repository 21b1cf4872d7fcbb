import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TIPOS_CASILLA } from './keys.ts';
import { formatActaKey, formatCasillaKey, parseActaKey, parseCasillaKey } from './keys.ts';
import { formatActaTimestamp, formatCutId, formatCutLine, formatIsoLocal } from './local_time.ts';

describe('CLAVE_CASILLA and CLAVE_ACTA', () => {
  test('the example of domain.md', () => {
    const casilla = parseCasillaKey('010338B0100');
    assert.ok(casilla.ok);
    assert.deepEqual(
      { ...casilla.value },
      { key: '010338B0100', entidad: 1, seccion: 338, tipo: 'B', id: 1, extension: 0 },
    );
    const acta = parseActaKey("'010338B010002");
    assert.ok(acta.ok);
    assert.equal(acta.value.casillaKey, '010338B0100');
    assert.equal(acta.value.tipoActa, '02');
  });

  test('every malformed part has its own error code', () => {
    const cases: [string, string][] = [
      ['010338B010', 'bad-length'],
      ['000338B0100', 'bad-entidad'],
      ['01033XB0100', 'bad-seccion'],
      ['010338Z0100', 'bad-tipo'],
      ['010338B0A00', 'bad-id'],
      ['010338B01X0', 'bad-extension'],
    ];
    for (const [text, code] of cases) {
      const parsed = parseCasillaKey(text);
      assert.equal(parsed.ok, false, text);
      assert.equal(!parsed.ok && parsed.code, code, text);
    }
    const acta = parseActaKey('010338B0100x!');
    assert.equal(!acta.ok && acta.code, 'bad-tipo-acta');
    const short = parseActaKey('010338B0100');
    assert.equal(!short.ok && short.code, 'bad-length');
  });

  test('property: format and parse are inverse', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 0, max: 9999 }),
        fc.constantFrom(...TIPOS_CASILLA),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.stringMatching(/^[0-9A-Z]{1,5}$/),
        (entidad, seccion, tipo, id, extension, tipoActa) => {
          const casilla = formatCasillaKey({ entidad, seccion, tipo, id, extension });
          if (!casilla.ok) return false;
          const acta = formatActaKey(casilla.value, tipoActa);
          if (!acta.ok) return false;
          const parsed = parseActaKey(acta.value);
          return (
            parsed.ok &&
            parsed.value.entidad === entidad &&
            parsed.value.seccion === seccion &&
            parsed.value.tipo === tipo &&
            parsed.value.id === id &&
            parsed.value.extension === extension &&
            parsed.value.tipoActa === tipoActa
          );
        },
      ),
    );
  });
});

describe('published times are central Mexico time whatever the machine zone', () => {
  test('UTC-6 formatting', () => {
    const at = Date.parse('2024-06-03T02:05:09.000Z'); // 20:05:09 on 2 June, central time
    assert.equal(formatActaTimestamp(at, -360), '02/06/2024 20:05:09');
    assert.equal(formatCutLine(at, -360), '02/06/2024 20:05 (UTC-6)');
    assert.equal(formatCutId(at, -360), '20240602_2005');
    assert.equal(formatIsoLocal(at, -360), '2024-06-02T20:05:09-06:00');
    assert.equal(formatActaTimestamp(Date.parse('2024-06-03T05:59:59.999Z'), -360), '02/06/2024 23:59:59');
    assert.equal(formatActaTimestamp(Date.parse('2024-06-03T06:00:00.000Z'), -360), '03/06/2024 00:00:00');
  });

  test('property: the fast timestamp formatter agrees with the calendar', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: -720, max: 840 }),
        (ms, offset) => {
          const shifted = new Date(ms + offset * 60_000);
          const two = (n: number) => String(n).padStart(2, '0');
          const expected = `${two(shifted.getUTCDate())}/${two(shifted.getUTCMonth() + 1)}/${shifted.getUTCFullYear()} ${two(shifted.getUTCHours())}:${two(shifted.getUTCMinutes())}:${two(shifted.getUTCSeconds())}`;
          return formatActaTimestamp(ms, offset) === expected;
        },
      ),
      { numRuns: 2000 },
    );
  });
});
