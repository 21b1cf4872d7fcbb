/**
 * A fault-injecting HTTP/1.1 proxy for drills and tests (docs/drills.md). It sits on loopback
 * between field agents and a center and, request by request, passes, delays, drops, duplicates,
 * truncates, loses the answer to, reorders or swallows what the agents send, so that the
 * exactly-once promise (a package is stored once, and a receipt held means it is stored) can be
 * checked against the network an election night really has.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { err, ok, type Result } from '../domain/result.ts';
import { createRandom } from '../sim/random.ts';

/** Every fault, in the order in which rates are laid out on [0, 1) (part of determinism). */
export const FAULTS = [
  'drop',
  'delay',
  'duplicate',
  'reset-mid-upload',
  'lose-response',
  'reorder',
  'black-hole',
] as const;

export type Fault = (typeof FAULTS)[number];
/** What the proxy did with one request. */
export type FaultAction = Fault | 'pass';
/** Probability of each fault per request; they add up to at most 1 and the rest pass. */
export type FaultRates = { readonly [K in Fault]?: number };

export interface FaultDecision {
  /** Arrival number at the proxy, from 0; the nth arrival always gets the nth draw. */
  readonly seq: number;
  readonly action: FaultAction;
  readonly method: string;
  readonly path: string;
}

export interface FaultProxyOptions {
  /** Upstream base URL (http only), e.g. http://127.0.0.1:8081; a path in it prefixes every request's. */
  readonly target: string;
  readonly rates: FaultRates;
  /** Same seed and same sequence of arrivals → same faults and same delays. */
  readonly seed: number;
  /** Range in ms (integers, both inclusive) of a 'delay'; a 'reorder' is held up to [max, 2·max]. */
  readonly delayMs?: readonly [number, number];
  /** Request bodies are buffered whole; a larger one is answered 413. Also caps upstream answers (502). */
  readonly maxBodyBytes?: number;
  readonly host?: string;
  readonly port?: number;
  /** Called once per request when its fault is applied (after its body has been read). */
  readonly onDecision?: (decision: FaultDecision) => void;
}

export interface FaultProxy {
  /** Where clients connect, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** A snapshot of what was applied so far; a 413 or a client gone before its body ended counts nowhere. */
  readonly counts: Readonly<Record<FaultAction, number>>;
  /** Takes effect from the next arrival. Throws a RangeError on rates parseFaultRates would refuse. */
  setRates(rates: FaultRates): void;
  /** Stops listening and destroys every open socket, held and black-holed ones included. */
  close(): Promise<void>;
}

export const DEFAULT_DELAY_MS: readonly [number, number] = [250, 2500];
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

// Rates that add up to 1 in decimal may add up to a hair over 1 in binary floating point.
const SUM_TOLERANCE = 1e-9;

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function isFault(name: string): name is Fault {
  return (FAULTS as readonly string[]).includes(name);
}

function ratesProblem(rates: FaultRates): string | undefined {
  let sum = 0;
  for (const [name, rate] of Object.entries(rates) as [string, unknown][]) {
    if (!isFault(name)) return `unknown fault "${name}" (known: ${FAULTS.join(', ')})`;
    if (rate === undefined) continue;
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1)
      return `the rate of ${name} must be a number from 0 to 1, not ${String(rate)}`;
    sum += rate;
  }
  if (sum > 1 + SUM_TOLERANCE) return `the rates add up to ${sum}, more than 1`;
  return undefined;
}

/**
 * Parses `drop=0.1,delay=0.2` (a fault name, `=`, a decimal from 0 to 1; items separated by
 * commas). An empty text is no faults at all: every request passes.
 */
export function parseFaultRates(text: string): Result<FaultRates, 'bad-fault-rates'> {
  const bad = (message: string) => err('bad-fault-rates' as const, `bad fault rates "${text}": ${message}`);
  if (text.trim() === '') return ok({});
  const rates: Partial<Record<Fault, number>> = {};
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') return bad('an empty item between commas');
    const eq = item.indexOf('=');
    if (eq < 0) return bad(`"${item}" is not NAME=RATE`);
    const name = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (!isFault(name)) return bad(`unknown fault "${name}" (known: ${FAULTS.join(', ')})`);
    if (rates[name] !== undefined) return bad(`"${name}" is given twice`);
    if (value.startsWith('-')) return bad(`the rate of ${name}, "${value}", is negative`);
    if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value))
      return bad(`the rate of ${name}, "${value}", is not a decimal number from 0 to 1`);
    const rate = Number(value);
    if (rate > 1) return bad(`the rate of ${name}, "${value}", is more than 1`);
    rates[name] = rate;
  }
  const problem = ratesProblem(rates);
  return problem === undefined ? ok(rates) : bad(problem);
}

function checkedRates(rates: FaultRates): FaultRates {
  const problem = ratesProblem(rates);
  if (problem !== undefined) throw new RangeError(`fault proxy: ${problem}`);
  return { ...rates };
}

function choose(rates: FaultRates, draw: number): FaultAction {
  let edge = 0;
  for (const fault of FAULTS) {
    edge += rates[fault] ?? 0;
    if (draw < edge) return fault;
  }
  return 'pass';
}

