/**
 * A node's side of the signer service (signer_service.ts): the same interfaces the embedded
 * default implements in process — checkpoints (CheckpointSigning), cut and latest statements
 * (BodySigner), receipts (ReceiptKeys) — answered over the signer's Unix socket. The node
 * never holds the election's private key: it holds an Ed25519 receipt key of its own, made at
 * start, which the signer certifies for a bounded time and which is renewed at half its life.
 */
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
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

function unixSocketCall(socket: string): Call {
  return (method, path, body) =>
    new Promise((resolve) => {
      const bytes = body === undefined ? null : Buffer.from(JSON.stringify(body));
      const req = request(
        {
          socketPath: socket,
          method,
          path,
          timeout: TIMEOUT_MS,
          headers:
            bytes === null ? {} : { 'content-type': 'application/json', 'content-length': bytes.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) =>
            resolve(err('signer-unavailable', `signer ${socket}: ${error.message}`)),
          );
          res.on('end', () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
              resolve(ok({ status: res.statusCode ?? 0, body: parsed }));
            } catch {
              resolve(err('signer-unavailable', `signer ${socket} answered ${res.statusCode} without JSON`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)));
      req.on('error', (error) => resolve(err('signer-unavailable', `signer ${socket}: ${error.message}`)));
      req.end(bytes ?? undefined);
    });
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
  readonly socket: string;
  readonly expectedKeyName: string;
  /** Names this node's receipt key (letters, digits, `.`, `-`, `_`). */
  readonly node: string;
  /** How long each receipt key certificate is asked for (the signer may give less). */
  readonly certificateSeconds: number;
  readonly clock: () => number;
}): Promise<Result<RemoteSigner, 'signer-unavailable'>> {
  const call = unixSocketCall(options.socket);
  const keyAnswer = await call('GET', '/v1/key');
  if (!keyAnswer.ok) return keyAnswer;
  const { name, verifierKey } = keyAnswer.value.body as { name?: unknown; verifierKey?: unknown };
  if (name !== options.expectedKeyName || typeof verifierKey !== 'string')
    return err(
      'signer-unavailable',
      `the signer at ${options.socket} holds the key ${String(name)}, not this election's ${options.expectedKeyName}`,
    );
  const electionKey = parseVerifierKey(verifierKey);
  if (!electionKey.ok) return err('signer-unavailable', `the signer's key: ${electionKey.message}`);
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
  if (!first.ok) return first;
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
    close: () => clearInterval(renewal),
  });
}
