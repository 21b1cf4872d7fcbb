import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateCatalog } from '../../catalog_generator.ts';
import { defaultElectionDefinition } from '../../default_election.ts';
import { createRandom } from '../../random.ts';
import { BENIGN_CONDITIONS, GRADED_CONDITIONS, PAGE_CONDITIONS, stylesOf } from './conditions.ts';
import {
  BENIGN_SHARE,
  drawCondition,
  PHONE_SHARE,
  PHONE_SHARE_WHERE_BOTH,
  renderRealisticSet,
} from './realistic_set.ts';

test('the mix: ~35% clean or benign, the defects spread evenly over conditions and severities, ~55% phone in all', () => {
  const n = 20_000;
  let benign = 0;
  let both = 0;
  let phoneOfBoth = 0;
  let phone = 0;
  const cells = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const drawn = drawCondition(createRandom(`mix:${i}`));
    assert.ok(stylesOf(drawn.condition).includes(drawn.style));
    if ((BENIGN_CONDITIONS as readonly string[]).includes(drawn.condition)) benign++;
    else {
      const key = `${drawn.condition}:${drawn.severity}`;
      cells.set(key, (cells.get(key) ?? 0) + 1);
    }
    if (drawn.style === 'phone') phone++;
    if (stylesOf(drawn.condition).length === 2) {
      both++;
      if (drawn.style === 'phone') phoneOfBoth++;
    }
    assert.equal(
      drawn.severity === null,
      drawn.condition === 'clean' || (PAGE_CONDITIONS as readonly string[]).includes(drawn.condition),
    );
  }
  assert.ok(Math.abs(benign / n - BENIGN_SHARE) < 0.02, String(benign / n));
  assert.ok(Math.abs(phone / n - PHONE_SHARE) < 0.02, String(phone / n));
  assert.ok(Math.abs(phoneOfBoth / both - PHONE_SHARE_WHERE_BOTH) < 0.02, String(phoneOfBoth / both));
  // Each graded condition × severity: an equal share of the defects (± 25%).
  const defects = n - benign;
  const expected = defects / (GRADED_CONDITIONS.length + PAGE_CONDITIONS.length) / 5;
  for (const condition of GRADED_CONDITIONS)
    for (const severity of [1, 2, 3, 4, 5]) {
      const count = cells.get(`${condition}:${severity}`) ?? 0;
      assert.ok(Math.abs(count - expected) < expected * 0.25, `${condition} ${severity}: ${count}`);
    }
});

test('each acta of the set draws from its own stream: rendering one alone gives the same image', async () => {
  const catalog = generateCatalog({ scale: 'state', seed: 2 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const input = { catalog, election, count: 2, seed: 2, digitSplit: 'test' as const };
  const all = [];
  for await (const image of renderRealisticSet(input)) all.push(image);
  assert.deepEqual(
    all.map((i) => i.index),
    [0, 1],
  );
  const alone = [];
  for await (const image of renderRealisticSet({ ...input, select: (i) => i === 1 })) alone.push(image);
  assert.equal(alone.length, 1);
  assert.ok(alone[0]!.bytes.equals(all[1]!.bytes));
  assert.deepEqual(alone[0]!.truth, all[1]!.truth);
});
