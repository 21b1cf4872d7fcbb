/**
 * The webhook: each alert POSTed as JSON to the SOC's address, signed with a shared secret
 * (`X-OpenPREP-Signature: sha256=<hex HMAC-SHA-256 of the body>`), with an id that stays the
 * same on every retry (`X-OpenPREP-Delivery`, also inside the signed body). Over HTTPS the CA
 * may be pinned: then that CA alone is trusted, not the system's list. Plain HTTP only to this
 * machine (a local forwarder): an alert names accounts and addresses.
 */
import { createHmac } from 'node:crypto';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AlertEnvelope } from './alert_envelope.ts';
import type { AlertTransport, DeliveryOutcome } from './alert_sinks.ts';

export const SIGNATURE_HEADER = 'x-openprep-signature';
export const DELIVERY_HEADER = 'x-openprep-delivery';

export interface WebhookOptions {
  readonly url: URL;
  /** The shared secret the receiver checks the signature with. */
  readonly secret: Uint8Array;
  /** PEM of the CA(s) the receiver's certificate must come from; none: the system's. */
  readonly ca?: string;
  /** For one attempt, connection to the end of the answer. */
  readonly timeoutMs: number;
  /** The User-Agent, with the version. */
  readonly userAgent: string;
}

/** `sha256=` and the hex HMAC-SHA-256 of the body with the secret: what a receiver recomputes. */
export function webhookSignature(secret: Uint8Array, body: Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The body: the envelope as JSON, in the envelope's own key order. */
export function webhookBody(envelope: AlertEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

/** Seconds (or an HTTP date) of a Retry-After header, in ms; null when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** What an answer's status means for this delivery. */
export function classifyStatus(status: number): 'done' | 'retry' | 'give-up' {
  if (status >= 200 && status < 300) return 'done';
  if (status >= 500 || status === 408 || status === 429) return 'retry';
  // 3xx are not followed (a moved receiver is a configuration to fix), 4xx will not change.
  return 'give-up';
}

export function webhookTransport(options: WebhookOptions): AlertTransport {
  const https = options.url.protocol === 'https:';
  // Kept alive: alerts come in bursts, and a TLS handshake per alert is not needed.
  const agent = https
    ? new HttpsAgent({
        keepAlive: true,
        maxSockets: 1,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        minVersion: 'TLSv1.2',
      })
    : undefined;
  const target = `${options.url.origin}${options.url.pathname}`;

  const deliver = (envelope: AlertEnvelope, signal: AbortSignal): Promise<DeliveryOutcome> =>
    new Promise((resolve) => {
      const body = webhookBody(envelope);
      const headers = {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': options.userAgent,
        [SIGNATURE_HEADER]: webhookSignature(options.secret, body),
        [DELIVERY_HEADER]: envelope.deliveryId,
      };
      let settled = false;
      const finish = (outcome: DeliveryOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const answer = (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        // The body is not read beyond a little, for the log: a receiver's answer is not ours to keep.
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 200) text += chunk;
        });
        res.on('error', (error) =>
          finish({ kind: 'retry', reason: `the answer broke off: ${error.message}` }),
        );
        res.on('end', () => {
          const kind = classifyStatus(status);
          const said = text.trim().slice(0, 200);
          const reason = `HTTP ${status}${said === '' ? '' : `: ${said}`}`;
          if (kind === 'done') finish({ kind: 'done', detail: `HTTP ${status}` });
          else if (kind === 'give-up') finish({ kind: 'give-up', reason });
          else {
            const after = retryAfterMs(res.headers['retry-after'], Date.now());
            finish({ kind: 'retry', reason, ...(after === null ? {} : { afterMs: after }) });
          }
        });
      };
      const requestOptions = { method: 'POST', headers };
      const req = https
        ? httpsRequest(options.url, { ...requestOptions, ...(agent === undefined ? {} : { agent }) }, answer)
        : httpRequest(options.url, requestOptions, answer);
      const timer = setTimeout(() => {
        req.destroy();
        finish({ kind: 'retry', reason: `no answer within ${options.timeoutMs} ms` });
      }, options.timeoutMs);
      const onAbort = () => {
        req.destroy();
        finish({ kind: 'retry', reason: 'stopped: the service is closing' });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error: Error & { code?: string }) =>
        finish({ kind: 'retry', reason: `${error.code ?? 'error'}: ${error.message}` }),
      );
      req.end(body);
    });

  return {
    kind: 'webhook',
    target,
    deliver,
    close: async () => agent?.destroy(),
  };
}
