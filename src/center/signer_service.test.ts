import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, describe, test } from 'node:test';
import { openReceiptNode } from '../intake/package.ts';
import { openReceipt, parseReceiptBody } from '../intake/receipt_body.ts';
import { keyNameFor } from '../journal/keys.ts';
import { MerkleTree } from '../journal/merkle.ts';
import { openNote, parseVerifierKey } from '../journal/note.ts';
import { parseVerifierKeyWeb, WEB_NOTES } from '../platform/web/web_crypto.ts';
import { publishCut, signCheckpoint } from '../publish/publisher.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { preparedCenter, startServer, stopServer } from '../test/center_process.ts';
import { packageFor, postPackageRaw, uniquePng } from '../test/packages.ts';
import { killHard, startSigner } from '../test/signer.ts';
import { verifyCut } from '../verify/verify.ts';
import { openCenter } from './node.ts';

const work = await mkdtemp(path.join(tmpdir(), 'openprep-signer-'));
after(() => rm(work, { recursive: true, force: true }));

async function filesUnder(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) found.push(path.join(entry.parentPath, entry.name));
  return found;
}

describe('the signer service: the one process holding the election key', () => {
  test('a node signs checkpoints, receipts and cuts through it; inconsistent checkpoints are refused, before and after a kill -9', async () => {
    const catalog = generateCatalog({ scale: 'tiny', seed: 7 });
    const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
    const start = Date.parse(election.publicationStart) + 3_600_000;
    const keyName = keyNameFor(election.id, election.mode);
    const signerDir = path.join(work, 'signer');
    const keyFile = path.join(signerDir, `${keyName}.key`);
    const socket = path.join(work, 'run', 'signer.sock');
    await mkdir(path.dirname(socket), { recursive: true });
    const env = { ...process.env, OPENPREP_SIGNER_SOCKET: socket, OPENPREP_NODE_ID: 'node-a' };

    let signer = await startSigner(keyFile, socket, ['--create-key', '--max-certificate-hours', '1']);
    try {
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600, 'the key is readable by its owner only');
      assert.equal((await stat(socket)).mode & 0o777, 0o660, 'the socket: the signer’s user and group');
      const publicKey = (await readFile(path.join(signerDir, `${keyName}.pub`), 'utf8')).trim();
      const electionKey = parseVerifierKey(publicKey);
      assert.ok(electionKey.ok);

      // A data folder made with the signer: no election key is written into it.
      const data = path.join(work, 'data');
      const prepared = await preparedCenter(data, 7, ['CATD-SIGNER-1'], { env });
      assert.equal(prepared.remoteSigner, true);
      const device = prepared.devices[0]!;

      // serve on the signer: its receipts are signed by its own certified key, its
      // checkpoints by the signer.
      const server = await startServer(data, start, {
        OPENPREP_SIGNER_SOCKET: socket,
        OPENPREP_NODE_ID: 'node-a',
      });
      let receipt: string;
      try {
        const image = uniquePng(2_000, 1);
        const casilla = catalog.casillas[0]!;
        const pkg = packageFor(device, image, { sequence: 1, claimedKey: `${casilla.key}01` });
        const answer = await postPackageRaw(server.base, { ...pkg, image });
        assert.equal(answer.status, 201, answer.body);
        receipt = answer.body;
        await new Promise((resolve) => setTimeout(resolve, 400)); // a checkpoint or more
      } finally {
        await stopServer(server.child);
      }
      assert.match(receipt, /\ncertificate [A-Za-z0-9+/=]+\n\n/);
      assert.match(receipt, new RegExp(`\\u2014 ${keyName.replaceAll('.', '\\.')}\\.receipt\\.node-a `));
      assert.equal(openNote(receipt, [electionKey.value]).ok, false, 'not signed by the election key itself');
      const body = await openReceiptNode(receipt, electionKey.value);
      assert.ok(body !== null, 'the chain checks out');
      const parsed = parseReceiptBody(body, keyName);
      assert.ok(parsed.ok);
      assert.equal(parsed.value.deviceId, device.id);
      // The phone's WebCrypto reads the same chain.
      const webElection = await parseVerifierKeyWeb(publicKey);
      assert.ok(webElection !== null);
      assert.equal(await openReceipt(receipt, keyName, webElection, WEB_NOTES), body);
      // A receipt whose certificate or body was touched does not verify.
      assert.equal(
        await openReceiptNode(receipt.replace(/\nleaf (\d+)\n/, '\nleaf 9$1\n'), electionKey.value),
        null,
      );
      const certificateLine = /\ncertificate ([A-Za-z0-9+/=]+)\n/.exec(receipt)![1]!;
      const certificate = Buffer.from(certificateLine, 'base64').toString('utf8');
      const longer = certificate.replace(/ (\S+)\n\n/, ' 2099-01-01T00:00:00.000Z\n\n');
      assert.notEqual(longer, certificate);
      assert.equal(
        await openReceiptNode(
          receipt.replace(certificateLine, Buffer.from(longer, 'utf8').toString('base64')),
          electionKey.value,
        ),
        null,
        'a certificate given a longer life by its holder',
      );

      // The node signs a cut through the signer, and the cut verifies with the election key.
      const opened = await openCenter({ root: data, clock: () => start + 600_000, env });
      assert.ok(opened.ok, opened.ok ? '' : opened.message);
      const node = opened.value;
      try {
        const checkpointsBefore = await node.journal.checkpoints();
        assert.ok(checkpointsBefore.length > 0, 'serve signed checkpoints through the signer');
        const cut = await publishCut(node, { cutTime: start + 600_000 });
        assert.ok(cut.ok, cut.ok ? '' : cut.message);
        const report = await verifyCut({ cut: cut.value.folder, publicKey });
        assert.ok(report.ok, JSON.stringify(report.checks.filter((c) => c.status === 'fail')));

        // Not an extension of what it signed: refused, whatever the node says.
        const head = await node.journal.journalHead();
        const rewritten = await node.checkpointSigner.sign({
          size: cut.value.journalSize,
          rootHash: randomBytes(32),
          consistencyProof: [],
        });
        assert.equal(rewritten.ok ? 'signed' : rewritten.code, 'inconsistent-with-last-signed');
        const forged = await node.checkpointSigner.sign({
          size: head.size + 3,
          rootHash: randomBytes(32),
          consistencyProof: () => [randomBytes(32), randomBytes(32)],
        });
        assert.equal(forged.ok ? 'signed' : forged.code, 'inconsistent-with-last-signed');
        const signedBefore = await node.checkpointSigner.readLastSigned();
        assert.ok(signedBefore.ok && signedBefore.value !== null);

        // kill -9: the node is told, nothing is signed; restarted, its state is intact.
        await killHard(signer);
        const away = await signCheckpoint(node, head, start + 700_000);
        assert.equal(away.ok ? 'signed' : away.code, 'signer-unavailable');
        signer = await startSigner(keyFile, socket);
        const signedAfter = await node.checkpointSigner.readLastSigned();
        assert.ok(signedAfter.ok && signedAfter.value !== null);
        assert.equal(signedAfter.value.size, signedBefore.value.size);
        assert.ok(signedAfter.value.rootHash.equals(signedBefore.value.rootHash));
        const stillRefused = await node.checkpointSigner.sign({
          size: signedAfter.value.size,
          rootHash: randomBytes(32),
          consistencyProof: [],
        });
        assert.equal(stillRefused.ok ? 'signed' : stillRefused.code, 'inconsistent-with-last-signed');
        const resumed = await signCheckpoint(
          node,
          head,
          start + 700_000,
          new MerkleTree(await node.journal.journalLeafHashes(0, head.size)),
        );
        assert.ok(resumed.ok, resumed.ok ? '' : resumed.message);
      } finally {
        await node.close();
      }

      // The node's folder holds no election private key: neither the file nor its bytes.
      const keyPem = await readFile(keyFile, 'utf8');
      for (const file of await filesUnder(data)) {
        assert.notEqual(path.basename(file), `${keyName}.key`, file);
        const text = await readFile(file);
        assert.equal(text.includes(keyPem.split('\n')[1]!), false, `${file} holds the key`);
      }
    } finally {
      await killHard(signer).catch(() => undefined);
    }
  });
});
