/**
 * The attackers of a siege (src/adversarial/siege.ts), run as a process of their own at the
 * lowest CPU priority: on a shared 2-core machine they stand for attackers on other machines,
 * so what they cost the center is the center's own work, not theirs.
 * Every class is a bounded loop against a loopback address and stops when told to (or at its
 * own deadline): slow uploads from many addresses, sign-in floods, forged packages, an enrolled
 * device sending actas outside its CATD, and random bytes at every route.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { Agent, type ClientRequest, request as httpRequest } from 'node:http';
import process from 'node:process';
import { PACKAGE_FORMAT, type PackageHeader, packageBytes, signPackage } from '../intake/package.ts';
import { createRandom } from '../sim/random.ts';

export const ATTACK_CLASSES = ['slow', 'signin', 'forged', 'out-of-scope', 'fuzz'] as const;
export type AttackClass = (typeof ATTACK_CLASSES)[number];

export interface AttackPlan {
  readonly base: string;
  readonly seconds: number;
  readonly seed: number;
  /** Slow uploads kept open at once, from addresses 127.0.0.2 … 127.0.0.251. */
  readonly slow: number;
  /** Sign-in attempts in flight at once, from 30 addresses. */
  readonly signin: number;
  readonly forged: number;
  readonly fuzz: number;
  /**
   * Requests a second of each flooding class (sign-in, forged, fuzz), all its loops together:
   * the flood seen on main was ~230 sign-ins a second. Unbounded, the flood measures only whether
   * two cores can answer anything at all.
   */
  readonly perSecond: number;
  /** Routes to throw random bytes at. */
  readonly routes: readonly { readonly method: string; readonly url: string }[];
  /** An enrolled device of another CATD and the actas outside its area it claims. */
  readonly outOfScope: {
    readonly deviceId: string;
    readonly privateKeyPem: string;
    readonly claims: readonly { readonly contest: string; readonly key: string }[];
  } | null;
  /** Real usernames, to flood with wrong passwords (plus made-up ones). */
  readonly usernames: readonly string[];
  /** Enrolled device ids, to forge packages in their names. */
  readonly deviceIds: readonly string[];
}

export interface AttackCounts {
  readonly attempts: Record<AttackClass, number>;
  /** Answers by class and HTTP status ('error' when the connection failed or was dropped). */
  readonly answers: Record<AttackClass, Record<string, number>>;
}

interface Answer {
  readonly status: number | 'error';
}

/** Kept-alive connections per source address, as a flooding client keeps them. */
const agents = new Map<string, Agent>();
function agentFor(localAddress: string | undefined): Agent {
  const key = localAddress ?? '';
  let agent = agents.get(key);
  if (agent === undefined) {
    agent = new Agent({
      keepAlive: true,
      maxSockets: 4,
      ...(localAddress !== undefined ? { localAddress } : {}),
    });
    agents.set(key, agent);
  }
  return agent;
}

/** One HTTP request with a deadline; never throws. */
function send(
  base: string,
  options: {
    readonly method: string;
    readonly path: string;
    readonly headers: Record<string, string>;
    readonly body?: Buffer;
    readonly localAddress?: string;
    readonly timeoutMs?: number;
  },
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const request = httpRequest({
      host: url.hostname,
      port: url.port,
      method: options.method,
      path: options.path,
      headers: options.headers,
      agent: agentFor(options.localAddress),
    });
    const timer = setTimeout(() => request.destroy(), options.timeoutMs ?? 10_000);
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0 });
      });
      response.on('error', () => resolve({ status: 'error' }));
    });
    request.on('error', () => {
      clearTimeout(timer);
      resolve({ status: 'error' });
    });
    request.end(options.body);
  });
}

