/**
 * The center's HTTP service (Fastify): health and readiness, the journal's latest checkpoint,
 * and signed-package intake. Every route declares its authorization policy; a route without
 * one stops the service from starting (and the route inventory test from passing).
 */
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { CenterNode } from '../center/node.ts';
import { type ImageStore, openImageStore } from '../images/image_store.ts';
import { startShadowReader } from '../center/reader.ts';
import type { ShadowReader } from '../reading/shadow_reader.ts';
import { type IntakeRefusal, IntakeService } from '../intake/intake_service.ts';
import { Accounts } from '../auth/accounts.ts';
import { type BreachCorpus, openBreachCorpus } from '../auth/breached_passwords.ts';
import { FINGERPRINT_PURPOSE } from '../security/fingerprint.ts';
import { DecoyTripwire } from '../security/tripwire.ts';
import type { Role } from '../auth/operators_port.ts';
import type { ServeConfig } from './config.ts';
import { registerAccessReviewRoutes } from './access_review_routes.ts';
import { AddressBlocks, registerSecurityRoutes } from './security_routes.ts';
import { registerAdminRoutes } from './admin_routes.ts';
import { registerCasillaRoutes } from './casilla_routes.ts';
import { registerConsoleRoutes } from './console_routes.ts';
import { DEFAULT_CONSOLE_OUT } from '../site/build.ts';
import { CenterMetrics, metricsAllowed } from './metrics.ts';
import { registerOperatorRoutes } from './operator_routes.ts';
import { registerReaderRoutes } from './reader_routes.ts';
import { currentAttestation } from '../release/bootstrap.ts';
import { Deployment, deploymentFacts } from './deployment.ts';
import { registerWitnessRoutes } from './witness_routes.ts';
import { JournalTree } from '../journal/journal_tree.ts';
import { faultResponse, NodeHealth, probeDisk, RETRY_AFTER_SECONDS } from './health.ts';
import { type AdmissionRefusal, IntakeAdmission, type Permit } from './intake_admission.ts';
import { fieldsOf, headersOf } from './intake_body.ts';
import {
  closeUnreadBody,
  limitConnectionsPerAddress,
  proxyMatcher,
  type SlowClientEvent,
  UploadWatcher,
} from './slow_clients.ts';

/**
 * Who may call a route. Device-signed routes check the signature of each package; session
 * routes need a signed-in operator whose role is in `roles` (and a CSRF token to change anything).
 * Metrics routes answer a scrape from this machine or one with the configured bearer token.
 */
export type RoutePolicy = 'public' | 'device-signature' | 'session' | 'metrics';

declare module 'fastify' {
  interface FastifyContextConfig {
    policy?: RoutePolicy;
    roles?: readonly Role[];
    /** A WebAuthn assertion in this session in the last minutes (admin_routes.ts). */
    stepUp?: boolean;
  }
}

export const INTAKE_STATUS: Readonly<Record<IntakeRefusal | 'overloaded' | 'bad-request', number>> = {
  'bad-header': 400,
  'not-canonical': 400,
  'hash-mismatch': 400,
  'unknown-contest': 400,
  truncated: 400,
  'bad-request': 400,
  'bad-signature': 401,
  'unknown-device': 401,
  'revoked-device': 403,
  'origin-mismatch': 403,
  'out-of-scope': 403,
  conflict: 409,
  'after-close': 409,
  'too-large': 413,
  'not-an-image': 415,
  'too-many-pixels': 422,
  'image-quality': 422,
  identification: 422,
  // Not 503 ("busy, come back here"): a device treats any other 5xx as a failing center and
  // tries its alternate, whose images may live elsewhere; nginx tries another node.
  'image-store-unavailable': 502,
  'signer-unavailable': 502,
  overloaded: 503,
};

