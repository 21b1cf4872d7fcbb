import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferPool } from './buffer_pool.ts';

test('a buffer given back is the memory the next taker of that capacity gets', () => {
  const pool = new BufferPool({ granule: 1024, maxIdleBytes: 8192 });
  const first = pool.take(1500);
  assert.equal(first.length, 1500);
  assert.equal(first.buffer.byteLength, 2048);
  first.fill(7);
  pool.give(first);
  assert.equal(pool.idleBytes, 2048);
  const again = pool.take(1100); // the same capacity class
  assert.equal(again.length, 1100);
  assert.equal(again.buffer, first.buffer);
  assert.equal(pool.idleBytes, 0);
  // Another class is fresh memory.
  const other = pool.take(100);
  assert.notEqual(other.buffer, first.buffer);
  assert.equal(other.buffer.byteLength, 1024);
});

test('giving back the same memory twice throws: two takers would share it', () => {
  const pool = new BufferPool({ granule: 1024 });
  const b = pool.take(10);
  pool.give(b);
  assert.throws(() => pool.give(b), /twice/);
  // A view of the same memory is the same memory.
  assert.throws(() => pool.give(new Uint8Array(b.buffer)), /twice/);
});

test('the pool keeps no more than its idle limit, and nothing not its own', () => {
  const pool = new BufferPool({ granule: 1000, maxIdleBytes: 3000 });
  const taken = [pool.take(1500), pool.take(1500), pool.take(500)];
  for (const b of taken) pool.give(b);
  assert.equal(pool.idleBytes, 3000); // the second 2000 would pass the limit: dropped
  const roomy = new BufferPool({ granule: 1000 });
  roomy.give(Buffer.from('not a pool buffer')); // Node's shared 8 KiB slab
  roomy.give(new Uint8Array(1500));
  // Transferred away (detached): nothing left to keep.
  const moved = roomy.take(100);
  structuredClone(moved.buffer, { transfer: [moved.buffer] });
  roomy.give(moved);
  assert.equal(roomy.idleBytes, 0);
});

test('memory sent to a worker and back returns to the pool', async () => {
  const { Worker } = await import('node:worker_threads');
  const pool = new BufferPool({ granule: 4096 });
  const bytes = pool.take(3000);
  bytes.fill(9);
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.once('message', (b) => parentPort.postMessage(b, [b.buffer]));`,
    { eval: true },
  );
  try {
    worker.postMessage(bytes, [bytes.buffer]);
    assert.equal(bytes.buffer.byteLength, 0); // detached here while the worker holds it
    const back = await new Promise<Uint8Array<ArrayBuffer>>((resolve) => worker.once('message', resolve));
    assert.equal(back.length, 3000);
    assert.equal(back[2999], 9);
    pool.give(back);
    assert.equal(pool.idleBytes, 4096);
  } finally {
    await worker.terminate();
  }
});

test('lengths that are not sizes are refused', () => {
  const pool = new BufferPool();
  assert.throws(() => pool.take(-1), /bad buffer length/);
  assert.throws(() => pool.take(1.5), /bad buffer length/);
  assert.equal(pool.take(0).length, 0);
});
