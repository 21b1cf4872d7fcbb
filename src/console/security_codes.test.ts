import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECURITY_DETECTIONS } from '../journal/entry_types.ts';
import { codeWords, WORDS } from './i18n.ts';
import { DETECTIONS, SEVERITIES } from './security_codes.ts';

test('the security screen knows every detection, and has words for each in Spanish and so in English', () => {
  assert.deepEqual([...DETECTIONS], [...SECURITY_DETECTIONS]);
  // Spanish: every code has its own words (English has the same keys, by its type).
  const words = WORDS.es;
  for (const [prefix, codes] of [
    ['detection', DETECTIONS],
    ['severity', SEVERITIES],
    ['response', ['step-up', 'throttle', 'revoke-sessions', 'revoke-device']],
  ] as const)
    for (const code of codes) assert.notEqual(codeWords(prefix, code, words), code, `${prefix} ${code}`);
});
