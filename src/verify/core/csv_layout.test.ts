import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isTimestamp } from './csv_layout.ts';

test('V07 timestamps: DD/MM/YYYY HH:MM:SS naming a moment that exists', () => {
  for (const good of [
    '02/06/2024 20:00:00',
    '29/02/2024 23:59:59',
    '29/02/2000 00:00:00',
    '31/12/1999 12:30:45',
    '30/04/2024 01:02:03',
  ])
    assert.equal(isTimestamp(good), true, good);
  for (const bad of [
    '31/02/2024 20:00:00',
    '29/02/2023 20:00:00',
    '29/02/1900 20:00:00',
    '31/04/2024 20:00:00',
    '00/06/2024 20:00:00',
    '02/13/2024 20:00:00',
    '02/00/2024 20:00:00',
    '02/06/2024 24:00:00',
    '02/06/2024 23:60:00',
    '02/06/2024 23:59:60',
    '02-06-2024 20:00:00',
    '02/06/2024T20:00:00',
    '02/06/2024 20.00.00',
    '2/06/2024 20:00:00',
    '02/06/2024 20:00:00 ',
    '02/06/2024 20:00',
    '0a/06/2024 20:00:00',
    '02/06/2024 2a:00:00',
    '02/06/2024 -1:00:00',
    '-',
    '',
  ])
    assert.equal(isTimestamp(bad), false, bad);
});

test('V07 timestamps agree with the calendar of Date, for any day and time', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 14 }),
      fc.integer({ min: 1600, max: 2400 }),
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
      fc.integer({ min: 0, max: 61 }),
      (day, month, year, hour, minute, second) => {
        const two = (n: number) => String(n).padStart(2, '0');
        const cell = `${two(day)}/${two(month)}/${year} ${two(hour)}:${two(minute)}:${two(second)}`;
        const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
        const exists =
          month >= 1 &&
          date.getUTCFullYear() === year &&
          date.getUTCMonth() === month - 1 &&
          date.getUTCDate() === day &&
          date.getUTCHours() === hour &&
          date.getUTCMinutes() === minute &&
          date.getUTCSeconds() === second;
        assert.equal(isTimestamp(cell), exists, cell);
      },
    ),
    { numRuns: 3000 },
  );
});
