/**
 * docs/configuration.md is what tools/config_reference.ts makes of the configuration schemas:
 * a key added, renamed or re-described without running `npm run config-reference` fails here.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { z } from 'zod';
import { configurationReference, REFERENCE_FILE, rowsOf } from './config_reference.ts';

test('docs/configuration.md is generated from the schemas, and every key says what it means', async () => {
  const { text, problems } = configurationReference();
  assert.deepEqual(problems, []);
  assert.equal(
    await readFile(REFERENCE_FILE, 'utf8'),
    text,
    'docs/configuration.md is out of date: run npm run config-reference',
  );
  for (const key of [
    '`metrics.token` | `OPENPREP_METRICS_TOKEN`',
    '`intake.qualityGate` | `OPENPREP_QUALITY_GATE`',
  ])
    assert.ok(text.includes(key), `${key} is in the reference`);
});

test('a key without a description, its default and its environment variable, as the page shows them', () => {
  const problems: string[] = [];
  const rows = rowsOf(
    z.object({
      port: z.number().int().min(1).max(9).default(3).describe('A port.'),
      nested: z.object({ bare: z.string() }).strict().describe('Nested.'),
    }),
    new Map([['port', '`PORT`']]),
    problems,
  );
  assert.deepEqual(problems, ['nested.bare has no description (.describe() in its schema)']);
  assert.deepEqual(rows[0], {
    key: 'port',
    environment: '`PORT`',
    type: 'integer 1–9',
    default: '`3`',
    meaning: 'A port.',
  });
  assert.equal(rows[2]?.default, '**required**');
});
