/**
 * `fetch` for an agent that trusts only its center's CA (`agent init --center-ca`): over
 * node:https with `ca` set to that CA alone — the system's list and NODE_EXTRA_CA_CERTS are not
 * consulted — and, when given, the server's public key pinned besides (`sha256/<base64>` of its
 * SubjectPublicKeyInfo, as HPKP wrote it). Answers as `fetch` does (a Response), so the field
 * transport (transport.ts) and enrolment (enrol_http.ts) run on it unchanged. Node's own fetch
 * is undici, whose dispatcher cannot be given a CA without the undici package; this needs none.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { err, ok, type Result } from '../domain/result.ts';
import type { FetchLike } from './transport.ts';

/** `sha256/` and the base64 of 32 bytes. */
export const SPKI_PIN = /^sha256\/[A-Za-z0-9+/]{43}=$/;

export interface PinnedFetch {
  readonly fetch: FetchLike;
  /** Closes the kept-alive connections. */
  close(): void;
}

/** The pin of a certificate's public key: `sha256/` + base64 of the SHA-256 of its SPKI (DER). */
export function spkiPin(certificate: Pick<PeerCertificate, 'raw'> | X509Certificate): string {
  // A peer certificate's `pubkey` is the bare key for EC keys, not the SubjectPublicKeyInfo.
  const parsed = certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate.raw);
  const der = parsed.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(der).digest('base64')}`;
}

/** Checks that `pem` holds at least one certificate and every one parses; says which CAs it holds. */
export function readCaBundle(pem: string): Result<readonly string[], 'bad-ca'> {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return err('bad-ca', 'no certificate in it (a PEM file is expected)');
  const subjects: string[] = [];
  for (const block of blocks) {
    try {
      const certificate = new X509Certificate(block);
      if (!certificate.ca)
        return err('bad-ca', `${certificate.subject.replaceAll('\n', ', ')} is not a CA certificate`);
      subjects.push(`${certificate.subject.replaceAll('\n', ', ')} (until ${certificate.validTo})`);
    } catch (error) {
      return err('bad-ca', `not a certificate: ${(error as Error).message}`);
    }
  }
  return ok(subjects);
}

export function pinnedFetch(options: {
  readonly ca: string;
  readonly pins?: readonly string[];
}): PinnedFetch {
  const pins = options.pins ?? [];
  const agent = new Agent({
    keepAlive: true,
    ca: options.ca,
    checkServerIdentity: (host, certificate) => {
      const wrongName = checkServerIdentity(host, certificate);
      if (wrongName !== undefined) return wrongName;
      if (pins.length > 0 && !pins.includes(spkiPin(certificate)))
        return Object.assign(
          new Error(`its public key ${spkiPin(certificate)} is not among the pinned ones`),
          {
            code: 'ERR_SPKI_PIN_MISMATCH',
          },
        );
      return undefined;
    },
  });
  const fetchPinned: FetchLike = (url, init) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new TypeError(`${target.origin}: the center's CA is pinned, so its address must be https://`));
        return;
      }
      const headers = new Headers(init.headers);
      const body = init.body === undefined || init.body === null ? null : bodyBytes(init.body);
      if (body !== null) headers.set('content-length', String(body.length));
      const signal = init.signal ?? null;
      const req = request(
        target,
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(headers),
          agent,
          ...(signal === null ? {} : { signal }),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const answerHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers))
              for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
                answerHeaders.append(name, one);
            const status = res.statusCode ?? 0;
            const empty = status === 204 || status === 304 || (init.method ?? 'GET') === 'HEAD';
            resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: answerHeaders }));
          });
        },
      );
      req.on('error', (error: Error & { code?: string }) =>
        // As Node's fetch reports it: a TypeError whose cause says what failed.
        reject(Object.assign(new TypeError('fetch failed'), { cause: error })),
      );
      req.end(body ?? undefined);
    });
  return { fetch: fetchPinned, close: () => agent.destroy() };
}

function bodyBytes(body: BodyInit): Buffer {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new Error('pinned fetch sends strings and bytes only');
}
