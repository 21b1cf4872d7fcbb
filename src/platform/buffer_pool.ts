/**
 * Memory for image bodies, taken and given back rather than allocated for each image. An acta
 * image is ~2 MB: a fresh Buffer that size is mapped anew by the C allocator and faulted in page
 * by page as it is filled (512 faults: 0.5–2 ms of CPU a buffer on the quiet standard machine,
 * of the order of 15 ms under the intake bench's load:
 * docs/benchmarks.md), and its size counts as V8 external memory, whose growth schedules full
 * collections of the whole heap. Intake holds every image in memory while the gate judges it
 * and copies it once more for a gate worker: reused memory spares both.
 *
 * A buffer given back must no longer be read or written by whoever gave it: the next taker
 * writes over it. Forgetting to give one back is harmless (the garbage collector frees it);
 * giving one back twice is a bug and throws, since two takers would then share the memory.
 */

const MiB = 1024 * 1024;

export interface BufferPoolOptions {
  /** Capacities are multiples of this, so that images of nearby sizes share buffers. */
  readonly granule?: number;
  /** At most this many bytes wait unused in the pool; buffers given back beyond it are dropped. */
  readonly maxIdleBytes?: number;
}

export class BufferPool {
  readonly #granule: number;
  readonly #maxIdleBytes: number;
  /** Unused memory by capacity. */
  readonly #free = new Map<number, ArrayBuffer[]>();
  /** The same memory, to refuse a second giving back. */
  readonly #idle = new Set<ArrayBuffer>();
  #idleBytes = 0;

  constructor(options: BufferPoolOptions = {}) {
    this.#granule = options.granule ?? MiB;
    this.#maxIdleBytes = options.maxIdleBytes ?? 64 * MiB;
    if (!(this.#granule > 0) || !(this.#maxIdleBytes >= 0))
      throw new Error(`bad buffer pool sizes: granule ${this.#granule}, idle ${this.#maxIdleBytes}`);
  }

  /**
   * A buffer of `length` bytes over memory of its own (transferable to a worker), whose contents
   * are whatever it held before: fill all of it before reading it.
   */
  take(length: number): Buffer<ArrayBuffer> {
    if (!Number.isSafeInteger(length) || length < 0) throw new Error(`bad buffer length ${length}`);
    const needed = Math.max(1, Math.ceil(length / this.#granule)) * this.#granule;
    // The smallest unused memory that holds it: images of one night vary in size by a few
    // megabytes, and memory of the exact size would seldom be free.
    let best: ArrayBuffer[] | null = null;
    let bestCapacity = Number.POSITIVE_INFINITY;
    for (const [capacity, list] of this.#free)
      if (capacity >= needed && capacity < bestCapacity && list.length > 0) {
        best = list;
        bestCapacity = capacity;
      }
    const memory = best?.pop();
    if (memory === undefined) return Buffer.allocUnsafeSlow(needed).subarray(0, length);
    this.#idle.delete(memory);
    this.#idleBytes -= memory.byteLength;
    return Buffer.from(memory, 0, length);
  }

  /** Gives back the memory under `buffer` (from take, possibly after a round trip to a worker). */
  give(buffer: Uint8Array): void {
    const memory = buffer.buffer;
    if (!(memory instanceof ArrayBuffer)) return;
    if (this.#idle.has(memory)) throw new Error('a buffer was given back to the pool twice');
    const capacity = memory.byteLength;
    // Not one of ours, or transferred away (a detached buffer has no bytes left): not kept.
    if (capacity === 0 || capacity % this.#granule !== 0) return;
    if (this.#idleBytes + capacity > this.#maxIdleBytes) return;
    const list = this.#free.get(capacity);
    if (list === undefined) this.#free.set(capacity, [memory]);
    else list.push(memory);
    this.#idle.add(memory);
    this.#idleBytes += capacity;
  }

  /** Bytes waiting unused. */
  get idleBytes(): number {
    return this.#idleBytes;
  }
}
