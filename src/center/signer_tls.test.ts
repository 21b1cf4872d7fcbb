/**
 * The signer service across machines: HTTPS with mutual authentication, with certificates made
 * by the `openssl` command line in the test. A node with a client certificate from the nodes'
 * CA, pinning the signer's CA, signs checkpoints, cut statements and its receipt key through it,
 * and the signer's log names it; a client without a certificate, with one from another CA, or
 * with an expired one gets no connection, and a node facing a signer whose certificate is from
 * another CA than the one it pins refuses it: `signer-unavailable`, nothing signed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, before, describe, test } from 'node:test';
import { keyNameFor } from '../journal/keys.ts';
import { publishCut } from '../publish/publisher.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { MAIN, preparedCenter, runCli } from '../test/center_process.ts';
import { issue, makeCa, type TestCa, type TestCertificate } from '../test/tls.ts';
import { verifyCut } from '../verify/verify.ts';
import { openCenter } from './node.ts';
import { signerEndpoint } from './signer_endpoint.ts';

const work = await mkdtemp(path.join(tmpdir(), 'openprep-signer-tls-'));
after(() => rm(work, { recursive: true, force: true }));

interface RunningSigner {
  readonly child: ChildProcess;
  readonly url: string;
  /** The JSON lines it wrote so far. */
  readonly lines: () => Record<string, unknown>[];
}

