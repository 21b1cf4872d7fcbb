/**
 * The alert sinks' counters on `GET /metrics` (security/alert_sinks.ts keeps them; this reads
 * them at each scrape). One series per sink kind, a closed set: no address or alert becomes a
 * label. A rising `failed` or `dropped` means the SOC is missing alerts the journal has.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SinkStats } from '../security/alert_sinks.ts';

type Counted = 'sent' | 'failed' | 'dropped' | 'retried';

const COUNTERS: readonly (readonly [Counted, string, string])[] = [
  [
    'sent',
    'openprep_alert_sink_sent_total',
    'Security alerts delivered by each sink (2xx, or written to the collector).',
  ],
  [
    'failed',
    'openprep_alert_sink_failed_total',
    'Security alerts a sink gave up on: refused (4xx), out of attempts, or unsent when the node stopped.',
  ],
  [
    'dropped',
    'openprep_alert_sink_dropped_total',
    "Security alerts dropped from a sink's full queue before any attempt (the next delivery says how many).",
  ],
  ['retried', 'openprep_alert_sink_retries_total', 'Delivery attempts that failed and will be tried again.'],
];

/** Registers the sinks' series on `registry`, read from `stats` at each scrape. */
export function registerAlertSinkMetrics(registry: Registry, stats: () => readonly SinkStats[]): void {
  const registers = [registry];
  for (const [field, name, help] of COUNTERS)
    new Counter({
      name,
      help,
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const sink of stats()) this.labels(sink.sink).inc(sink[field]);
      },
    });
  new Gauge({
    name: 'openprep_alert_sink_queued',
    help: 'Security alerts waiting in each sink, the one being delivered included.',
    labelNames: ['sink'],
    registers,
    collect() {
      this.reset();
      for (const sink of stats()) this.labels(sink.sink).set(sink.queued);
    },
  });
}
