/**
 * An agent that pins its center's CA (`agent init --center-ca`), over real HTTPS on loopback:
 * Debian's nginx terminates TLS in front of a real `openprep serve`, with a certificate from CA
 * A on one port and from CA B on another. The agent pinned to A delivers through the first; the
 * same agent pointed at the second refuses to send even when B is in NODE_EXTRA_CA_CERTS (which
 * an agent without a pin then trusts), keeps its actas in the outbox and says it is a
 * certificate problem. A public key pin besides the CA refuses a certificate of the right CA
 * with another key. Certificates are made with the `openssl` command line in the test.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, test } from 'node:test';
import { Accounts } from '../auth/accounts.ts';
import { fromBase32, totp } from '../auth/totp.ts';
import { openCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { MAIN, preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';
import { enrollWithCli, outboxOf, scan } from '../test/field.ts';
import { freePortPair } from '../test/ports.ts';
import { nginxUnavailable, startNginxWith } from '../test/nginx.ts';
import { issue, makeCa, type TestCertificate } from '../test/tls.ts';
import { spkiPin } from './pinned_fetch.ts';

const PASSWORD = 'una frase larga que nadie adivina';
const work = await mkdtemp(path.join(tmpdir(), 'openprep-pinned-ca-'));
after(() => rm(work, { recursive: true, force: true }));

/** nginx terminating TLS: each port with its certificate, all to the one center. */
function startTlsFront(
  dir: string,
  upstream: string,
  fronts: readonly { port: number; tls: TestCertificate }[],
): Promise<ChildProcess> {
  return startNginxWith(
    dir,
    fronts
      .map(
        (front) => `  server {
    listen 127.0.0.1:${front.port} ssl;
    ssl_certificate ${front.tls.cert};
    ssl_certificate_key ${front.tls.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`,
      )
      .join('\n'),
  );
}

/**
 * `openprep agent run` in its own process (so that NODE_EXTRA_CA_CERTS is read as at a real
 * start) until `done` says its event lines are enough; then stopped with SIGTERM.
 */
async function runAgentProcess(
  root: string,
  env: Record<string, string>,
  done: (events: readonly Record<string, unknown>[]) => boolean,
): Promise<Record<string, unknown>[]> {
  const child = spawn(process.execPath, [MAIN, 'agent', 'run', '--data', root], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  const events = () =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (process.env['DEBUG_AGENT'] === '1') process.stderr.write(chunk);
      if (done(events())) resolve();
    });
    child.once('exit', () => resolve());
  });
  child.kill('SIGTERM');
  await exited;
  return events();
}

/** `openprep agent init` as staff run it; then quick retries and no quality gate (the scans are noise). */
async function initAgent(id: string, center: string, extra: readonly string[], centerKeyFile: string) {
  const root = path.join(work, 'agents', id);
  const watch = path.join(work, 'scans', id);
  const init = await runCli([
    'agent',
    'init',
    '--data',
    root,
    '--device-id',
    id,
    '--watch',
    watch,
    '--center',
    center,
    '--center-key',
    centerKeyFile,
    ...extra,
  ]);
  assert.equal(init.code, 0, init.stderr);
  const publicKey = /device public key: (\S+)/.exec(init.stdout)![1]!;
  const file = path.join(root, 'agent.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  await writeFile(
    file,
    JSON.stringify({ ...config, qualityGate: 'off', settleMs: 0, backoff: { baseMs: 20, maxMs: 400 } }),
  );
  return { id, root, watch, publicKey, stdout: init.stdout };
}

const missing = nginxUnavailable();

