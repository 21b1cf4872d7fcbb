import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import { chunksOf } from './stream_chunks.ts';

function source(): Readable {
  return new Readable({ read() {} });
}

test('each chunk is the one pushed, never merged with the others, then the end', async () => {
  const body = source();
  const pushed = [Buffer.alloc(65536, 1), Buffer.alloc(65536, 2), Buffer.alloc(100, 3)];
  // All waiting before the reader asks: an async iterator would read them as one new buffer.
  const chunks = chunksOf(body);
  for (const chunk of pushed) body.push(chunk);
  body.push(null);
  await tick();
  for (const chunk of pushed) assert.equal(await chunks.next(), chunk);
  assert.equal(await chunks.next(), null);
  assert.equal(await chunks.next(), null);
});

test('a stream that fails or closes before its end rejects the read', async () => {
  const failing = source();
  const a = chunksOf(failing);
  failing.push(Buffer.from('abc'));
  failing.destroy(new Error('aborted'));
  assert.deepEqual(await a.next(), Buffer.from('abc'));
  await assert.rejects(a.next(), /aborted/);

  const closed = source();
  const b = chunksOf(closed);
  closed.destroy();
  await assert.rejects(b.next(), /closed before its end/);
});

test('a stream already over when the reader comes is read as it ended', async () => {
  const gone = source();
  gone.destroy();
  await tick();
  await assert.rejects(chunksOf(gone).next(), /closed before its end/);

  const errored = source();
  errored.on('error', () => {});
  errored.destroy(new Error('reset'));
  await tick();
  await assert.rejects(chunksOf(errored).next(), /reset/);

  const ended = Readable.from([Buffer.from('x')]);
  ended.resume();
  await new Promise((resolve) => ended.once('end', resolve));
  assert.equal(await chunksOf(ended).next(), null);
});

test('unread chunks past the high-water mark pause the stream until the reader catches up', async () => {
  const body = source();
  const chunks = chunksOf(body);
  for (let i = 0; i < 20; i++) body.push(Buffer.alloc(65536, i));
  await tick();
  assert.equal(body.isPaused(), true, '1.25 MiB unread: paused');
  for (let i = 0; i < 5; i++) assert.equal((await chunks.next())![0], i);
  assert.equal(body.isPaused(), false, 'under 1 MiB unread: flowing again');
  body.push(null);
  let n = 5;
  for (let c = await chunks.next(); c !== null; c = await chunks.next()) assert.equal(c[0], n++);
  assert.equal(n, 20);
});

test('stopping leaves the stream paused and whole, and an error after it is no one’s', async () => {
  const body = source();
  const chunks = chunksOf(body);
  body.push(Buffer.from('first'));
  assert.deepEqual(await chunks.next(), Buffer.from('first'));
  chunks.stop();
  assert.equal(body.isPaused(), true);
  assert.equal(body.destroyed, false);
  await assert.rejects(chunks.next(), /stopped/);
  // Without a listener left this would be an uncaught 'error' and end the process.
  body.destroy(new Error('the client went away'));
  await tick();
  assert.equal(body.destroyed, true);
});