/** `openprep signer --listen 127.0.0.1:0 …` in its own process; resolves once it listens. */
function startTlsSigner(keyFile: string, tls: TestCertificate, clientCa: string, extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'signer',
      '--key',
      keyFile,
      '--listen',
      '127.0.0.1:0',
      '--tls-cert',
      tls.cert,
      '--tls-key',
      tls.key,
      '--client-ca',
      clientCa,
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  const lines = () =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return new Promise<RunningSigner>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /"https":"127\.0\.0\.1:([0-9]+)"/.exec(text);
      if (match !== null) resolve({ child, url: `https://127.0.0.1:${match[1]}`, lines });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`signer exited (${code}) before listening:\n${text}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Where the signer keeps the key of preparedCenter's election (seed 7). */
function electionKeyFile(folder: string): string {
  const election = defaultElectionDefinition(generateCatalog({ scale: 'tiny', seed: 7 }), {
    mode: 'simulacro',
  });
  return path.join(work, folder, `${keyNameFor(election.id, election.mode)}.key`);
}

async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** A node's environment for the signer at `url`. */
const nodeEnv = (url: string, signerCa: string, client: TestCertificate, node = 'node-a') => ({
  ...process.env,
  OPENPREP_NODE_ID: node,
  OPENPREP_SIGNER_URL: url,
  OPENPREP_SIGNER_CA: signerCa,
  OPENPREP_SIGNER_CLIENT_CERT: client.cert,
  OPENPREP_SIGNER_CLIENT_KEY: client.key,
});

describe('the signer service over HTTPS with mutual authentication', () => {
  let signerCa: TestCa;
  let nodesCa: TestCa;
  let otherCa: TestCa;
  let signerCert: TestCertificate;
  let impostorCert: TestCertificate;
  let nodeA: TestCertificate;
  let strangerCert: TestCertificate;
  let expiredCert: TestCertificate;
  let keyFile: string;

  before(async () => {
    signerCa = await makeCa(path.join(work, 'ca-signer'), 'OpenPREP test signer CA');
    nodesCa = await makeCa(path.join(work, 'ca-nodes'), 'OpenPREP test nodes CA');
    otherCa = await makeCa(path.join(work, 'ca-other'), 'Some other CA');
    signerCert = await issue(signerCa, path.join(work, 'signer', 'tls'), { name: 'signer', usage: 'server' });
    impostorCert = await issue(otherCa, path.join(work, 'impostor', 'tls'), {
      name: 'signer',
      usage: 'server',
    });
    nodeA = await issue(nodesCa, path.join(work, 'node-a', 'client'), { name: 'node-a', usage: 'client' });
    strangerCert = await issue(otherCa, path.join(work, 'stranger', 'client'), {
      name: 'node-a',
      usage: 'client',
    });
    expiredCert = await issue(nodesCa, path.join(work, 'node-old', 'client'), {
      name: 'node-old',
      usage: 'client',
      window: { start: '20200101000000Z', end: '20200201000000Z' },
    });
  });

  test('a node with a certificate from the nodes’ CA signs checkpoints, cuts and its receipt key; others are refused and nothing is signed for them', async (t) => {
    const data = path.join(work, 'data');
    // The key is made by a first run of the signer (the election's key never leaves its folder).
    keyFile = electionKeyFile('signer');
    const signer = await startTlsSigner(keyFile, signerCert, nodesCa.cert, ['--create-key']);
    try {
      const env = nodeEnv(signer.url, signerCa.cert, nodeA);
      const prepared = await preparedCenter(data, 7, ['CATD-TLS-1'], { env });
      assert.equal(prepared.remoteSigner, true);
      const opened = await openCenter({ root: data, clock: () => prepared.start + 600_000, env });
      assert.ok(opened.ok, opened.ok ? '' : opened.message);
      const node = opened.value;
      try {
        // The receipt key was certified, a checkpoint and the cut statements signed.
        const receipts = node.receipts;
        assert.ok(
          'current' in receipts && receipts.current(prepared.start + 600_000) !== null,
          'a certified receipt key',
        );
        const cut = await publishCut(node, { cutTime: prepared.start + 600_000 });
        assert.ok(cut.ok, cut.ok ? '' : cut.message);
        const publicKey = (await readFile(keyFile.replace(/\.key$/, '.pub'), 'utf8')).trim();
        const report = await verifyCut({ cut: cut.value.folder, publicKey });
        assert.ok(report.ok, JSON.stringify(report.checks.filter((c) => c.status === 'fail')));
      } finally {
        await node.close();
      }
      const signed = signer.lines().filter((line) => line['event'] === 'signed');
      const what = new Set(signed.map((line) => line['what']));
      for (const kind of ['checkpoint', 'cut', 'latest', 'receipt-key'])
        assert.ok(what.has(kind), `the signer signed a ${kind}: ${JSON.stringify(signed)}`);
      assert.ok(
        signed.every((line) => line['client'] === 'node-a'),
        'every signature says which node asked',
      );
      const countSigned = () => signer.lines().filter((line) => line['event'] === 'signed').length;
      const before = countSigned();

      // A client certificate from another CA (with the same CN), an expired one from the right
      // CA: the handshake fails, the node says signer-unavailable.
      for (const [label, client] of [
        ['another CA', strangerCert],
        ['expired', expiredCert],
      ] as const) {
        const refused = await openCenter({
          root: data,
          clock: () => prepared.start + 700_000,
          env: nodeEnv(signer.url, signerCa.cert, client),
        });
        assert.equal(refused.ok ? 'opened' : refused.code, 'signer-unavailable', label);
        assert.match(refused.ok ? '' : refused.message, /refuses this node's certificate/);
        t.diagnostic(`${label}: ${refused.ok ? '' : refused.message}`);
      }
      // A node asking for its receipt key under another node's name than its certificate's.
      const misnamed = await openCenter({
        root: data,
        clock: () => prepared.start + 700_000,
        env: nodeEnv(signer.url, signerCa.cert, nodeA, 'node-b'),
      });
      assert.equal(misnamed.ok ? 'opened' : misnamed.code, 'signer-unavailable');
      assert.match(misnamed.ok ? '' : misnamed.message, /certificate names node-a, not node-b/);
      // No certificate at all.
      const bare = await new Promise<string>((resolve) => {
        const req = request(`${signer.url}/v1/key`, { ca: signerCa.cert }, (res) => {
          res.resume();
          resolve(`answered ${res.statusCode}`);
        });
        req.on('error', (error: Error & { code?: string }) =>
          resolve(`refused: ${error.code ?? error.message}`),
        );
        req.end();
      });
      assert.match(bare, /^refused/);
      await waitFor(() => signer.lines().filter((line) => line['event'] === 'tls-refused').length >= 3);
      const refusals = signer.lines().filter((line) => line['event'] === 'tls-refused');
      const reasons = new Set(refusals.map((line) => line['reason']));
      for (const reason of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED'])
        assert.ok(reasons.has(reason), `the signer says why: ${JSON.stringify(refusals)}`);
      t.diagnostic(`signer log: ${JSON.stringify(refusals)}`);
      assert.equal(countSigned(), before, 'nothing signed for a refused client');

      // A signer whose certificate is from another CA than the node pins (same key, same port
      // shape): the node refuses it, whatever it would sign.
      const impostor = await startTlsSigner(keyFile, impostorCert, nodesCa.cert, [
        '--state',
        path.join(work, 'impostor', 'state.json'),
      ]);
      try {
        const refused = await openCenter({
          root: data,
          clock: () => prepared.start + 800_000,
          env: nodeEnv(impostor.url, signerCa.cert, nodeA),
        });
        assert.equal(refused.ok ? 'opened' : refused.code, 'signer-unavailable');
        assert.match(refused.ok ? '' : refused.message, /the signer's certificate is not trusted/);
        t.diagnostic(`impostor signer: ${refused.ok ? '' : refused.message}`);
        assert.equal(
          impostor.lines().filter((line) => line['event'] === 'signed').length,
          0,
          'the impostor signed nothing',
        );
      } finally {
        await stop(impostor.child);
      }
    } finally {
      await stop(signer.child);
    }
  });

  test('the signer does not start with TLS material missing, unreadable, or a key others can read', async () => {
    const key = electionKeyFile('start');
    const base = ['signer', '--key', key, '--create-key', '--listen', '127.0.0.1:0'];
    const missingCa = await runCli([...base, '--tls-cert', signerCert.cert, '--tls-key', signerCert.key]);
    assert.equal(missingCa.code, 2, missingCa.stderr);
    assert.match(missingCa.stderr, /--listen needs --tls-cert, --tls-key and --client-ca/);
    const absent = await runCli([
      ...base,
      '--tls-cert',
      path.join(work, 'nowhere.crt'),
      '--tls-key',
      signerCert.key,
      '--client-ca',
      nodesCa.cert,
    ]);
    assert.equal(absent.code, 1, absent.stderr);
    assert.match(absent.stderr, /cannot read .*nowhere\.crt/);
    const notPem = await runCli([
      ...base,
      '--tls-cert',
      signerCert.cert,
      '--tls-key',
      signerCert.key,
      '--client-ca',
      path.join(nodesCa.dir, 'index.txt'),
    ]);
    assert.equal(notPem.code, 1, notPem.stderr);
    assert.match(notPem.stderr, /not a PEM file/);
    const open = path.join(work, 'open.key');
    await copyFile(signerCert.key, open);
    await chmod(open, 0o644);
    const readable = await runCli([
      ...base,
      '--tls-cert',
      signerCert.cert,
      '--tls-key',
      open,
      '--client-ca',
      nodesCa.cert,
    ]);
    assert.equal(readable.code, 1, readable.stderr);
    assert.match(readable.stderr, /may be read by others \(mode 644\): chmod 600 it/);
  });

  test('a node refuses a half-given signer configuration before opening anything', async () => {
    const full = {
      OPENPREP_SIGNER_URL: 'https://signer.internal:8443',
      OPENPREP_SIGNER_CA: signerCa.cert,
      OPENPREP_SIGNER_CLIENT_CERT: nodeA.cert,
      OPENPREP_SIGNER_CLIENT_KEY: nodeA.key,
    };
    const read = await signerEndpoint(full);
    assert.ok(read.ok && read.value?.kind === 'https' && read.value.tls.key.includes('PRIVATE KEY'));
    const openKey = path.join(work, 'node-open.key');
    await copyFile(nodeA.key, openKey);
    await chmod(openKey, 0o640);
    for (const [env, message] of [
      [{ ...full, OPENPREP_SIGNER_SOCKET: '/run/s.sock' }, /both set/],
      [{ ...full, OPENPREP_SIGNER_CA: '' }, /needs OPENPREP_SIGNER_CA/],
      [{ ...full, OPENPREP_SIGNER_URL: 'http://signer.internal:8443' }, /https:\/\/host:port/],
      [{ ...full, OPENPREP_SIGNER_CLIENT_KEY: openKey }, /may be read by others/],
      [{ OPENPREP_SIGNER_CA: signerCa.cert }, /OPENPREP_SIGNER_URL is not/],
    ] as const) {
      const refused = await signerEndpoint(env);
      assert.equal(refused.ok ? 'read' : refused.code, 'bad-signer-config');
      assert.match(refused.ok ? '' : refused.message, message);
    }
    assert.deepEqual(await signerEndpoint({}), { ok: true, value: null });
  });
});
