/**
 * A request body's chunks one at a time, as they arrived. A stream's async iterator reads a
 * paused stream with `read()`, which merges every chunk waiting into one new buffer: under load
 * an image body of 2 MB arrived as a few such merges of hundreds of kilobytes, each freshly
 * allocated and faulted in page by page — 9 ms of the center's main thread a package in the
 * intake bench's CPU profile, the largest single cost beside the gate (docs/benchmarks.md). Read
 * as 'data' events, each chunk is the one the socket delivered, and nothing is copied.
 *
 * Stopping leaves the stream paused, not destroyed, so that an answer (a 413) still reaches the
 * client; an error the stream raises afterwards is not ours to report and is ignored.
 */
import type { Readable } from 'node:stream';

/** Waiting this much unread, the stream is paused until the reader catches up. */
const HIGH_WATER = 1024 * 1024;

export interface Chunks {
  /** The next chunk; null at the end; rejects when the stream fails or closes before its end. */
  next(): Promise<Buffer | null>;
  /** Stops reading: the stream stays paused, its listeners removed. */
  stop(): void;
}

export function chunksOf(body: Readable): Chunks {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let stopped = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= HIGH_WATER) body.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (error: Error) => {
    failure ??= error;
    notify();
  };
  const onClose = () => {
    if (!ended) failure ??= new Error('the stream closed before its end');
    notify();
  };
  // Already over before the reader came: a body taken whole, or a client gone during the checks.
  if (body.readableEnded) ended = true;
  else if (body.errored !== null) failure = body.errored;
  else if (body.destroyed) failure = new Error('the stream closed before its end');
  body.on('data', onData);
  body.on('end', onEnd);
  body.on('error', onError);
  body.on('close', onClose);
  return {
    async next() {
      for (;;) {
        // A short queue (1 MiB of 64 KiB chunks at most before the stream pauses): shift is cheap.
        const chunk = queue.shift();
        if (chunk !== undefined) {
          queued -= chunk.length;
          if (queued < HIGH_WATER && !stopped && !ended && body.isPaused()) body.resume();
          return chunk;
        }
        if (failure !== null) throw failure;
        if (ended) return null;
        if (stopped) throw new Error('reading was stopped');
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      body.pause();
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('close', onClose);
      body.off('error', onError);
      body.on('error', ignore);
      queue.length = 0;
      notify();
    },
  };
}

function ignore(): void {}