/** Multipart overhead allowed on top of the image when Content-Length is declared. */
const ENVELOPE_BYTES = 64 * 1024;

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export interface ServerHandle {
  readonly app: FastifyInstance;
  readonly intake: IntakeService;
  readonly accounts: Accounts;
  /** Set when shutting down: readiness then answers 503 so a balancer stops sending work. */
  draining: boolean;
  /** Intake's admission counters (upload slots, unauthenticated requests). */
  admission: IntakeAdmission | null;
  /** Every route served, with its policy: the inventory the adversarial suite fuzzes. */
  readonly routes: { readonly method: string; readonly url: string; readonly policy: RoutePolicy }[];
  /** Whether the store and the disk work (readiness, and how a fault is answered). */
  readonly health: NodeHealth;
  /** What `GET /metrics` reports (docs/deployment.md, "Metrics and alerts"). */
  readonly metrics: CenterMetrics;
  /** The code this node runs: `GET /.well-known/openprep-release`, DEPLOYMENT, the re-check. */
  readonly deployment: Deployment;
  /**
   * The journal's Merkle tree this process keeps: the consistency proofs the witnesses ask for,
   * and serve's periodic checkpoints (src/cli/serve_command.ts), come from this one tree.
   */
  readonly journalTree: JournalTree;
  /** The acta reader in shadow mode; null when `reader.mode` is off. */
  readonly reader: ShadowReader | null;
}

