import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldInWords, observationItems, observationsInWords, timestampInWords } from './acta_words.ts';

const row = {
  TOTAL_BOLETAS_SOBRANTES: '120',
  PAN: '10',
  PT: 'Ilegible',
  MORENA: 'Ilegible',
  PRI: 'Sin dato',
  NULOS: '-',
  OBSERVACIONES: "['Ilegible', 'Sin dato']",
  CONTABILIZADA: '1',
  COTEJADA: '2',
  ORIGEN: 'CATD',
  MECANISMOS_TRASLADO: '-',
  FECHA_HORA_CAPTURA: '02/06/2024 21:05:09',
  FECHA_HORA_VERIFICACION: '-',
};

test('coded values are said in words, with the CSV value kept beside them', () => {
  assert.deepEqual(fieldInWords(row, 'CONTABILIZADA', 'es'), {
    column: 'CONTABILIZADA',
    label: 'Contabilizada',
    value: 'sí',
    raw: '1',
  });
  assert.equal(fieldInWords(row, 'COTEJADA', 'es').value, 'sí, aceptada con modificación');
  assert.equal(fieldInWords(row, 'COTEJADA', 'en').value, 'yes, accepted after a correction');
  assert.equal(fieldInWords(row, 'ORIGEN', 'es').value, 'un CATD (centro de acopio y transmisión)');
  assert.equal(fieldInWords(row, 'MECANISMOS_TRASLADO', 'es').value, 'ninguno');
  assert.equal(fieldInWords(row, 'TOTAL_BOLETAS_SOBRANTES', 'es').label, 'Boletas sobrantes');
  assert.equal(fieldInWords(row, 'TOTAL_BOLETAS_SOBRANTES', 'es').raw, null);
  assert.equal(fieldInWords(row, 'PT', 'es', 'Partido del Trabajo').label, 'Partido del Trabajo');
  assert.equal(fieldInWords(row, 'PT', 'es').value, 'ilegible');
  assert.equal(fieldInWords(row, 'NULOS', 'es').value, '—');
});

test('a value outside the published codes is shown as published', () => {
  assert.equal(fieldInWords({ COTEJADA: '7' }, 'COTEJADA', 'es').value, '7');
  assert.equal(fieldInWords({ COTEJADA: '7' }, 'COTEJADA', 'es').raw, null);
});

test('OBSERVACIONES name the cells that were illegible or missing, whatever the case of the list', () => {
  assert.equal(observationsInWords(row, 'es'), 'Ilegible (PT, MORENA); Sin dato (PRI)');
  assert.equal(observationsInWords(row, 'en'), 'Illegible (PT, MORENA); No data (PRI)');
  assert.equal(
    observationsInWords({ OBSERVACIONES: "['Excede Lista Nominal']" }, 'es'),
    'Excede la lista nominal',
  );
  assert.equal(
    observationsInWords({ OBSERVACIONES: "['Sin acta (paquete no entregado)']" }, 'es'),
    'Sin acta (paquete no entregado)',
  );
  assert.equal(observationsInWords({ OBSERVACIONES: '-' }, 'es'), 'ninguna');
  assert.deepEqual(observationItems("['A', 'B (c, d)']"), ['A', 'B (c, d)']);
});

test('timestamps in the reader’s words; a date that does not exist is not dressed up', () => {
  assert.equal(timestampInWords('02/06/2024 21:05:09', 'es'), '2 de junio de 2024 a las 21:05:09');
  assert.equal(timestampInWords('31/02/2024 21:05:09', 'es'), null);
  assert.equal(fieldInWords(row, 'FECHA_HORA_VERIFICACION', 'es').value, 'sin registro');
  assert.equal(fieldInWords(row, 'FECHA_HORA_CAPTURA', 'en').raw, '02/06/2024 21:05:09');
});