test('an agent trusts only the CA it pinned for its center', { skip: missing ?? false }, async (t) => {
  const caA = await makeCa(path.join(work, 'ca-a'), 'Center CA A');
  const caB = await makeCa(path.join(work, 'ca-b'), 'Some CA B');
  const certA = await issue(caA, path.join(work, 'tls', 'center-a'), {
    name: 'prep.center',
    usage: 'server',
  });
  const certB = await issue(caB, path.join(work, 'tls', 'center-b'), {
    name: 'prep.center',
    usage: 'server',
  });
  // Another certificate from A, for the same names but another key: what a pin tells apart.
  const certA2 = await issue(caA, path.join(work, 'tls', 'center-a2'), {
    name: 'prep.center',
    usage: 'server',
  });
  const port = await freePortPair();
  const [goodFront, otherCaFront] = [`https://127.0.0.1:${port}`, `https://127.0.0.1:${port + 1}`];
  const secondPort = await freePortPair();
  const otherKeyFront = `https://127.0.0.1:${secondPort}`;

  const pinA = spkiPin(new X509Certificate(readFileSync(certA.cert)));
  const pinA2 = spkiPin(new X509Certificate(readFileSync(certA2.cert)));
  assert.notEqual(pinA, pinA2);

  // The center, its election key public for the agents, the agents made and enrolled.
  const center = path.join(work, 'center');
  const prepared = await preparedCenter(center, 11, []);
  const centerKeyFile = path.join(work, 'election.pub');
  await writeFile(centerKeyFile, `${prepared.verifierKey}\n`);
  const ca = ['--center-ca', caA.cert];
  const good = await initAgent('CATD-PIN-A', goodFront, [...ca, '--center-pin', pinA], centerKeyFile);
  assert.match(good.stdout, /trusted only with a certificate from: CN=Center CA A/);
  const misled = await initAgent('CATD-PIN-B', otherCaFront, ca, centerKeyFile);
  const unpinned = await initAgent('CATD-NO-PIN', otherCaFront, [], centerKeyFile);
  const otherKey = await initAgent(
    'CATD-PIN-KEY',
    otherKeyFront,
    [...ca, '--center-pin', pinA],
    centerKeyFile,
  );
  const agents = [good, misled, unpinned, otherKey];
  // The pinned agent enrols itself through a coordinator's sign-in, over the pinned channel.
  const node = await openCenter({ root: center, clock: () => prepared.start });
  assert.ok(node.ok, node.ok ? '' : node.message);
  const coordinator = await (await Accounts.open(node.value, () => prepared.start)).addOperator({
    username: 'coral.coordina',
    name: 'Coral',
    role: 'coordinador',
    scope: 'catd:CATD-1',
    password: PASSWORD,
    expiresAt: null,
    by: 'test',
  });
  assert.ok(coordinator.ok);
  await node.value.close();
  for (const agent of [misled, unpinned, otherKey]) await enrollWithCli(center, agent);
  // --center-ca is kept in the agent folder; a pinned CA with a plain http:// center is refused.
  assert.equal(
    (await readFile(path.join(good.root, 'center-ca.pem'), 'utf8')).trim(),
    (await readFile(caA.cert, 'utf8')).trim(),
  );
  const plain = await runCli([
    'agent',
    'init',
    '--data',
    path.join(work, 'agents', 'plain'),
    '--device-id',
    'X',
    '--watch',
    path.join(work, 'x'),
    '--center',
    'http://127.0.0.1:1',
    '--center-key',
    centerKeyFile,
    ...ca,
  ]);
  assert.equal(plain.code, 2, plain.stderr);
  assert.match(plain.stderr, /every center is reached over https/);

  const serverStart = Date.now();
  const server = await startServer(center, prepared.start);
  const centerClock = () => prepared.start + (Date.now() - serverStart);
  const enrol = (root: string) =>
    runCli(['agent', 'enroll', '--data', root, '--username', 'coral.coordina', '--bound-to', 'CATD-1'], {
      stdin: `${PASSWORD}\n${totp(fromBase32(coordinator.value.totpSecret), centerClock())}\n`,
    });
  const front = await startTlsFront(path.join(work, 'nginx'), server.base, [
    { port, tls: certA },
    { port: port + 1, tls: certB },
    { port: secondPort, tls: certA2 },
  ]);
  try {
    // Enrolment goes over the same pinned channel: refused to the front with CA B's certificate.
    const refusedEnrol = await enrol(misled.root);
    assert.equal(refusedEnrol.code, 1, refusedEnrol.stderr);
    assert.match(refusedEnrol.stderr, /no-answer: .*certificate problem/);
    const enrolled = await enrol(good.root);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const keys = prepared.election.contests.flatMap((contest) =>
      [...actasEsperadas(prepared.catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
    );
    let n = 0;
    const actas = () => [0, 1].map(() => ({ ...keys[n]!, seed: 900 + n++ }));
    for (const agent of agents) {
      await mkdir(agent.watch, { recursive: true });
      await scan(agent.watch, actas());
    }
    // Even with CA B trusted by Node for the process, the agent pinned to A does not send to B.
    const extraCaB = { NODE_EXTRA_CA_CERTS: caB.cert };
    const delivered = (events: readonly Record<string, unknown>[]) =>
      events.filter((e) => e['kind'] === 'delivered').length;
    const retried = (events: readonly Record<string, unknown>[]) => events.some((e) => e['kind'] === 'retry');

    const goodEvents = await runAgentProcess(good.root, extraCaB, (events) => delivered(events) >= 2);
    assert.equal(delivered(goodEvents), 2, JSON.stringify(goodEvents));
    for (const agent of [misled, otherKey]) {
      const events = await runAgentProcess(agent.root, extraCaB, retried);
      assert.equal(delivered(events), 0, JSON.stringify(events));
      const outbox = await outboxOf(agent.root);
      assert.equal(outbox.counts.pending, 2, `${agent.id}: nothing lost`);
      assert.equal(outbox.counts.refused, 0, `${agent.id}: not taken for a refusal of the acta`);
      const reasons = outbox.items.map((item) => item.lastError ?? '');
      assert.ok(
        reasons.some((r) => r.includes('certificate problem')),
        `${agent.id} says why: ${JSON.stringify(reasons)}`,
      );
      t.diagnostic(`${agent.id}: ${reasons.find((r) => r !== '')}`);
    }
    // The same front with CA B in NODE_EXTRA_CA_CERTS: an agent without a pinned CA trusts it.
    const unpinnedEvents = await runAgentProcess(unpinned.root, extraCaB, (events) => delivered(events) >= 2);
    assert.equal(delivered(unpinnedEvents), 2, JSON.stringify(unpinnedEvents));
  } finally {
    front.kill('SIGTERM');
    await stopServer(server.child);
  }
});
