/**
 * Where alerts go after the journal: each configured sink (a webhook, a syslog collector) has
 * its own bounded queue and one worker that delivers in order, retrying with exponential
 * backoff and jitter. `send` never waits and never throws: a detection must not be slowed or
 * broken by a SOC's collector being down. When a queue is full the oldest waiting alert is
 * dropped and counted, and the next delivery says how many were (`droppedBefore`), so a
 * receiver knows it missed some; the journal keeps every one of them anyway.
 */
import { randomUUID } from 'node:crypto';
import {
  ALERT_ENVELOPE_VERSION,
  type AlertCenter,
  type AlertEnvelope,
  type SecurityAlert,
} from './alert_envelope.ts';

/** What one attempt came to. */
export type DeliveryOutcome =
  | { readonly kind: 'done'; readonly detail?: string }
  /** Worth another try (5xx, 408, 429, a timeout, a refused or dropped connection); `afterMs` from Retry-After. */
  | { readonly kind: 'retry'; readonly reason: string; readonly afterMs?: number }
  /** Trying again would get the same answer (a 4xx): counted as failed. */
  | { readonly kind: 'give-up'; readonly reason: string };

/** One way out: it delivers one envelope per call and never throws for a delivery that failed. */
export interface AlertTransport {
  readonly kind: 'webhook' | 'syslog';
  /** Where it sends, for people (no secret in it). */
  readonly target: string;
  deliver(envelope: AlertEnvelope, signal: AbortSignal): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}

export type SinkEvent =
  | {
      readonly kind: 'sent';
      readonly attempts: number;
      readonly droppedBefore: number;
      readonly detail?: string;
    }
  | { readonly kind: 'retry'; readonly attempts: number; readonly reason: string; readonly delayMs: number }
  | { readonly kind: 'gave-up'; readonly attempts: number; readonly reason: string }
  | { readonly kind: 'dropped'; readonly alertId: string; readonly dropped: number }
  | { readonly kind: 'disconnected' | 'connected'; readonly reason?: string }
  | { readonly kind: 'unsent'; readonly count: number };

export type SinkEventOf = SinkEvent & {
  readonly sink: AlertTransport['kind'];
  readonly target: string;
  readonly alertId?: string;
  readonly deliveryId?: string;
};

export interface RetryPolicy {
  /** The first retry's delay before jitter, doubled at each attempt up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Attempts in all (the first included) before an alert counts as failed. */
  readonly maxAttempts: number;
}

export interface SinkStats {
  readonly sink: AlertTransport['kind'];
  readonly target: string;
  /** Delivered (2xx, or written to the collector's socket). */
  readonly sent: number;
  /** Given up: refused (4xx) or out of attempts, or still unsent when `close` ran out of time. */
  readonly failed: number;
  /** Dropped from a full queue before any attempt. */
  readonly dropped: number;
  /** Attempts that will be tried again. */
  readonly retried: number;
  /** Waiting, and the one being delivered. */
  readonly queued: number;
}

export interface CloseReport {
  /** True when every queue emptied before the deadline. */
  readonly flushed: boolean;
  /** Alerts still undelivered at the deadline (counted as failed). */
  readonly unsent: number;
}

export interface AlertSinks {
  /** Queues the alert on every sink and returns at once; never throws. */
  send(alert: SecurityAlert, options?: { readonly test?: boolean }): void;
  /** Counters per sink, for /metrics. */
  stats(): readonly SinkStats[];
  /** Stops taking alerts, delivers what is queued for up to `deadlineMs`, then closes the connections. */
  close(deadlineMs: number): Promise<CloseReport>;
}

export interface AlertSinksOptions {
  readonly center: AlertCenter;
  /** Alerts waiting per sink besides the one being delivered. */
  readonly queueCapacity: number;
  readonly retry: RetryPolicy;
  readonly onEvent?: (event: SinkEventOf) => void;
  /** In [0, 1); the jitter's source. */
  readonly random?: () => number;
}

