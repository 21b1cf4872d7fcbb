/**
 * The history of the night inside each cut: the conformance night's second cut lists both cuts
 * (the first with its manifest's hash) and, as changed since the first, exactly the acta
 * corrected in cotejo — not the one accepted as it was — and as added every catalog acta the
 * first cut did not have.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { buildNight } from '../../tools/conformance.ts';

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
