/**
 * A witness against a center it must not trust: a loopback server that shows the witness
 * whatever checkpoints and proofs a test chooses — each really signed by the log's key over a
 * real RFC 6962 tree — so that a rollback, a fork at the same size, a tampered proof and a
 * split view between peers can each be shown to the witness, which must refuse and raise its
 * alarm, durably, until an operator clears it.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signCheckpoint } from '../journal/checkpoint.ts';
import { openCosignatures, parseWitnessKey } from '../journal/cosignature.ts';
import { hashLeaf, MerkleTree } from '../journal/merkle.ts';
import { verifierKeyOf, formatVerifierKey, rawPublicKeyOf } from '../journal/note.ts';
import { testSigner } from '../journal/test_keys.ts';
import { runCli } from '../test/center_process.ts';
import { startWitnessServer } from './server.ts';
import { initWitness, openWitness } from './state.ts';
import { Witness } from './witness.ts';

const LOG = testSigner('openprep.TEST.simulacro');
const LOG_KEY = verifierKeyOf(LOG);
const LOG_KEY_TEXT = formatVerifierKey(LOG.name, rawPublicKeyOf(LOG.privateKey));

/** A history of `n` leaves named by `prefix` after the shared ones: forks share their first leaves. */
function history(n: number, fork = '', sharedUpTo = n): MerkleTree {
  return new MerkleTree(
    Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(i < sharedUpTo ? `entry ${i}` : `${fork}${i}`))),
  );
}

function checkpointOf(tree: MerkleTree, size: number, signer = LOG): string {
  return signCheckpoint({ origin: `${signer.name}/log`, size, rootHash: tree.root(size) }, signer);
}