interface Item {
  readonly alert: SecurityAlert;
  readonly deliveryId: string;
  readonly test: boolean;
}

/**
 * The delay before retry `attempt` (1 = after the first failure): half of the doubled delay
 * fixed, half random ("equal jitter"), so nodes that failed together do not retry together
 * and none retries at once; a Retry-After longer than that is honoured, up to the maximum.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: number, afterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = ceiling / 2 + (random * ceiling) / 2;
  return Math.min(policy.maxDelayMs, Math.max(jittered, afterMs ?? 0));
}

class SinkWorker {
  readonly #transport: AlertTransport;
  readonly #options: AlertSinksOptions;
  readonly #waiting: Item[] = [];
  readonly #abort = new AbortController();
  #current: Item | null = null;
  #unreportedDrops = 0;
  #closing = false;
  #wake: (() => void) | null = null;
  #sent = 0;
  #failed = 0;
  #dropped = 0;
  #retried = 0;
  readonly done: Promise<void>;

  constructor(transport: AlertTransport, options: AlertSinksOptions) {
    this.#transport = transport;
    this.#options = options;
    this.done = this.#run();
  }

  #emit(event: SinkEvent, item?: Item): void {
    try {
      this.#options.onEvent?.({
        ...event,
        sink: this.#transport.kind,
        target: this.#transport.target,
        ...(item === undefined ? {} : { alertId: item.alert.alertId, deliveryId: item.deliveryId }),
      });
    } catch {
      // A logger that throws must not stop deliveries.
    }
  }

  push(item: Item): void {
    if (this.#closing) {
      this.#dropped += 1;
      this.#emit({ kind: 'dropped', alertId: item.alert.alertId, dropped: 1 }, item);
      return;
    }
    if (this.#waiting.length >= this.#options.queueCapacity) {
      const oldest = this.#waiting.shift();
      if (oldest !== undefined) {
        this.#dropped += 1;
        this.#unreportedDrops += 1;
        this.#emit(
          { kind: 'dropped', alertId: oldest.alert.alertId, dropped: this.#unreportedDrops },
          oldest,
        );
      }
    }
    if (this.#options.queueCapacity > 0) this.#waiting.push(item);
    else {
      this.#dropped += 1;
      this.#unreportedDrops += 1;
    }
    this.#wake?.();
  }

  async #run(): Promise<void> {
    for (;;) {
      if (this.#abort.signal.aborted) return;
      const item = this.#waiting.shift();
      if (item === undefined) {
        if (this.#closing) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = null;
        continue;
      }
      this.#current = item;
      await this.#deliver(item);
      this.#current = null;
    }
  }

  async #deliver(item: Item): Promise<void> {
    const envelope: AlertEnvelope = {
      version: ALERT_ENVELOPE_VERSION,
      deliveryId: item.deliveryId,
      center: this.#options.center,
      ...(item.test ? { test: true as const } : {}),
      droppedBefore: this.#unreportedDrops,
      alert: item.alert,
    };
    this.#unreportedDrops = 0;
    const random = this.#options.random ?? Math.random;
    for (let attempt = 1; ; attempt += 1) {
      const outcome: DeliveryOutcome = await this.#transport
        .deliver(envelope, this.#abort.signal)
        .catch((error: unknown) => ({ kind: 'retry', reason: `bug in the transport: ${String(error)}` }));
      if (outcome.kind === 'done') {
        this.#sent += 1;
        this.#emit(
          {
            kind: 'sent',
            attempts: attempt,
            droppedBefore: envelope.droppedBefore,
            ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
          },
          item,
        );
        return;
      }
      const outOfAttempts = outcome.kind === 'retry' && attempt >= this.#options.retry.maxAttempts;
      if (outcome.kind === 'give-up' || outOfAttempts || this.#abort.signal.aborted) {
        this.#failed += 1;
        // The receiver never heard of the drops this envelope reported: the next one says them again.
        this.#unreportedDrops += envelope.droppedBefore;
        const reason = outOfAttempts ? `${outcome.reason} (attempt ${attempt}, the last)` : outcome.reason;
        this.#emit({ kind: 'gave-up', attempts: attempt, reason }, item);
        return;
      }
      this.#retried += 1;
      const delayMs = backoffDelay(attempt, this.#options.retry, random(), outcome.afterMs);
      this.#emit({ kind: 'retry', attempts: attempt, reason: outcome.reason, delayMs }, item);
      await sleep(delayMs, this.#abort.signal);
    }
  }

  stats(): SinkStats {
    return {
      sink: this.#transport.kind,
      target: this.#transport.target,
      sent: this.#sent,
      failed: this.#failed,
      dropped: this.#dropped,
      retried: this.#retried,
      queued: this.#waiting.length + (this.#current === null ? 0 : 1),
    };
  }

  async close(deadlineMs: number): Promise<CloseReport> {
    this.#closing = true;
    this.#wake?.();
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      this.done.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    let unsent = 0;
    if (!inTime) {
      // The one in flight is aborted and counts as failed as it returns; the waiting ones here.
      const failedBefore = this.#failed;
      this.#abort.abort();
      await this.done;
      this.#failed += this.#waiting.length;
      unsent = this.#failed - failedBefore;
      this.#waiting.length = 0;
      if (unsent > 0) this.#emit({ kind: 'unsent', count: unsent });
    }
    await this.#transport.close().catch(() => undefined);
    return { flushed: inTime, unsent };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The sinks over these transports; none: a `send` that does nothing. */
