import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createRandom } from './random.ts';

describe('createRandom', () => {
  test('the same seed gives the same sequence; different seeds differ', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const seqA = Array.from({ length: 100 }, () => a.uint32());
    const seqB = Array.from({ length: 100 }, () => b.uint32());
    const seqC = Array.from({ length: 100 }, () => c.uint32());
    assert.deepEqual(seqA, seqB);
    assert.notDeepEqual(seqA, seqC);
    assert.notDeepEqual(
      Array.from({ length: 10 }, createRandom('42').uint32.bind(createRandom('42'))),
      seqA.slice(0, 10),
    );
  });

  test('pinned outputs: the sequence never changes across machines or versions', () => {
    // If this fails, every seeded catalog and election night changes: only update deliberately.
    const random = createRandom(1);
    assert.deepEqual(
      Array.from({ length: 4 }, () => random.uint32()),
      PINNED_SEED_1,
    );
  });

  test('next() is in [0, 1) and int() in its inclusive bounds', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (seed, min, span) => {
          const random = createRandom(seed);
          for (let i = 0; i < 50; i++) {
            const u = random.next();
            assert.ok(u >= 0 && u < 1);
            const n = random.int(min, min + span);
            assert.ok(Number.isInteger(n) && n >= min && n <= min + span);
          }
        },
      ),
    );
  });

  test('int() reaches both ends; pick() every element; chance() its rate', () => {
    const random = createRandom('spread');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(random.int(1, 6));
    assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5, 6]);
    const picked = new Set<string>();
    for (let i = 0; i < 200; i++) picked.add(random.pick(['a', 'b', 'c']));
    assert.equal(picked.size, 3);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (random.chance(0.3)) hits++;
    assert.ok(Math.abs(hits / 20_000 - 0.3) < 0.02, `rate ${hits / 20_000}`);
  });

  test('normal() has the requested mean and spread', () => {
    const random = createRandom(7);
    const values = Array.from({ length: 20_000 }, () => random.normal(575, 100));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    assert.ok(Math.abs(mean - 575) < 3, `mean ${mean}`);
    assert.ok(Math.abs(sd - 100) < 3, `sd ${sd}`);
  });

  test('shuffle() permutes in place', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = createRandom(3).shuffle([...items]);
    assert.notDeepEqual(shuffled, items);
    assert.deepEqual(
      [...shuffled].sort((a, b) => a - b),
      items,
    );
  });

  test('fork() is independent of how much the parent was used', () => {
    const a = createRandom(5);
    const b = createRandom(5);
    b.uint32();
    b.uint32();
    assert.equal(a.fork('x').uint32(), b.fork('x').uint32());
    assert.notEqual(a.fork('x').uint32(), a.fork('y').uint32());
  });

  test('bad arguments are bugs', () => {
    assert.throws(() => createRandom(Number.NaN));
    assert.throws(() => createRandom(1).int(3, 2));
    assert.throws(() => createRandom(1).pick([]));
  });
});

const PINNED_SEED_1: readonly number[] = [2237602202, 2411137674, 415672352, 2486039267];
