/**
 * The `alerts` part of serve's configuration (server/config.ts nests it): the webhook and the
 * syslog collector alerts go to, and the sinks built from it, their secret and CA files read
 * and checked at start so a missing file stops the service instead of silencing the alerts.
 */
import { stat, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import process from 'node:process';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';
import type { AlertCenter } from './alert_envelope.ts';
import { type AlertSinks, type AlertTransport, alertSinks, type SinkEventOf } from './alert_sinks.ts';
import { parseSyslogUrl, syslogTransport, syslogWhere } from './syslog_sink.ts';
import { DEFAULT_FACILITY, EXAMPLE_ENTERPRISE_NUMBER, MIN_MESSAGE_BYTES } from './syslog_format.ts';
import { webhookTransport } from './webhook_sink.ts';

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;
/** A shared secret shorter than this is guessable offline from one signed body. */
export const MIN_SECRET_BYTES = 32;

const pemFile = (description: string) => z.string().min(1).optional().describe(description);

const webhookSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'Where each alert is POSTed as signed JSON (docs/security-operations.md, "Where alerts go"): https://, or http:// to this machine only.',
      ),
    secretFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        `File holding the shared secret the body is signed with (HMAC-SHA-256, at least ${MIN_SECRET_BYTES} bytes, mode 0600); required with \`url\`.`,
      ),
    ca: pemFile(
      "PEM file of the CA the receiver's certificate must come from: then the only one trusted (the system's CAs are not).",
    ),
    timeoutSeconds: z
      .number()
      .min(0.1)
      .max(120)
      .default(10)
      .describe('Seconds one attempt may take, connection to answer; past it, the attempt is retried.'),
  })
  .strict()
  .superRefine((webhook, context) => {
    if (webhook.url === undefined) {
      if (webhook.secretFile !== undefined || webhook.ca !== undefined)
        context.addIssue({ code: 'custom', path: ['url'], message: 'required (OPENPREP_ALERT_WEBHOOK_URL)' });
      return;
    }
    const url = new URL(webhook.url);
    if (webhook.secretFile === undefined)
      context.addIssue({
        code: 'custom',
        path: ['secretFile'],
        message:
          'required with a webhook url: unsigned alerts could be forged (OPENPREP_ALERT_WEBHOOK_SECRET_FILE)',
      });
    if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname))
      context.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'https:// (http:// only to this machine: alerts name accounts and addresses)',
      });
    if (url.protocol === 'http:' && webhook.ca !== undefined)
      context.addIssue({ code: 'custom', path: ['ca'], message: 'a CA needs an https:// url' });
    if (url.username !== '' || url.password !== '')
      context.addIssue({ code: 'custom', path: ['url'], message: 'no user or password in the url' });
  });

