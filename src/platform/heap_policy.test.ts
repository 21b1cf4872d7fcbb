import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyCenterHeapPolicy } from './heap_policy.ts';

// Its effect is measured, not asserted: V8 does not expose the flag, and a small program does not
// reproduce serve's collections (`npm run bench -- intake`, docs/benchmarks.md).
test("the center's heap policy yields to a growing factor the operator set", () => {
  assert.equal(applyCenterHeapPolicy(['--heap-growing-percent=50']), false);
  assert.equal(applyCenterHeapPolicy(['--heap_growing_percent', '50']), false);
  assert.equal(applyCenterHeapPolicy(['--max-old-space-size=4096']), true);
});