/** The center a test steers: the checkpoint it shows, the tree its proofs come from, and what it received. */
class SteeredCenter {
  note = '';
  tree = history(0);
  tamper = false;
  readonly received: string[] = [];
  server!: Server;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://center');
      if (url.pathname === '/api/v1/checkpoint') {
        response.writeHead(200, { 'content-type': 'text/plain' }).end(this.note);
      } else if (url.pathname === '/api/v1/proof/consistency') {
        const from = Number(url.searchParams.get('from'));
        const to = Number(url.searchParams.get('to'));
        if (to > this.tree.size) return void response.writeHead(400).end('{"error":"beyond-head"}');
        const proof = this.tree.consistencyProof(from, to).map((h) => h.toString('base64'));
        if (this.tamper && proof.length > 0) proof[0] = Buffer.alloc(32, 1).toString('base64');
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ from, to, proof }));
      } else if (url.pathname === '/api/v1/witness/cosignature') {
        let body = '';
        request.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        request.on('end', () => {
          this.received.push(body);
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  show(tree: MerkleTree, size = tree.size): void {
    this.tree = tree;
    this.note = checkpointOf(tree, size);
  }
}

describe('a witness and a center it does not trust', () => {
  let work: string;
  const center = new SteeredCenter();

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'openprep-witness-'));
    await center.start();
  });
  after(async () => {
    await new Promise((resolve) => center.server.close(resolve));
    await rm(work, { recursive: true, force: true });
  });

  const newWitness = async (name: string) => {
    const folder = path.join(work, name);
    const made = await initWitness(folder, name);
    assert.ok(made.ok);
    return folder;
  };
  const openedWitness = async (folder: string) => {
    const opened = await openWitness(folder);
    assert.ok(opened.ok, opened.ok ? '' : opened.message);
    const witness = new Witness({
      folder: opened.value,
      logKey: LOG_KEY,
      logKeyText: LOG_KEY_TEXT,
      center: center.base,
    });
    assert.deepEqual(await witness.load(), { ok: true });
    return witness;
  };

  test('cosigns a first checkpoint and each one that extends it; keeps it on disk and posts it', async () => {
    const witness = await openedWitness(await newWitness('w.grows'));
    center.show(history(5));
    assert.deepEqual(await witness.poll(), { kind: 'cosigned', size: 5 });
    center.show(history(13));
    assert.deepEqual(await witness.poll(), { kind: 'cosigned', size: 13 });
    assert.deepEqual(await witness.poll(), { kind: 'unchanged', size: 13 });
    const key = parseWitnessKey(witness.folder.verifierKey);
    assert.ok(key.ok);
    const served = witness.servedNote;
    assert.ok(served !== null);
    const opened = openCosignatures(served, [key.value]);
    assert.ok(opened.ok);
    assert.equal(opened.value.cosignatures[0]?.name, 'w.grows');
    assert.ok(center.received.includes(served), 'the cosigned note was posted to the center');
    const state = JSON.parse(await readFile(path.join(witness.folder.folder, 'log.json'), 'utf8'));
    assert.equal(state.size, 13);
  });

  test('a rollback (a smaller tree) is refused, durably, across a restart, until cleared', async () => {
    const folder = await newWitness('w.rollback');
    const witness = await openedWitness(folder);
    center.show(history(9));
    assert.equal((await witness.poll()).kind, 'cosigned');
    center.show(history(9), 7);
    const refused = await witness.poll();
    assert.equal(refused.kind, 'alarm');
    assert.equal(refused.kind === 'alarm' && refused.alarm.kind, 'rollback');
    // Restarted, it still refuses: a good checkpoint is not cosigned while the alarm stands.
    const again = await openedWitness(folder);
    assert.equal(again.alarms.length, 1);
    center.show(history(12));
    assert.deepEqual(await again.poll(), { kind: 'alarmed', alarms: 1 });
    assert.equal(again.cosigned?.size, 9);
    const cleared = await runCli(['witness', 'clear', '--state', folder]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /cleared: rollback/);
    const afterClear = await openedWitness(folder);
    assert.deepEqual(await afterClear.poll(), { kind: 'cosigned', size: 12 });
  });

  test('the same size with another root (a fork) and a tampered proof are refused', async () => {
    const forked = await openedWitness(await newWitness('w.fork'));
    center.show(history(8));
    assert.equal((await forked.poll()).kind, 'cosigned');
    center.show(history(8, 'other', 6));
    const fork = await forked.poll();
    assert.equal(fork.kind === 'alarm' && fork.alarm.kind, 'fork');
    assert.equal(forked.cosigned?.size, 8);

    const proofed = await openedWitness(await newWitness('w.proof'));
    center.show(history(8));
    assert.equal((await proofed.poll()).kind, 'cosigned');
    center.show(history(11));
    center.tamper = true;
    const tampered = await proofed.poll();
    center.tamper = false;
    assert.equal(tampered.kind === 'alarm' && tampered.alarm.kind, 'inconsistent-proof');
    // A longer history that does not contain the cosigned one: the honest proof fails too.
    const rewritten = await openedWitness(await newWitness('w.rewritten'));
    center.show(history(8));
    assert.equal((await rewritten.poll()).kind, 'cosigned');
    center.show(history(20, 'rewritten', 4));
    const bad = await rewritten.poll();
    assert.equal(bad.kind === 'alarm' && bad.alarm.kind, 'inconsistent-proof');
  });

  test('a checkpoint not signed by the log, or under another origin, is ignored, not cosigned', async () => {
    const witness = await openedWitness(await newWitness('w.unsigned'));
    center.note = checkpointOf(history(4), 4, testSigner('someone.else'));
    assert.equal((await witness.poll()).kind, 'unavailable');
    center.note = signCheckpoint({ origin: 'another/log', size: 4, rootHash: history(4).root() }, LOG);
    assert.equal((await witness.poll()).kind, 'unavailable');
    // An endless answer is cut short, not read whole.
    center.note = 'x'.repeat(1_000_000);
    assert.equal((await witness.poll()).kind, 'unavailable');
    assert.equal(witness.cosigned, null);
    assert.equal(witness.alarms.length, 0);
  });

  test('peers: the same checkpoint or a consistent one agree; another root is a split view', async () => {
    const a = await openedWitness(await newWitness('w.peer-a'));
    const b = await openedWitness(await newWitness('w.peer-b'));
    center.show(history(10));
    await a.poll();
    center.show(history(14));
    await b.poll();
    const servedA = await startWitnessServer(a, '127.0.0.1', 0);
    const servedB = await startWitnessServer(b, '127.0.0.1', 0);
    try {
      assert.equal((await b.checkPeers([servedA.url]))[0]?.status, 'consistent');
      assert.equal((await a.checkPeers([servedB.url]))[0]?.status, 'consistent');
      // The site reads a witness from another origin.
      const response = await fetch(`${servedA.url}/checkpoint`);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      assert.equal(await response.text(), a.servedNote);

      // c saw another history of 10 entries: a split view, seen from either side.
      const c = await openedWitness(await newWitness('w.peer-c'));
      center.show(history(20, 'split', 3), 10);
      await c.poll();
      const seen = await c.checkPeers([servedA.url, servedB.url]);
      assert.deepEqual(
        seen.map((p) => p.status),
        ['alarm', 'alarm'],
      );
      assert.equal(c.alarms[0]?.kind, 'split-view');
      const alarms = (await (await fetch(`${servedA.url}/alarms`)).json()) as unknown[];
      assert.deepEqual(alarms, []);
      const servedC = await startWitnessServer(c, '127.0.0.1', 0);
      try {
        const metrics = await (await fetch(`${servedC.url}/metrics`)).text();
        assert.match(metrics, /^openprep_witness_alarms 2$/m);
        const status = (await (await fetch(`${servedC.url}/status`)).json()) as { cosigning: boolean };
        assert.equal(status.cosigning, false);
      } finally {
        servedC.server.close();
      }
    } finally {
      servedA.server.close();
      servedB.server.close();
    }
  });
});