export function alertSinks(transports: readonly AlertTransport[], options: AlertSinksOptions): AlertSinks {
  const workers = transports.map((transport) => new SinkWorker(transport, options));
  return {
    send(alert, sendOptions) {
      try {
        const item: Item = { alert, deliveryId: randomUUID(), test: sendOptions?.test === true };
        for (const worker of workers) worker.push(item);
      } catch {
        // Nothing a sink does may reach the detection that raised the alert.
      }
    },
    stats: () => workers.map((worker) => worker.stats()),
    async close(deadlineMs) {
      const reports = await Promise.all(workers.map((worker) => worker.close(deadlineMs)));
      return {
        flushed: reports.every((report) => report.flushed),
        unsent: reports.reduce((sum, report) => sum + report.unsent, 0),
      };
    },
  };
}

/** One line for people about a sink's event, and how loud: the serve log and `openprep alert test` print it. */
export function describeSinkEvent(event: SinkEventOf): {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
} {
  const where = `${event.sink} ${event.target}`;
  const alert = event.alertId === undefined ? '' : ` alert ${event.alertId}`;
  switch (event.kind) {
    case 'sent':
      return event.droppedBefore > 0
        ? {
            level: 'warn',
            message: `${where}:${alert} delivered (attempt ${event.attempts}), after ${event.droppedBefore} dropped from a full queue`,
          }
        : {
            level: 'info',
            message: `${where}:${alert} delivered (attempt ${event.attempts}${event.detail === undefined ? '' : `, ${event.detail}`})`,
          };
    case 'retry':
      return {
        level: 'warn',
        message: `${where}:${alert} attempt ${event.attempts} failed (${event.reason}); again in ${Math.round(event.delayMs)} ms`,
      };
    case 'gave-up':
      return {
        level: 'error',
        message: `${where}:${alert} not delivered after ${event.attempts} attempt(s): ${event.reason}`,
      };
    case 'dropped':
      return {
        level: 'warn',
        message: `${where}:${alert} dropped, the queue is full (${event.dropped} dropped since the last delivery)`,
      };
    case 'disconnected':
      return {
        level: 'warn',
        message: `${where}: connection lost${event.reason === undefined ? '' : ` (${event.reason})`}`,
      };
    case 'connected':
      return { level: 'info', message: `${where}: connected` };
    case 'unsent':
      return { level: 'error', message: `${where}: ${event.count} alert(s) still undelivered when stopping` };
  }
}
