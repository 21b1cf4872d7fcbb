import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  CompactRange,
  consistencyProof,
  MerkleTree,
  hashLeaf,
  inclusionProof,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';

// RFC 6962 test leaves and the known-answer roots (shared/research/security-reliability.md §2.1).
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
const KNOWN_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const ctLeafHashes = CT_LEAVES.map((hex) => hashLeaf(Buffer.from(hex, 'hex')));
const leaves300 = Array.from({ length: 300 }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
const tree300 = new MerkleTree(leaves300);
const roots300 = Array.from({ length: 301 }, (_, n) => rootFromLeafHashes(leaves300, 0, n));

function flipBit(buffer: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe('RFC 6962 Merkle tree', () => {
  test('known-answer roots for sizes 0..8', () => {
    for (let n = 0; n <= 8; n++)
      assert.equal(rootFromLeafHashes(ctLeafHashes, 0, n).toString('hex'), KNOWN_ROOTS[n]);
  });

  test('leaf and node hashes are domain-separated', () => {
    const a = hashLeaf(Buffer.from('a'));
    const b = hashLeaf(Buffer.from('b'));
    const node = rootFromLeafHashes([a, b]);
    // A leaf whose data is the two child hashes must not hash to the node.
    assert.notDeepEqual(hashLeaf(Buffer.concat([a, b])), node);
  });

  test('inclusion proofs verify for every size n ≤ 300 and every index m < n', () => {
    for (let n = 1; n <= 300; n++) {
      for (let m = 0; m < n; m++) {
        const proof = tree300.inclusionProof(m, n);
        assert.ok(
          verifyInclusion({ leafHash: leaves300[m]!, index: m, size: n, proof, root: roots300[n]! }),
          `${m}/${n}`,
        );
      }
    }
  });

  test('inclusion proofs fail after any single-bit change, a wrong index or size, or m ≥ n', () => {
    for (let n = 1; n <= 300; n += n < 40 ? 1 : 37) {
      for (let m = 0; m < n; m += m < 8 ? 1 : 13) {
        const proof = inclusionProof(leaves300, m, n);
        const leafHash = leaves300[m]!;
        const root = roots300[n]!;
        const bits = n <= 12 ? 256 : 16; // every bit for small trees, a spread sample above
        for (let b = 0; b < bits; b++) {
          const bit = n <= 12 ? b : (b * 97 + n) % 256;
          assert.ok(!verifyInclusion({ leafHash: flipBit(leafHash, bit), index: m, size: n, proof, root }));
          assert.ok(!verifyInclusion({ leafHash, index: m, size: n, proof, root: flipBit(root, bit) }));
          proof.forEach((_, p) => {
            const bad = proof.map((h, i) => (i === p ? flipBit(h, bit) : h));
            assert.ok(!verifyInclusion({ leafHash, index: m, size: n, proof: bad, root }));
          });
        }
        if (n > 1) {
          assert.ok(!verifyInclusion({ leafHash, index: (m + 1) % n, size: n, proof, root }));
          // A size whose audit path has another shape (RFC 9162 binds the size only through it).
          assert.ok(!verifyInclusion({ leafHash, index: m, size: n * 2, proof, root }));
        }
        assert.ok(!verifyInclusion({ leafHash, index: n, size: n, proof, root }));
        assert.ok(!verifyInclusion({ leafHash, index: m, size: n, proof: [...proof, leafHash], root }));
      }
    }
  });

  test('consistency proofs verify for all 1 ≤ m ≤ n ≤ 300', () => {
    for (let n = 1; n <= 300; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = tree300.consistencyProof(m, n);
        assert.ok(
          verifyConsistency({ oldSize: m, newSize: n, oldRoot: roots300[m]!, newRoot: roots300[n]!, proof }),
          `${m}→${n}`,
        );
      }
    }
  });

  test('consistency proofs fail for an altered old leaf, a truncated, padded or flipped proof', () => {
    for (let n = 2; n <= 300; n += n < 64 ? 1 : 29) {
      for (let m = 1; m < n; m += m < 10 ? 1 : 7) {
        const proof = consistencyProof(leaves300, m, n);
        const oldRoot = roots300[m]!;
        const newRoot = roots300[n]!;
        // A rewritten history: one leaf of the old tree changed.
        const rewritten = [...leaves300];
        rewritten[m - 1] = hashLeaf(Buffer.from('rewritten'));
        const rewrittenOld = rootFromLeafHashes(rewritten, 0, m);
        assert.ok(!verifyConsistency({ oldSize: m, newSize: n, oldRoot: rewrittenOld, newRoot, proof }));
        if (proof.length > 0)
          assert.ok(
            !verifyConsistency({ oldSize: m, newSize: n, oldRoot, newRoot, proof: proof.slice(0, -1) }),
          );
        assert.ok(
          !verifyConsistency({ oldSize: m, newSize: n, oldRoot, newRoot, proof: [...proof, newRoot] }),
        );
        for (let p = 0; p < proof.length; p++) {
          const bad = proof.map((h, i) => (i === p ? flipBit(h, (p * 31 + n) % 256) : h));
          assert.ok(!verifyConsistency({ oldSize: m, newSize: n, oldRoot, newRoot, proof: bad }));
        }
        assert.ok(
          !verifyConsistency({ oldSize: m, newSize: n, oldRoot: flipBit(oldRoot, 7), newRoot, proof }),
        );
        assert.ok(
          !verifyConsistency({ oldSize: m, newSize: n, oldRoot, newRoot: flipBit(newRoot, 200), proof }),
        );
        assert.ok(!verifyConsistency({ oldSize: n, newSize: m, oldRoot: newRoot, newRoot: oldRoot, proof }));
      }
    }
  });

  test('property: a tree grown by appends equals the tree built at once (roots and proofs)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 12 }), (chunks) => {
        const grown = new MerkleTree([]);
        let size = 0;
        for (const n of chunks) {
          const end = Math.min(300, size + n);
          grown.append(leaves300.slice(size, end));
          size = end;
          if (!grown.root().equals(roots300[size]!)) return false;
        }
        for (let m = 1; m <= size; m += 7)
          if (
            !Buffer.concat(grown.consistencyProof(m, size)).equals(
              Buffer.concat(tree300.consistencyProof(m, size)),
            )
          )
            return false;
        return grown.size === size;
      }),
    );
  });

  test('edge cases: empty old tree, equal sizes', () => {
    const root = roots300[5]!;
    assert.ok(verifyConsistency({ oldSize: 0, newSize: 5, oldRoot: roots300[0]!, newRoot: root, proof: [] }));
    assert.ok(verifyConsistency({ oldSize: 5, newSize: 5, oldRoot: root, newRoot: root, proof: [] }));
    assert.ok(
      !verifyConsistency({ oldSize: 5, newSize: 5, oldRoot: root, newRoot: roots300[6]!, proof: [] }),
    );
    assert.ok(!verifyConsistency({ oldSize: 5, newSize: 5, oldRoot: root, newRoot: root, proof: [root] }));
  });

  test('the compact range gives the same root as the whole tree, and round-trips', () => {
    const range = new CompactRange();
    const leaves = Array.from({ length: 1000 }, (_, i) => hashLeaf(Buffer.from(String(i))));
    for (let i = 0; i < leaves.length; i++) {
      range.append(leaves[i]!);
      assert.deepEqual(range.root(), rootFromLeafHashes(leaves, 0, i + 1));
      const copy = CompactRange.fromJSON(JSON.parse(JSON.stringify(range.toJSON())));
      assert.equal(copy.size, i + 1);
      assert.deepEqual(copy.root(), range.root());
    }
  });

  test('the cached tree and the plain functions agree on roots and proofs', () => {
    for (let n = 0; n <= 300; n++) assert.deepEqual(tree300.root(n), roots300[n]);
    for (const [m, n] of [
      [1, 7],
      [4, 300],
      [128, 255],
      [299, 300],
    ] as const) {
      assert.deepEqual(tree300.consistencyProof(m, n), consistencyProof(leaves300, m, n));
      assert.deepEqual(tree300.inclusionProof(m - 1, n), inclusionProof(leaves300, m - 1, n));
    }
  });

  test('property: proofs between random sizes verify', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), (a, b) => {
        const [m, n] = a <= b ? [a, b] : [b, a];
        const proof = consistencyProof(leaves300, m, n);
        return verifyConsistency({
          oldSize: m,
          newSize: n,
          oldRoot: roots300[m]!,
          newRoot: roots300[n]!,
          proof,
        });
      }),
    );
  });
});