interface Target {
  readonly hostname: string;
  readonly port: number;
  /** For the Host header. */
  readonly host: string;
  readonly prefix: string;
}

function parseTarget(text: string): Target {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`fault proxy: the target "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:') throw new TypeError(`fault proxy: the target "${text}" is not http://`);
  return {
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 80 : Number(url.port),
    host: url.host,
    prefix: url.pathname.replace(/\/+$/, ''),
  };
}

/** End-to-end headers only: hop-by-hop ones and those the Connection header names are dropped. */
function endToEnd(headers: IncomingHttpHeaders, also: readonly string[]): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || also.includes(name)) continue;
    kept[name] = value;
  }
  return kept;
}

/**
 * The body has been buffered, so the upstream gets it with a length and without `Expect`
 * (the client already had its 100 Continue from us); Host becomes the target's.
 */
function upstreamHeaders(headers: IncomingHttpHeaders, length: number): Record<string, string | string[]> {
  return {
    ...endToEnd(headers, ['host', 'content-length', 'expect']),
    'content-length': String(length),
  };
}

type BodyRead = { readonly kind: 'body'; readonly body: Buffer } | { readonly kind: 'too-large' | 'aborted' };

function readBody(message: IncomingMessage, cap: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const declared = Number(message.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) {
      resolve({ kind: 'too-large' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (read: BodyRead) => {
      if (settled) return;
      settled = true;
      resolve(read);
    };
    message.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > cap) settle({ kind: 'too-large' });
      else chunks.push(chunk);
    });
    message.on('end', () => settle({ kind: 'body', body: Buffer.concat(chunks, size) }));
    message.on('error', () => settle({ kind: 'aborted' }));
    message.on('close', () =>
      settle(message.complete ? { kind: 'body', body: Buffer.concat(chunks) } : { kind: 'aborted' }),
    );
  });
}

interface UpstreamAnswer {
  readonly status: number;
  readonly statusMessage: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

class UpstreamError extends Error {}

interface Wait {
  /** For a reorder hold: released early once a later arrival has been answered upstream. */
  readonly overtakenAfter: number | undefined;
  readonly release: () => void;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = parseTarget(options.target);
  let rates = checkedRates(options.rates);
  const [minDelay, maxDelay] = options.delayMs ?? DEFAULT_DELAY_MS;
  if (!Number.isInteger(minDelay) || !Number.isInteger(maxDelay) || minDelay < 0 || maxDelay < minDelay)
    throw new RangeError(
      `fault proxy: delayMs [${minDelay}, ${maxDelay}] must be integers with 0 <= min <= max`,
    );
  const cap = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(cap) || cap < 0)
    throw new RangeError(`fault proxy: maxBodyBytes ${cap} is not a size`);
  const random = createRandom(options.seed);
  // Two streams, so the fault of the nth arrival never depends on how many delays came before.
  const faultDraws = random.fork('faults');
  const delayDraws = random.fork('delays');

  const counts = Object.fromEntries([...FAULTS, 'pass'].map((action) => [action, 0])) as Record<
    FaultAction,
    number
  >;
  const agent = new Agent({ keepAlive: true });
  const rawSockets = new Set<Socket>();
  const waits = new Set<Wait>();
  let arrivals = 0;
  let closed = false;
  let closing: Promise<void> | undefined;

