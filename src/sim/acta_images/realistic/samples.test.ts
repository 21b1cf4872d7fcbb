import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { QUALITY_REASONS } from '../../../gate/judge.ts';
import { SCALES } from './conditions.ts';
import { makeRealisticSamples, sampleJobs, sampleStyle } from './samples.ts';

test('every condition once per severity (clean and the page conditions once), shot the way it happens', () => {
  const jobs = sampleJobs();
  assert.equal(jobs.length, 1 + 9 * 5 + 12 * 5 + 3);
  assert.deepEqual(
    jobs.filter((j) => j.condition === 'blur').map((j) => j.severity),
    [1, 2, 3, 4, 5],
  );
  assert.equal(sampleStyle('scanner_whitening'), 'scanner');
  assert.equal(sampleStyle('blur'), 'phone');
  assert.equal(jobs.find((j) => j.condition === 'qr_damaged')?.page, 'qr_damaged');
});

test('one condition rendered twice: the same bytes, a strip and a crop strip, verdicts.json in shape', async () => {
  const dirs = [
    await mkdtemp(path.join(os.tmpdir(), 'rsamples-a-')),
    await mkdtemp(path.join(os.tmpdir(), 'rsamples-b-')),
  ];
  try {
    // Side by side, one worker each: the runs share nothing.
    const [first] = await Promise.all(
      dirs.map((dir) => makeRealisticSamples(dir, { only: ['low_resolution'], workers: 1 })),
    );
    const names = (await readdir(dirs[0]!)).sort();
    assert.deepEqual(names, ['low_resolution-crops.jpg', 'low_resolution.jpg', 'table.md', 'verdicts.json']);
    assert.deepEqual((await readdir(dirs[1]!)).sort(), names);
    for (const name of names)
      assert.ok(
        (await readFile(path.join(dirs[0]!, name))).equals(await readFile(path.join(dirs[1]!, name))),
        `${name} differs between two runs`,
      );

    const strip = await sharp(path.join(dirs[0]!, 'low_resolution.jpg')).metadata();
    assert.equal(strip.format, 'jpeg');
    assert.equal(strip.width, 8 + 5 * (260 + 8));
    const crops = await sharp(path.join(dirs[0]!, 'low_resolution-crops.jpg')).metadata();
    assert.equal(crops.format, 'jpeg');

    const verdicts = JSON.parse(await readFile(path.join(dirs[0]!, 'verdicts.json'), 'utf8'));
    assert.deepEqual(verdicts, JSON.parse(JSON.stringify(first!.verdicts)));
    assert.equal(verdicts.actaKey, '010338B010001');
    assert.equal(verdicts.digitSplit, 'train');
    assert.deepEqual(Object.keys(verdicts.conditions), ['low_resolution']);
    const c = verdicts.conditions.low_resolution;
    assert.equal(c.kind, 'graded');
    assert.equal(c.style, 'phone');
    assert.deepEqual(c.ownReasons, ['low_resolution']);
    assert.deepEqual(
      c.samples.map((s: { severity: number }) => s.severity),
      [1, 2, 3, 4, 5],
    );
    for (const s of c.samples) {
      assert.equal(s.value, SCALES.low_resolution.steps[s.severity - 1]);
      assert.equal(s.unit, 'dpi on the sheet');
      for (const flag of ['readable', 'nearThreshold', 'labelVisible', 'asTargeted'])
        assert.equal(typeof s[flag], 'boolean', flag);
      assert.ok(['accept', 'reject', 'review'].includes(s.verdict));
      for (const code of s.reasons) assert.ok((QUALITY_REASONS as readonly string[]).includes(code), code);
    }
    // 30 dpi on the sheet: no one reads a 6 mm digit in 7 pixels.
    assert.equal(c.samples[4].readable, false);

    const table = await readFile(path.join(dirs[0]!, 'table.md'), 'utf8');
    assert.match(table, /!\[low_resolution\]\(low_resolution\.jpg\)/);
    assert.match(table, /!\[low_resolution, 1:1 crops of three boxes\]\(low_resolution-crops\.jpg\)/);
    assert.equal(table.match(/^\| [1-5] \| /gm)?.length, 5);
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
});
