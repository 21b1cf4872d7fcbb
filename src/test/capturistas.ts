/**
 * Simulated operators for the benchmarks: capturistas and verificadores working a center
 * through its HTTP API exactly as the console does (password + TOTP sign-in, the next acta,
 * the typed values, the verification queue), at machine speed. Each gives its own client
 * address in X-Forwarded-For, as it would reach the nodes through a load balancer, so the
 * center's per-address sign-in throttle and rate limits count each person, not the benchmark.
 * Failures throw, so a benchmark stops at the first wrong answer.
 */
import { Agent, request } from 'node:http';
import { Accounts } from '../auth/accounts.ts';
import { fromBase32, totp } from '../auth/totp.ts';
import { openCenter } from '../center/node.ts';
import { actasEsperadas, applicableColumns } from '../domain/actas_esperadas.ts';
import type { Casilla, Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import type { ActaFields } from '../domain/values.ts';
import { trueActaFields, typeActa } from '../sim/election_night.ts';
import { createRandom, type Random } from '../sim/random.ts';

export const OPERATOR_PASSWORD = 'una frase larga que nadie adivina nunca';

export interface OperatorLogin {
  readonly username: string;
  readonly secret: Buffer;
  /** The client address it signs in from (forwarded by the balancer). */
  readonly address: string;
}

export interface Session {
  readonly login: OperatorLogin;
  readonly cookie: string;
  readonly csrf: string;
}

export interface CaptureTask {
  readonly recordId: string;
  readonly contest: string;
  readonly actaKey: string | null;
  readonly columns: readonly { id: string }[];
}

/** Creates `count` operators of one role in a center's data folder (the center not running). */
export async function createOperators(
  root: string,
  clock: () => number,
  spec: { readonly prefix: string; readonly role: string; readonly scope: string; readonly count: number },
  env?: NodeJS.ProcessEnv,
): Promise<OperatorLogin[]> {
  const node = await openCenter({ root, clock, ...(env !== undefined ? { env } : {}) });
  if (!node.ok) throw new Error(node.message);
  try {
    const accounts = await Accounts.open(node.value, clock);
    const logins: OperatorLogin[] = new Array(spec.count);
    let next = 0;
    // Argon2id runs on the thread pool: a few at once keep both cores busy.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = next++; i < spec.count; i = next++) {
          const username = `${spec.prefix}.${String(i).padStart(5, '0')}`;
          const added = await accounts.addOperator({
            username,
            name: username,
            role: spec.role,
            scope: spec.scope,
            password: OPERATOR_PASSWORD,
            expiresAt: null,
            by: 'bench',
          });
          if (!added.ok) throw new Error(added.message);
          logins[i] = {
            username,
            secret: fromBase32(added.value.totpSecret),
            address: `10.${spec.role.length}.${Math.floor(i / 250)}.${(i % 250) + 1}`,
          };
        }
      }),
    );
    return logins;
  } finally {
    await node.value.close();
  }
}

/** JSON over keep-alive HTTP to one or more nodes, with latency per route kept for percentiles. */
export class ConsoleClient {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  readonly #bases: readonly URL[];
  readonly latencies = new Map<string, number[]>();

  constructor(bases: readonly string[]) {
    this.#bases = bases.map((b) => new URL(b));
  }

