import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { formatCheckpointBody, openCheckpoint, parseCheckpointBody } from './checkpoint.ts';
import { decodeEntry, encodeEntry } from './entries.ts';
import { canonicalJson } from '../platform/web/canonical_json.ts';
import { MerkleTree, hashLeaf } from './merkle.ts';
import {
  formatVerifierKey,
  keyId,
  openNote,
  parseVerifierKey,
  rawPublicKeyOf,
  signNote,
  verifierKeyOf,
} from './note.ts';
import { CheckpointSigner } from './signer.ts';
import { testSigner } from './test_keys.ts';

const alice = testSigner('openprep.TEST.simulacro', 'alice');
const mallory = testSigner('openprep.TEST.simulacro', 'mallory');
const witness = testSigner('witness.example', 'witness');

describe('C2SP signed notes', () => {
  test('byte-exact format: body, blank line, em-dash signature line; key id per the spec', () => {
    const note = signNote('origin\n5\nAAAA\n', alice);
    const [body, signatures] = note.split('\n\n');
    assert.equal(`${body}\n`, 'origin\n5\nAAAA\n');
    assert.match(signatures!, /^\u2014 openprep\.TEST\.simulacro [A-Za-z0-9+/]+=*\n$/);
    const raw = rawPublicKeyOf(alice.privateKey);
    const expectedId = createHash('sha256')
      .update(Buffer.concat([Buffer.from('openprep.TEST.simulacro\n\x01', 'latin1'), raw]))
      .digest()
      .subarray(0, 4);
    assert.deepEqual(keyId(alice.name, raw), expectedId);
    const blob = Buffer.from(signatures!.trim().split(' ')[2]!, 'base64');
    assert.deepEqual(blob.subarray(0, 4), expectedId);
    assert.equal(blob.length, 68);
  });

  test('verifier keys round-trip and are checked', () => {
    const text = formatVerifierKey(alice.name, rawPublicKeyOf(alice.privateKey));
    const parsed = parseVerifierKey(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.name, alice.name);
    const tamperedId = text.replace(
      /\+([0-9a-f]{8})\+/,
      (_, id: string) => `+${id === '00000000' ? '11111111' : '00000000'}+`,
    );
    assert.equal(parseVerifierKey(tamperedId).ok, false);
    assert.equal(parseVerifierKey('no-plus-signs').ok, false);
    // Base64 keys may hold '+' themselves: every one of many random keys must round-trip.
    for (let i = 0; i < 200; i++) {
      const signer = testSigner('openprep.TEST.live', `key ${i}`);
      assert.ok(
        parseVerifierKey(formatVerifierKey(signer.name, rawPublicKeyOf(signer.privateKey))).ok,
        `key ${i}`,
      );
    }
  });

  test('opening: known good signatures pass, unknown ones are ignored, a bad known one rejects', () => {
    const note = signNote('hello\n', alice, witness);
    const opened = openNote(note, [verifierKeyOf(alice)]);
    assert.ok(opened.ok);
    assert.deepEqual(opened.value.verifiedBy, [alice.name]);
    // Only unknown signatures: rejected.
    const onlyWitness = openNote(signNote('hello\n', witness), [verifierKeyOf(alice)]);
    assert.equal(!onlyWitness.ok && onlyWitness.code, 'no-known-signature');
    // Same name, another key (mallory): the key id differs, so it is unknown, not valid.
    assert.equal(openNote(signNote('hello\n', mallory), [verifierKeyOf(alice)]).ok, false);
    // A body changed after signing.
    const changed = note.replace('hello', 'hellO');
    const bad = openNote(changed, [verifierKeyOf(alice)]);
    assert.equal(!bad.ok && bad.code, 'bad-signature');
    // Control characters are refused.
    assert.equal(openNote(note.replace('hello', 'hel\tlo'), [verifierKeyOf(alice)]).ok, false);
    assert.throws(() => signNote('no newline', alice));
  });
});

