/**
 * The field transport core, shared by the CATD agent and the phone app: which package to send
 * next, over which channel, what an answer means, and when to try again. No I/O of its own:
 * the outbox storage, the channels (HTTP to a center) and receipt verification are given to
 * it, so the same rules run over SQLite in the agent and IndexedDB in the browser.
 *
 * The promises: a package stays in the outbox until a receipt that verifies says the center
 * has it, or the center refuses it for a reason a person must look at; retries resend the very
 * same signed bytes (the center answers a retry with the same receipt); channels are tried in
 * priority order, and one that fails is rested with backoff while the next one carries the
 * load, then probed again, so traffic returns to the primary when it heals.
 */

import { parseReceiptBody } from '../intake/receipt_body.ts';

export type ItemState = 'pending' | 'delivered' | 'refused';

/** A signed package waiting in the outbox (or done). */
export interface OutboxItem {
  readonly sequence: number;
  /** The canonical header text the device signed. */
  readonly packageText: string;
  readonly signature: string;
  readonly packageSha256: string;
  readonly imageSha256: string;
  readonly contentType: 'image/jpeg' | 'image/png';
  readonly state: ItemState;
  readonly attempts: number;
  /** Epoch ms before which it is not tried again. */
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly receipt: string | null;
  readonly deliveredVia: string | null;
}

/** What a channel's attempt came to. */
export type SendOutcome =
  | { readonly kind: 'receipt'; readonly receipt: string }
  /** The center will not take it, and sending it again will not change that. */
  | { readonly kind: 'refused'; readonly status: number; readonly code: string; readonly message: string }
  /**
   * Try again later (network, timeout, overload, a server error); `retryAfterMs` when the center
   * said; `failing` when the center itself is failing (its store or disk) even though it said
   * when to come back: the channel rests and the next one carries the load meanwhile.
   */
  | {
      readonly kind: 'retry';
      readonly reason: string;
      readonly retryAfterMs?: number;
      readonly failing?: boolean;
    };

export interface Channel {
  readonly name: string;
  send(item: OutboxItem, image: Uint8Array): Promise<SendOutcome>;
}

export interface OutboxStore {
  /** Pending items due at `now`, oldest sequence first, at most `limit`. */
  due(now: number, limit: number): Promise<OutboxItem[]>;
  /** The earliest `nextAttemptAt` among pending items, or null when none is pending. */
  nextDue(): Promise<number | null>;
  image(item: OutboxItem): Promise<Uint8Array>;
  markDelivered(sequence: number, receipt: string, via: string): Promise<void>;
  markRefused(sequence: number, reason: string): Promise<void>;
  markRetry(sequence: number, nextAttemptAt: number, reason: string): Promise<void>;
}

export type ReceiptVerdict = { ok: true } | { ok: false; message: string };

/**
 * Whether a receipt body (its signature already checked with the election's key) names exactly
 * this package: its hash, device, sequence and image.
 */
export function receiptBodyVerdict(
  body: string,
  keyName: string,
  item: OutboxItem,
  deviceId: string,
): ReceiptVerdict {
  const parsed = parseReceiptBody(body, keyName);
  if (!parsed.ok) return { ok: false, message: parsed.message };
  const r = parsed.value;
  if (
    r.packageSha256 !== item.packageSha256 ||
    r.deviceId !== deviceId ||
    r.sequence !== item.sequence ||
    r.imageSha256 !== item.imageSha256
  )
    return { ok: false, message: 'the receipt names another package' };
  return { ok: true };
}

/** Node checks synchronously; the browser's WebCrypto answers with a promise. */
export type ReceiptCheck = (item: OutboxItem, receipt: string) => ReceiptVerdict | Promise<ReceiptVerdict>;

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

/**
 * Exponential backoff with "full jitter": a random wait in [0, min(max, base·2^attempt)], so
 * thousands of devices coming back at once do not knock on the center in step.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Channel health: consecutive failures and until when it rests. */
export interface ChannelHealth {
  readonly name: string;
  readonly failures: number;
  readonly downUntil: number;
  readonly lastError: string | null;
  readonly lastSuccessAt: number | null;
}

/**
 * Which channel to use: the first in priority order that is not resting; when every channel
 * rests, the one whose rest ends first (a probe, so a healed network is noticed).
 */
export function chooseChannel(health: readonly ChannelHealth[], now: number): number {
  let best = -1;
  for (const [i, h] of health.entries()) if (h.downUntil <= now) return i;
  for (const [i, h] of health.entries()) if (best < 0 || h.downUntil < health[best]!.downUntil) best = i;
  return best;
}

export interface SenderOptions {
  readonly outbox: OutboxStore;
  readonly channels: readonly Channel[];
  readonly checkReceipt: ReceiptCheck;
  readonly clock: () => number;
  readonly random: () => number;
  readonly backoff?: BackoffPolicy;
  /** Packages in flight at once. */
  readonly concurrency?: number;
  readonly onEvent?: (event: SenderEvent) => void;
}

