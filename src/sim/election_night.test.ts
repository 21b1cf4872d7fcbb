import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Casilla } from '../domain/catalog.ts';
import type { VoteColumn } from '../domain/election.ts';
import type { CasillaKey } from '../domain/keys.ts';
import { sameFields } from '../domain/values.ts';
import {
  ARRIVAL_CURVE,
  NEVER_ARRIVES_SHARE,
  sampleArrivalHours,
  trueActaFields,
  typeActa,
} from './election_night.ts';
import { createRandom } from './random.ts';

const casilla: Casilla = {
  key: '010338B0100' as CasillaKey,
  entidad: 1,
  distrito: 1,
  seccion: 338,
  tipo: 'B',
  id: 1,
  extension: 0,
  ubicacion: 'URBANA',
  listaNominal: 600,
  representantes: 14,
  boletasAprobadas: 0,
};
const columns: VoteColumn[] = [
  { id: 'PAN', kind: 'party', name: 'PAN' },
  { id: 'MORENA', kind: 'party', name: 'MORENA' },
  { id: 'NO_REGISTRADAS', kind: 'no_registradas', name: 'No registradas' },
  { id: 'NULOS', kind: 'nulos', name: 'Nulos' },
];

describe('election night model', () => {
  test('arrivals follow the curve of domain.md', () => {
    const random = createRandom('arrivals');
    const samples = Array.from({ length: 20_000 }, () => sampleArrivalHours(random));
    const share = (hours: number) => samples.filter((h) => h !== null && h <= hours).length / samples.length;
    const never = samples.filter((h) => h === null).length / samples.length;
    assert.ok(share(1) < 0.05, `by 21:00 ${share(1)}`);
    assert.ok(Math.abs(share(5.5) - 0.5) < 0.02, `by 01:30 ${share(5.5)}`);
    assert.ok(Math.abs(share(11) - 0.8) < 0.02, `by 07:00 ${share(11)}`);
    assert.ok(Math.abs(share(24) - (1 - NEVER_ARRIVES_SHARE)) < 0.01, `at close ${share(24)}`);
    assert.ok(Math.abs(never - NEVER_ARRIVES_SHARE) < 0.01, `never ${never}`);
    assert.ok(samples.every((h) => h === null || (h >= ARRIVAL_CURVE[0]![0] && h <= 24)));
  });

  test('true actas are plausible and never exceed the ballots unless told to', () => {
    const random = createRandom('truth');
    const options = {
      illegibleField: 0,
      emptyField: 0,
      allIllegible: 0,
      exceedsListaNominal: 0,
      wrongWrittenTotal: 0,
    };
    for (let i = 0; i < 500; i++) {
      const fields = trueActaFields({ random, casilla, columns, options });
      const total = Object.values(fields.votes).reduce<number>(
        (sum, v) => sum + (typeof v === 'number' ? v : 0),
        0,
      );
      assert.ok(total <= casilla.listaNominal, `total ${total}`);
      assert.equal(fields.totalAsentado, total);
      assert.deepEqual(Object.keys(fields.votes), ['PAN', 'MORENA', 'NO_REGISTRADAS', 'NULOS']);
    }
  });

  test('the same seed gives the same night', () => {
    const a = createRandom('same');
    const b = createRandom('same');
    for (let i = 0; i < 50; i++)
      assert.deepEqual(
        trueActaFields({ random: a, casilla, columns }),
        trueActaFields({ random: b, casilla, columns }),
      );
  });

  test('typing errors happen at the given rate and change one box', () => {
    const random = createRandom('typing');
    const truth = trueActaFields({ random, casilla, columns });
    let wrong = 0;
    for (let i = 0; i < 5_000; i++) if (!sameFields(typeActa(random, truth, 0.05), truth)) wrong++;
    assert.ok(Math.abs(wrong / 5_000 - 0.05) < 0.015, `error rate ${wrong / 5_000}`);
  });
});
