/**
 * The signer service (`openprep signer`): the one process that holds the election's private
 * key. Nodes ask it, over a Unix socket whose file permissions say who may connect, or over
 * HTTPS where only a client certificate from the nodes' CA gets a connection, for:
 *
 * - checkpoints, which it signs only when consistent with the last one it signed (the
 *   CheckpointSigner and its durable state file, with the RFC 6962 consistency proof the
 *   node sends);
 * - the cut and latest-pointer statements (`<name>/cut`, `<name>/latest`): it signs those
 *   two shapes of body and nothing else, so a node cannot have it vouch for arbitrary text;
 * - certificates for the nodes' receipt keys, valid for a bounded time (src/intake/receipt_body.ts).
 *
 * Every signature is logged as one JSON line on stdout (what, for which node, when; over HTTPS
 * with the subject of the client certificate that asked), and so is every refused handshake.
 *
 * The protocol is HTTP/1.1 with JSON bodies, the same on both listeners (docs/deployment.md,
 * "The signer").
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import process from 'node:process';
import { z } from 'zod';
import { formatReceiptKeyCertificateBody, receiptKeyName } from '../intake/receipt_body.ts';
import type { KeyBackend } from '../journal/key_backend.ts';
import { formatVerifierKey, parseVerifierKey, signNoteWith } from '../journal/note.ts';
import { CheckpointSigner } from '../journal/signer.ts';
import { err, ok, type Result } from '../domain/result.ts';

/** The largest request body: a consistency proof is at most 64 hashes. */
const MAX_BODY = 64 * 1024;

export interface SignerServiceOptions {
  readonly key: KeyBackend;
  /** The signer's own record of the last checkpoint it signed (src/journal/signer.ts). */
  readonly stateFile: string;
  /** The Unix socket to listen on, for nodes on this machine. */
  readonly socket?: string;
  /** The HTTPS listener, for nodes on other machines: at least one of the two. */
  readonly tls?: SignerTls;
  /** The longest validity a receipt key's certificate is given. */
  readonly maxCertificateMs: number;
  readonly clock: () => number;
  readonly log: (event: Record<string, unknown>) => void;
}

/** The HTTPS listener: its address, its certificate and key, and the CA its nodes' certificates come from. */
export interface SignerTls {
  readonly host: string;
  readonly port: number;
  /** PEM: the signer's certificate (and any intermediates), its key, and the nodes' CA only. */
  readonly cert: string;
  readonly key: string;
  readonly clientCa: string;
}

export interface SignerService {
  readonly socket: string | null;
  /** The HTTPS listener's port (the one given, or the one chosen for 0), or null. */
  readonly port: number | null;
  close(): Promise<void>;
}

const base64Hash = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, 'the base64 of 32 bytes')
  .transform((text) => Buffer.from(text, 'base64'));

export const checkpointRequest = z
  .object({
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    rootHash: base64Hash,
    allowPrefix: z.boolean(),
    /** The two sizes the proof is between: the last signed size the node knew of, and its own. */
    proofFrom: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    proofTo: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    proof: z.array(base64Hash).max(128),
  })
  .strict();

const noteRequest = z.object({ body: z.string().max(4096) }).strict();

