/**
 * The history of the night inside each cut: the conformance night's second cut lists both cuts
 * (the first with its manifest's hash) and, as changed since the first, exactly the acta
 * corrected in cotejo — not the one accepted as it was — and as added every catalog acta the
 * first cut did not have.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Casilla, Catalog } from '../domain/catalog.ts';
import { buildNight } from '../../tools/conformance.ts';
import { contestChanges } from './history_json.ts';

const json = (data: Buffer | undefined) => JSON.parse(data!.toString('utf8'));

/** CLAVE_ACTA (without its `'`) of every catalog row of a results CSV. */
function actaKeys(csv: Buffer): string[] {
  return csv
    .toString('utf8')
    .split('\r')
    .slice(7)
    .map((row) => row.split(',')[1] ?? '-')
    .filter((key) => key.startsWith("'"))
    .map((key) => key.slice(1));
}

test('historial.json grows by one cut a cut; cambios.json names the actas added and corrected', async () => {
  const night = await buildNight();
  const first = json(night.first.files.get('json/historial.json'));
  assert.equal(first.cuts.length, 1);
  assert.equal(first.cuts[0].manifestSha256, null);
  const second = json(night.second.files.get('json/historial.json'));
  assert.deepEqual(
    second.cuts.map((c: { id: string; sequence: number }) => [c.id, c.sequence]),
    [
      [night.first.id, 1],
      [night.second.id, 2],
    ],
  );
  assert.equal(
    second.cuts[0].manifestSha256,
    createHash('sha256').update(night.first.files.get('manifest.json')!).digest('hex'),
  );
  assert.deepEqual(second.cuts[0].aggregates, first.cuts[0].aggregates);
  const nacional = json(night.second.files.get('json/PRES/nacional.json'));
  const pres = second.contests.indexOf('PRES');
  assert.deepEqual(second.cuts[1].aggregates[pres], [
    nacional.aggregates.ACTAS_ESPERADAS,
    nacional.aggregates.ACTAS_CONTABILIZADAS,
    nacional.aggregates.PORCENTAJE_ACTAS_CONTABILIZADAS,
    nacional.aggregates.PORCENTAJE_PARTICIPACION_CIUDADANA,
  ]);

  const firstChanges = json(night.first.files.get('json/cambios.json'));
  assert.equal(firstChanges.previous, null);
  const changes = json(night.second.files.get('json/cambios.json'));
  assert.equal(changes.cut, night.second.id);
  assert.equal(changes.previous, night.first.id);
  for (const contest of night.election.contests) {
    const entry = changes.contests.find((c: { id: string }) => c.id === contest.id);
    const csv = `${contest.id}_${night.election.year}.csv`;
    const before = new Set(actaKeys(night.first.files.get(csv)!));
    const now = actaKeys(night.second.files.get(csv)!);
    assert.deepEqual(
      entry.added.map((a: unknown[]) => a[0]),
      now.filter((key) => !before.has(key)),
      contest.id,
    );
    assert.equal(
      json(night.first.files.get('json/cambios.json')).contests.find(
        (c: { id: string }) => c.id === contest.id,
      ).added.length,
      before.size,
    );
    // The night corrects one PRES acta in cotejo: one more PAN vote and its totals.
    assert.equal(entry.changed.length, contest.id === 'PRES' ? 1 : 0, contest.id);
    if (contest.id !== 'PRES') continue;
    const [key, entidad, distrito, cotejada, columns] = entry.changed[0];
    assert.equal(cotejada, 2);
    assert.ok(columns.includes('PAN') && columns.includes('TOTAL_VOTOS_ASENTADO'), columns.join());
    assert.ok(!columns.includes('COTEJADA'));
    const casilla = night.catalog.casillas.find((c) => key.startsWith(c.key))!;
    assert.deepEqual([entidad, distrito], [casilla.entidad, casilla.distrito]);
  }
});

test("cambios.json follows rows whose quoted cells hold commas, quotes and line ends, wherever each casilla's rows lie", () => {
  // Seven header lines, as in a results CSV; rows end in `\r`; the previous CSV's quoted cell
  // holds a `\r`, so a record ends only at a `\r` after an even number of quotes.
  const header = ['ID_ENTIDAD', 'CLAVE_ACTA', 'UBICACION', 'PAN', 'COTEJADA'];
  const head = 'h\r'.repeat(7);
  const quoted = '"Calle 1, ""A""\rinterior"';
  const previous = Buffer.from(
    `${head}1,'0100010000B,${quoted},5,0\r1,'0100020000B,${quoted},10,0\r1,'0100020000C,plain,3,0\r`,
  );
  // The catalog lists casilla 2 first, but its rows come after casilla 1's in the new CSV: each
  // casilla's range is read where it lies, the remembered next quote searched again going back.
  const rowsOf1 = `1,'0100010000B,${quoted},5,1\r1,'0100010000C,${quoted},7,0\r`;
  const rowsOf2 = `1,'0100020000B,${quoted},11,2\r1,'0100020000C,"x,y",3,1\r1,'0100020000D,"""",0,0\r`;
  const csv = Buffer.from(`${head}${rowsOf1}${rowsOf2}`);
  const at = Buffer.byteLength(head);
  const casilla = (key: string, distrito: number) => ({ key, entidad: 1, distrito }) as unknown as Casilla;
  const catalog = { casillas: [casilla('01000200', 2), casilla('01000100', 1)] } as unknown as Catalog;
  const changes = contestChanges({
    contest: 'PRES',
    catalog,
    csv,
    header,
    casillaRanges: new Map([
      ['01000100', [at, Buffer.byteLength(rowsOf1)] as const],
      ['01000200', [at + Buffer.byteLength(rowsOf1), Buffer.byteLength(rowsOf2)] as const],
    ]),
    previousCsv: previous,
    legacy: false,
  });
  assert.deepEqual(changes.added, [
    ['0100020000D', 1, 2, 0],
    ['0100010000C', 1, 1, 0],
  ]);
  // 0100020000C's UBICACION changed quoting only in the new CSV: a value change all the same.
  assert.deepEqual(changes.changed, [
    ['0100020000B', 1, 2, 2, ['PAN']],
    ['0100020000C', 1, 2, 1, ['UBICACION']],
  ]);
});
