/**
 * A siege: a center run as `openprep serve` (a real process, as the README starts it) takes
 * genuine packages from enrolled scanners while attackers (src/adversarial/attackers.ts, a
 * process of their own at the lowest CPU priority) try everything at once, and optionally while
 * the process is killed with SIGKILL at random moments and restarted. Afterwards the store is opened and every receipt a
 * device holds is looked up: a receipt whose package is not stored with that very receipt is
 * lost. Shared by the adversarial suite (`npm run adversarial`) and `npm run bench -- adversarial`.
 *
 * Loopback only, every loop bounded in count and time.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { constants, setPriority } from 'node:os';
import process from 'node:process';
import { openCenter } from '../center/node.ts';
import { declareTerritory } from '../intake/territory.ts';
import { territoryOf } from '../catalog/territory_csv.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { distritoKey } from '../domain/catalog.ts';
import { buildServer } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import { createRandom } from '../sim/random.ts';
import { createOperators } from '../test/capturistas.ts';
import { preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';
import {
  enrolledDevice,
  packageFor,
  postPackage,
  postPackageRaw,
  type TestDevice,
  uniquePng,
} from '../test/packages.ts';
import { ATTACK_CLASSES, type AttackClass, type AttackCounts, type AttackPlan } from './attackers.ts';

export interface SiegeCenter {
  readonly data: string;
  readonly start: number;
  readonly devices: readonly TestDevice[];
  /** Actas not sent yet, each once (contest and CLAVE_ACTA). */
  readonly actas: { contest: string; key: string }[];
  readonly outsider: TestDevice;
  /** The next sequence number of each device (a device never reuses one). */
  readonly sequences: Map<string, number>;
  readonly usernames: readonly string[];
  readonly routes: readonly { readonly method: string; readonly url: string }[];
}

/**
 * A state-sized election with `devices` scanners of CATD-1 (which serves every distrito), one
 * scanner of CATD-2 (which serves one distrito only), and three operators.
 */
export async function prepareSiege(work: string, seed: number, devices: number): Promise<SiegeCenter> {
  const data = path.join(work, 'center');
  await mkdir(data, { recursive: true });
  const ids = Array.from({ length: devices }, (_, i) => `CATD-1-S${i + 1}`);
  const prepared = await preparedCenter(data, seed, ids, { scale: 'state' });
  const clock = () => prepared.start;
  const node = await openCenter({ root: data, clock });
  if (!node.ok) throw new Error(node.message);
  let outsider: TestDevice;
  let routes: { method: string; url: string }[];
  try {
    const store = node.value.devices;
    outsider = await enrolledDevice(store, { id: 'CATD-2-S1', boundTo: 'CATD-2', at: prepared.start });
    const first = prepared.catalog.distritos[0]!;
    const others = (await store.territory()).filter((r) => r.unit !== 'CATD-2');
    await declareTerritory(
      store,
      territoryOf([
        ...others,
        {
          unit: 'CATD-2',
          unitKind: 'CATD',
          areaKind: 'distrito',
          area: distritoKey(first.entidad, first.id),
        },
      ]),
      prepared.start,
    );
    // The route inventory, read off a server built on this very folder (not listening).
    const probe = await buildServer({
      node: node.value,
      config: serveConfigSchema.parse({ logLevel: 'silent', intake: { qualityGate: 'off' } }),
      clock,
    });
    await probe.app.ready();
    routes = probe.routes.map(({ method, url }) => ({ method, url }));
    await probe.app.close();
  } finally {
    await node.value.close();
  }
  const logins = await createOperators(data, clock, {
    prefix: 'capturista',
    role: 'capturista',
    scope: 'catd:CATD-1',
    count: 3,
  });
  // Actas outside CATD-2's one distrito, in an order of their own.
  const first = prepared.catalog.distritos[0]!;
  const actas = prepared.election.contests.flatMap((contest) =>
    [...actasEsperadas(prepared.catalog, contest)]
      .filter((e) => !(e.casilla.entidad === first.entidad && e.casilla.distrito === first.id))
      .map((e) => ({ contest: contest.id, key: e.actaKey })),
  );
  createRandom(seed).shuffle(actas);
  return {
    data,
    start: prepared.start,
    devices: prepared.devices,
    actas,
    outsider,
    sequences: new Map(),
    usernames: logins.map((l) => l.username),
    routes,
  };
}

