import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkInWords } from './verify_words.ts';

test('a passing check: its Spanish title, a Spanish summary, the verifier’s text kept', () => {
  const said = checkInWords(
    { id: 'V00', title: 'signed latest pointer', status: 'pass', detail: 'points to 20240603_2000' },
    'es',
  );
  assert.deepEqual(said, {
    id: 'V00',
    title: 'Apuntador latest.json firmado',
    summary: 'latest.json está firmado con esta llave. Señala el corte 20240603_2000.',
    technical: 'points to 20240603_2000',
  });
});

test('failures of known shapes are each said; the rest counted', () => {
  const said = checkInWords(
    {
      id: 'V04',
      title: 'file sizes and hashes',
      status: 'fail',
      detail: 'LEEME.txt: SHA-256 differs from the manifest; PRES_2024.csv is missing (and 3 more)',
    },
    'es',
  );
  assert.equal(
    said.summary,
    'Hay archivos que faltan o no son los que el manifiesto lista. LEEME.txt: su SHA-256 no es el del manifiesto (el archivo fue alterado). Falta PRES_2024.csv. Y 3 más.',
  );
});

test('a message of an unknown shape gets the check’s general sentence, never a guess', () => {
  const said = checkInWords(
    {
      id: 'V03',
      title: 'manifest well-formed',
      status: 'fail',
      detail: 'files are not sorted by path, or repeat',
    },
    'es',
  );
  assert.equal(said.summary, 'El manifiesto no tiene la forma del formato publicado.');
  assert.equal(said.technical, 'files are not sorted by path, or repeat');
});

test('a check not reached says why, with no technical text', () => {
  const said = checkInWords(
    { id: 'V06', title: 'acta Merkle roots', status: 'skip', detail: 'not reached' },
    'es',
  );
  assert.equal(said.summary, 'No se llegó a comprobar: una comprobación anterior falló.');
  assert.equal(said.technical, null);
});

test('a cut short of its witnesses is said so, in both languages', () => {
  const result = {
    id: 'V05',
    title: 'journal checkpoint',
    status: 'fail' as const,
    detail:
      'the witness policy is not met: 1 valid distinct cosignatures, 2 required (witnesses: 1 of 3 cosigned (t1 at 2024-06-03T04:05:00Z), 2 required)',
  };
  assert.match(
    checkInWords(result, 'es').summary,
    /Testigos que firmaron este punto de control: 1; se requieren 2\./,
  );
  assert.match(
    checkInWords(result, 'en').summary,
    /Witnesses that cosigned this checkpoint: 1; 2 required\./,
  );
});

test('the witnesses of a cut that meets its policy', () => {
  const result = {
    id: 'V05',
    title: 'journal checkpoint',
    status: 'pass' as const,
    detail:
      'journal of 9 entries, root AAAA; witnesses: 2 of 3 cosigned (t1 at 2024-06-03T04:05:00Z, t2 at 2024-06-03T04:05:01Z), 2 required',
  };
  assert.match(checkInWords(result, 'es').summary, /Lo firmaron 2 de 3 testigos; se requieren 2\./);
});
