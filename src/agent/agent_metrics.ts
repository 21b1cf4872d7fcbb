/**
 * The agent's metrics as a node_exporter textfile (Prometheus text format, written whole and
 * renamed into place): a CATD machine then opens no port of its own for them, and node_exporter,
 * which the institute runs there anyway, serves them with the machine's own. The labels are the
 * outbox states and the configured channel names (at most 8): never the device, an acta or a file.
 */
import { Gauge, Registry } from 'prom-client';
import { writeFileDurably } from '../platform/durable_file.ts';
import type { ChannelHealth } from './transport.ts';
import type { OutboxCounts } from './sqlite_outbox.ts';

export interface AgentSnapshot {
  readonly counts: OutboxCounts;
  readonly channels: readonly ChannelHealth[];
  /** From the latest scan of the watch folder. */
  readonly unidentified: number;
  readonly rejected: number;
  readonly now: number;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly #outbox: Gauge<'state'>;
  readonly #oldest: Gauge;
  readonly #up: Gauge<'channel'>;
  readonly #failures: Gauge<'channel'>;
  readonly #lastSuccess: Gauge<'channel'>;
  readonly #unidentified: Gauge;
  readonly #rejected: Gauge;
  readonly #written: Gauge;

  constructor() {
    const registers = [this.registry];
    const gauge = <L extends string = never>(name: string, help: string, labelNames?: readonly L[]) =>
      new Gauge<L>({ name, help, ...(labelNames === undefined ? {} : { labelNames }), registers });
    this.#outbox = gauge(
      'openprep_agent_outbox',
      'Packages in the outbox by state: pending (no receipt yet: the backlog), delivered, refused.',
      ['state'],
    );
    this.#oldest = gauge(
      'openprep_agent_outbox_oldest_pending_seconds',
      'Age of the oldest package still waiting for its receipt (0: none pending).',
    );
    this.#up = gauge(
      'openprep_agent_channel_up',
      'Whether the agent would send over this center channel now (1), or it rests after failures (0).',
      ['channel'],
    );
    this.#failures = gauge(
      'openprep_agent_channel_failures',
      'Consecutive failures of this channel (0 after a success).',
      ['channel'],
    );
    this.#lastSuccess = gauge(
      'openprep_agent_channel_last_success_timestamp_seconds',
      'When this channel last brought back a receipt (Unix seconds; 0: never since the agent started).',
      ['channel'],
    );
    this.#unidentified = gauge(
      'openprep_agent_scan_unidentified',
      'Files in the watch folder whose names name no acta (latest scan).',
    );
    this.#rejected = gauge(
      'openprep_agent_scan_rejected',
      'Files in the watch folder not queued: unfit images or unreadable files (latest scan).',
    );
    this.#written = gauge(
      'openprep_agent_metrics_timestamp_seconds',
      'When the agent wrote this file (Unix seconds): a stale file means a stopped agent.',
    );
  }

  set(snapshot: AgentSnapshot): void {
    const { counts, now } = snapshot;
    this.#outbox.set({ state: 'pending' }, counts.pending);
    this.#outbox.set({ state: 'delivered' }, counts.delivered);
    this.#outbox.set({ state: 'refused' }, counts.refused);
    this.#oldest.set(
      counts.oldestPendingAt === null ? 0 : Math.max(0, (now - counts.oldestPendingAt) / 1000),
    );
    for (const channel of snapshot.channels) {
      const labels = { channel: channel.name };
      this.#up.set(labels, channel.downUntil <= now ? 1 : 0);
      this.#failures.set(labels, channel.failures);
      this.#lastSuccess.set(labels, channel.lastSuccessAt === null ? 0 : channel.lastSuccessAt / 1000);
    }
    this.#unidentified.set(snapshot.unidentified);
    this.#rejected.set(snapshot.rejected);
    this.#written.set(now / 1000);
  }

  /** Written to a temporary name and renamed: node_exporter never reads half a file. */
  async write(file: string, snapshot: AgentSnapshot): Promise<void> {
    this.set(snapshot);
    await writeFileDurably(file, await this.registry.metrics());
  }
}