export type SenderEvent =
  | { readonly kind: 'delivered'; readonly sequence: number; readonly via: string }
  | { readonly kind: 'refused'; readonly sequence: number; readonly via: string; readonly reason: string }
  | { readonly kind: 'retry'; readonly sequence: number; readonly via: string; readonly reason: string }
  | { readonly kind: 'channel-down'; readonly via: string; readonly reason: string }
  | { readonly kind: 'channel-up'; readonly via: string };

/** Sends what the outbox holds, one round at a time; `run` loops until stopped. */
export class Sender {
  readonly #o: SenderOptions;
  readonly #backoff: BackoffPolicy;
  readonly #health: ChannelHealth[];
  readonly #inFlight = new Set<number>();

  constructor(options: SenderOptions) {
    if (options.channels.length === 0) throw new Error('a sender needs at least one channel');
    this.#o = options;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#health = options.channels.map((c) => ({
      name: c.name,
      failures: 0,
      downUntil: 0,
      lastError: null,
      lastSuccessAt: null,
    }));
  }

  get health(): readonly ChannelHealth[] {
    return this.#health;
  }

  /**
   * Sends every item due now (up to the concurrency at a time) and returns how many attempts
   * were made. Each attempt's result is recorded before the next item is taken.
   */
  async round(): Promise<number> {
    const concurrency = this.#o.concurrency ?? 4;
    let attempts = 0;
    const worker = async () => {
      for (;;) {
        const now = this.#o.clock();
        const items = (await this.#o.outbox.due(now, concurrency * 2)).filter(
          (item) => !this.#inFlight.has(item.sequence),
        );
        const item = items[0];
        if (item === undefined) return;
        this.#inFlight.add(item.sequence);
        try {
          attempts++;
          await this.#attempt(item);
        } finally {
          this.#inFlight.delete(item.sequence);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return attempts;
  }

  async #attempt(item: OutboxItem): Promise<void> {
    const now = this.#o.clock();
    const index = chooseChannel(this.#health, now);
    const channel = this.#o.channels[index]!;
    let outcome: SendOutcome;
    try {
      outcome = await channel.send(item, await this.#o.outbox.image(item));
    } catch (error) {
      outcome = { kind: 'retry', reason: `send failed: ${(error as Error).message}` };
    }
    if (outcome.kind === 'receipt') {
      const checked = await this.#o.checkReceipt(item, outcome.receipt);
      // A receipt that does not verify is no proof of delivery: keep the package and rest the
      // channel (a misconfigured or impersonated center), the next one may be the real one.
      if (!checked.ok) outcome = { kind: 'retry', reason: `bad receipt: ${checked.message}` };
    }
    switch (outcome.kind) {
      case 'receipt':
        await this.#o.outbox.markDelivered(item.sequence, outcome.receipt, channel.name);
        this.#channelWorked(index);
        this.#o.onEvent?.({ kind: 'delivered', sequence: item.sequence, via: channel.name });
        return;
      case 'refused': {
        const reason = `${outcome.status} ${outcome.code}: ${outcome.message}`;
        await this.#o.outbox.markRefused(item.sequence, reason);
        this.#channelWorked(index);
        this.#o.onEvent?.({ kind: 'refused', sequence: item.sequence, via: channel.name, reason });
        return;
      }
      case 'retry': {
        const after = this.#o.clock();
        const wait = Math.max(
          outcome.retryAfterMs ?? 0,
          backoffMs(item.attempts, this.#backoff, this.#o.random),
        );
        // Overload is the center working as designed: wait as told, but the channel is not down.
        if (outcome.retryAfterMs === undefined || outcome.failing === true)
          this.#channelFailed(index, outcome.reason, after);
        await this.#o.outbox.markRetry(item.sequence, after + wait, `${channel.name}: ${outcome.reason}`);
        this.#o.onEvent?.({
          kind: 'retry',
          sequence: item.sequence,
          via: channel.name,
          reason: outcome.reason,
        });
        return;
      }
    }
  }

  #channelWorked(index: number): void {
    const h = this.#health[index]!;
    if (h.failures > 0) this.#o.onEvent?.({ kind: 'channel-up', via: h.name });
    this.#health[index] = { ...h, failures: 0, downUntil: 0, lastSuccessAt: this.#o.clock() };
  }

  #channelFailed(index: number, reason: string, now: number): void {
    const h = this.#health[index]!;
    const failures = h.failures + 1;
    // A rest that grows with the failures, but no longer than the longest backoff: the
    // primary is probed again soon enough to take the traffic back when it heals.
    const rest = Math.min(this.#backoff.maxMs, this.#backoff.baseMs * 2 ** Math.min(failures - 1, 30));
    if (h.failures === 0) this.#o.onEvent?.({ kind: 'channel-down', via: h.name, reason });
    this.#health[index] = { ...h, failures, downUntil: now + rest, lastError: reason };
  }

  /**
   * Sends until `signal` aborts: a round, then a sleep until the next item is due (at most
   * `idleMs`, so new items and healed channels are picked up).
   */
  async run(signal: AbortSignal, idleMs = 500): Promise<void> {
    while (!signal.aborted) {
      await this.round();
      const next = await this.#o.outbox.nextDue();
      const now = this.#o.clock();
      const wait = next === null ? idleMs : Math.min(idleMs, Math.max(0, next - now));
      if (wait > 0) await sleep(wait, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The center's refusals that sending the same package again cannot change (its intake's closed
 * set, src/server/app.ts's INTAKE_STATUS): only these give an acta up. Not in it: `truncated`
 * (the upload was cut on its way; whole, it may pass) and `bad-request`; nor any 5xx, network
 * error, or 4xx that is not the center's word (a proxy's page, a wrong address).
 */
export const DEFINITIVE_REFUSALS: ReadonlySet<string> = new Set([
  'bad-header',
  'not-canonical',
  'hash-mismatch',
  'unknown-contest',
  'bad-signature',
  'unknown-device',
  'revoked-device',
  'origin-mismatch',
  'out-of-scope',
  'conflict',
  'after-close',
  'too-large',
  'not-an-image',
  'too-many-pixels',
  'image-quality',
  'identification',
]);

/** The center's own faults (its store or its disk): it says when to come back, but it is failing. */
const CENTER_FAULTS: ReadonlySet<string> = new Set(['store-unavailable', 'disk-full']);

/**
 * What an HTTP answer from a center's intake means for the package. 201/200 carry a receipt;
 * 503, 507, 429 and 408 are "later" (with Retry-After; a store or disk fault also rests the
 * channel); other 5xx are a failing channel; a 4xx gives the acta up only when it names a
 * refusal of the closed set (DEFINITIVE_REFUSALS) — anything else is tried again.
 */
export function outcomeOfResponse(status: number, body: string, retryAfter: string | null): SendOutcome {
  if (status === 200 || status === 201) return { kind: 'receipt', receipt: body };
  let code: string | null = null;
  let message = body.slice(0, 300);
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'string') code = parsed.error;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON (a proxy's page, say): the text is the message.
  }
  if (status === 503 || status === 507 || status === 429 || status === 408) {
    const seconds = Number(retryAfter);
    const failing = code !== null && CENTER_FAULTS.has(code);
    return {
      kind: 'retry',
      reason: failing ? `${status} ${code}` : `${status} busy`,
      retryAfterMs:
        retryAfter !== null && Number.isFinite(seconds) && seconds >= 0
          ? Math.min(seconds, 3600) * 1000
          : 1000,
      ...(failing ? { failing } : {}),
    };
  }
  if (status >= 500 || status < 400) return { kind: 'retry', reason: `${status} from the center` };
  if (code === null || !DEFINITIVE_REFUSALS.has(code))
    return { kind: 'retry', reason: `${status} ${code ?? 'not the center'}: ${message.slice(0, 120)}` };
  return { kind: 'refused', status, code, message };
}

/** What the channel and enrolment need of `fetch`: the platform's, or one that pins the center's CA. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** TLS errors that say the center's certificate is not one this device trusts. */
const CERTIFICATE_ERROR = /CERT|SIGNATURE|ALTNAME|ISSUER|SELF_SIGNED|SPKI_PIN/;

/**
 * Why a request got no answer, for the outbox and the logs: a certificate the device does not
 * trust is said as such (a wrong or impersonated center, or a CA change), never as a refusal
 * of the acta — the package stays and is tried again.
 */
export function noAnswerReason(error: unknown): string {
  const cause = (error as Error & { cause?: Error & { code?: unknown } }).cause;
  const message = (cause?.message ?? (error as Error).message).replace(
    /; if the root CA is installed locally.*$/,
    '',
  );
  const code = typeof cause?.code === 'string' ? cause.code : '';
  if (CERTIFICATE_ERROR.test(code))
    return `certificate problem: ${message} (${code}): the center's certificate is not one this device trusts (not from its pinned CA, or not a pinned key); nothing was sent`;
  return `no answer: ${message}`;
}

/**
 * A center's intake over HTTP, in the lean form: the image as the body, the signed header and
 * its signature in headers. `fetch` is the platform's (Node's or the browser's), or the
 * agent's that trusts only its center's CA (pinned_fetch.ts).
 */
export function httpChannel(
  name: string,
  baseUrl: string,
  timeoutMs = 30_000,
  fetchWith: FetchLike = (url, init) => fetch(url, init),
): Channel {
  const url = new URL('/api/v1/packages', baseUrl).toString();
  return {
    name,
    async send(item, image) {
      let response: Response;
      try {
        response = await fetchWith(url, {
          method: 'POST',
          headers: {
            'content-type': item.contentType,
            'openprep-package': base64url(item.packageText),
            'openprep-signature': item.signature,
          },
          body: image as Uint8Array<ArrayBuffer>,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        return { kind: 'retry', reason: noAnswerReason(error) };
      }
      let body: string;
      try {
        body = await response.text();
      } catch (error) {
        return { kind: 'retry', reason: `answer cut: ${(error as Error).message}` };
      }
      return outcomeOfResponse(response.status, body, response.headers.get('retry-after'));
    },
  };
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