/** Runs the plan until `stop()` or its deadline; resolves with what was sent and answered. */
export async function attack(plan: AttackPlan, stopped: () => boolean): Promise<AttackCounts> {
  const attempts = Object.fromEntries(ATTACK_CLASSES.map((c) => [c, 0])) as Record<AttackClass, number>;
  const answers = Object.fromEntries(ATTACK_CLASSES.map((c) => [c, {}])) as AttackCounts['answers'];
  const note = (kind: AttackClass, answer: Answer) => {
    const key = String(answer.status);
    answers[kind][key] = (answers[kind][key] ?? 0) + 1;
  };
  const deadline = Date.now() + plan.seconds * 1000;
  const going = () => !stopped() && Date.now() < deadline;
  const generator = createRandom(plan.seed);
  const random = () => generator.next();
  const pick = <T>(items: readonly T[]): T => generator.pick(items);
  const loops: Promise<void>[] = [];
  /** Waits out the rest of one request's share of the class's rate. */
  const paced = async (concurrency: number, begun: number) => {
    const interval = (concurrency / Math.max(1, plan.perSecond)) * 1000;
    const left = interval - (Date.now() - begun);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  };

  // Slow uploads: a multipart body that trickles one byte a second, reopened when dropped.
  for (let i = 0; i < plan.slow; i++)
    loops.push(
      (async () => {
        while (going()) {
          attempts.slow++;
          note('slow', await slowUpload(plan.base, `127.0.0.${2 + (i % 250)}`, going));
        }
      })(),
    );
  // Sign-in floods: made-up names and real names with wrong passwords, from 30 addresses.
  for (let i = 0; i < plan.signin; i++)
    loops.push(
      (async () => {
        while (going()) {
          const begun = Date.now();
          attempts.signin++;
          const username =
            plan.usernames.length > 0 && random() < 0.5
              ? pick(plan.usernames)
              : `nadie.${randomBytes(4).toString('hex')}`;
          note(
            'signin',
            await send(plan.base, {
              method: 'POST',
              path: '/api/v1/session',
              headers: { 'content-type': 'application/json' },
              body: Buffer.from(
                JSON.stringify({ username, password: 'contraseña equivocada', code: '000000' }),
              ),
              localAddress: `127.0.1.${1 + (i % 30)}`,
            }),
          );
          await paced(plan.signin, begun);
        }
      })(),
    );
  // Forged packages: unknown devices, enrolled names signed with another key, altered headers.
  const strangerKey = generateKeyPairSync('ed25519').privateKey;
  for (let i = 0; i < plan.forged; i++)
    loops.push(
      (async () => {
        let sequence = 0;
        while (going()) {
          const begun = Date.now();
          attempts.forged++;
          const image = randomBytes(256);
          const header: PackageHeader = {
            format: PACKAGE_FORMAT,
            contest: 'PRES',
            claimedKey: String(Math.floor(random() * 1e9)),
            origin: 'CATD',
            digitization: 'ESCANER',
            documentType: 'ACTA_PREP',
            transfer: null,
            deviceId: plan.deviceIds.length > 0 && random() < 0.7 ? pick(plan.deviceIds) : `FORJADO-${i}`,
            sequence: sequence++,
            deviceTime: '2024-06-02T21:00:00-06:00',
            imageSha256: randomBytes(32).toString('hex'),
          };
          let text = packageBytes(header).toString('utf8');
          const signature = signPackage(header, strangerKey);
          if (random() < 0.3) text = text.replace('"PRES"', '"SEN"');
          note(
            'forged',
            await send(plan.base, {
              method: 'POST',
              path: '/api/v1/packages',
              headers: {
                'content-type': 'image/png',
                'openprep-package': Buffer.from(text).toString('base64url'),
                'openprep-signature': signature,
              },
              body: image,
              localAddress: `127.0.2.${1 + (i % 50)}`,
            }),
          );
          await paced(plan.forged, begun);
        }
      })(),
    );
  // An enrolled scanner of another CATD claiming actas it does not serve.
  const outside = plan.outOfScope;
  if (outside !== null)
    loops.push(
      (async () => {
        const key = createPrivateKey(outside.privateKeyPem);
        let sequence = 0;
        while (going() && sequence < outside.claims.length) {
          attempts['out-of-scope']++;
          const claim = outside.claims[sequence]!;
          const image = randomBytes(512);
          const header: PackageHeader = {
            format: PACKAGE_FORMAT,
            contest: claim.contest,
            claimedKey: claim.key,
            origin: 'CATD',
            digitization: 'ESCANER',
            documentType: 'ACTA_PREP',
            transfer: null,
            deviceId: outside.deviceId,
            sequence: sequence++,
            deviceTime: '2024-06-02T21:00:00-06:00',
            imageSha256: createHash('sha256').update(image).digest('hex'),
          };
          note(
            'out-of-scope',
            await send(plan.base, {
              method: 'POST',
              path: '/api/v1/packages',
              headers: {
                'content-type': 'image/png',
                'openprep-package': packageBytes(header).toString('base64url'),
                'openprep-signature': signPackage(header, key),
              },
              body: image,
            }),
          );
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
    );
  // Random bytes at every route: methods, paths, headers and bodies.
  for (let i = 0; i < plan.fuzz; i++)
    loops.push(
      (async () => {
        while (going() && plan.routes.length > 0) {
          const begun = Date.now();
          attempts.fuzz++;
          const route = pick(plan.routes);
          const path = route.url.replace(/:[A-Za-z0-9_]+/g, () =>
            encodeURIComponent(randomBytes(6).toString('latin1')),
          );
          note(
            'fuzz',
            await send(plan.base, {
              method: route.method,
              path: path.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)),
              headers: {
                'content-type': pick([
                  'application/json',
                  'multipart/form-data; boundary=zz',
                  'image/png',
                  'text/plain',
                ]),
                cookie: `openprep_session=${randomBytes(16).toString('hex')}`,
              },
              ...(route.method === 'GET' || route.method === 'HEAD'
                ? {}
                : { body: randomBytes(Math.floor(random() * 2048)) }),
              localAddress: `127.0.3.${1 + (i % 50)}`,
            }),
          );
          await paced(plan.fuzz, begun);
        }
      })(),
    );
  await Promise.all(loops);
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
  return { attempts, answers };
}

/**
 * A multipart upload that never shows its signed header: its first bytes, then one byte every
 * `everyMs` until the center drops it (or the caller destroys the request).
 */
export function openSlowUpload(
  base: string,
  localAddress: string,
  everyMs: number,
): { readonly request: ClientRequest; readonly closed: Promise<{ status: number | 'error'; ms: number }> } {
  const url = new URL(`${base}/api/v1/packages`);
  const request = httpRequest({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    localAddress,
    agent: false,
    headers: { 'content-type': 'multipart/form-data; boundary=slowloris', 'transfer-encoding': 'chunked' },
  });
  const opened = Date.now();
  let status: number | 'error' = 'error';
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<{ status: number | 'error'; ms: number }>((resolve) => {
    const done = () => {
      clearInterval(timer);
      resolve({ status, ms: Date.now() - opened });
    };
    request.on('response', (response) => {
      status = response.statusCode ?? 0;
      response.resume();
    });
    request.on('error', done);
    request.on('close', done);
  });
  request.write('--slowloris\r\nContent-Disposition: form-data; name="package"\r\n\r\n{');
  timer = setInterval(() => {
    if (!request.destroyed) request.write('a');
  }, everyMs);
  return { request, closed };
}

/** A slow upload held until the center drops it or the attack stops. */
async function slowUpload(base: string, localAddress: string, going: () => boolean): Promise<Answer> {
  const upload = openSlowUpload(base, localAddress, 1000);
  const watch = setInterval(() => {
    if (!going()) upload.request.destroy();
  }, 1000);
  const { status } = await upload.closed;
  clearInterval(watch);
  return { status };
}

// As a child process (siege.ts forks it at the lowest CPU priority): the first message is the
// plan, then 'stop' or a new base address; the counts are sent back once every loop ended.
if (process.send !== undefined && process.env['OPENPREP_ATTACKERS'] === '1') {
  let stop = false;
  let plan: AttackPlan | null = null;
  process.on('message', (message: unknown) => {
    if (message === 'stop') stop = true;
    else if (plan === null) {
      plan = message as AttackPlan;
      void attack(plan, () => stop).then((counts) => process.send?.(counts, () => process.exit(0)));
    } else if (typeof message === 'object' && message !== null && 'base' in message)
      (plan as { base: string }).base = String((message as { base: unknown }).base);
  });
}