const certificateRequest = z
  .object({
    node: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64'),
    verifierKey: z.string().max(512),
    seconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600),
    /** The node's clock: taken only for a drill's key, whose nodes may run a simulated night. */
    at: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

export async function startSignerService(
  options: SignerServiceOptions,
): Promise<Result<SignerService, 'bad-state-file' | 'socket' | 'tls'>> {
  const { key } = options;
  if (options.socket === undefined && options.tls === undefined)
    return err('socket', 'neither a socket nor an HTTPS address to listen on');
  const origin = `${key.name}/log`;
  const checkpoints = await CheckpointSigner.open({ signer: key, origin, stateFile: options.stateFile });
  if (!checkpoints.ok) return checkpoints;
  const signer = checkpoints.value;
  const verifierKey = formatVerifierKey(key.name, key.rawPublicKey);
  const statement = new RegExp(
    `^${escapeRegExp(key.name)}/(cut|latest)\\n[0-9]{8}_[0-9]{4}\\nsha256 [0-9a-f]{64}\\n$`,
  );
  // One request at a time reaches the checkpoint signer: the proof a node sent is checked
  // against the last signed size, which only this queue moves.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };

  const handle = async (
    request: IncomingMessage,
    log: (event: Record<string, unknown>) => void,
    client: string | null,
  ): Promise<{ status: number; body: unknown }> => {
    const route = `${request.method} ${request.url}`;
    if (route === 'GET /v1/key') {
      const last = await serial(() => signer.readLastSigned());
      if (!last.ok) return { status: 500, body: { error: last.code, message: last.message } };
      log({ event: 'read', what: 'key' });
      return { status: 200, body: { name: key.name, verifierKey, last: stateJson(last.value) } };
    }
    const text = await readBody(request);
    if (text === null) return { status: 413, body: { error: 'too-large' } };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { status: 400, body: { error: 'bad-request', message: 'the body is not JSON' } };
    }
    if (route === 'POST /v1/checkpoint') {
      const parsed = checkpointRequest.safeParse(json);
      if (!parsed.success) return badRequest(parsed.error);
      const input = parsed.data;
      return serial(async () => {
        const last = await signer.readLastSigned();
        if (!last.ok) return { status: 500, body: { error: last.code, message: last.message } };
        const lastSize = last.value?.size ?? 0;
        const [from, to] = input.size >= lastSize ? [lastSize, input.size] : [input.size, lastSize];
        // The node computed its proof against a last signed size that has moved (another node
        // signed meanwhile): it is told the new one and asks again.
        if (last.value !== null && (input.proofFrom !== from || input.proofTo !== to))
          return { status: 409, body: { error: 'stale', last: stateJson(last.value) } };
        const signed = await signer.sign({
          size: input.size,
          rootHash: input.rootHash,
          allowPrefix: input.allowPrefix,
          consistencyProof: (f, t) => {
            if (f !== from || t !== to) throw new Error(`proof asked for ${f}–${t}, sent for ${from}–${to}`);
            return input.proof;
          },
        });
        if (!signed.ok) {
          log({ event: 'refused', what: 'checkpoint', size: input.size, code: signed.code });
          return { status: 422, body: { error: signed.code, message: signed.message } };
        }
        log({
          event: 'signed',
          what: 'checkpoint',
          size: input.size,
          root: input.rootHash.toString('base64'),
        });
        return { status: 200, body: { note: signed.value } };
      });
    }
    if (route === 'POST /v1/note') {
      const parsed = noteRequest.safeParse(json);
      if (!parsed.success) return badRequest(parsed.error);
      const kind = statement.exec(parsed.data.body)?.[1];
      if (kind === undefined)
        return {
          status: 422,
          body: {
            error: 'not-a-statement',
            message: `only ${key.name}/cut and ${key.name}/latest statements are signed`,
          },
        };
      const note = await signNoteWith(parsed.data.body, key);
      log({ event: 'signed', what: kind, body: parsed.data.body });
      return { status: 200, body: { note } };
    }
    if (route === 'POST /v1/receipt-key') {
      const parsed = certificateRequest.safeParse(json);
      if (!parsed.success) return badRequest(parsed.error);
      const { node, seconds } = parsed.data;
      // Over HTTPS a node's receipt key is certified under the name its certificate gives it:
      // no node has receipts signed in another's name.
      if (client !== null && node !== client)
        return {
          status: 403,
          body: {
            error: 'wrong-node',
            message: `this node's certificate names ${client}, not ${node}: OPENPREP_NODE_ID must be its CN`,
          },
        };
      const receiptKey = parseVerifierKey(parsed.data.verifierKey);
      if (!receiptKey.ok || receiptKey.value.name !== receiptKeyName(key.name, node))
        return {
          status: 422,
          body: { error: 'bad-key', message: `a receipt key is named ${receiptKeyName(key.name, '<node>')}` },
        };
      // A drill may replay a past night on a simulated clock (docs/drills.md): its receipts'
      // acopio times are that clock's, so its certificates start there. A live key's start at
      // the signer's own clock, whatever a node says. Whole seconds, as acopio times are.
      const drill = key.name.endsWith('.simulacro');
      const from = drill ? (parsed.data.at ?? options.clock()) : options.clock();
      const notBefore = Math.floor(from / 1000) * 1000;
      const notAfter = notBefore + Math.min(seconds * 1000, options.maxCertificateMs);
      const certificate = await signNoteWith(
        formatReceiptKeyCertificateBody(key.name, {
          node,
          verifierKey: parsed.data.verifierKey,
          notBefore,
          notAfter,
        }),
        key,
      );
      log({
        event: 'signed',
        what: 'receipt-key',
        node,
        key: parsed.data.verifierKey,
        notAfter: new Date(notAfter).toISOString(),
      });
      return { status: 200, body: { certificate, notBefore, notAfter } };
    }
    return { status: 404, body: { error: 'not-found' } };
  };

  const answer = (request: IncomingMessage, response: ServerResponse, client: string | null) => {
    // Over HTTPS every line says which node asked: the subject of its certificate.
    const log = (event: Record<string, unknown>) =>
      options.log(client === null ? event : { ...event, client });
    handle(request, log, client).then(
      ({ status, body }) => {
        if (status !== 200)
          log({ event: 'answered', route: `${request.method} ${request.url}`, status, error: errorOf(body) });
        send(response, status, body);
      },
      (error: unknown) => {
        log({ event: 'error', message: (error as Error).message });
        send(response, 500, { error: 'internal' });
      },
    );
  };
  const servers: Server[] = [];
  const closeAll = async () => {
    for (const server of servers) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    }
  };
  let port: number | null = null;
  if (options.tls !== undefined) {
    const tls = options.tls;
    const expires = certificateExpiry(tls.cert);
    if (!expires.ok) return expires;
    if (expires.value <= options.clock())
      return err('tls', `the signer's certificate expired at ${new Date(expires.value).toISOString()}`);
    let server: Server;
    try {
      server = createHttpsServer(
        {
          cert: tls.cert,
          key: tls.key,
          // The nodes' CA, and no other: a certificate from any other CA gets no connection.
          ca: tls.clientCa,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.3',
        },
        (request, response) => {
          const peer = (request.socket as TLSSocket).getPeerCertificate();
          answer(request, response, typeof peer.subject?.CN === 'string' ? peer.subject.CN : '(no CN)');
        },
      );
    } catch (error) {
      return err('tls', `the signer's certificate or key cannot be used: ${(error as Error).message}`);
    }
    // A refused handshake, and why: no certificate, one from another CA, an expired one (its
    // verification error is on the socket; the connection is closed before any request).
    server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
      const reason = socket.authorizationError;
      options.log({
        event: 'tls-refused',
        reason: typeof reason === 'string' ? reason : (error.code ?? error.message),
        ...(socket.remoteAddress === undefined ? {} : { address: socket.remoteAddress }),
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(tls.port, tls.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      return err('socket', `cannot listen on ${tls.host}:${tls.port}: ${(error as Error).message}`);
    }
    servers.push(server);
    port = (server.address() as AddressInfo).port;
    options.log({
      event: 'listening',
      https: `${tls.host}:${port}`,
      certificateExpires: new Date(expires.value).toISOString(),
      key: verifierKey,
      backend: key.describe,
    });
  }
  if (options.socket !== undefined) {
    const server = createServer((request, response) => answer(request, response, null));
    const listening = await listenOnSocket(server, options.socket);
    if (!listening.ok) {
      await closeAll();
      return listening;
    }
    servers.push(server);
    options.log({ event: 'listening', socket: options.socket, key: verifierKey, backend: key.describe });
  }
  const socket = options.socket ?? null;
  return ok({
    socket,
    port,
    close: async () => {
      await closeAll();
      await queue;
      if (socket !== null) await rm(socket, { force: true });
    },
  });
}

/** When a PEM certificate (the first of the file) stops being valid, in epoch ms. */
export function certificateExpiry(pem: string): Result<number, 'tls'> {
  try {
    return ok(Date.parse(new X509Certificate(pem).validTo));
  } catch (error) {
    return err('tls', `not a certificate: ${(error as Error).message}`);
  }
}

function errorOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
}

/**
 * Listens on the socket with mode 0660: the signer's user and group only (the nodes' user is
 * put in that group). A socket file left by a signer that was killed is removed first; one that
 * still answers belongs to a running signer, and this one does not start.
 */
async function listenOnSocket(server: Server, socket: string): Promise<Result<void, 'socket'>> {
  await mkdir(path.dirname(socket), { recursive: true, mode: 0o750 });
  const answers = await new Promise<boolean>((resolve) => {
    const probe = connect(socket);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (answers) return err('socket', `another signer is listening on ${socket}`);
  await rm(socket, { force: true });
  const previous = process.umask(0o117);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    return err('socket', `cannot listen on ${socket}: ${(error as Error).message}`);
  } finally {
    process.umask(previous);
  }
  await chmod(socket, 0o660);
  return ok(undefined);
}

function stateJson(state: { size: number; rootHash: Buffer } | null): unknown {
  return state === null ? null : { size: state.size, rootHash: state.rootHash.toString('base64') };
}

function badRequest(error: z.ZodError): { status: number; body: unknown } {
  const issue = error.issues[0];
  return {
    status: 400,
    body: {
      error: 'bad-request',
      message: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    },
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
  response.end(bytes);
}

async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
