/**
 * The RFC 6962 / RFC 9162 §2.1 Merkle tree: leaves hashed with a 0x00 prefix, interior nodes
 * with 0x01 (domain separation, so a leaf can never pass for a node), unbalanced right
 * subtrees rather than duplicated last nodes. Function names follow the RFC so a reader can
 * hold it beside the code.
 */
import { createHash, hash } from 'node:crypto';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);
export const HASH_SIZE = 32;
export const EMPTY_ROOT = createHash('sha256').digest();

export function hashLeaf(data: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer');
}

/** hashLeaf of the UTF-8 bytes of a text: one call, no intermediate buffer (U+0000 encodes as the 0x00 prefix). */
export function hashLeafText(text: string): Buffer {
  return hash('sha256', `\u0000${text}`, 'buffer');
}

// Interior nodes are hashed by the million: one reused 65-byte buffer instead of a concat each.
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_SIZE, NODE_PREFIX);

export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE)
    return hash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_SIZE);
  return hash('sha256', NODE_INPUT, 'buffer');
}

/** The largest power of two strictly smaller than n (n ≥ 2): RFC 6962's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH(D[start:end]) over already-hashed leaves. Iterative bottom-up: each level pairs
 * neighbours and carries an odd last node up unchanged, which yields exactly RFC 6962's
 * left-balanced tree.
 */
export function rootFromLeafHashes(
  leafHashes: readonly Uint8Array[],
  start = 0,
  end = leafHashes.length,
): Buffer {
  if (start < 0 || end > leafHashes.length || start > end) throw new Error(`bad range [${start}, ${end})`);
  const n = end - start;
  if (n === 0) return Buffer.from(EMPTY_ROOT);
  let level: Uint8Array[] = leafHashes.slice(start, end) as Uint8Array[];
  while (level.length > 1) {
    const next: Uint8Array[] = new Array(Math.ceil(level.length / 2));
    for (let i = 0; i + 1 < level.length; i += 2) next[i >> 1] = hashChildren(level[i]!, level[i + 1]!);
    if (level.length % 2 === 1) next[next.length - 1] = level[level.length - 1]!;
    level = next;
  }
  return Buffer.from(level[0]!);
}

/**
 * A tree over a fixed array of leaf hashes that caches every perfect, aligned subtree. Those
 * nodes are the same whatever prefix of the log is meant, so one cache answers roots and
 * proofs for every tree size in O(log n) each.
 */
export class MerkleTree {
  readonly #levels: Buffer[][]; // levels[h][i]: root of leaves [i·2^h, (i+1)·2^h)

  constructor(leafHashes: readonly Uint8Array[]) {
    const levels: Buffer[][] = [leafHashes.map((h) => Buffer.from(h.buffer, h.byteOffset, h.byteLength))];
    for (let level = levels[0]!; level.length > 1; ) {
      const next: Buffer[] = new Array(level.length >> 1);
      for (let i = 0; i < next.length; i++) next[i] = hashChildren(level[2 * i]!, level[2 * i + 1]!);
      levels.push(next);
      level = next;
    }
    this.#levels = levels;
  }

  get size(): number {
    return this.#levels[0]!.length;
  }

  /**
   * Extends the tree with more leaves, hashing only the perfect subtrees they complete: a
   * service that signs checkpoints every few seconds keeps one tree instead of rebuilding it
   * from every leaf each time.
   */
  append(leafHashes: readonly Uint8Array[]): void {
    const levels = this.#levels;
    for (const h of leafHashes) levels[0]!.push(Buffer.from(h.buffer, h.byteOffset, h.byteLength));
    for (let level = 0; levels[level]!.length > 1; level++) {
      const below = levels[level]!;
      if (levels[level + 1] === undefined) levels.push([]);
      const above = levels[level + 1]!;
      while (above.length < below.length >> 1)
        above.push(hashChildren(below[2 * above.length]!, below[2 * above.length + 1]!));
    }
  }

  root(size = this.size): Buffer {
    if (!Number.isInteger(size) || size < 0 || size > this.size) throw new Error(`no tree of size ${size}`);
    return this.#rootOf(0, size);
  }

  /** MTH(D[start:end]): perfect aligned subtrees come from the cache, the rest splits as RFC 6962 says. */
  #rootOf(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 0) return Buffer.from(EMPTY_ROOT);
    if (n === 1) return this.#levels[0]![start]!;
    if ((n & (n - 1)) === 0 && start % n === 0) return this.#levels[Math.log2(n)]![start / n]!;
    const k = splitPoint(n);
    return hashChildren(this.#rootOf(start, start + k), this.#rootOf(start + k, end));
  }

