/**
 * What a sink sends for one alert (pure): the journaled SECURITY_ALERT as it is, with who sent
 * it (the center and its election) and what only the delivery knows (its id, the alerts this
 * sink dropped before it, and whether it is a test). The webhook posts it as JSON; syslog
 * spells the same fields as RFC 5424 structured data (syslog_format.ts).
 */
import type { EntryOf } from '../journal/entry_types.ts';

export type SecurityAlert = EntryOf<'SECURITY_ALERT'>;

/** The envelope's format; a receiver that sees another version should not guess. */
export const ALERT_ENVELOPE_VERSION = 1;

export interface AlertCenter {
  /** The node's name as the SOC knows it (configured, or the machine's host name). */
  readonly name: string;
  readonly electionId: string;
  readonly mode: 'simulacro' | 'live';
}

export interface AlertEnvelope {
  readonly version: typeof ALERT_ENVELOPE_VERSION;
  /** The same on every retry of this delivery: a receiver drops what it already has. */
  readonly deliveryId: string;
  readonly center: AlertCenter;
  /** Set by `openprep alert test` only: a synthetic alert to check the pipe, not an incident. */
  readonly test?: true;
  /** Alerts this sink dropped (its queue was full) since its last delivery: the receiver missed them. */
  readonly droppedBefore: number;
  readonly alert: SecurityAlert;
}