export interface SiegeOptions {
  readonly seed: number;
  /** Packages each genuine scanner sends, one every `everyMs`. */
  readonly packagesPerDevice: number;
  readonly everyMs: number;
  /** The attackers, or none for the baseline. */
  readonly attack:
    | (Pick<AttackPlan, 'slow' | 'signin' | 'forged' | 'fuzz' | 'perSecond'> & {
        readonly outOfScope: boolean;
      })
    | null;
  /** SIGKILLs of the serve process at random moments, each followed by a restart. */
  readonly kills: number;
  readonly env?: Record<string, string>;
}

export interface SiegeReport {
  readonly attempts: Record<AttackClass | 'genuine' | 'kill', number>;
  readonly attackAnswers: AttackCounts['answers'];
  readonly genuine: {
    readonly sent: number;
    /** Answers to genuine packages by status, retries included ('error': no answer). */
    readonly answers: Record<string, number>;
    readonly latenciesMs: readonly number[];
    readonly p50Ms: number;
    readonly p99Ms: number;
  };
  readonly receiptsHeld: number;
  readonly receiptsStored: number;
  readonly lost: number;
  /** 4xx answers to genuine packages: a fault on our side answered as the device's. */
  readonly serverFault4xx: number;
  readonly journalVerified: boolean;
}