describe('checkpoints and the signer', () => {
  const leaves = Array.from({ length: 40 }, (_, i) => hashLeaf(Buffer.from(`entry ${i}`)));
  const tree = new MerkleTree(leaves);
  const origin = `${alice.name}/log`;

  test('checkpoint bodies parse strictly', () => {
    const body = formatCheckpointBody({ origin, size: 40, rootHash: tree.root(40) });
    const parsed = parseCheckpointBody(body);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.size, 40);
    assert.equal(parseCheckpointBody(body.replace('\n40\n', '\n040\n')).ok, false);
    assert.equal(parseCheckpointBody(`${origin}\n40\nshort\n`).ok, false);
  });

  test('the signer signs growth with a valid proof and refuses rewritten or smaller trees, across restarts', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'openprep-signer-'));
    try {
      const stateFile = path.join(directory, 'signer-state.json');
      const opened = await CheckpointSigner.open({ signer: alice, origin, stateFile });
      assert.ok(opened.ok);
      const signer = opened.value;
      const first = await signer.sign({ size: 10, rootHash: tree.root(10), consistencyProof: [] });
      assert.ok(first.ok);
      const checkpoint = openCheckpoint(first.value, [verifierKeyOf(alice)]);
      assert.ok(checkpoint.ok);
      assert.equal(checkpoint.value.size, 10);
      const grown = await signer.sign({
        size: 25,
        rootHash: tree.root(25),
        consistencyProof: tree.consistencyProof(10, 25),
      });
      assert.ok(grown.ok);
      assert.ok((await signer.sign({ size: 25, rootHash: tree.root(25), consistencyProof: [] })).ok);
      // The same size with another root: a fork.
      const fork = await signer.sign({ size: 25, rootHash: tree.root(24), consistencyProof: [] });
      assert.equal(!fork.ok && fork.code, 'inconsistent-with-last-signed');
      const smaller = await signer.sign({ size: 20, rootHash: tree.root(20), consistencyProof: [] });
      assert.equal(!smaller.ok && smaller.code, 'smaller-than-last-signed');
      // A restored old database that went on with different entries.
      const rewritten = [
        ...leaves.slice(0, 15),
        ...Array.from({ length: 25 }, (_, i) => hashLeaf(Buffer.from(`other ${i}`))),
      ];
      const other = new MerkleTree(rewritten);
      const restarted = await CheckpointSigner.open({ signer: alice, origin, stateFile });
      assert.ok(restarted.ok);
      assert.equal(restarted.value.lastSigned?.size, 25);
      const refused = await restarted.value.sign({
        size: 40,
        rootHash: other.root(40),
        consistencyProof: other.consistencyProof(25, 40),
      });
      assert.equal(!refused.ok && refused.code, 'inconsistent-with-last-signed');
      assert.ok(
        (
          await restarted.value.sign({
            size: 40,
            rootHash: tree.root(40),
            consistencyProof: tree.consistencyProof(25, 40),
          })
        ).ok,
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('the signer shared by processes', () => {
  const tree = new MerkleTree(Array.from({ length: 40 }, (_, i) => hashLeaf(Buffer.from(`entry ${i}`))));
  const origin = `${alice.name}/log`;
  test('two signers on one state file: each sees what the other signed; a prefix only when allowed; the state never moves back', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'openprep-signers-'));
    try {
      const stateFile = path.join(directory, 'signer-state.json');
      const open = async () => {
        const opened = await CheckpointSigner.open({ signer: alice, origin, stateFile });
        assert.ok(opened.ok);
        return opened.value;
      };
      const [serve, cut] = [await open(), await open()];
      const proof = (from: number, to: number) => tree.consistencyProof(from, to);
      assert.ok((await serve.sign({ size: 20, rootHash: tree.root(20), consistencyProof: proof })).ok);
      // The other process has never signed, but the file says 20: a smaller tree is refused…
      const smaller = await cut.sign({ size: 12, rootHash: tree.root(12), consistencyProof: proof });
      assert.equal(!smaller.ok && smaller.code, 'smaller-than-last-signed');
      // …unless it is a consistent prefix and the caller asks (a cut whose snapshot was overtaken).
      assert.ok(
        (await cut.sign({ size: 12, rootHash: tree.root(12), consistencyProof: proof, allowPrefix: true }))
          .ok,
      );
      assert.equal(cut.lastSigned?.size, 20, 'signing a prefix leaves the state where it was');
      const forkedPrefix = await cut.sign({
        size: 12,
        rootHash: tree.root(11),
        consistencyProof: proof,
        allowPrefix: true,
      });
      assert.equal(!forkedPrefix.ok && forkedPrefix.code, 'inconsistent-with-last-signed');
      // Both sign growing trees at once: the state ends at the largest, consistent all along.
      const sizes = [25, 31, 27, 40, 33, 38];
      const results = await Promise.all(
        sizes.map((size, i) =>
          (i % 2 === 0 ? serve : cut).sign({ size, rootHash: tree.root(size), consistencyProof: proof }),
        ),
      );
      assert.ok(results.some((r) => r.ok));
      const reopened = await open();
      assert.equal(reopened.lastSigned?.size, 40);
      assert.ok(
        results.every((r, i) => r.ok || (r.code === 'smaller-than-last-signed' && sizes[i]! < 40)),
        JSON.stringify(results.map((r) => (r.ok ? 'ok' : r.code))),
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('journal entries', () => {
  test('canonical JSON: key order does not matter, bytes do', () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: 'ñ', c: null }] }), '{"a":[2,{"c":null,"d":"ñ"}],"b":1}');
    assert.deepEqual(
      encodeEntry({ type: 'DEVICE_REVOKED', at: 1, reason: 'z', deviceId: 'a' }),
      encodeEntry({ deviceId: 'a', at: 1, type: 'DEVICE_REVOKED', reason: 'z' }),
    );
    const decoded = decodeEntry(encodeEntry({ type: 'INTAKE_CLOSED', at: 5, reason: 'Querétaro' }));
    assert.ok(decoded.ok);
    assert.equal(decoded.value['reason'], 'Querétaro');
    assert.equal(decodeEntry(Buffer.from('{"type":"X", "at":1}')).ok, false);
    assert.equal(decodeEntry(Buffer.from([0xff, 0xfe])).ok, false);
    assert.throws(() => canonicalJson({ n: Number.NaN }));
  });
});
