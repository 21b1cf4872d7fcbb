import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFFER_CONFIDENCE } from '../domain/reader_assist.ts';
import { CONFIDENT } from './acta.ts';

test('assist offers a reading at the confidence the reader calls confident', () => {
  assert.equal(OFFER_CONFIDENCE, CONFIDENT);
});