  /** RFC 6962 §2.1.1 PATH(m, D[n]). */
  inclusionProof(index: number, size: number): Buffer[] {
    if (
      !(Number.isInteger(index) && Number.isInteger(size) && index >= 0 && index < size && size <= this.size)
    )
      throw new Error(`no inclusion proof for index ${index} in size ${size}`);
    const proof: Buffer[] = [];
    const walk = (m: number, start: number, end: number): void => {
      const n = end - start;
      if (n === 1) return;
      const k = splitPoint(n);
      if (m < k) {
        walk(m, start, start + k);
        proof.push(this.#rootOf(start + k, end));
      } else {
        walk(m - k, start + k, end);
        proof.push(this.#rootOf(start, start + k));
      }
    };
    walk(index, 0, size);
    return proof;
  }

  /** RFC 6962 §2.1.2 PROOF(m, D[n]). */
  consistencyProof(oldSize: number, newSize: number): Buffer[] {
    if (
      !(Number.isInteger(oldSize) && Number.isInteger(newSize) && oldSize >= 0 && oldSize <= newSize) ||
      newSize > this.size
    )
      throw new Error(`no consistency proof from ${oldSize} to ${newSize}`);
    if (oldSize === 0 || oldSize === newSize) return [];
    const proof: Buffer[] = [];
    const subproof = (m: number, start: number, end: number, complete: boolean): void => {
      const n = end - start;
      if (m === n) {
        if (!complete) proof.push(this.#rootOf(start, end));
        return;
      }
      const k = splitPoint(n);
      if (m <= k) {
        subproof(m, start, start + k, complete);
        proof.push(this.#rootOf(start + k, end));
      } else {
        subproof(m - k, start + k, end, false);
        proof.push(this.#rootOf(start, start + k));
      }
    };
    subproof(oldSize, 0, newSize, true);
    return proof;
  }
}

/** PATH(m, D[n]) over the first `size` leaf hashes. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number, size: number): Buffer[] {
  return new MerkleTree(leafHashes.slice(0, size)).inclusionProof(index, size);
}

/** PROOF(m, D[n]) over the first `newSize` leaf hashes. */
export function consistencyProof(
  leafHashes: readonly Uint8Array[],
  oldSize: number,
  newSize: number,
): Buffer[] {
  if (newSize > leafHashes.length) throw new Error(`no consistency proof from ${oldSize} to ${newSize}`);
  return new MerkleTree(leafHashes.slice(0, newSize)).consistencyProof(oldSize, newSize);
}

/** RFC 9162 §2.1.3.2: verify an inclusion proof. */
export function verifyInclusion(input: {
  readonly leafHash: Uint8Array;
  readonly index: number;
  readonly size: number;
  readonly proof: readonly Uint8Array[];
  readonly root: Uint8Array;
}): boolean {
  const { leafHash, index, size, proof, root } = input;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (leafHash.length !== HASH_SIZE || root.length !== HASH_SIZE) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (p.length !== HASH_SIZE || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(r).equals(Buffer.from(root));
}

/** RFC 9162 §2.1.4.2: verify a consistency proof between two tree heads. */
export function verifyConsistency(input: {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: Uint8Array;
  readonly newRoot: Uint8Array;
  readonly proof: readonly Uint8Array[];
}): boolean {
  const { oldSize, newSize, proof } = input;
  const oldRoot = Buffer.from(input.oldRoot);
  const newRoot = Buffer.from(input.newRoot);
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize)
    return false;
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE) return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  if (oldSize === newSize) return proof.length === 0 && oldRoot.equals(newRoot);
  if (oldSize === 0) return proof.length === 0 && oldRoot.equals(EMPTY_ROOT);
  let path = [...proof];
  // If the old size is an exact power of two, the old root itself starts the path.
  if ((oldSize & (oldSize - 1)) === 0 && oldSize <= 2 ** 30) path = [oldRoot, ...path];
  if (path.length === 0) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(fr).equals(oldRoot) && Buffer.from(sr).equals(newRoot);
}

/**
 * The right frontier of the tree: the roots of its perfect subtrees, largest first. Appending a
 * leaf merges equal-sized subtrees like a binary counter, so the store keeps O(log n) hashes and
 * gets the root without rereading the leaves.
 */
export class CompactRange {
  #size: number;
  #hashes: Buffer[]; // one per set bit of size, highest bit first

  constructor(size = 0, hashes: readonly Uint8Array[] = []) {
    const bits = size
      .toString(2)
      .split('')
      .filter((b) => b === '1').length;
    if (!Number.isSafeInteger(size) || size < 0 || hashes.length !== bits)
      throw new Error(`compact range of size ${size} needs ${bits} hashes, got ${hashes.length}`);
    this.#size = size;
    this.#hashes = hashes.map((h) => Buffer.from(h));
  }

  get size(): number {
    return this.#size;
  }

  append(leafHash: Uint8Array): void {
    let carry: Buffer = Buffer.from(leafHash);
    let size = this.#size;
    while (size % 2 === 1) {
      carry = hashChildren(this.#hashes.pop()!, carry);
      size = Math.floor(size / 2);
    }
    this.#hashes.push(carry);
    this.#size += 1;
  }

  root(): Buffer {
    if (this.#hashes.length === 0) return Buffer.from(EMPTY_ROOT);
    let root = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--) root = hashChildren(this.#hashes[i]!, root);
    return root;
  }

  toJSON(): { size: number; hashes: string[] } {
    return { size: this.#size, hashes: this.#hashes.map((h) => h.toString('hex')) };
  }

  static fromJSON(json: { size: number; hashes: readonly string[] }): CompactRange {
    return new CompactRange(
      json.size,
      json.hashes.map((h) => Buffer.from(h, 'hex')),
    );
  }
}
