import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INITIAL_TABLE, PAGE_SIZE, type TableUnit, tableView } from './children_table.ts';

const secciones: TableUnit[] = Array.from({ length: 120 }, (_, i) => ({
  key: String(i + 1),
  label: `Sección ${String(i + 1).padStart(4, '0')}`,
  order: i,
  leader: i % 3 === 0 ? null : i % 3 === 1 ? 'MORENA' : 'PAN',
  counted: i % 3 === 0 ? null : `${(i % 7) * 10}.0000`,
  participation: i % 3 === 0 ? null : `${(i * 13) % 100}.5000`,
  votes: (i * 37) % 1000,
  casillas: [`09${String(i + 1).padStart(4, '0')}B0100`, `09${String(i + 1).padStart(4, '0')}C0100`],
}));

test('pages of PAGE_SIZE rows, in the published order by default', () => {
  const first = tableView(secciones, INITIAL_TABLE);
  assert.equal(first.rows.length, PAGE_SIZE);
  assert.equal(first.pages, 3);
  assert.equal(first.matching, 120);
  assert.equal(first.rows[0]?.label, 'Sección 0001');
  const last = tableView(secciones, { ...INITIAL_TABLE, page: 9 });
  assert.equal(last.page, 2);
  assert.equal(last.rows.length, 20);
});

test('sorting by any column, both ways; units with nothing counted go last ascending', () => {
  const byVotes = tableView(secciones, { ...INITIAL_TABLE, sort: 'votes', descending: true });
  const votes = byVotes.rows.map((r) => r.votes);
  assert.deepEqual(
    votes,
    [...votes].sort((a, b) => b - a),
  );
  const byParticipation = tableView(secciones, { ...INITIAL_TABLE, sort: 'participation' });
  assert.equal(byParticipation.rows[0]?.participation, null);
  const down = tableView(secciones, { ...INITIAL_TABLE, sort: 'participation', descending: true, page: 2 });
  assert.equal(down.rows.at(-1)?.participation, null);
  const byLeader = tableView(secciones, { ...INITIAL_TABLE, sort: 'leader' });
  assert.equal(byLeader.rows[0]?.leader, 'MORENA');
});

test('search by sección number with or without zeros, and by casilla key', () => {
  assert.deepEqual(
    tableView(secciones, { ...INITIAL_TABLE, query: '0042' }).rows.map((r) => r.key),
    ['42'],
  );
  assert.deepEqual(
    tableView(secciones, { ...INITIAL_TABLE, query: '42' }).rows.map((r) => r.key),
    ['42'],
  );
  const casilla = tableView(secciones, { ...INITIAL_TABLE, query: '090042c' });
  assert.deepEqual(
    casilla.rows.map((r) => r.key),
    ['42'],
  );
  assert.deepEqual(
    casilla.casillas.map((c) => c.casilla),
    ['090042C0100'],
  );
  assert.equal(tableView(secciones, { ...INITIAL_TABLE, query: 'seccion 0007' }).matching, 1);
  assert.equal(tableView(secciones, { ...INITIAL_TABLE, query: 'zzz' }).matching, 0);
  assert.equal(tableView(secciones, { ...INITIAL_TABLE, query: 'zzz' }).pages, 1);
});
