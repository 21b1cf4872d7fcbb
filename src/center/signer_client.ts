/**
 * A node's side of the signer service (signer_service.ts): the same interfaces the embedded
 * default implements in process — checkpoints (CheckpointSigning), cut and latest statements
 * (BodySigner), receipts (ReceiptKeys) — answered over the signer's Unix socket, or over HTTPS
 * with mutual authentication (the signer's CA pinned, this node's client certificate). The node
 * never holds the election's private key: it holds an Ed25519 receipt key of its own, made at
 * start, which the signer certifies for a bounded time and which is renewed at half its life.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { err, ok, type Result } from '../domain/result.ts';
import type { CertifiedReceiptKey, ReceiptKeys } from '../intake/package.ts';
import { parseReceiptKeyCertificateBody, receiptKeyName } from '../intake/receipt_body.ts';
import {
  type BodySigner,
  formatVerifierKey,
  openNote,
  parseVerifierKey,
  rawPublicKeyOf,
  SignerUnavailable,
} from '../journal/note.ts';
import type { CheckpointSigning, SignedState, SignerError, SignInput } from '../journal/signer.ts';
import type { SignerEndpoint } from './signer_endpoint.ts';

const TIMEOUT_MS = 10_000;
/** A node asks again when another node's checkpoint moved the signer's state meanwhile. */
const STALE_RETRIES = 5;

