import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProgress, formatDuration, progressLine } from './progress.ts';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, columns: 60, writes, write: (text: string) => writes.push(text) };
}

test('a line says count, share, ETA and elapsed time', () => {
  const line = progressLine({ label: 'catalog generate', unit: 'casillas', total: 170_648 }, 42_662, 10_000);
  assert.equal(line, 'catalog generate: 42,662 / 170,648 casillas · 25.0 % · ETA 30 s · 10 s');
  assert.equal(
    progressLine({ label: 'sim render', unit: 'images' }, 7, 65_000, 'a.jpg'),
    'sim render: 7 images · 1 min 05 s · a.jpg',
  );
  assert.equal(formatDuration(3_725_000), '1 h 02 min');
});

test('plain output writes a line per 10 % step, not per item', () => {
  let t = 0;
  const out = sink(false);
  const progress = createProgress(out, { label: 'x', unit: 'items', total: 1000, now: () => t });
  for (let done = 1; done <= 1000; done++) {
    t += 1;
    progress.update(done);
  }
  progress.finish();
  assert.ok(out.writes.length >= 10 && out.writes.length <= 12, `${out.writes.length} lines`);
  assert.ok(out.writes.every((w) => w.endsWith('\n') && !w.includes('\r')));
  assert.match(out.writes.at(-1) ?? '', /1,000 \/ 1,000 items · 100\.0 %/);
});

test('plain output with no total writes on a timer while work moves', () => {
  let t = 0;
  const out = sink(false);
  const progress = createProgress(out, { label: 'x', unit: 'items', everyMs: 1000, now: () => t });
  for (let done = 1; done <= 100; done++) {
    t += 100;
    progress.update(done);
  }
  assert.equal(out.writes.length, 10);
  progress.finish();
  assert.match(out.writes.at(-1) ?? '', /^x: 100 items/);
});

test('a terminal gets one line rewritten in place, throttled and cut to its width', () => {
  let t = 0;
  const out = sink(true);
  const progress = createProgress(out, {
    label: 'a long label for a narrow terminal',
    unit: 'things',
    total: 10,
    now: () => t,
  });
  for (let done = 1; done <= 10; done++) {
    t += 50;
    progress.update(done, 'some detail that is long');
  }
  progress.finish();
  assert.ok(out.writes.length < 10);
  assert.ok(out.writes.every((w) => w.startsWith('\r\x1b[2K')));
  assert.ok(out.writes.every((w) => w.replace('\r\x1b[2K', '').trimEnd().length <= 59));
  assert.ok(out.writes.at(-1)?.endsWith('\n'));
});

test('a note goes above the progress line on a terminal, which is drawn again; plainly, one line', () => {
  let t = 0;
  const out = sink(true);
  const progress = createProgress(out, { label: 'night', unit: 'min', total: 100, now: () => t });
  progress.note('before any progress');
  t += 200;
  progress.update(10);
  progress.note('corte 1');
  assert.equal(out.writes[0], 'before any progress\n');
  assert.equal(out.writes.at(-1), `\r\x1b[2Kcorte 1\n${out.writes[1]!.replace('\r\x1b[2K', '')}`);
  assert.match(out.writes.at(-1) ?? '', /\nnight: 10 \/ 100 min/);
  const plain = sink(false);
  const log = createProgress(plain, { label: 'night', unit: 'min', total: 100, now: () => t });
  log.update(50);
  log.note('corte 2');
  assert.equal(plain.writes.at(-1), 'corte 2\n');
});
