/**
 * The operators' API: sign-in with password and TOTP, sessions in a `__Host-` cookie with a
 * CSRF token for every change, and the capture, verification and cotejo work of the console.
 * Each route names the roles allowed; scope (nacional, entidad:NN, catd:ID) is checked against
 * the acta; separation of duties is the acta lifecycle's (nobody captures both entries or
 * verifies their own capture).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  type Accounts,
  addressKey,
  type Authenticated,
  type PasswordChangeError,
  ROLES,
  sameToken,
  TRUSTED_BROWSER_MS,
  trustCookieName,
} from '../auth/accounts.ts';
import type { ScopeReader } from '../capture/pipeline.ts';
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import type { ActaFields } from '../domain/values.ts';
import type { CenterNode } from '../center/node.ts';
import type { BlobStore } from '../images/blob_store.ts';
import type { IntakeService } from '../intake/intake_service.ts';
import type { Role } from '../auth/operators_port.ts';
import type { Activity } from '../intake/devices_port.ts';

export const SESSION_COOKIE = '__Host-openprep-session';
/** How long one count of the dashboard's figures serves every screen that asks. */
const DASHBOARD_FRESH_MS = 3_000;

declare module 'fastify' {
  interface FastifyRequest {
    auth?: Authenticated;
  }
}

const value = z.union([z.number().int().min(0).max(99_999), z.literal('ilegible'), z.literal('sin_dato')]);
const fieldsSchema = z
  .object({
    boletasSobrantes: value,
    personasVotaron: value,
    representantesVotaron: value,
    votosSacados: value,
    votes: z.record(z.string().regex(/^[A-Z0-9_]{1,40}$/), value),
    totalAsentado: value,
  })
  .strict();
// Built once: a zod schema compiles itself on first use.
const fieldsBodySchema = z.object({ fields: fieldsSchema, next: z.boolean().optional() }).strict();
const cotejoBodySchema = z
  .object({ decision: z.enum(['accept', 'reopen']), reason: z.string().max(500).optional() })
  .strict();
const signInSchema = z
  .object({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(1024),
    code: z.string().max(16),
  })
  .strict();

const passwordChangeSchema = z
  .object({
    current: z.string().min(1).max(1024),
    password: z.string().min(1).max(1024),
    code: z.string().max(16).optional(),
  })
  .strict();

/** What a session that must change its password may still do. */
const WHILE_MUST_CHANGE: ReadonlySet<string> = new Set([
  'POST /api/v1/password',
  'GET /api/v1/me',
  'DELETE /api/v1/session',
]);

const PASSWORD_CHANGE_STATUS: Readonly<Record<PasswordChangeError, number>> = {
  'too-short': 400,
  'too-long': 400,
  common: 400,
  context: 400,
  'breached-password': 400,
  'same-password': 400,
  'code-required': 400,
  'wrong-password': 403,
  throttled: 429,
  busy: 503,
  // The corpus could not be read: the center's fault, never the person's.
  'breach-check-unavailable': 503,
};

function cookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

const PIPELINE_STATUS: Readonly<Record<string, number>> = {
  'unknown-acta': 404,
  'same-operator': 403,
  'already-captured': 403,
  'verifier-was-capturista': 403,
  'bad-fields': 400,
  // Not the acta the server handed this person (claims, src/capture/pipeline.ts).
  'not-handed-out': 403,
  // Handed to them, but their time ran out and someone else holds it now: the console says so.
  'claim-taken': 409,
  // Ids starting `lector:` are the acta reader's captures (src/domain/reader_assist.ts).
  'reserved-operator': 403,
};

