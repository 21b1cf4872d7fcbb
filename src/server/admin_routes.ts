/**
 * WebAuthn (a hardware or platform authenticator) for the roles that can do the most harm —
 * administradores and publicadores — and the actions that need it: purge, device revocation,
 * publishing a cut. Those actions also need a fresh proof: an assertion in the last
 * `STEP_UP_MS`, whatever the age of the session.
 */
import type { BlobStore } from '../images/blob_store.ts';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Accounts } from '../auth/accounts.ts';
import { revokeDevice } from '../intake/devices.ts';
import type { CenterNode } from '../center/node.ts';
import { publishCut } from '../publish/publisher.ts';
import type { Role, WebAuthnKey } from '../auth/operators_port.ts';

export const STEP_UP_MS = 10 * 60_000;
const CHALLENGE_MS = 2 * 60_000;
export const WEBAUTHN_ROLES: readonly Role[] = ['administrador', 'publicador'];

export function registerAdminRoutes(
  app: FastifyInstance,
  options: {
    readonly node: CenterNode;
    readonly accounts: Accounts;
    readonly clock: () => number;
    readonly rpId: string;
    /** The browser origins accepted; computed from the listening port when not configured. */
    readonly origins: () => string[];
    /** The image store: a cut published from here makes its images public too. */
    readonly images: BlobStore;
    /** The release this node runs, named in the cuts it publishes (null: a development checkout). */
    readonly release?: () => { version: string; sha256: string } | null;
  },
): void {
  const { node, accounts, clock } = options;
  const publicImages = new Set<string>();
  // One pending challenge per session, short-lived: a ceremony is started and finished in minutes.
  const challenges = new Map<
    string,
    { challenge: string; kind: 'register' | 'authenticate'; expires: number }
  >();
  const takeChallenge = (sessionHash: string, kind: 'register' | 'authenticate') => {
    const pending = challenges.get(sessionHash);
    challenges.delete(sessionHash);
    return pending !== undefined && pending.kind === kind && pending.expires > clock()
      ? pending.challenge
      : null;
  };
  const keysOf = (request: FastifyRequest): readonly WebAuthnKey[] => request.auth!.operator.webauthn ?? [];
  const refuse = (reply: FastifyReply, status: number, error: string, message: string) =>
    reply.code(status).send({ error, message });

  // Step-up: the privileged actions below need a WebAuthn assertion in this session, recently.
  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.config.stepUp !== true || request.auth === undefined) return;
    const at = request.auth.session.webauthnAt;
    if (at === null || clock() - at > STEP_UP_MS)
      return refuse(
        reply,
        403,
        'step-up-required',
        'confirm with your security key first (POST /api/v1/webauthn/authenticate)',
      );
  });

  app.post(
    '/api/v1/webauthn/register/options',
    { config: { policy: 'session', roles: WEBAUTHN_ROLES } },
    async (request, reply) => {
      const auth = request.auth!;
      // The first key is registered right after signing in with password and TOTP; more keys need the first.
      if (
        keysOf(request).length > 0 &&
        (auth.session.webauthnAt === null || clock() - auth.session.webauthnAt > STEP_UP_MS)
      )
        return refuse(reply, 403, 'step-up-required', 'confirm with a registered key before adding another');
      const generated = await generateRegistrationOptions({
        rpName: `OpenPREP ${node.pipeline.election.id}`,
        rpID: options.rpId,
        userName: auth.operator.username,
        userID: new TextEncoder().encode(auth.operator.id),
        attestationType: 'none',
        excludeCredentials: keysOf(request).map((k) => ({ id: k.id })),
        authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
        supportedAlgorithmIDs: [-7, -8, -257],
      });
      challenges.set(auth.session.idHash, {
        challenge: generated.challenge,
        kind: 'register',
        expires: clock() + CHALLENGE_MS,
      });
      return generated;
    },
  );

  app.post(
    '/api/v1/webauthn/register',
    { config: { policy: 'session', roles: WEBAUTHN_ROLES } },
    async (request, reply) => {
      const auth = request.auth!;
      const challenge = takeChallenge(auth.session.idHash, 'register');
      if (challenge === null) return refuse(reply, 400, 'no-challenge', 'ask for registration options first');
      let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verified = await verifyRegistrationResponse({
          response: request.body as Parameters<typeof verifyRegistrationResponse>[0]['response'],
          expectedChallenge: challenge,
          expectedOrigin: options.origins(),
          expectedRPID: options.rpId,
          requireUserVerification: true,
        });
      } catch (error) {
        return refuse(reply, 400, 'bad-registration', (error as Error).message);
      }
      if (!verified.verified)
        return refuse(reply, 400, 'bad-registration', 'the authenticator response does not verify');
      const credential = verified.registrationInfo.credential;
      const key: WebAuthnKey = {
        id: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        registeredAt: clock(),
      };
      await accounts.registerWebAuthn(auth.operator.id, key, clock());
      return reply.code(201).send({ registered: key.id });
    },
  );

  app.post(
    '/api/v1/webauthn/authenticate/options',
    { config: { policy: 'session', roles: WEBAUTHN_ROLES } },
    async (request, reply) => {
      const keys = keysOf(request);
      if (keys.length === 0) return refuse(reply, 409, 'no-key', 'register a security key first');
      const generated = await generateAuthenticationOptions({
        rpID: options.rpId,
        allowCredentials: keys.map((k) => ({ id: k.id })),
        userVerification: 'required',
      });
      challenges.set(request.auth!.session.idHash, {
        challenge: generated.challenge,
        kind: 'authenticate',
        expires: clock() + CHALLENGE_MS,
      });
      return generated;
    },
  );

  app.post(
    '/api/v1/webauthn/authenticate',
    { config: { policy: 'session', roles: WEBAUTHN_ROLES } },
    async (request, reply) => {
      const auth = request.auth!;
      const challenge = takeChallenge(auth.session.idHash, 'authenticate');
      if (challenge === null)
        return refuse(reply, 400, 'no-challenge', 'ask for authentication options first');
      const body = request.body as { id?: unknown };
      const key = keysOf(request).find((k) => k.id === body?.id);
      if (key === undefined) return refuse(reply, 400, 'unknown-key', 'this key is not registered for you');
      let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        verified = await verifyAuthenticationResponse({
          response: request.body as Parameters<typeof verifyAuthenticationResponse>[0]['response'],
          expectedChallenge: challenge,
          expectedOrigin: options.origins(),
          expectedRPID: options.rpId,
          credential: {
            id: key.id,
            publicKey: Buffer.from(key.publicKey, 'base64url'),
            counter: key.counter,
          },
          requireUserVerification: true,
        });
      } catch (error) {
        await journalFailure(auth.operator.id, (error as Error).message);
        return refuse(reply, 401, 'bad-assertion', 'the security key did not confirm');
      }
      if (!verified.verified) {
        await journalFailure(auth.operator.id, 'assertion does not verify');
        return refuse(reply, 401, 'bad-assertion', 'the security key did not confirm');
      }
      const at = clock();
      await accounts.confirmStepUp(auth.session, key.id, verified.authenticationInfo.newCounter, at);
      return { confirmed: true };
    },
  );

  const journalFailure = (operatorId: string, reason: string) =>
    accounts.webAuthnFailed(operatorId, reason, clock());

  app.post(
    '/api/v1/admin/purge',
    { config: { policy: 'session', roles: ['administrador'], stepUp: true } },
    async (request, reply) => {
      const body = z
        .object({ scope: z.string().min(1), reason: z.string().min(1).max(500) })
        .strict()
        .safeParse(request.body);
      if (!body.success) return refuse(reply, 400, 'bad-request', 'send scope and reason');
      const purged = await accounts.purge({
        scope: body.data.scope,
        reason: body.data.reason,
        by: request.auth!.operator.id,
      });
      if (!purged.ok) return refuse(reply, 400, purged.code, purged.message);
      request.log.warn(
        { event: 'security', kind: 'purge', operatorId: request.auth!.operator.id, ...purged.value },
        'accounts purged',
      );
      return purged.value;
    },
  );

  // Accounts. An administrador of one scope sees and creates accounts of that scope only.
  const scopeAllows = (adminScope: string, scope: string) =>
    adminScope === 'nacional' || adminScope === scope;
  const newOperatorSchema = z
    .object({
      username: z.string().min(1).max(64),
      name: z.string().min(1).max(100),
      role: z.string().min(1).max(32),
      scope: z.string().min(1).max(80),
      password: z.string().min(1).max(1024),
      expiresAt: z.iso.datetime({ offset: true }).nullable().default(null),
    })
    .strict();

  app.get(
    '/api/v1/admin/operators',
    { config: { policy: 'session', roles: ['administrador'] } },
    async (request) => {
      const adminScope = request.auth!.operator.scope;
      return (await accounts.operators())
        .filter((o) => scopeAllows(adminScope, o.scope))
        .map((o) => ({
          id: o.id,
          username: o.username,
          name: o.name,
          role: o.role,
          scope: o.scope,
          expiresAt: o.expiresAt,
          lockedUntil: o.lockedUntil,
          disabledAt: o.disabledAt,
          secondFactor: o.totpSealed !== null,
          securityKeys: o.webauthn?.length ?? 0,
        }));
    },
  );

  /** Creates an account; its TOTP enrolment is in this answer and nowhere else, ever. */
  app.post(
    '/api/v1/admin/operators',
    { config: { policy: 'session', roles: ['administrador'], stepUp: true } },
    async (request, reply) => {
      const body = newOperatorSchema.safeParse(request.body);
      if (!body.success)
        return refuse(reply, 400, 'bad-request', body.error.issues[0]?.message ?? 'bad account');
      const admin = request.auth!.operator;
      if (!scopeAllows(admin.scope, body.data.scope))
        return refuse(
          reply,
          403,
          'out-of-scope',
          `an administrador of ${admin.scope} creates accounts of that scope`,
        );
      const added = await accounts.addOperator({
        username: body.data.username,
        name: body.data.name,
        role: body.data.role,
        scope: body.data.scope,
        password: body.data.password,
        expiresAt: body.data.expiresAt === null ? null : Date.parse(body.data.expiresAt),
        by: admin.id,
      });
      if (!added.ok)
        return refuse(
          reply,
          added.code === 'username-taken' ? 409 : added.code === 'breach-check-unavailable' ? 503 : 400,
          added.code,
          added.message,
        );
      request.log.info({
        event: 'security',
        kind: 'operator-created',
        operatorId: admin.id,
        created: added.value.operator.id,
      });
      return reply.code(201).send({
        id: added.value.operator.id,
        username: added.value.operator.username,
        role: added.value.operator.role,
        scope: added.value.operator.scope,
        totpUri: added.value.totpUri,
        totpSecret: added.value.totpSecret,
      });
    },
  );

  const accessSchema = z
    .object({
      disabled: z.boolean(),
      expiresAt: z.iso.datetime({ offset: true }).nullable(),
      reason: z.string().trim().min(3).max(500),
    })
    .strict();

  /** Disables or enables an account, sets or clears its expiry; disabling ends its sessions. */
  app.post(
    '/api/v1/admin/operators/:id/access',
    { config: { policy: 'session', roles: ['administrador'], stepUp: true } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = accessSchema.safeParse(request.body);
      if (!body.success)
        return refuse(
          reply,
          400,
          'bad-request',
          body.error.issues[0]?.message ?? 'send disabled, expiresAt and reason',
        );
      const admin = request.auth!.operator;
      const target = await accounts.getOperator(id);
      if (target === null || !scopeAllows(admin.scope, target.scope))
        return refuse(reply, 404, 'no-such-operator', 'no such account in your scope');
      // An administrador never locks themselves out of the console they are using.
      if (target.id === admin.id && body.data.disabled)
        return refuse(reply, 409, 'own-account', 'an administrador cannot disable their own account');
      const changed = await accounts.setAccess({
        operatorId: target.id,
        disabled: body.data.disabled,
        expiresAt: body.data.expiresAt === null ? null : Date.parse(body.data.expiresAt),
        by: admin.id,
        reason: body.data.reason,
      });
      if (!changed.ok) return refuse(reply, 404, changed.code, changed.message);
      request.log.warn({
        event: 'security',
        kind: 'operator-access-changed',
        operatorId: admin.id,
        target: target.id,
        disabled: body.data.disabled,
      });
      return {
        id: changed.value.id,
        disabledAt: changed.value.disabledAt,
        expiresAt: changed.value.expiresAt,
      };
    },
  );

  app.post(
    '/api/v1/admin/devices/:id/revoke',
    { config: { policy: 'session', roles: ['administrador'], stepUp: true } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = z
        .object({ reason: z.string().min(1).max(500) })
        .strict()
        .safeParse(request.body);
      if (!body.success) return refuse(reply, 400, 'bad-request', 'send a reason');
      const revoked = await revokeDevice(node.devices, {
        id,
        at: clock(),
        reason: `${body.data.reason} (by ${request.auth!.operator.id})`,
      });
      if (!revoked.ok)
        return refuse(reply, revoked.code === 'no-such-device' ? 404 : 409, revoked.code, revoked.message);
      request.log.warn({
        event: 'security',
        kind: 'device-revoked',
        operatorId: request.auth!.operator.id,
        deviceId: id,
      });
      return { revoked: id };
    },
  );

  app.post(
    '/api/v1/cuts',
    { config: { policy: 'session', roles: ['publicador'], stepUp: true } },
    async (request, reply) => {
      const cut = await publishCut(node, {
        cutTime: clock(),
        images: { blobs: options.images, known: publicImages },
        release: options.release?.() ?? null,
      });
      if (!cut.ok) return refuse(reply, 409, cut.code, cut.message);
      request.log.info({
        event: 'security',
        kind: 'cut-published',
        operatorId: request.auth!.operator.id,
        cut: cut.value.id,
      });
      return reply.code(201).send({
        id: cut.value.id,
        sequence: cut.value.sequence,
        final: cut.value.final,
        manifestSha256: cut.value.manifestSha256,
      });
    },
  );
}