export interface RemoteSigner {
  readonly keyName: string;
  readonly verifierKey: string;
  readonly notes: BodySigner;
  readonly checkpoints: CheckpointSigning;
  readonly receipts: ReceiptKeys;
  close(): void;
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

type Call = (
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
) => Promise<Result<Answer, 'signer-unavailable'>>;

/** How a call reaches the signer: its Unix socket, or HTTPS with the pinned CA and this node's certificate. */
function signerCall(endpoint: SignerEndpoint): { call: Call; where: string; close: () => void } {
  if (endpoint.kind === 'socket') {
    const where = endpoint.socket;
    return {
      where,
      call: httpCall(
        where,
        (options, answer) => request({ ...options, socketPath: endpoint.socket }, answer),
        () => '',
      ),
      close: () => undefined,
    };
  }
  // One TLS session kept alive for the node's life: a handshake per signature is not needed.
  const agent = new HttpsAgent({
    keepAlive: true,
    maxSockets: 4,
    ca: endpoint.tls.ca,
    cert: endpoint.tls.cert,
    key: endpoint.tls.key,
    minVersion: 'TLSv1.3',
  });
  const where = endpoint.url.origin;
  return {
    where,
    call: httpCall(
      where,
      (options, answer) =>
        httpsRequest(
          {
            ...options,
            protocol: 'https:',
            hostname: endpoint.url.hostname.replace(/^\[|\]$/g, ''),
            port: Number(endpoint.url.port),
            ca: endpoint.tls.ca,
            cert: endpoint.tls.cert,
            key: endpoint.tls.key,
            minVersion: 'TLSv1.3',
            agent,
          },
          answer,
        ),
      (error) => tlsHint(error, endpoint.tls.cert),
    ),
    close: () => agent.destroy(),
  };
}

function httpCall(
  where: string,
  open: (
    options: { method: string; path: string; timeout: number; headers: Record<string, string | number> },
    answer: (res: IncomingMessage) => void,
  ) => ClientRequest,
  hint: (error: Error & { code?: string }) => string,
): Call {
  return (method, path, body) =>
    new Promise((resolve) => {
      const bytes = body === undefined ? null : Buffer.from(JSON.stringify(body));
      const req = open(
        {
          method,
          path,
          timeout: TIMEOUT_MS,
          headers:
            bytes === null ? {} : { 'content-type': 'application/json', 'content-length': bytes.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => resolve(err('signer-unavailable', `signer ${where}: ${error.message}`)));
          res.on('end', () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
              resolve(ok({ status: res.statusCode ?? 0, body: parsed }));
            } catch {
              resolve(err('signer-unavailable', `signer ${where} answered ${res.statusCode} without JSON`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)));
      req.on('error', (error: Error & { code?: string }) => {
        // Node's advice about the system's CAs is beside the point: the signer's CA is pinned.
        const message = error.message.replace(/; if the root CA is installed locally.*$/, '');
        const code = error.code !== undefined && !message.includes(error.code) ? ` (${error.code})` : '';
        resolve(err('signer-unavailable', `signer ${where}: ${message}${code}${hint(error)}`));
      });
      req.end(bytes ?? undefined);
    });
}

/** Server certificate errors: the signer's certificate is not one this node trusts. */
const SERVER_CERTIFICATE = /CERT|SIGNATURE|ALTNAME|ISSUER/;

/** What a TLS failure most likely means, said for the operator who reads the node's log. */
function tlsHint(error: Error & { code?: string }, clientCert: string): string {
  const code = error.code ?? '';
  if (SERVER_CERTIFICATE.test(code))
    return ": the signer's certificate is not trusted (not from OPENPREP_SIGNER_CA, expired, or not for this host name)";
  if (code === 'ECONNRESET' || code.startsWith('ERR_SSL')) {
    let expired = '';
    try {
      const validTo = Date.parse(new X509Certificate(clientCert).validTo);
      if (validTo <= Date.now())
        expired = `; this node's certificate expired at ${new Date(validTo).toISOString()}`;
    } catch {
      // Not readable: the handshake said as much.
    }
    return `: the signer closed the connection (at every call: it refuses this node's certificate, OPENPREP_SIGNER_CLIENT_CERT, which must come from the CA the signer trusts for nodes and be valid)${expired}`;
  }
  return '';
}

function parseState(value: unknown): SignedState | null {
  if (value === null || typeof value !== 'object') return null;
  const { size, rootHash } = value as { size?: unknown; rootHash?: unknown };
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || typeof rootHash !== 'string') return null;
  const root = Buffer.from(rootHash, 'base64');
  return root.length === 32 ? { size, rootHash: root } : null;
}

const SIGNER_ERRORS: readonly SignerError[] = [
  'smaller-than-last-signed',
  'inconsistent-with-last-signed',
  'bad-state-file',
];

/**
 * Connects to the signer: reads its key (which must be the election's, `expectedKeyName`),
 * makes this node's receipt key and has it certified. Fails when the signer cannot be reached.
 */
export async function connectSigner(options: {
  readonly endpoint: SignerEndpoint;
  readonly expectedKeyName: string;
  /** Names this node's receipt key (letters, digits, `.`, `-`, `_`). */
  readonly node: string;
  /** How long each receipt key certificate is asked for (the signer may give less). */
  readonly certificateSeconds: number;
  readonly clock: () => number;
}): Promise<Result<RemoteSigner, 'signer-unavailable'>> {
  const { call, where, close } = signerCall(options.endpoint);
  const keyAnswer = await call('GET', '/v1/key');
  if (!keyAnswer.ok) {
    close();
    return keyAnswer;
  }
  const { name, verifierKey } = keyAnswer.value.body as { name?: unknown; verifierKey?: unknown };
  if (name !== options.expectedKeyName || typeof verifierKey !== 'string') {
    close();
    return err(
      'signer-unavailable',
      `the signer at ${where} holds the key ${String(name)}, not this election's ${options.expectedKeyName}`,
    );
  }
  const electionKey = parseVerifierKey(verifierKey);
  if (!electionKey.ok) {
    close();
    return err('signer-unavailable', `the signer's key: ${electionKey.message}`);
  }
  let last = parseState(keyAnswer.value.body['last']);
  const origin = `${name}/log`;

  const checkpoints: CheckpointSigning = {
    origin,
    async sign(input: SignInput): Promise<Result<string, SignerError>> {
      for (let attempt = 0; attempt <= STALE_RETRIES; attempt++) {
        const lastSize = last?.size ?? 0;
        const [from, to] = input.size >= lastSize ? [lastSize, input.size] : [input.size, lastSize];
        // Refused before any proof is read when smaller and not allowed: none is computed.
        const needsProof =
          last !== null && from !== to && (input.size >= lastSize || input.allowPrefix === true);
        const proof = !needsProof
          ? []
          : typeof input.consistencyProof === 'function'
            ? await input.consistencyProof(from, to)
            : input.consistencyProof;
        const answer = await call('POST', '/v1/checkpoint', {
          size: input.size,
          rootHash: input.rootHash.toString('base64'),
          allowPrefix: input.allowPrefix ?? false,
          proofFrom: from,
          proofTo: to,
          proof: proof.map((hash) => Buffer.from(hash).toString('base64')),
        });
        if (!answer.ok) return answer;
        const { status, body } = answer.value;
        if (status === 200 && typeof body['note'] === 'string') {
          if (last === null || input.size >= last.size) last = { size: input.size, rootHash: input.rootHash };
          return ok(body['note']);
        }
        if (status === 409 && body['error'] === 'stale') {
          last = parseState(body['last']);
          continue;
        }
        const code = SIGNER_ERRORS.find((c) => c === body['error']);
        return err(code ?? 'signer-unavailable', String(body['message'] ?? `signer answered ${status}`));
      }
      return err('signer-unavailable', 'the signer’s last checkpoint kept moving; try again');
    },
    async readLastSigned() {
      const answer = await call('GET', '/v1/key');
      if (!answer.ok) return answer;
      last = parseState(answer.value.body['last']);
      return ok(last);
    },
  };

  const notes: BodySigner = {
    name: options.expectedKeyName,
    async signBody(body) {
      const answer = await call('POST', '/v1/note', { body });
      if (!answer.ok) throw new SignerUnavailable(answer.message);
      const note = answer.value.body['note'];
      if (answer.value.status !== 200 || typeof note !== 'string')
        throw new SignerUnavailable(
          String(answer.value.body['message'] ?? `signer answered ${answer.value.status}`),
        );
      return note;
    },
  };

  // This node's receipt key: made here, never written anywhere, certified by the signer.
  const receiptSigner = {
    name: receiptKeyName(options.expectedKeyName, options.node),
    privateKey: generateKeyPairSync('ed25519').privateKey,
  };
  const receiptVerifierKey = formatVerifierKey(receiptSigner.name, rawPublicKeyOf(receiptSigner.privateKey));
  let current: CertifiedReceiptKey | null = null;
  const certify = async (): Promise<Result<void, 'signer-unavailable'>> => {
    const answer = await call('POST', '/v1/receipt-key', {
      node: options.node,
      verifierKey: receiptVerifierKey,
      seconds: options.certificateSeconds,
      at: Math.floor(options.clock()),
    });
    if (!answer.ok) return answer;
    const certificate = answer.value.body['certificate'];
    if (answer.value.status !== 200 || typeof certificate !== 'string')
      return err(
        'signer-unavailable',
        String(answer.value.body['message'] ?? `signer answered ${answer.value.status}`),
      );
    // What devices will check, checked here first.
    const opened = openNote(certificate, [electionKey.value]);
    const parsed = opened.ok
      ? parseReceiptKeyCertificateBody(opened.value.body, options.expectedKeyName)
      : null;
    if (parsed === null || !parsed.ok || parsed.value.verifierKey !== receiptVerifierKey)
      return err('signer-unavailable', 'the signer returned a certificate that does not certify this key');
    current = {
      electionKeyName: options.expectedKeyName,
      signer: receiptSigner,
      certificate,
      notBefore: parsed.value.notBefore,
      notAfter: parsed.value.notAfter,
    };
    return ok(undefined);
  };
  const first = await certify();
  if (!first.ok) {
    close();
    return first;
  }
  // Renewed from half its life on, checked every minute (or more often for short ones); while
  // the signer is away, the current certificate serves until it expires.
  const validity = () => (current === null ? 60_000 : current.notAfter - current.notBefore);
  const renewal = setInterval(
    () => {
      if (current === null || options.clock() >= current.notBefore + validity() / 2) void certify();
    },
    Math.max(1_000, Math.min(60_000, validity() / 4)),
  );
  renewal.unref();

  return ok({
    keyName: options.expectedKeyName,
    verifierKey,
    notes,
    checkpoints,
    receipts: {
      current: (at) =>
        current !== null && at >= current.notBefore && at <= current.notAfter ? current : null,
    },
    close: () => {
      clearInterval(renewal);
      close();
    },
  });
}
