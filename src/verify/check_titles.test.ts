/** docs/verification.md states each check under its number and title, as the report prints them. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { CHECK_TITLES } from './core/report.ts';

test('docs/verification.md has one section per check, titled as CHECK_TITLES, in order', async () => {
  const doc = await readFile(path.join(import.meta.dirname, '..', '..', 'docs', 'verification.md'), 'utf8');
  const headings = [...doc.matchAll(/^### (V[0-9]{2}) (.+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(
    headings,
    Object.entries(CHECK_TITLES).map(([id, title]) => `${id} ${title}`),
  );
});
