/**
 * An alert as one RFC 5424 syslog message (pure, no I/O), and the octet-counting frame of RFC
 * 6587 §3.4.1 / RFC 5425 §4.3 for TCP and TLS:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [openprep@PEN ...][evidence@PEN ...] MSG
 *
 * Every field a client can influence (a username typed at the sign-in page, an address) is
 * escaped or replaced here: a hostile value must not end a structured-data element, forge a
 * parameter, or split the message in a receiver that reads lines.
 */
import type { AlertEnvelope } from './alert_envelope.ts';

/**
 * IANA's example Private Enterprise Number (RFC 5612): valid syntax, owned by nobody. An
 * electoral body with a PEN of its own configures it (`alerts.syslog.enterpriseNumber`).
 */
export const EXAMPLE_ENTERPRISE_NUMBER = 32473;
/** authpriv: security and authorization messages kept private (docs/security-operations.md says why). */
export const DEFAULT_FACILITY = 10;
/** The RFC 5426 size every receiver must accept over UDP is 480 bytes; 2048 it should. */
export const MIN_MESSAGE_BYTES = 480;

export const SYSLOG_SEVERITY = { critical: 2, high: 3, warning: 4 } as const;

export interface SyslogOptions {
  /** 0–23. */
  readonly facility: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly enterpriseNumber: number;
  /** The whole message's size at most (UDP: one datagram); longer ones are cut safely. */
  readonly maxBytes: number;
}

const NIL = '-';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** PRINTUSASCII (33–126) only, at most `max` characters; NILVALUE when nothing is left. */
export function headerField(value: string, max: number): string {
  const kept = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return kept === '' ? NIL : kept;
}

/**
 * RFC 5424 §6.3.3: inside PARAM-VALUE, `"`, `\` and `]` are escaped with a backslash. Control
 * characters (a newline in a username) are not forbidden there, but a receiver reading lines
 * would split the message on them: they become U+FFFD.
 */
export function escapeParamValue(value: string): string {
  return withoutControls(value).replace(/["\\\]]/g, '\\$&');
}

/** C0 and C1 controls and the Unicode line and paragraph separators, each as U+FFFD. */
export function withoutControls(value: string): string {
  return value.replace(/[\p{Cc}\u2028\u2029]/gu, '\ufffd');
}

/** RFC 5424 §6.3.3 SD-NAME: 1–32 PRINTUSASCII except `=`, space, `]` and `"`. */
export function paramName(name: string): string {
  const kept = name.replace(/[^\x21-\x7e]|[=\]"]/g, '_').slice(0, 32);
  return kept === '' ? '_' : kept;
}

/** MSG is free text for people; the same control characters go as in parameter values. */
const messageText = withoutControls;

export const rfc3339 = (ms: number): string => new Date(ms).toISOString();

type Params = readonly (readonly [string, string])[];

function element(id: string, params: Params): string {
  return `[${id}${params.map(([name, value]) => ` ${paramName(name)}="${escapeParamValue(value)}"`).join('')}]`;
}

/** The subject's fields that are present, in a fixed order. */
function subjectParams(envelope: AlertEnvelope): Params {
  const subject = envelope.alert.subject;
  const fields = ['address', 'operatorId', 'username', 'deviceId', 'decoyId'] as const;
  return fields.flatMap((field) => {
    const value = subject[field];
    return value === undefined ? [] : [[field, value] as const];
  });
}

function summary(envelope: AlertEnvelope): string {
  const { alert } = envelope;
  const about = subjectParams(envelope)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return messageText(
    `${envelope.test === true ? '[TEST] ' : ''}OpenPREP security alert ${alert.detection} (${alert.severity})${about === '' ? '' : ` ${about}`} on ${envelope.center.name}`,
  );
}

/** Bytes of `text` cut to at most `max`, never inside a UTF-8 character. */
export function cutUtf8(text: string, max: number): Uint8Array {
  const bytes = encoder.encode(text);
  if (bytes.length <= max) return bytes;
  let end = Math.max(0, max);
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end);
}

const byteLength = (text: string): number => encoder.encode(text).length;

/**
 * The message for one delivery. Over `maxBytes`, the text (MSG) is cut first, at a character
 * boundary; if the structured data alone is too long (a huge username), only the alert's id,
 * detection and severity are kept. Either way `truncated="true"` says so; the webhook and the
 * journal keep the whole alert.
 */
export function formatSyslog(envelope: AlertEnvelope, options: SyslogOptions): Uint8Array {
  const { alert } = envelope;
  const pri = options.facility * 8 + SYSLOG_SEVERITY[alert.severity];
  const header = [
    `<${pri}>1`,
    rfc3339(alert.at),
    headerField(options.hostname, 255),
    headerField(options.appName, 48),
    headerField(options.procId, 128),
    headerField(alert.detection, 32),
  ].join(' ');
  const openprep = `openprep@${options.enterpriseNumber}`;
  const core: Params = [
    ['alertId', alert.alertId],
    ['detection', alert.detection],
    ['severity', alert.severity],
  ];
  const marks: Params = [
    ...(envelope.droppedBefore > 0 ? [['dropped', String(envelope.droppedBefore)] as const] : []),
    ...(envelope.test === true ? [['test', 'true'] as const] : []),
  ];
  const rest: Params = [
    ['firstAt', rfc3339(alert.firstAt)],
    ['lastAt', rfc3339(alert.lastAt)],
    ['responses', alert.responses.join(',')],
    ...subjectParams(envelope),
    ['center', envelope.center.name],
    ['electionId', envelope.center.electionId],
    ['mode', envelope.center.mode],
    ['deliveryId', envelope.deliveryId],
  ];
  const evidence = Object.entries(alert.evidence).map(([name, value]) => [name, String(value)] as const);
  const sd = (params: Params, withEvidence: boolean) =>
    element(openprep, params) +
    (withEvidence && evidence.length > 0 ? element(`evidence@${options.enterpriseNumber}`, evidence) : '');
  const text = summary(envelope);

  const whole = `${header} ${sd([...core, ...rest, ...marks], true)} ${text}`;
  if (byteLength(whole) <= options.maxBytes) return encoder.encode(whole);

  const truncated = [['truncated', 'true']] as const;
  const full = `${header} ${sd([...core, ...rest, ...marks, ...truncated], true)}`;
  const room = options.maxBytes - byteLength(full) - 1;
  if (room >= 0) {
    const cut = decoder.decode(cutUtf8(text, room));
    return encoder.encode(cut === '' ? full : `${full} ${cut}`);
  }
  // Only a hostile or broken alert gets here: its structured data alone is over the limit.
  const minimal: Params = [
    ['alertId', alert.alertId.slice(0, 64)],
    ['detection', alert.detection],
    ['severity', alert.severity],
    ...marks,
    ...truncated,
  ];
  return cutUtf8(`${header} ${sd(minimal, false)}`, options.maxBytes);
}

/** RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes. */
export function octetCounted(message: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${message.length} `);
  const frame = new Uint8Array(prefix.length + message.length);
  frame.set(prefix, 0);
  frame.set(message, prefix.length);
  return frame;
}