export function registerOperatorRoutes(
  app: FastifyInstance,
  node: CenterNode,
  accounts: Accounts,
  clock: () => number,
  images: BlobStore,
  /** This node's quality gate at intake: what it refused or sent to a person since it started. */
  quality: () => ReturnType<IntakeService['qualityActivity']>,
  /** How long an address refused by the `throttle` response must still wait (security_routes.ts). */
  addressBlocked: (address: string) => Promise<number> = async () => 0,
): void {
  const pipeline = node.pipeline;

  // Sessions first: every route with the 'session' policy gets the operator, or 401/403 here.
  app.addHook('preHandler', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config.policy !== 'session') return;
    const auth = await accounts.authenticate(cookie(request.headers.cookie, SESSION_COOKIE) ?? '');
    if (!auth.ok) return reply.code(401).send({ error: 'no-session', message: 'sign in first' });
    const roles = config.roles ?? [];
    if (!roles.includes(auth.value.operator.role)) {
      await denied(
        request,
        auth.value,
        `role ${auth.value.operator.role} may not ${request.method} ${request.routeOptions.url}`,
      );
      return reply.code(403).send({ error: 'forbidden', message: 'your role may not do this' });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const csrf = request.headers['x-csrf-token'];
      if (typeof csrf !== 'string' || !sameToken(csrf, auth.value.session.csrfHash)) {
        await denied(request, auth.value, 'missing or wrong CSRF token');
        return reply.code(403).send({ error: 'csrf', message: 'send the X-CSRF-Token given at sign-in' });
      }
    }
    // A password found in a breach, or set by an administrator: the session may change it, say
    // who it is and sign out, nothing else (the console shows the change form on this code).
    const mustChange = auth.value.operator.mustChangePassword;
    if (mustChange !== undefined && !WHILE_MUST_CHANGE.has(`${request.method} ${request.routeOptions.url}`))
      return reply.code(403).send({
        error: 'password-change-required',
        reason: mustChange,
        message: 'change your password first (POST /api/v1/password)',
      });
    request.auth = auth.value;
  });

  const denied = async (request: FastifyRequest, auth: Authenticated, why: string) => {
    request.log.warn(
      {
        event: 'security',
        kind: 'authorization-failure',
        operatorId: auth.operator.id,
        route: request.routeOptions.url,
      },
      why,
    );
    await accounts.securityEvent({
      type: 'AUTHORIZATION_DENIED',
      at: clock(),
      operatorId: auth.operator.id,
      method: request.method,
      route: request.routeOptions.url ?? '',
      reason: why,
    });
  };

  /** Whether an acta lies in the operator's scope: its casilla's entidad, or the CATD of the device that sent it. */
  const inScope = async (
    auth: Authenticated,
    record: ActaRecord,
    reader: ScopeReader = node.devices,
  ): Promise<boolean> => {
    const scope = auth.operator.scope;
    if (scope === 'nacional') return true;
    if (scope.startsWith('entidad:')) {
      const entidad = pipeline.casillaOf(record.casillaKey)?.entidad ?? record.identification.entidad;
      return entidad === Number(scope.slice('entidad:'.length));
    }
    const source = record.submission?.source ?? '';
    if (!source.startsWith('device:')) return false;
    const device = await reader.getDevice(source.slice('device:'.length));
    return device !== null && device.origin === 'CATD' && `catd:${device.boundTo}` === scope;
  };

  const actaFor = async (request: FastifyRequest, reply: FastifyReply, recordId: string) => {
    const record = await node.records.getActa(recordId);
    if (record === null || !(await inScope(request.auth!, record))) {
      if (record !== null)
        await denied(
          request,
          request.auth!,
          `acta ${recordId} is outside scope ${request.auth!.operator.scope}`,
        );
      void reply.code(record === null ? 404 : 403).send({
        error: record === null ? 'not-found' : 'out-of-scope',
        message: record === null ? 'no such acta' : 'this acta is outside your scope',
      });
      return null;
    }
    return record;
  };

  const stepReply = (reply: FastifyReply, result: Awaited<ReturnType<typeof pipeline.recordCapture>>) => {
    if (result.ok) return reply.send({ recordId: result.value.recordId, outcome: result.value.outcome });
    return reply
      .code(PIPELINE_STATUS[result.code] ?? 409)
      .send({ error: result.code, message: result.message });
  };

  app.post('/api/v1/session', { config: { policy: 'public' } }, async (request, reply) => {
    const body = signInSchema.safeParse(request.body);
    if (!body.success)
      return reply.code(400).send({ error: 'bad-request', message: 'send username, password and code' });
    // An address a security alert throttled, on every node: refused before any password is hashed.
    const blocked = await addressBlocked(addressKey(request.ip));
    if (blocked > 0) {
      request.log.warn(
        { event: 'security', kind: 'address-blocked', address: request.ip },
        'sign-in refused',
      );
      reply.header('retry-after', String(Math.max(1, Math.ceil(blocked / 1000))));
      return reply
        .code(429)
        .send({ error: 'throttled', message: 'too many failed sign-ins from this address: try again later' });
    }
    const trustCookie = trustCookieName(body.data.username);
    const trust = cookie(request.headers.cookie, trustCookie);
    const result = await accounts.signIn({
      ...body.data,
      address: request.ip,
      ...(trust !== null ? { trust } : {}),
    });
    if (!result.ok) {
      // Every refusal is logged; the journal keeps them within a budget per minute.
      request.log.warn({ event: 'security', kind: 'login-failure', code: result.code }, result.message);
      if (result.code === 'sign-in-failed')
        return reply.code(401).send({ error: result.code, message: result.message });
      reply.header('retry-after', String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))));
      // Throttled: this account or address must wait. Busy: the server's hashing slots are full.
      return reply
        .code(result.code === 'throttled' ? 429 : 503)
        .send({ error: result.code, message: result.message });
    }
    const { token, csrfToken, operator } = result.value;
    request.log.info({ event: 'security', kind: 'login-success', operatorId: operator.id });
    reply.header('set-cookie', [
      `${SESSION_COOKIE}=${token}; Path=/; Secure; HttpOnly; SameSite=Strict`,
      `${trustCookie}=${result.value.trust}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${TRUSTED_BROWSER_MS / 1000}`,
    ]);
    return reply.code(201).send({
      csrfToken,
      operator: {
        id: operator.id,
        username: operator.username,
        role: operator.role,
        scope: operator.scope,
        ...(operator.mustChangePassword !== undefined
          ? { mustChangePassword: operator.mustChangePassword }
          : {}),
      },
    });
  });

  app.post('/api/v1/password', { config: { policy: 'session', roles: ROLES } }, async (request, reply) => {
    const body = passwordChangeSchema.safeParse(request.body);
    if (!body.success)
      return reply.code(400).send({
        error: 'bad-request',
        message: 'send current and password (and code, unless just signed in)',
      });
    const changed = await accounts.changePassword({
      auth: request.auth!,
      current: body.data.current,
      password: body.data.password,
      address: request.ip,
      ...(body.data.code !== undefined ? { code: body.data.code } : {}),
    });
    if (!changed.ok) {
      if (changed.code === 'wrong-password' || changed.code === 'throttled')
        request.log.warn(
          {
            event: 'security',
            kind: 'password-change-refused',
            code: changed.code,
            operatorId: request.auth!.operator.id,
          },
          changed.message,
        );
      if (changed.code === 'throttled') reply.header('retry-after', '60');
      return reply
        .code(PASSWORD_CHANGE_STATUS[changed.code])
        .send({ error: changed.code, message: changed.message });
    }
    request.log.info({ event: 'security', kind: 'password-changed', operatorId: changed.value.id });
    return reply.send({ changed: true });
  });

  app.delete('/api/v1/session', { config: { policy: 'session', roles: ROLES } }, async (request, reply) => {
    await accounts.signOut(request.auth!.session);
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`);
    return reply.code(204).send();
  });

  app.get('/api/v1/me', { config: { policy: 'session', roles: ROLES } }, async (request) => {
    const o = request.auth!.operator;
    return {
      id: o.id,
      username: o.username,
      name: o.name,
      role: o.role,
      scope: o.scope,
      ...(o.mustChangePassword !== undefined ? { mustChangePassword: o.mustChangePassword } : {}),
    };
  });

  /** The next acta for this capturista, claimed for them (null when the queue is empty for them). */
  const nextTask = (request: FastifyRequest) => {
    const contest = (request.query as { contest?: unknown }).contest;
    const auth = request.auth!;
    return pipeline.nextToCapture({
      operatorId: auth.operator.id,
      ...(typeof contest === 'string' ? { contest } : {}),
      accept: (record, reader) => inScope(auth, record, reader),
    });
  };

  app.get(
    '/api/v1/capture/next',
    { config: { policy: 'session', roles: ['capturista', 'coordinador'] } },
    async (request, reply) => {
      const task = await nextTask(request);
      // Blind capture: the task carries the image and the boxes, never another capture.
      return task === null ? reply.code(204).send() : task;
    },
  );

  /**
   * A route that records typed values for an acta: a capture, or a verifier's resolution.
   * With `"next": true` a capture's answer also carries the capturista's next acta (or null),
   * so the console shows it at once, in one round trip.
   */
  const fieldsRoute = (
    route: string,
    roles: readonly Role[],
    step: (
      recordId: string,
      operatorId: string,
      fields: ActaFields,
    ) => ReturnType<typeof pipeline.recordCapture>,
    next?: (request: FastifyRequest) => Promise<unknown>,
  ) =>
    app.post(route, { config: { policy: 'session', roles } }, async (request, reply) => {
      const { recordId } = request.params as { recordId: string };
      const body = fieldsBodySchema.safeParse(request.body);
      if (!body.success)
        return reply
          .code(400)
          .send({ error: 'bad-fields', message: body.error.issues[0]?.message ?? 'bad fields' });
      if (body.data.next === true && next === undefined)
        return reply.code(400).send({ error: 'bad-fields', message: 'next is for captures only' });
      if ((await actaFor(request, reply, recordId)) === null) return reply;
      const result = await step(recordId, request.auth!.operator.id, body.data.fields as ActaFields);
      if (!result.ok && result.code === 'not-handed-out')
        await denied(request, request.auth!, `acta ${recordId} was not handed to this operator`);
      if (!result.ok || body.data.next !== true || next === undefined) return stepReply(reply, result);
      return reply.send({
        recordId: result.value.recordId,
        outcome: result.value.outcome,
        next: await next(request),
      });
    });

  fieldsRoute(
    '/api/v1/capture/:recordId',
    ['capturista', 'coordinador'],
    (recordId, operatorId, fields) =>
      pipeline.recordCapture({ recordId, operatorId, fields, requireClaim: true }),
    nextTask,
  );

  app.get(
    '/api/v1/verification/next',
    { config: { policy: 'session', roles: ['verificador', 'coordinador'] } },
    async (request, reply) => {
      const auth = request.auth!;
      const record = await pipeline.nextToVerify({
        operatorId: auth.operator.id,
        accept: (candidate) => inScope(auth, candidate),
      });
      if (record === null) return reply.code(204).send();
      return {
        recordId: record.recordId,
        contest: record.contest,
        actaKey: record.actaKey,
        imageSha256: record.submission?.imageSha256 ?? null,
        columns: pipeline.columnsOf(record),
        captures: record.captures.map((c) => c.fields),
      };
    },
  );

  fieldsRoute(
    '/api/v1/verification/:recordId',
    ['verificador', 'coordinador'],
    (recordId, verifierId, fields) =>
      pipeline.resolveMismatch({ recordId, verifierId, fields, requireClaim: true }),
  );

  /** An acta as published, with its image, for cotejo: comparing what was published with the acta. */
  app.get(
    '/api/v1/cotejo/:recordId',
    { config: { policy: 'session', roles: ['coordinador'] } },
    async (request, reply) => {
      const { recordId } = request.params as { recordId: string };
      const record = await actaFor(request, reply, recordId);
      if (record === null) return reply;
      return {
        recordId: record.recordId,
        contest: record.contest,
        actaKey: record.actaKey,
        status: record.status,
        cotejada: record.cotejada,
        imageSha256: record.submission?.imageSha256 ?? null,
        columns: pipeline.columnsOf(record),
        fields: record.published?.fields ?? null,
      };
    },
  );

  app.post(
    '/api/v1/cotejo/:recordId',
    { config: { policy: 'session', roles: ['coordinador'] } },
    async (request, reply) => {
      const { recordId } = request.params as { recordId: string };
      const body = cotejoBodySchema.safeParse(request.body);
      if (!body.success)
        return reply.code(400).send({ error: 'bad-request', message: 'decision is accept or reopen' });
      if ((await actaFor(request, reply, recordId)) === null) return reply;
      return stepReply(
        reply,
        await pipeline.cotejo({
          recordId,
          reviewerId: request.auth!.operator.id,
          decision: body.data.decision,
          ...(body.data.reason !== undefined ? { reason: body.data.reason } : {}),
        }),
      );
    },
  );

  /**
   * The CATD dashboard's figures: actas by status (the whole election), packages received and
   * refused as conflicts per CATD, in all and in the last hour, and the images this node's
   * quality gate refused or sent to a person, and why — a coordinator of one CATD sees that
   * CATD's only.
   */
  // Counting every acta by status scans an index of the whole election: every coordinator's
  // screen asks every 10 s, so one count serves them all for a few seconds.
  let lastCount: { at: number; value: Promise<Activity> } | null = null;
  const recentActivity = (now: number) => {
    if (lastCount === null || now - lastCount.at >= DASHBOARD_FRESH_MS || now < lastCount.at) {
      const value = node.devices.activity(now - 3_600_000);
      lastCount = { at: now, value };
      // A failed count is not kept: the next screen asks again.
      value.catch(() => {
        if (lastCount?.value === value) lastCount = null;
      });
    }
    return lastCount;
  };

  app.get(
    '/api/v1/dashboard',
    { config: { policy: 'session', roles: ['coordinador', 'auditor', 'administrador'] } },
    async (request) => {
      const counted = recentActivity(clock());
      const now = counted.at;
      const activity = await counted.value;
      const scope = request.auth!.operator.scope;
      const catd = scope.startsWith('catd:') ? scope.slice('catd:'.length) : null;
      const gate = quality();
      const recent = catd === null ? gate.recent : gate.recent.filter((e) => e.boundTo === catd);
      const assist = await pipeline.readerAssist.status();
      return {
        at: now,
        // The acta reader in assist (docs/reader.md): on or back in shadow, why, over what window.
        readerAssist: {
          mode: assist.mode,
          active: assist.active,
          reason: assist.reason,
          agreement: assist.agreement,
          windowSize: assist.windowSize,
          scored: assist.scored,
          fallbacks: assist.fallbacks,
          threshold: assist.policy.agreementThreshold,
          window: assist.policy.window,
          minScored: assist.policy.minScored,
        },
        actas: activity.actas,
        catds: catd === null ? activity.catds : activity.catds.filter((row) => row.catd === catd),
        // Per node, since it started (the journal keeps every refusal): the newest first.
        quality: {
          rejected: catd === null ? gate.rejected : recent.filter((e) => e.verdict === 'reject').length,
          review: catd === null ? gate.review : recent.filter((e) => e.verdict === 'review').length,
          recent: recent
            .slice(-20)
            .reverse()
            .map((e) => ({
              at: e.at,
              catd: e.boundTo,
              deviceId: e.deviceId,
              claimedKey: e.claimedKey,
              verdict: e.verdict,
              qr: e.qr,
              reasons: e.reasons.map((r) => r.message),
              codes: e.reasons.map((r) => r.code),
            })),
        },
      };
    },
  );

  // An image, as the original or as its capture view: named by its SHA-256, for those who read actas.
  const IMAGE_ROUTE = {
    config: { policy: 'session', roles: ['capturista', 'verificador', 'coordinador', 'auditor'] },
  } as const;
  const noSuchImage = { error: 'not-found', message: 'no such image' } as const;
  /**
   * Whether an image is of an acta in the operator's scope, was sent by one of their CATD's
   * devices, or belongs to an acta handed to them. The public sees images through the cuts.
   */
  const imageInScope = async (auth: Authenticated, sha256: string): Promise<boolean> => {
    if (auth.operator.scope === 'nacional') return true;
    const catd = auth.operator.scope.startsWith('catd:') ? auth.operator.scope.slice('catd:'.length) : null;
    // The same bytes under a few actas at most (conflicts); a batch of the group commit reads them.
    return pipeline.readImageScope(async (tx, claimNow) => {
      const rows = (await tx.imagesBySha(sha256)).slice(0, 16);
      if (rows.length === 0) return false;
      const claimed = new Set(await tx.claimsOf(auth.operator.id, claimNow));
      for (const row of rows) {
        if (claimed.has(row.recordId) || claimed.has(`verify:${row.recordId}`)) return true;
        if (catd !== null && row.source.startsWith('device:')) {
          const device = await tx.getDevice(row.source.slice('device:'.length));
          if (device !== null && device.origin === 'CATD' && device.boundTo === catd) return true;
        }
        const record = await tx.getActa(row.recordId);
        if (record !== null && (await inScope(auth, record, tx))) return true;
      }
      return false;
    });
  };
  /** The image's SHA-256 if it is well formed and in scope; otherwise answered (404 outside scope, as for none). */
  const imageNamed = async (request: FastifyRequest, reply: FastifyReply): Promise<string | null> => {
    const { sha256 } = request.params as { sha256: string };
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      void reply.code(400).send({ error: 'bad-request', message: 'an image is named by its SHA-256' });
      return null;
    }
    if (await imageInScope(request.auth!, sha256)) return sha256;
    request.log.warn(
      { event: 'security', kind: 'image-outside-scope', operatorId: request.auth!.operator.id },
      "an image outside the operator's scope was asked for",
    );
    void reply.code(404).send(noSuchImage);
    return null;
  };

  // The capture view of an image (src/gate/sheet_view.ts): derived on request, a few kept.
  const views = new Map<string, Promise<{ bytes: Buffer; type: string; found: boolean } | null>>();
  const VIEWS_KEPT = 64;
  app.get('/api/v1/images/:sha256/sheet', IMAGE_ROUTE, async (request, reply) => {
    const sha256 = await imageNamed(request, reply);
    if (sha256 === null) return reply;
    let view = views.get(sha256);
    if (view === undefined) {
      view = (async () => {
        const image = await images.get(sha256);
        if (!image.ok) return null;
        const [{ assessActaImage }, { sheetView }] = await Promise.all([
          import('../gate/quality_gate.ts'),
          import('../gate/sheet_view.ts'),
        ]);
        // The corners are all it needs: the QR label is not read.
        const report = await assessActaImage(image.value.bytes, { readQr: false });
        // No sheet found: the capturista sees the image as it came.
        if (report.corners === null)
          return {
            bytes: image.value.bytes,
            type: image.value.kind === 'jpg' ? 'image/jpeg' : 'image/png',
            found: false,
          };
        return {
          bytes: (await sheetView(image.value.bytes, report.corners)).jpeg,
          type: 'image/jpeg',
          found: true,
        };
      })();
      views.set(sha256, view);
      if (views.size > VIEWS_KEPT) views.delete(views.keys().next().value!);
      view.then(
        (v) => v === null && views.delete(sha256),
        () => views.delete(sha256),
      );
    }
    const made = await view;
    // Not found, or the store unreachable: the original's route says which.
    if (made === null) return reply.redirect(`/api/v1/images/${sha256}`, 303);
    return reply
      .header('openprep-sheet', made.found ? 'found' : 'not-found')
      .header('cache-control', 'private, max-age=3600')
      .type(made.type)
      .send(made.bytes);
  });

  app.get('/api/v1/images/:sha256', IMAGE_ROUTE, async (request, reply) => {
    const sha256 = await imageNamed(request, reply);
    if (sha256 === null) return reply;
    const image = await images.get(sha256);
    if (image.ok)
      return reply.type(image.value.kind === 'jpg' ? 'image/jpeg' : 'image/png').send(image.value.bytes);
    if (image.code === 'not-found') return reply.code(404).send(noSuchImage);
    request.log.error({ event: 'image-store', code: image.code }, image.message);
    // Bytes that are not the image of record are never shown to an operator.
    if (image.code === 'corrupt')
      return reply.code(500).send({ error: 'image-corrupt', message: 'the stored image is damaged' });
    return reply
      .code(503)
      .header('retry-after', '5')
      .send({ error: 'image-store-unavailable', message: 'the image store cannot be reached; retry' });
  });
}