const syslogSchema = z
  .object({
    url: z
      .string()
      .refine((text) => parseSyslogUrl(text) !== null, 'udp://host:514, tcp://host:601 or tls://host:6514')
      .optional()
      .describe(
        'The collector: `udp://host[:514]` (one datagram per alert), `tcp://host[:601]` or `tls://host[:6514]` (octet-counted frames, RFC 6587 and 5425).',
      ),
    ca: pemFile(
      "TLS: PEM file of the CA the collector's certificate must come from: then the only one trusted.",
    ),
    facility: z
      .number()
      .int()
      .min(0)
      .max(23)
      .default(DEFAULT_FACILITY)
      .describe(
        'The syslog facility: 10 (authpriv) by default; 13 (log audit) or 16–23 (local0–7) as the collector routes.',
      ),
    enterpriseNumber: z
      .number()
      .int()
      .min(1)
      .max(4_294_967_295)
      .default(EXAMPLE_ENTERPRISE_NUMBER)
      .describe(
        "The IANA Private Enterprise Number in the structured data's ids (`openprep@N`): 32473 is IANA's example number; an electoral body with its own gives it here.",
      ),
    maxMessageBytes: z
      .number()
      .int()
      .min(MIN_MESSAGE_BYTES)
      .max(65_000)
      .default(2048)
      .describe(
        'Largest message, in bytes (over UDP, one datagram); longer ones are cut at a character boundary and say `truncated="true"`.',
      ),
    appName: z
      .string()
      .regex(/^[\x21-\x7e]{1,48}$/, '1 to 48 printable ASCII characters, no spaces')
      .default('openprep')
      .describe('APP-NAME in each message.'),
    timeoutSeconds: z
      .number()
      .min(0.1)
      .max(120)
      .default(10)
      .describe(
        'TCP and TLS: seconds to connect, and for the collector to take a message; past it, the connection is opened again and the attempt retried.',
      ),
  })
  .strict()
  .superRefine((syslog, context) => {
    const target = syslog.url === undefined ? null : parseSyslogUrl(syslog.url);
    if (syslog.url === undefined && syslog.ca !== undefined)
      context.addIssue({ code: 'custom', path: ['url'], message: 'required (OPENPREP_ALERT_SYSLOG)' });
    if (syslog.ca !== undefined && target !== null && target.protocol !== 'tls')
      context.addIssue({ code: 'custom', path: ['ca'], message: 'a CA needs a tls:// collector' });
  });

export const alertsConfigSchema = z
  .object({
    centerName: z
      .string()
      .regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 printable ASCII characters, no spaces')
      .optional()
      .describe("This node's name in every alert (syslog's HOSTNAME): the machine's host name by default."),
    queueCapacity: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1000)
      .describe(
        'Alerts waiting per sink; when full, the oldest is dropped, counted, and the next delivery says how many were.',
      ),
    retryBaseSeconds: z
      .number()
      .min(0.001)
      .max(60)
      .default(1)
      .describe('The first retry waits about this long; each next one twice as long, with jitter.'),
    retryMaxSeconds: z
      .number()
      .min(0.001)
      .max(3600)
      .default(60)
      .describe('The longest wait between two attempts.'),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(15)
      .describe('Attempts per alert before it counts as failed (15: five to ten minutes with the defaults).'),
    closeSeconds: z
      .number()
      .min(0)
      .max(300)
      .default(5)
      .describe('On stop: how long queued alerts may still be delivered.'),
    webhook: webhookSchema.optional().describe('The webhook (none by default).'),
    syslog: syslogSchema.optional().describe('The syslog collector (none by default).'),
  })
  .strict()
  .default({
    queueCapacity: 1000,
    retryBaseSeconds: 1,
    retryMaxSeconds: 60,
    maxAttempts: 15,
    closeSeconds: 5,
  })
  .describe('Where security alerts go besides the journal (docs/security-operations.md, "Where alerts go").');

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;

/** The environment variables of this part, for server/config.ts's table. */
export const ALERT_ENVIRONMENT: readonly (readonly [string, readonly string[], 'string' | 'number'])[] = [
  ['OPENPREP_ALERT_CENTER_NAME', ['alerts', 'centerName'], 'string'],
  ['OPENPREP_ALERT_WEBHOOK_URL', ['alerts', 'webhook', 'url'], 'string'],
  ['OPENPREP_ALERT_WEBHOOK_SECRET_FILE', ['alerts', 'webhook', 'secretFile'], 'string'],
  ['OPENPREP_ALERT_WEBHOOK_CA', ['alerts', 'webhook', 'ca'], 'string'],
  ['OPENPREP_ALERT_SYSLOG', ['alerts', 'syslog', 'url'], 'string'],
  ['OPENPREP_ALERT_SYSLOG_CA', ['alerts', 'syslog', 'ca'], 'string'],
  ['OPENPREP_ALERT_SYSLOG_FACILITY', ['alerts', 'syslog', 'facility'], 'number'],
  ['OPENPREP_ALERT_SYSLOG_ENTERPRISE_NUMBER', ['alerts', 'syslog', 'enterpriseNumber'], 'number'],
];