export async function buildServer(options: {
  readonly node: CenterNode;
  readonly config: ServeConfig;
  readonly clock: () => number;
  /** pino destination; the default is stdout. */
  readonly logStream?: NodeJS.WritableStream;
  /** Opened (and checked) by the caller; the server closes it when it closes. By default, the configured one. */
  readonly images?: ImageStore;
  /** The built operators' console (`npm run build`); by default `dist/console`. */
  readonly consoleDir?: string;
  /** Opened (and checked) by the caller; by default the configured one (`passwords.breachedCorpus`). */
  readonly breached?: BreachCorpus;
  /** What this process runs (serve's, from the bootstrap); by default what the bootstrap recorded. */
  readonly deployment?: Deployment;
}): Promise<ServerHandle> {
  const { node, config } = options;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream !== undefined ? { stream: options.logStream } : {}),
      // Nothing secret ever reaches the log: no credentials, no cookies, no bodies.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    // Behind no proxy by default: the client address is the socket's, which a forged
    // X-Forwarded-For cannot change. Behind a load balancer, only its own addresses are
    // believed when they say whom they forward for.
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    bodyLimit: 64 * 1024,
    // Two log lines for every request would make a flood fill the disk with logs and cost a
    // serialisation each: requests are logged at debug (below), refusals and faults as events.
    logController: new LogController({ disableRequestLogging: true }),
    // Node's own header deadline, checked every second (its default check runs every 30 s):
    // a client that opens a connection and trickles its headers is dropped.
    serverFactory: (handler) =>
      createServer(
        {
          headersTimeout: config.connections.headersSeconds * 1000,
          requestTimeout: 0,
          connectionsCheckingInterval: 1000,
        },
        handler,
      ),
  });
  const images = options.images ?? (await openImageStore(`${node.paths.root}/images`, config.images));
  app.addHook('onClose', async () => images.blobs.close());
  await images.init();
  // Loaded only when enforced: the gate's workers and libvips cost nothing to a center without it.
  const gatePool =
    config.intake.qualityGate === 'enforce'
      ? new (await import('../gate/gate_pool.ts')).QualityGatePool()
      : null;
  if (gatePool !== null) app.addHook('onClose', async () => gatePool.close());
  // The acta reader in shadow (docs/reader.md): fed by intake below, never on its request path.
  const shadow =
    config.reader.mode === 'shadow'
      ? await startShadowReader({
          readings: node.readings,
          records: node.records,
          pipeline: node.pipeline,
          blobs: images.blobs,
          clock: options.clock,
          workers: config.reader.workers,
          onError: (error) => app.log.error({ event: 'reader', error: String(error) }, 'reading not stored'),
        })
      : null;
  if (shadow !== null) app.addHook('onClose', async () => shadow.close());
  const metrics = new CenterMetrics({ refusalReasons: Object.keys(INTAKE_STATUS) });
  const deployment =
    options.deployment ??
    new Deployment({
      journal: node.journal,
      clock: options.clock,
      attestation: currentAttestation(),
      facts: () => deploymentFacts('serve', currentAttestation(), config),
    });
  deployment.registerMetrics(metrics.registry);
  // Decoys and canaries (docs/security-operations.md): auth and intake are given the tripwire.
  const box = await node.secrets();
  if (!box.ok) throw new Error(box.message);
  const tripwire = new DecoyTripwire({
    decoys: () => node.decoys.decoys(),
    key: box.value.derive(FINGERPRINT_PURPOSE),
    clock: options.clock,
  });
  const intake = new IntakeService({
    tripwire,
    ...(gatePool === null
      ? {}
      : {
          gate: async (bytes: Buffer, claimedKey: string) => {
            const judgement = await gatePool.assess(bytes, claimedKey);
            metrics.judged(judgement);
            return judgement;
          },
        }),
    pipeline: node.pipeline,
    devices: node.devices,
    commits: node.commits,
    signer: node.receipts,
    images,
    limits: { maxBytes: config.intake.maxImageBytes, maxPixels: config.intake.maxPixels },
    clock: options.clock,
    onEvent: (event) => {
      if (event.kind === 'package-refused') app.log.warn({ event: 'security', ...event }, 'package refused');
      else if (event.kind === 'image-store-unavailable')
        app.log.error({ event: 'image-store', ...event }, 'image store unavailable');
      else {
        app.log.info({ event: 'intake', ...event }, 'package accepted');
        if (event.recordId !== undefined && event.imageSha256 !== undefined)
          shadow?.reader.submit(event.recordId, event.imageSha256);
      }
    },
  });
  let breached = options.breached;
  if (breached === undefined) {
    const opened = await openBreachCorpus(config.passwords.breachedCorpus);
    // serve opens it first and stops with this message; a caller that did not is a bug.
    if (!opened.ok) throw new Error(opened.message);
    breached = opened.value;
  }
  const accounts = await Accounts.open(node, options.clock, { breached, tripwire });
  const health = new NodeHealth({
    // A small durable write to each, at most once a second and only while faulty.
    probe: async () => {
      await node.probeStore(options.clock());
      await probeDisk(node.paths.root);
    },
    folders: [node.paths.root, images.root],
    // Room for two of the largest uploads: below it the next one may fail half-written.
    minFreeBytes: Math.max(2 * config.intake.maxImageBytes, 1024 * 1024),
    onEvent: (event) => {
      const { kind, code, permanent } = event.fault;
      if (event.kind === 'fault')
        app.log.fatal(
          { event: 'store-fault', kind, code, permanent },
          `not ready: ${event.fault.message}${permanent ? ' — restart on a repaired store (docs/store.md)' : ''}`,
        );
      else app.log.warn({ event: 'store-recovered', kind, code }, 'ready again: the store and the disk work');
    },
  });
  const handle: ServerHandle = {
    app,
    intake,
    accounts,
    draining: false,
    admission: null,
    routes: [],
    health,
    deployment,
    metrics,
    journalTree: new JournalTree(node.journal),
    reader: shadow?.reader ?? null,
  };

  // Slow and crowding clients (src/server/slow_clients.ts): logged as security events, dropped.
  const onSlowClient = (event: SlowClientEvent) =>
    app.log.warn({ event: 'security', slowClient: event.kind, address: event.address }, event.detail);
  limitConnectionsPerAddress(app.server, {
    perAddress: config.connections.perAddress,
    trusted: proxyMatcher(config.trustedProxies),
    onEvent: onSlowClient,
  });
  // Every other route's body is small (64 KiB at most): it arrives whole within the deadline or
  // the connection goes. Intake's uploads have their own rules (header deadline, minimum rate).
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === '/api/v1/packages' || request.raw.complete) return;
    const timer = setTimeout(() => {
      if (request.raw.complete) return;
      onSlowClient({
        kind: 'body-deadline',
        address: request.ip,
        detail: `body not received within ${config.connections.bodySeconds} s`,
      });
      request.raw.socket.destroy();
    }, config.connections.bodySeconds * 1000);
    timer.unref();
    reply.raw.once('close', () => clearTimeout(timer));
  });

  // A decoy or an export's canary named in a route (an operator or device id looked up, acted
  // on) is a use of it, whoever asks and whatever the route answers (docs/security-operations.md).
  app.addHook('onRequest', async (request) => {
    const params = request.params as Readonly<Record<string, unknown>> | null | undefined;
    for (const name of ['id', 'username', 'deviceId']) {
      const value = params?.[name];
      if (typeof value !== 'string') continue;
      const hit = await tripwire.match(value);
      if (hit === null) continue;
      const at = options.clock();
      const admitted = tripwire.admit(hit, request.ip, at);
      if (admitted === null) continue;
      await node.commits.run((tx) =>
        tx.appendJournal({
          type: 'DECOY_USED',
          at,
          decoyId: hit.decoyId,
          kind: hit.kind,
          via: `${request.method} ${request.routeOptions.url ?? ''}`,
          address: request.ip,
          ...(admitted.unjournaledBefore > 0 ? { unjournaledBefore: admitted.unjournaledBefore } : {}),
        }),
      );
    }
  });

  app.addHook('onRoute', (route) => {
    const policy = route.config?.policy;
    if (policy === undefined)
      throw new Error(`route ${route.method} ${route.url} declares no authorization policy`);
    if (policy === 'session' && (route.config?.roles ?? []).length === 0)
      throw new Error(`session route ${route.method} ${route.url} names no roles`);
    for (const method of [route.method].flat())
      if (method !== 'HEAD') handle.routes.push({ method, url: route.url, policy });
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request completed',
    );
  });
  app.addHook('onSend', async (_request, reply) => {
    // A route with a policy of its own (the phone app's pages) keeps it.
    for (const [name, value] of Object.entries(SECURITY_HEADERS))
      if (!reply.hasHeader(name)) reply.header(name, value);
    // While draining, a finished request must not keep its connection open for the next one.
    if (handle.draining) reply.header('connection', 'close');
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    // The store or the disk failed, not the request: never a 4xx (a device gives its acta up),
    // never "internal" (our bug) — 503 or 507 with Retry-After, and readiness goes false.
    const fault = health.report(error);
    if (fault !== null) {
      const { status, code } = faultResponse(fault);
      request.log.error(
        { event: 'store-fault', kind: fault.kind, code: fault.code, err: error },
        'request failed on a fault of the store or the disk',
      );
      if (!request.raw.complete) reply.header('connection', 'close');
      void reply
        .code(status)
        .header('retry-after', String(RETRY_AFTER_SECONDS[fault.kind]))
        .send({
          error: code,
          message:
            code === 'disk-full'
              ? 'the center is out of disk space; send it again after the given seconds'
              : 'the center cannot use its store now; send it again after the given seconds',
        });
      return;
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.warn({ code: error.code, status }, error.message);
    void reply.code(status).send({
      error: status >= 500 ? 'internal' : (error.code ?? 'bad-request'),
      message: status >= 500 ? 'internal error' : error.message,
    });
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.policy !== 'metrics' || metricsAllowed(request, config.metrics)) return;
    request.log.warn({ event: 'security', address: request.ip }, 'metrics refused');
    return reply.code(403).send({
      error: 'forbidden',
      message: 'the metrics are answered on loopback or with the configured bearer token',
    });
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ error: 'not-found', message: 'no such route' });
  });
  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    // The socket's address: a forged X-Forwarded-For is not a new client.
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'rate-limited',
      message: `more than ${context.max} requests a minute from this address; retry in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });
  await app.register(multipart, {
    throwFileSizeLimit: false,
    limits: {
      fileSize: config.intake.maxImageBytes,
      files: 1,
      fields: 2,
      parts: 3,
      fieldSize: 4096,
      headerPairs: 20,
    },
  });

  app.get('/healthz', { config: { policy: 'public' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { policy: 'public' } }, async (_request, reply) => {
    if (handle.draining) return reply.code(503).send({ status: 'draining' });
    let fault = await health.check();
    let journalSize = 0;
    if (fault === null)
      try {
        journalSize = (await node.journal.journalHead()).size;
      } catch (error) {
        fault = health.report(error);
        if (fault === null) throw error;
      }
    // What failed is in the log; the public answer names only the kind and the code.
    if (fault !== null)
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS[fault.kind]))
        .send({ status: faultResponse(fault).code, code: fault.code });
    return { status: 'ready', journalSize };
  });
  if (config.metrics.enabled)
    app.get('/metrics', { config: { policy: 'metrics' } }, async (_request, reply) => {
      await metrics.refresh(node, options.clock());
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  // What this node runs, for witnesses and the public to compare with the reproducible build
  // (docs/trust.md): briefly cacheable, it changes only with a re-check.
  app.get('/.well-known/openprep-release', { config: { policy: 'public' } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=30').send(deployment.document()),
  );
  app.get('/api/v1/checkpoint', { config: { policy: 'public' } }, async (_request, reply) => {
    const last = await node.journal.latestCheckpoint();
    if (last === null)
      return reply.code(404).send({ error: 'no-checkpoint', message: 'no checkpoint signed yet' });
    return reply.type('text/plain; charset=utf-8').send(last.note);
  });
  registerWitnessRoutes(app, node, options.clock, handle.journalTree);

  // An image body is handed to the route as the raw stream, to be hashed and written as it arrives.
  app.addContentTypeParser(['image/jpeg', 'image/png'], (_request, payload, done) => done(null, payload));
  const limits = config.intake;
  const admission = new IntakeAdmission({
    inFlight: limits.maxInFlight,
    perDevice: limits.maxPerDevice,
    unauthenticated: limits.maxUnauthenticated,
    unauthenticatedPerAddress: limits.maxUnauthenticatedPerAddress,
  });
  handle.admission = admission;
  const watcher = new UploadWatcher({
    headerDeadlineMs: limits.headerDeadlineSeconds * 1000,
    minBytesPerSecond: limits.minBytesPerSecond,
    windowMs: limits.rateWindowSeconds * 1000,
    onEvent: onSlowClient,
  });
  const refuse = (
    request: FastifyRequest,
    reply: FastifyReply,
    code: keyof typeof INTAKE_STATUS,
    message: string,
  ) => {
    metrics.refused(code, reply.elapsedTime / 1000);
    if (INTAKE_STATUS[code] === 503) reply.header('retry-after', '1');
    // Refused while the body is still arriving: the rest is not wanted, and reading it to its
    // end would let a refused client hold the connection as long as it likes.
    if (!request.raw.complete) {
      reply.header('connection', 'close');
      reply.raw.once('finish', () => closeUnreadBody(request.raw.socket));
    }
    return reply.code(INTAKE_STATUS[code]).send({ error: code, message });
  };
  const NO_PERMIT: Permit = { release: () => {} };
  const busy = (refusal: AdmissionRefusal): string =>
    refusal === 'address-busy'
      ? 'too many unfinished uploads from this address; retry after the given seconds'
      : refusal === 'device-busy'
        ? `this device already has ${limits.maxPerDevice} uploads in progress; retry after the given seconds`
        : 'the center is at capacity; retry after the given seconds';
  // Devices of a whole CATD share one address, so intake is not under the per-address request
  // rate: it is bounded by admission (src/server/intake_admission.ts), deadlines and signatures.
  app.post(
    '/api/v1/packages',
    { config: { policy: 'device-signature', rateLimit: false } },
    async (request, reply) => {
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxImageBytes + ENVELOPE_BYTES)
        return refuse(request, reply, 'too-large', `the body declares ${declared} bytes, over the limit`);
      const raw = request.body instanceof Readable;
      if (!raw && !request.isMultipart())
        return refuse(
          request,
          reply,
          'bad-request',
          'send the image as the body (image/jpeg or image/png) with the OpenPREP-Package and OpenPREP-Signature headers, or multipart/form-data with the fields package, signature and image',
        );
      // Until its signed header is verified a request holds no upload slot. A multipart one,
      // whose header arrives in its body, holds one of the places for unauthenticated requests,
      // and only until the header deadline. The lean form's header came whole with the request
      // line (Node's header deadline): it is checked at once, and the scanners of a CATD behind
      // one address are never refused for sending together.
      const waiting = raw ? NO_PERMIT : admission.unauthenticated(request.ip);
      if (typeof waiting === 'string') return refuse(request, reply, 'overloaded', busy(waiting));
      const watch = watcher.watch(request.raw.socket, request.ip);
      let upload: Permit | null = null;
      try {
        const signed = raw ? headersOf(request) : await fieldsOf(request);
        if (!signed.ok) return refuse(request, reply, signed.code, signed.message);
        const { header, signature, image } = signed.value;
        const checked = await intake.check(header, signature, request.ip);
        if (!checked.ok) return refuse(request, reply, checked.code, checked.message);
        const slot = admission.upload(checked.value.device.id);
        if (typeof slot === 'string') return refuse(request, reply, 'overloaded', busy(slot));
        upload = slot;
        waiting.release();
        watch.authenticated();
        const result = await intake.receive(checked.value, image);
        if (!result.ok) return refuse(request, reply, result.code, result.message);
        // The gate's word beside the receipt: "review" names why a person will look at it.
        metrics.accepted(result.value.first, reply.elapsedTime / 1000);
        const quality = result.value.quality;
        if (quality !== null)
          reply.header(
            'openprep-quality',
            quality.verdict === 'accept'
              ? 'accept'
              : `review; ${quality.reasons.map((r) => r.code).join(',')}`,
          );
        return reply
          .code(result.value.first ? 201 : 200)
          .type('text/plain; charset=utf-8')
          .send(result.value.receipt);
      } finally {
        watch.stop();
        waiting.release();
        upload?.release();
      }
    },
  );

  const blocks = new AddressBlocks(node.security, options.clock);
  registerOperatorRoutes(
    app,
    node,
    accounts,
    options.clock,
    images.blobs,
    () => intake.qualityActivity(),
    (address) => blocks.waitFor(address),
  );
  registerSecurityRoutes(app, {
    alerts: node.security,
    operators: () => node.operators.operators(),
    devices: () => node.operators.devices(),
  });
  registerAccessReviewRoutes(app, node, options.clock);
  registerReaderRoutes(app, node, shadow?.reader ?? null, options.clock);
  await registerCasillaRoutes(app, node, options.clock);
  await registerConsoleRoutes(app, options.consoleDir ?? DEFAULT_CONSOLE_OUT);
  registerAdminRoutes(app, {
    node,
    accounts,
    clock: options.clock,
    rpId: config.webauthn.rpId,
    images: images.blobs,
    release: () => deployment.release,
    origins: () => {
      if (config.webauthn.origins.length > 0) return config.webauthn.origins;
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      return [`http://localhost:${port}`, `https://localhost:${port}`];
    },
  });
  return handle;
}
