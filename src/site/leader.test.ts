import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { leaderOf } from './leader.ts';
import type { Column } from './publication.ts';

const columns: Column[] = [
  { id: 'A', kind: 'party', name: 'A', parties: null },
  { id: 'B', kind: 'party', name: 'B', parties: null },
  { id: 'A_B', kind: 'coalition', name: 'A B', parties: ['A', 'B'] },
  { id: 'NO_REGISTRADAS', kind: 'no_registradas', name: 'NR', parties: null },
  { id: 'NULOS', kind: 'nulos', name: 'Nulos', parties: null },
];

test('the leader has strictly more votes than every other option; nulos never lead', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(1000), { minLength: 5, maxLength: 5 }), (votes) => {
      const leader = leaderOf(columns, votes);
      const options = votes.slice(0, 3);
      const top = Math.max(...options);
      if (top === 0 || options.filter((v) => v === top).length > 1) assert.equal(leader, null);
      else assert.equal(leader?.id, columns[options.indexOf(top)]!.id);
    }),
  );
  assert.equal(leaderOf(columns, [0, 0, 0, 0, 99]), null);
  assert.equal(leaderOf(columns, [5, 3, 0, 0, 0])?.id, 'A');
});
