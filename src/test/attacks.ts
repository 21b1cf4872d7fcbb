/**
 * Replayed attacks against a real `openprep serve` (docs/security-operations.md, "Detections"):
 * credential stuffing from one address and from many, password spraying, brute force, a TOTP
 * code replayed, a device sending another CATD's actas, and a decoy's use; each timed from its
 * last request to its alert read back through GET /api/v1/security/alerts. And a clean night
 * (the demo's simulation) read by the monitor, which must raise nothing. Used by
 * src/security/attacks.test.ts and `npm run bench -- detections`.
 *
 * The decoy is made as the security team makes one (`openprep decoy create --kind operator`) and
 * tried at the sign-in. Every alert must also reach the SOC: the server is given a webhook (a
 * real HTTP receiver on loopback) and each alert raised is waited for there too.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { totp } from '../auth/totp.ts';
import { openCenter } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { enrollDevice } from '../intake/devices.ts';
import { DEFAULT_DETECTION_CONFIG } from '../security/detection_config.ts';
import { operatingNight } from '../security/detections.ts';
import { SecurityMonitor } from '../security/monitor.ts';
import type { SecurityAlertRow } from '../security/alerts_port.ts';
import {
  OPERATOR_PASSWORD,
  ConsoleClient,
  createOperators,
  type OperatorLogin,
  signIn,
} from './capturistas.ts';
import { preparedCenter, runCli, startServer, stopServer } from './center_process.ts';
import { makeDevice, packageFor, postPackage, uniquePng } from './packages.ts';

export interface AttackReport {
  readonly attacks: number;
  readonly detected: number;
  readonly missed: number;
  /** Per attack class: seconds from its last request to its alert read back, or null if missed. */
  readonly seconds_to_alert: Record<string, number | null>;
  /** Alerts raised that the webhook received (each once, by alertId). */
  readonly delivered_to_webhook: number;
}

/** How long an alert is waited for at most: far beyond the 10 s promised, so a slow machine does not flake. */
const OUTER_BOUND_MS = 60_000;