async function readSecret(file: string): Promise<Result<Uint8Array, 'bad-alert-config'>> {
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0)
      return err(
        'bad-alert-config',
        `the webhook secret ${file} may be read by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    const secret = Buffer.from((await readFile(file, 'utf8')).trim());
    if (secret.length < MIN_SECRET_BYTES)
      return err(
        'bad-alert-config',
        `the webhook secret in ${file} is ${secret.length} bytes: at least ${MIN_SECRET_BYTES} (openssl rand -hex 32)`,
      );
    return ok(secret);
  } catch (error) {
    return err('bad-alert-config', `cannot read the webhook secret: ${(error as Error).message}`);
  }
}

async function readCa(file: string, what: string): Promise<Result<string, 'bad-alert-config'>> {
  try {
    const text = await readFile(file, 'utf8');
    if (!text.includes('-----BEGIN CERTIFICATE-----'))
      return err('bad-alert-config', `${what} ${file} holds no PEM certificate`);
    return ok(text);
  } catch (error) {
    return err('bad-alert-config', `cannot read ${what}: ${(error as Error).message}`);
  }
}

export interface AlertSinksContext {
  readonly electionId: string;
  readonly mode: AlertCenter['mode'];
  readonly onEvent?: (event: SinkEventOf) => void;
  readonly userAgent?: string;
}

/**
 * The sinks the configuration names, their files read: null when none is configured (then
 * alerts are only journaled). A file that cannot be read, or a secret too short, is an error.
 */
export async function alertSinksFrom(
  config: AlertsConfig,
  context: AlertSinksContext,
): Promise<Result<AlertSinks | null, 'bad-alert-config'>> {
  const transports: AlertTransport[] = [];
  const centerName = config.centerName ?? hostname();
  const emit = context.onEvent;
  const webhook = config.webhook;
  if (webhook?.url !== undefined && webhook.secretFile !== undefined) {
    const secret = await readSecret(webhook.secretFile);
    if (!secret.ok) return secret;
    const ca = webhook.ca === undefined ? null : await readCa(webhook.ca, 'the webhook CA');
    if (ca !== null && !ca.ok) return ca;
    transports.push(
      webhookTransport({
        url: new URL(webhook.url),
        secret: secret.value,
        ...(ca === null ? {} : { ca: ca.value }),
        timeoutMs: webhook.timeoutSeconds * 1000,
        userAgent: context.userAgent ?? 'OpenPREP',
      }),
    );
  }
  const syslog = config.syslog;
  const target = syslog?.url === undefined ? null : parseSyslogUrl(syslog.url);
  if (syslog !== undefined && target !== null) {
    const ca = syslog.ca === undefined ? null : await readCa(syslog.ca, 'the syslog CA');
    if (ca !== null && !ca.ok) return ca;
    const where = syslogWhere(target);
    transports.push(
      syslogTransport({
        target,
        ...(ca === null ? {} : { ca: ca.value }),
        timeoutMs: syslog.timeoutSeconds * 1000,
        format: {
          facility: syslog.facility,
          hostname: centerName,
          appName: syslog.appName,
          procId: String(process.pid),
          enterpriseNumber: syslog.enterpriseNumber,
          maxBytes: syslog.maxMessageBytes,
        },
        ...(emit === undefined
          ? {}
          : { onConnection: (event) => emit({ ...event, sink: 'syslog', target: where }) }),
      }),
    );
  }
  if (transports.length === 0) return ok(null);
  return ok(
    alertSinks(transports, {
      center: { name: centerName, electionId: context.electionId, mode: context.mode },
      queueCapacity: config.queueCapacity,
      retry: {
        baseDelayMs: config.retryBaseSeconds * 1000,
        maxDelayMs: Math.max(config.retryMaxSeconds, config.retryBaseSeconds) * 1000,
        maxAttempts: config.maxAttempts,
      },
      ...(emit === undefined ? {} : { onEvent: emit }),
    }),
  );
}
