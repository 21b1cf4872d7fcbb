/**
 * A small seeded PRNG for the simulator: sfc32 (Chris Doty-Humphrey's Small Fast Counting
 * generator), seeded from a hash of the seed. Only 32-bit integer arithmetic and exact IEEE
 * operations are used (no Math.random, no Math.log/cos whose last bits may differ between
 * engines), so the same seed gives the same sequence on every machine.
 */

export interface Random {
  /** A uniform number in [0, 1) with 32 bits of resolution. */
  next(): number;
  /** A uniform 32-bit unsigned integer. */
  uint32(): number;
  /** A uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /**
   * An approximately normal number (Irwin–Hall sum of 12 uniforms): exact arithmetic, so it is
   * reproducible everywhere; tails are cut at ±6 standard deviations, which a simulation never misses.
   */
  normal(mean?: number, sd?: number): number;
  /** Shuffles in place (Fisher–Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[];
  /** An independent generator derived from this one's seed and a label (stable regardless of use order). */
  fork(label: string): Random;
}

/** cyrb128: a fast string hash giving four 32-bit words, used only to spread the seed over sfc32's state. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const TWO_POW_32 = 4_294_967_296;

class Sfc32 implements Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  readonly #seedText: string;

  constructor(seedText: string) {
    this.#seedText = seedText;
    [this.#a, this.#b, this.#c, this.#d] = hash128(seedText);
    // The first outputs of sfc32 still reflect the seed's structure; discard them.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  uint32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min)
      throw new RangeError(`int(${min}, ${max}): bounds must be integers with min <= max`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  normal(mean = 0, sd = 1): number {
    let sum = 0;
    for (let i = 0; i < 12; i++) sum += this.next();
    return mean + (sum - 6) * sd;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const swap = items[i] as T;
      items[i] = items[j] as T;
      items[j] = swap;
    }
    return items;
  }

  fork(label: string): Random {
    return new Sfc32(`${this.#seedText}/${label}`);
  }
}

/** A generator seeded from a number or a string; equal seeds give equal sequences. */
export function createRandom(seed: number | string): Random {
  if (typeof seed === 'number' && !Number.isFinite(seed)) throw new RangeError(`seed ${seed} is not finite`);
  return new Sfc32(typeof seed === 'number' ? `n:${seed}` : `s:${seed}`);
}