export async function replayAttacks(options: { readonly seed?: number } = {}): Promise<AttackReport> {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-attacks-'));
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  let api: ConsoleClient | null = null;
  // The SOC's end of the webhook: every alert body it receives, by alertId.
  const received = new Set<string>();
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const envelope = JSON.parse(body) as { alert?: { alertId?: string } };
      if (typeof envelope.alert?.alertId === 'string') received.add(envelope.alert.alertId);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const prepared = await preparedCenter(work, options.seed ?? 21, []);
    const secretFile = path.join(work, 'webhook.secret');
    await writeFile(secretFile, 'a webhook secret of at least thirty-two bytes, for the test\n');
    await chmod(secretFile, 0o600);
    const decoy = await runCli([
      'decoy',
      'create',
      '--data',
      work,
      '--kind',
      'operator',
      '--label',
      'attacks',
    ]);
    const decoyName = /: operator (\S+) /.exec(decoy.stdout)?.[1];
    if (decoy.code !== 0 || decoyName === undefined) throw new Error(`decoy create: ${decoy.stderr}`);
    const rogue = makeDevice('CATD-9-S1');
    {
      const node = await openCenter({ root: work, clock: () => prepared.start });
      if (!node.ok) throw new Error(node.message);
      // Bound to a CATD with no declared territory: every acta it sends is someone else's.
      const enrolled = await enrollDevice(node.value.devices, {
        id: rogue.id,
        publicKey: rogue.publicKey,
        origin: 'CATD',
        boundTo: 'CATD-9',
        label: 'rogue',
        at: prepared.start,
      });
      if (!enrolled.ok) throw new Error(enrolled.message);
      await node.value.close();
    }
    const clock = () => prepared.start;
    const capturistas = await createOperators(work, clock, {
      prefix: 'cap',
      role: 'capturista',
      scope: 'nacional',
      count: 12,
    });
    const [security] = await createOperators(work, clock, {
      prefix: 'seg',
      role: 'seguridad',
      scope: 'nacional',
      count: 1,
    });
    const began = Date.now();
    server = await startServer(work, prepared.start, {
      OPENPREP_TRUSTED_PROXIES: '127.0.0.1',
      OPENPREP_RATE_LIMIT_PER_MINUTE: '1000000',
      OPENPREP_LOG_LEVEL: 'warn',
      OPENPREP_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`,
      OPENPREP_ALERT_WEBHOOK_SECRET_FILE: secretFile,
    });
    // The server's drill clock started at prepared.start when it started: TOTP codes follow it.
    const centerNow = () => prepared.start + (Date.now() - began);
    const http = new ConsoleClient([server.base]);
    api = http;
    const reader = await signIn(http, 0, { ...security!, address: '10.99.0.1' }, centerNow());
    const alerts = async (): Promise<SecurityAlertRow[]> => {
      const answer = await http.send(0, 'GET', '/api/v1/security/alerts?limit=1000', {
        session: reader,
        address: reader.login.address,
      });
      if (answer.status !== 200) throw new Error(`alerts: ${answer.status} ${JSON.stringify(answer.body)}`);
      return (answer.body as { alerts: SecurityAlertRow[] }).alerts;
    };
    const attempt = async (
      login: Pick<OperatorLogin, 'username'>,
      address: string,
      password: string,
      code = '000000',
    ) => {
      // 503 busy: the hashing slots were full, nothing was checked or journaled; as a client would, again.
      for (;;) {
        const answer = await http.send(0, 'POST', '/api/v1/session', {
          address,
          body: { username: login.username, password, code },
        });
        if (answer.status !== 503) return answer;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    const timings: Record<string, number | null> = {};
    const known = new Set<string>();
    const awaitAlert = async (name: string, matches: (a: SecurityAlertRow) => boolean) => {
      const from = performance.now();
      for (;;) {
        const found = (await alerts()).find((a) => !known.has(a.alertId) && matches(a));
        if (found !== undefined) {
          known.add(found.alertId);
          timings[name] = Math.round((performance.now() - from) / 10) / 100;
          return;
        }
        if (performance.now() - from > OUTER_BOUND_MS) {
          timings[name] = null;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };

    // 1. Credential stuffing from one address: 20 usernames nobody has, one try each.
    for (let i = 0; i < 20; i++) await attempt({ username: `victim${i}` }, '10.60.0.1', 'Password1!');
    await awaitAlert(
      'credential-stuffing',
      (a) => a.detection === 'credential-stuffing' && a.subject.address === '10.60.0.1',
    );
    // 2. Credential stuffing from many addresses: 50 more unknown usernames, one address each.
    for (let i = 0; i < 50; i++) await attempt({ username: `spread${i}` }, `10.61.${i}.1`, 'Password1!');

    await awaitAlert(
      'credential-stuffing-distributed',
      (a) => a.detection === 'credential-stuffing' && a.subject.address === undefined,
    );
    // 3. Password spraying: ten real accounts, one common password each, from ten addresses.
    for (const [i, login] of capturistas.slice(0, 10).entries())
      await attempt(login, `10.62.${i}.1`, 'Primavera2024');
    await awaitAlert('password-spraying', (a) => a.detection === 'password-spraying');
    // 4. Brute force on one account (its own delay refuses the later tries unread).
    const target = capturistas[11]!;
    for (let i = 0; i < 10; i++) await attempt(target, '10.63.0.1', `guess-${i}`);
    await awaitAlert('brute-force', (a) => a.detection === 'brute-force');
    // 5. A TOTP code used twice (a relayed phishing page, say): the second sign-in is refused.
    const phished = capturistas[10]!;
    const code = totp(phished.secret, centerNow());
    await attempt(phished, '10.64.0.1', OPERATOR_PASSWORD, code);
    await attempt(phished, '10.65.0.1', OPERATOR_PASSWORD, code);
    await awaitAlert('totp-reused', (a) => a.detection === 'totp-reused');
    // 6. A device sending another CATD's actas.
    const actas = [...actasEsperadas(prepared.catalog, prepared.election.contests[0]!)].slice(0, 3);
    for (const [sequence, acta] of actas.entries()) {
      const image = uniquePng(2_000, 900 + sequence);
      const pkg = packageFor(rogue, image, { sequence, claimedKey: acta.actaKey });
      await postPackage(server.base, { text: pkg.text, signature: pkg.signature, image });
    }
    await awaitAlert('device-scope', (a) => a.detection === 'device-scope');
    // 7. A decoy operator's name, found where it was planted, tried at the sign-in.
    await attempt({ username: decoyName }, '10.66.0.1', 'Password1!');
    await awaitAlert('decoy-used', (a) => a.detection === 'decoy-used' && a.severity === 'critical');
    // Each alert the route shows has reached the webhook too (or is on its way: waited for).
    const raised = (await alerts()).map((a) => a.alertId);
    const from = performance.now();
    while (raised.some((id) => !received.has(id)) && performance.now() - from < OUTER_BOUND_MS)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const values = Object.values(timings);
    return {
      delivered_to_webhook: raised.filter((id) => received.has(id)).length,
      attacks: values.length,
      detected: values.filter((v) => v !== null).length,
      missed: values.filter((v) => v === null).length,
      seconds_to_alert: timings,
    };
  } finally {
    api?.close();
    if (server !== null) await stopServer(server.child);
    await new Promise((resolve) => receiver.close(resolve));
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A clean night: the demo's simulated night (actas arriving along the real curve, capturistas,
 * verifiers, cuts), then the monitor reads its whole journal. Returns the alerts it raised.
 */
export async function cleanNight(
  options: { readonly scale?: 'tiny' | 'state' } = {},
): Promise<{ readonly entries: number; readonly alerts: readonly string[] }> {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-clean-night-'));
  try {
    const demo = await runCli([
      'demo',
      '--scale',
      options.scale ?? 'tiny',
      '--until-close',
      '--no-serve',
      '--no-images',
      '--data',
      work,
    ]);
    if (demo.code !== 0) throw new Error(`demo failed (${demo.code}): ${demo.stderr.slice(-2000)}`);
    const node = await openCenter({ root: work, clock: Date.now });
    if (!node.ok) throw new Error(node.message);
    try {
      // Ten seconds a poll, so that each poll saves its position (read below to know it is done).
      let now = Date.now();
      const monitor = new SecurityMonitor({
        store: node.value.security,
        config: DEFAULT_DETECTION_CONFIG,
        night: operatingNight(node.value.pipeline.election),
        holder: 'clean-night',
        clock: () => (now += 10_000),
        leaseMs: 3_600_000,
      });
      const raised: string[] = [];
      const head = (await node.value.journal.journalHead()).size;
      // Read to the end (a poll reads a bounded batch).
      for (let guard = 0; guard < 10_000; guard++) {
        const step = await monitor.poll();
        raised.push(...step.alerts.map((a) => a.alertId));
        const state = await node.value.security.transaction((tx) => tx.getSecurityMonitor());
        if (state !== null && (JSON.parse(state) as { position: number }).position >= head) break;
      }
      return { entries: head, alerts: raised };
    } finally {
      await node.value.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