const RETRYABLE = (status: number | 'error') => status === 'error' || status === 429 || status >= 500;

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export async function siege(center: SiegeCenter, options: SiegeOptions): Promise<SiegeReport> {
  const random = createRandom(`siege/${options.seed}`);
  const env = {
    OPENPREP_CHECKPOINT_SECONDS: '1',
    OPENPREP_QUALITY_GATE: 'off',
    ...options.env,
  };
  let server = await startServer(center.data, center.start, env);
  const target = { base: server.base };
  const attempts = Object.fromEntries(
    [...ATTACK_CLASSES, 'genuine', 'kill'].map((c) => [c, 0]),
  ) as SiegeReport['attempts'];
  let worker: ChildProcess | null = null;
  let attackDone: Promise<AttackCounts> | null = null;
  const total = options.packagesPerDevice * center.devices.length;
  const mine = center.actas.splice(0, total);
  if (mine.length < total) throw new Error(`only ${mine.length} actas left for ${total} packages`);
  if (options.attack !== null) {
    const plan: AttackPlan = {
      base: target.base,
      seconds: 600,
      seed: options.seed,
      slow: options.attack.slow,
      signin: options.attack.signin,
      forged: options.attack.forged,
      fuzz: options.attack.fuzz,
      perSecond: options.attack.perSecond,
      routes: center.routes,
      // It claims the very actas the genuine scanners are about to send: a first package from
      // outside scope must not block the genuine one.
      outOfScope: options.attack.outOfScope
        ? {
            deviceId: center.outsider.id,
            privateKeyPem: center.outsider.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
            claims: mine,
          }
        : null,
      usernames: center.usernames,
      deviceIds: center.devices.map((d) => d.id),
    };
    const spawned = fork(new URL('./attackers.ts', import.meta.url), [], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, OPENPREP_ATTACKERS: '1' },
      // Not the test runner's flags (--test…, --inspect-port…): a plain process.
      execArgv: [],
    });
    worker = spawned;
    // The attackers stand for machines elsewhere: they get the CPU only when nothing else wants it.
    if (spawned.pid !== undefined) setPriority(spawned.pid, constants.priority.PRIORITY_LOW);
    attackDone = new Promise((resolve, reject) => {
      spawned.once('message', (counts) => resolve(counts as AttackCounts));
      spawned.once('error', reject);
      spawned.once('exit', (code) => reject(new Error(`the attackers exited (${code}) before reporting`)));
    });
    attackDone.catch(() => {});
    spawned.send(plan);
    // Let the crowd gather before the first genuine package.
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }

  const answers: Record<string, number> = {};
  const latencies: number[] = [];
  const receipts: { deviceId: string; sequence: number; receipt: string }[] = [];
  let fault4xx = 0;
  let restarting: Promise<void> | null = null;
  const begun = Date.now();
  const duration = options.packagesPerDevice * options.everyMs;
  const killAt = Array.from({ length: options.kills }, () => begun + 1000 + random.next() * duration).sort();

  const killer = (async () => {
    for (const at of killAt) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
      attempts.kill++;
      const child: ChildProcess = server.child;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      restarting = (async () => {
        child.kill('SIGKILL');
        await exited;
        server = await startServer(center.data, center.start, env);
        target.base = server.base;
        worker?.send({ base: server.base });
      })();
      await restarting;
      restarting = null;
    }
  })();

  await Promise.all(
    center.devices.map(async (device, d) => {
      for (let i = 0; i < options.packagesPerDevice; i++) {
        const due = begun + i * options.everyMs + (d * options.everyMs) / center.devices.length;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
        const acta = mine[i * center.devices.length + d]!;
        const sequence = center.sequences.get(device.id) ?? 0;
        center.sequences.set(device.id, sequence + 1);
        const image = uniquePng(4096, options.seed * 100_000 + d * 10_000 + i);
        const pkg = packageFor(device, image, { sequence, claimedKey: acta.key, contest: acta.contest });
        attempts.genuine++;
        const started = performance.now();
        // As the CATD agent does: retried until a receipt, for any 5xx, 429 or lost connection.
        for (let attempt = 0; attempt < 600; attempt++) {
          if (restarting !== null) await restarting;
          let status: number | 'error';
          let body = '';
          try {
            const sent =
              d === 0
                ? await postPackage(target.base, { text: pkg.text, signature: pkg.signature, image })
                : await postPackageRaw(target.base, { text: pkg.text, signature: pkg.signature, image });
            status = sent.status;
            body = sent.body;
          } catch (error) {
            status = 'error';
            body = String((error as Error & { cause?: unknown }).cause ?? error);
          }
          answers[String(status)] = (answers[String(status)] ?? 0) + 1;
          if (status === 200 || status === 201) {
            latencies.push(performance.now() - started);
            receipts.push({ deviceId: device.id, sequence, receipt: body });
            break;
          }
          if (!RETRYABLE(status)) {
            fault4xx++;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100 + random.next() * 200));
        }
      }
    }),
  );
  await killer;
  let attackCounts: AttackCounts | null = null;
  if (worker !== null && attackDone !== null) {
    worker.send('stop');
    // Bounded: attackers that do not report within a minute are a failure, never a hang.
    const child = worker;
    const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      attackCounts = await attackDone;
    } finally {
      clearTimeout(deadline);
    }
    for (const kind of ATTACK_CLASSES) attempts[kind] = attackCounts.attempts[kind];
  }
  await stopServer(server.child);

  // What the devices hold, against what the store kept.
  const node = await openCenter({ root: center.data, clock: () => center.start });
  if (!node.ok) throw new Error(`the store does not open after the siege: ${node.message}`);
  let stored = 0;
  try {
    for (const held of receipts) {
      const row = await node.value.devices.transaction((tx) => tx.getPackage(held.deviceId, held.sequence));
      if (row !== null && row.outcome === 'accepted' && row.receipt === held.receipt) stored++;
    }
  } finally {
    await node.value.close();
  }
  const verified = await runCli(['journal', 'verify', '--data', center.data]);
  return {
    attempts,
    attackAnswers:
      attackCounts?.answers ??
      (Object.fromEntries(ATTACK_CLASSES.map((c) => [c, {}])) as AttackCounts['answers']),
    genuine: {
      sent: attempts.genuine,
      answers,
      latenciesMs: latencies,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    },
    receiptsHeld: receipts.length,
    receiptsStored: stored,
    lost: receipts.length - stored,
    serverFault4xx: fault4xx,
    journalVerified: verified.code === 0,
  };
}