  /** Resolves after `ms`, at close(), or (for a reorder) once a later arrival has been answered. */
  function pause(ms: number, overtakenAfter?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => wait.release(), ms);
      const wait: Wait = {
        overtakenAfter,
        release: () => {
          clearTimeout(timer);
          waits.delete(wait);
          resolve();
        },
      };
      waits.add(wait);
    });
  }

  function answered(seq: number): void {
    for (const wait of [...waits])
      if (wait.overtakenAfter !== undefined && wait.overtakenAfter < seq) wait.release();
  }

  function forward(req: IncomingMessage, path: string, body: Buffer, seq: number): Promise<UpstreamAnswer> {
    return new Promise((resolve, reject) => {
      if (closed) {
        reject(new UpstreamError('closed'));
        return;
      }
      const upstream = httpRequest({
        agent,
        host: target.hostname,
        port: target.port,
        method: req.method,
        path,
        headers: upstreamHeaders(req.headers, body.length),
      });
      upstream.on('error', (error) => reject(new UpstreamError(error.message)));
      upstream.on('response', (response) => {
        void readBody(response, cap).then((read) => {
          if (read.kind !== 'body') {
            response.destroy();
            reject(new UpstreamError(read.kind === 'too-large' ? `answer over ${cap} bytes` : 'answer cut'));
            return;
          }
          answered(seq);
          resolve({
            status: response.statusCode ?? 502,
            statusMessage: response.statusMessage ?? '',
            headers: response.headers,
            body: read.body,
          });
        });
      });
      upstream.end(body);
    });
  }

  /**
   * Raw bytes on a fresh socket: the head (with the whole body's Content-Length) and half the
   * body, then a close, so the center sees exactly a truncated upload and nothing an HTTP client
   * library might add or retry. With no body, half the head.
   */
  function truncatedUpload(req: IncomingMessage, path: string, body: Buffer): Promise<void> {
    const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`, `host: ${target.host}`];
    for (const [name, value] of Object.entries(upstreamHeaders(req.headers, body.length)))
      for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
    lines.push('connection: close', '', '');
    // Node decodes header bytes as latin1; encoding them back the same way restores them.
    const head = Buffer.from(lines.join('\r\n'), 'latin1');
    const sent =
      body.length > 0
        ? Buffer.concat([head, body.subarray(0, Math.floor(body.length / 2))])
        : head.subarray(0, Math.floor(head.length / 2));
    return new Promise((resolve) => {
      if (closed) {
        resolve();
        return;
      }
      const socket = connect({ host: target.hostname, port: target.port });
      rawSockets.add(socket);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        rawSockets.delete(socket);
        socket.destroy();
        resolve();
      };
      socket.setTimeout(10_000, finish);
      socket.on('error', finish);
      socket.on('close', finish);
      socket.write(sent, finish);
    });
  }

  function reply(res: ServerResponse, method: string, answer: UpstreamAnswer): void {
    if (res.destroyed || res.headersSent) return;
    const headers = endToEnd(answer.headers, []);
    const bodiless = method === 'HEAD' || answer.status === 204 || answer.status === 304;
    if (!bodiless) headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, answer.statusMessage, headers);
    res.end(bodiless ? undefined : answer.body);
  }

  function refuse(res: ServerResponse, status: number, message: string, close = false): void {
    if (res.destroyed || res.headersSent) return;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (close) headers['connection'] = 'close';
    res.writeHead(status, headers);
    res.end(`fault proxy: ${message}\n`);
  }

  /** Like a network that drops the connection: the client sees a reset, not a clean close. */
  function cut(req: IncomingMessage): void {
    const socket = req.socket;
    if (socket.destroyed) return;
    try {
      socket.resetAndDestroy();
    } catch {
      socket.destroy();
    }
  }

  async function pass(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer, seq: number) {
    try {
      reply(res, req.method ?? 'GET', await forward(req, path, body, seq));
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      refuse(res, 502, `upstream: ${error.message}`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const seq = arrivals++;
    const action = choose(rates, faultDraws.next());
    const wait =
      action === 'delay'
        ? delayDraws.int(minDelay, maxDelay)
        : action === 'reorder'
          ? delayDraws.int(maxDelay, 2 * maxDelay)
          : 0;
    const url = req.url ?? '/';
    // An absolute-form target (a client told to use us as its HTTP proxy) keeps only its path.
    const requestPath = /^https?:\/\//i.test(url) ? new URL(url).pathname + new URL(url).search : url;
    const path = target.prefix + requestPath;

    const read = await readBody(req, cap);
    if (read.kind === 'too-large') {
      // Connection: close, so the rest of an oversized upload is never waited for.
      refuse(res, 413, `request body over ${cap} bytes`, true);
      req.resume();
      return;
    }
    if (read.kind !== 'body' || closed) return;
    const body = read.body;
    counts[action]++;
    options.onDecision?.({ seq, action, method: req.method ?? 'GET', path: requestPath });

    switch (action) {
      case 'pass':
        return pass(req, res, path, body, seq);
      case 'delay':
        await pause(wait);
        if (!closed) await pass(req, res, path, body, seq);
        return;
      case 'reorder':
        await pause(wait, seq);
        if (!closed) await pass(req, res, path, body, seq);
        return;
      case 'drop':
        cut(req);
        return;
      case 'black-hole':
        // Nothing to do: the socket stays open until the client gives up or close() ends it.
        return;
      case 'duplicate': {
        let first: UpstreamAnswer;
        try {
          first = await forward(req, path, body, seq);
        } catch (error) {
          if (!(error instanceof UpstreamError)) throw error;
          refuse(res, 502, `upstream: ${error.message}`);
          return;
        }
        try {
          await forward(req, path, body, seq);
        } catch (error) {
          // The copy's fate is invisible to the client, as a duplicated packet's would be.
          if (!(error instanceof UpstreamError)) throw error;
        }
        reply(res, req.method ?? 'GET', first);
        return;
      }
      case 'reset-mid-upload':
        await truncatedUpload(req, path, body);
        cut(req);
        return;
      case 'lose-response':
        try {
          await forward(req, path, body, seq);
        } catch (error) {
          if (!(error instanceof UpstreamError)) throw error;
          refuse(res, 502, `upstream: ${error.message}`);
          return;
        }
        cut(req);
        return;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug, not a fault: say so to the client rather than take the drill down.
      refuse(res, 500, `internal error: ${error instanceof Error ? error.message : String(error)}`, true);
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    get counts() {
      return { ...counts };
    },
    setRates(next: FaultRates): void {
      rates = checkedRates(next);
    },
    close(): Promise<void> {
      if (closing !== undefined) return closing;
      closed = true;
      closing = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const wait of [...waits]) wait.release();
      agent.destroy();
      for (const socket of rawSockets) socket.destroy();
      return closing;
    },
  };
}
