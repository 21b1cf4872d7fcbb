/**
 * The cut scheduler's metrics (`openprep cut --every N --metrics-file F`), as a node_exporter
 * textfile: how long the latest cut took to build, whether this process leads, its cuts and
 * failures. `serve`'s /metrics tells the rest (the cut's age, the lease) from the store; these
 * figures exist only in the process that builds. No label names a host or a cut.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { writeFileDurably } from '../platform/durable_file.ts';
import type { SchedulerEvent } from './cut_scheduler.ts';

export class SchedulerMetrics {
  readonly registry = new Registry();
  readonly #leading: Gauge;
  readonly #buildSeconds: Gauge;
  readonly #builds: Counter<'result'>;
  readonly #lastPublished: Gauge;
  readonly #written: Gauge;
  readonly #cosignatures: Gauge;
  readonly #witnessesMet: Gauge;
  readonly #file: string;
  readonly #clock: () => number;
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string, clock: () => number = Date.now) {
    this.#file = file;
    this.#clock = clock;
    const registers = [this.registry];
    this.#leading = new Gauge({
      name: 'openprep_cut_scheduler_leading',
      help: 'Whether this process holds the cut-builder lease and builds the cuts (1) or stands by (0).',
      registers,
    });
    this.#buildSeconds = new Gauge({
      name: 'openprep_cut_build_seconds',
      help: 'Seconds the latest cut this process published took to build, sign and write.',
      registers,
    });
    this.#builds = new Counter({
      name: 'openprep_cut_builds_total',
      help: "This process's cut builds, by result: published or failed.",
      labelNames: ['result'],
      registers,
    });
    this.#lastPublished = new Gauge({
      name: 'openprep_cut_last_published_timestamp_seconds',
      help: 'When this process last published a cut (Unix seconds, the machine clock; 0: not yet).',
      registers,
    });
    this.#written = new Gauge({
      name: 'openprep_cut_scheduler_metrics_timestamp_seconds',
      help: 'When this file was written (Unix seconds): a stale file means a stopped scheduler.',
      registers,
    });
    this.#cosignatures = new Gauge({
      name: 'openprep_cut_witness_cosignatures',
      help: "Distinct witnesses' cosignatures the latest published cut's checkpoint carries (-1: the election lists no witnesses).",
      registers,
    });
    this.#witnessesMet = new Gauge({
      name: 'openprep_cut_witness_policy_met',
      help: 'Whether the latest published cut carries the cosignatures the election definition requires (1) or was published short of them (0).',
      registers,
    });
    for (const result of ['published', 'failed']) this.#builds.inc({ result }, 0);
  }

  /** Takes a scheduler event and rewrites the file (in order; a failed write is retried by the next). */
  observe(event: SchedulerEvent | { readonly kind: 'stopped' }): Promise<void> {
    if (event.kind === 'leading') this.#leading.set(1);
    else if (event.kind === 'standing-by' || event.kind === 'stopped') this.#leading.set(0);
    else if (event.kind === 'published') {
      this.#builds.inc({ result: 'published' });
      this.#buildSeconds.set(event.cut.seconds);
      this.#lastPublished.set(this.#clock() / 1000);
      const witnesses = event.cut.witnesses;
      this.#cosignatures.set(witnesses === null ? -1 : witnesses.cosigners.length);
      this.#witnessesMet.set(witnesses === null || witnesses.cosigners.length >= witnesses.required ? 1 : 0);
    } else this.#builds.inc({ result: 'failed' });
    this.#written.set(this.#clock() / 1000);
    this.#writing = this.#writing.then(async () =>
      writeFileDurably(this.#file, await this.registry.metrics()).catch(() => {}),
    );
    return this.#writing;
  }
}