  /** Sends one request; `node` picks the base (operators keep to one node, as behind a sticky balancer). */
  send(
    node: number,
    method: string,
    route: string,
    options: { session?: Session; address: string; body?: unknown; label?: string },
  ): Promise<{ status: number; body: unknown; headers: Record<string, string | string[] | undefined> }> {
    const base = this.#bases[node % this.#bases.length]!;
    const payload = options.body === undefined ? null : Buffer.from(JSON.stringify(options.body));
    const began = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: base.hostname,
          port: base.port,
          path: route,
          method,
          agent: this.#agent,
          headers: {
            'x-forwarded-for': options.address,
            ...(options.session !== undefined
              ? { cookie: options.session.cookie, 'x-csrf-token': options.session.csrf }
              : {}),
            ...(payload !== null
              ? { 'content-type': 'application/json', 'content-length': payload.length }
              : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const label = options.label ?? route;
            const list = this.latencies.get(label) ?? [];
            list.push(performance.now() - began);
            this.latencies.set(label, list);
            const text = Buffer.concat(chunks).toString();
            let body: unknown = null;
            try {
              body = text === '' ? null : JSON.parse(text);
            } catch {
              body = text;
            }
            resolve({ status: response.statusCode ?? 0, body, headers: response.headers });
          });
          response.on('error', reject);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed as we reused it: send again on a new one,
        // as Node's documentation advises (request.reusedSocket).
        if (req.reusedSocket && error.code === 'ECONNRESET')
          this.send(node, method, route, options).then(resolve, reject);
        else reject(error);
      });
      req.end(payload ?? undefined);
    });
  }

  /** How many requests of one label were answered, and their p50 / p99 latency. */
  routeStats(label: string): { count: number; p50_ms: number; p99_ms: number } {
    const list = this.latencies.get(label) ?? [];
    return { count: list.length, p50_ms: percentile(list, 50), p99_ms: percentile(list, 99) };
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Signs in with password and the TOTP code of the center's clock `at`. */
export async function signIn(
  client: ConsoleClient,
  node: number,
  login: OperatorLogin,
  at: number,
): Promise<Session> {
  let answer = await client.send(node, 'POST', '/api/v1/session', {
    address: login.address,
    body: { username: login.username, password: OPERATOR_PASSWORD, code: totp(login.secret, at) },
    label: 'sign-in',
  });
  // A shift signing in at once finds the hashing slots full (503 busy): as the console does,
  // it waits the given seconds and tries again — a bounded number of times.
  for (let attempt = 0; answer.status === 503 && attempt < 120; attempt++) {
    const wait = Number(answer.headers['retry-after'] ?? 1);
    await new Promise((resolve) =>
      setTimeout(resolve, (Number.isFinite(wait) ? wait : 1) * 1000 * Math.random()),
    );
    answer = await client.send(node, 'POST', '/api/v1/session', {
      address: login.address,
      body: { username: login.username, password: OPERATOR_PASSWORD, code: totp(login.secret, at) },
      label: 'sign-in',
    });
  }
  if (answer.status !== 201)
    throw new Error(`${login.username} could not sign in: ${answer.status} ${JSON.stringify(answer.body)}`);
  const setCookie = answer.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
  if (cookie === undefined) throw new Error('sign-in answered without a session cookie');
  return { login, cookie, csrf: (answer.body as { csrfToken: string }).csrfToken };
}

export interface WorkCounts {
  captures: number;
  verifications: number;
  emptyAnswers: number;
}

/**
 * A capturista's shift: take the next acta, type it, send it, again — until the queue is empty
 * and `more()` says nothing else will arrive. `type` gives the values this person types.
 */
export async function captureShift(
  client: ConsoleClient,
  node: number,
  session: Session,
  type: (task: CaptureTask) => ActaFields,
  counts: WorkCounts,
  more: () => boolean,
): Promise<void> {
  let task: CaptureTask | null = null;
  for (;;) {
    if (task === null) {
      const next = await client.send(node, 'GET', '/api/v1/capture/next', {
        session,
        address: session.login.address,
        label: 'capture/next',
      });
      if (next.status === 204) {
        counts.emptyAnswers++;
        if (!more()) return;
        // Nothing to type yet: look again in a moment, as the console does.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (next.status !== 200)
        throw new Error(`capture/next answered ${next.status}: ${JSON.stringify(next.body)}`);
      task = next.body as CaptureTask;
    }
    // The answer to a capture carries the next acta, as the console asks for it.
    const sent = await client.send(node, 'POST', `/api/v1/capture/${encodeURIComponent(task.recordId)}`, {
      session,
      address: session.login.address,
      body: { fields: type(task), next: true },
      label: 'capture',
    });
    if (sent.status !== 200) throw new Error(`capture answered ${sent.status}: ${JSON.stringify(sent.body)}`);
    counts.captures++;
    task = (sent.body as { next: CaptureTask | null }).next;
  }
}

/** A verificador's shift: resolve mismatches with the values on the sheet until none are left and `more()` is false. */
export async function verifyShift(
  client: ConsoleClient,
  node: number,
  session: Session,
  truth: (task: CaptureTask) => ActaFields,
  counts: WorkCounts,
  more: () => boolean,
): Promise<void> {
  for (;;) {
    const next = await client.send(node, 'GET', '/api/v1/verification/next', {
      session,
      address: session.login.address,
      label: 'verification/next',
    });
    if (next.status === 204) {
      counts.emptyAnswers++;
      if (!more()) return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      continue;
    }
    if (next.status !== 200) throw new Error(`verification/next answered ${next.status}`);
    const task = next.body as CaptureTask;
    const sent = await client.send(
      node,
      'POST',
      `/api/v1/verification/${encodeURIComponent(task.recordId)}`,
      {
        session,
        address: session.login.address,
        body: { fields: truth(task) },
        label: 'verification',
      },
    );
    if (sent.status !== 200)
      throw new Error(`verification answered ${sent.status}: ${JSON.stringify(sent.body)}`);
    counts.verifications++;
  }
}

/**
 * What is written on each acta of an election (seeded by its key, so every simulated person
 * reads the same sheet), and a typist who mistypes one box of `errorRate` of the actas.
 */
export function actaSheets(catalog: Catalog, election: ElectionDefinition) {
  const casillaOf = new Map<string, { casilla: Casilla; contest: string }>();
  for (const contest of election.contests)
    for (const e of actasEsperadas(catalog, contest))
      casillaOf.set(`${contest.id}\u0000${e.actaKey}`, { casilla: e.casilla, contest: contest.id });
  const contests = new Map(election.contests.map((c) => [c.id, c]));
  const truth = (task: CaptureTask): ActaFields => {
    const found = casillaOf.get(`${task.contest}\u0000${task.actaKey ?? ''}`);
    const contest = contests.get(task.contest);
    if (found === undefined || contest === undefined)
      throw new Error(`no acta ${task.actaKey} in the catalog`);
    return trueActaFields({
      random: createRandom(`${task.contest}:${task.actaKey}`),
      casilla: found.casilla,
      columns: applicableColumns(contest, found.casilla),
    });
  };
  const typist = (random: Random, errorRate: number) => (task: CaptureTask) =>
    typeActa(random, truth(task), errorRate);
  return { truth, typist, count: casillaOf.size };
}

/** A shift's people: `capturistas` capturistas and `verifiers` verificadores, national scope. */
export async function createShift(
  root: string,
  clock: () => number,
  counts: { readonly capturistas: number; readonly verifiers: number },
): Promise<{ capturistas: OperatorLogin[]; verifiers: OperatorLogin[] }> {
  const capturistas = await createOperators(root, clock, {
    prefix: 'cap',
    role: 'capturista',
    scope: 'nacional',
    count: counts.capturistas,
  });
  const verifiers = await createOperators(root, clock, {
    prefix: 'ver',
    role: 'verificador',
    scope: 'nacional',
    count: counts.verifiers,
  });
  return { capturistas, verifiers };
}

/** Signs everyone in, `concurrency` at a time; operator i keeps to node i (modulo the nodes). */
export async function signInAll(
  client: ConsoleClient,
  logins: readonly OperatorLogin[],
  clock: () => number,
  concurrency: number,
): Promise<Session[]> {
  const sessions: Session[] = new Array(logins.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < logins.length; i = next++)
        sessions[i] = await signIn(client, i, logins[i]!, clock());
    }),
  );
  return sessions;
}

/**
 * Everyone works at once: the capturistas (the first `capturistas` sessions, each a typist of
 * its own) until `more()` is false and the queue is empty, the verificadores (the rest) until
 * the last capturista has stopped and no mismatch is left.
 */
export async function workShift(
  client: ConsoleClient,
  sessions: readonly Session[],
  capturistas: number,
  people: {
    readonly typist: (index: number) => (task: CaptureTask) => ActaFields;
    readonly truth: (task: CaptureTask) => ActaFields;
  },
  counts: WorkCounts,
  more: () => boolean,
): Promise<void> {
  let capturing = capturistas;
  await Promise.all(
    sessions.map(async (session, i) => {
      if (i >= capturistas) return verifyShift(client, i, session, people.truth, counts, () => capturing > 0);
      await captureShift(client, i, session, people.typist(i), counts, more);
      capturing--;
    }),
  );
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10) / 10
  );
}
