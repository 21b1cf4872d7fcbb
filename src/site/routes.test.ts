import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseRoute, type Route, routeHash } from './routes.ts';

test('every view has an address that parses back to it', () => {
  const contest = fc.constantFrom('PRES', 'SEN', 'DIP_FED');
  const entidad = fc.integer({ min: 1, max: 32 });
  const distrito = fc.integer({ min: 1, max: 999 });
  const route: fc.Arbitrary<Route> = fc.oneof(
    fc.record({ view: fc.constant('nacional' as const), contest: fc.option(contest, { nil: null }) }),
    fc.record({ view: fc.constant('entidad' as const), contest, entidad }),
    fc.record({ view: fc.constant('distrito' as const), contest, entidad, distrito }),
    fc.record({
      view: fc.constant('seccion' as const),
      contest,
      entidad,
      distrito,
      seccion: fc.integer({ min: 1, max: 9999 }),
    }),
    fc
      .record({
        contest,
        entidad,
        distrito,
        seccion: fc.integer({ min: 1, max: 9999 }),
        tipo: fc.constantFrom('B', 'C', 'E', 'S'),
        id: fc.integer({ min: 1, max: 99 }),
        ext: fc.integer({ min: 0, max: 99 }),
      })
      .map(
        ({ contest, entidad, distrito, seccion, tipo, id, ext }): Route => ({
          view: 'casilla',
          contest,
          entidad,
          distrito,
          casilla: `${String(entidad).padStart(2, '0')}${String(seccion).padStart(4, '0')}${tipo}${String(id).padStart(2, '0')}${String(ext).padStart(2, '0')}`,
        }),
      ),
    fc.constant<Route>({ view: 'descargas' }),
    fc.constant<Route>({ view: 'verificar' }),
    fc.record({
      view: fc.constant('historial' as const),
      cut: fc.option(fc.stringMatching(/^\d{8}_\d{4}$/), { nil: null }),
    }),
  );
  fc.assert(fc.property(route, (r) => assert.deepEqual(parseRoute(routeHash(r)), { ...r })));
});

test('addresses as people type them', () => {
  assert.deepEqual(parseRoute(''), { view: 'nacional', contest: null });
  assert.deepEqual(parseRoute('#/'), { view: 'nacional', contest: null });
  assert.deepEqual(parseRoute('#/PRES/entidad/09/'), { view: 'entidad', contest: 'PRES', entidad: 9 });
  assert.deepEqual(parseRoute('#/PRES/distrito/09-001/casilla/090123B0100'), {
    view: 'casilla',
    contest: 'PRES',
    entidad: 9,
    distrito: 1,
    casilla: '090123B0100',
  });
});

test("the history and one cut's changes", () => {
  assert.deepEqual(parseRoute('#/historial'), { view: 'historial', cut: null });
  assert.deepEqual(parseRoute('#/historial/20240602_2105'), { view: 'historial', cut: '20240602_2105' });
});

test('anything else is not found, never a guess', () => {
  for (const hash of [
    '#/pres',
    '#/PRES/entidad/33',
    '#/PRES/entidad/00',
    '#/PRES/entidad/9',
    '#/PRES/distrito/09-000',
    '#/PRES/distrito/09-001/seccion/0000',
    '#/PRES/distrito/09-001/casilla/100123B0100',
    '#/PRES/distrito/09-001/casilla/090123X0100',
    '#/PRES/municipio/09',
    '#/PRES/entidad/09/extra',
    '#/../../etc/passwd',
    '#/PRES/entidad',
    '#/historial/2024',
    '#/historial/20240602_2105/extra',
  ])
    assert.equal(parseRoute(hash).view, 'not-found', hash);
});
