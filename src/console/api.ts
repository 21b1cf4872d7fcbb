/**
 * The console's calls to `openprep serve` (docs/operators.md): the session cookie travels by
 * itself (HttpOnly, __Host-, SameSite=Strict); every change carries the CSRF token given at
 * sign-in, kept for the tab's life in sessionStorage. Every answer is parsed with a schema.
 */
import {
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import * as z from 'zod/mini';
import { err, ok, type Result } from '../domain/result.ts';
import type { ApiFields } from './entry.ts';
import { currentLanguage, fill, serverErrorWords, unknownErrorWords, WORDS } from './i18n.ts';

const CSRF_KEY = 'openprep-csrf';

const fieldValue = z.union([z.number(), z.literal('ilegible'), z.literal('sin_dato')]);
const fieldsSchema = z.object({
  boletasSobrantes: fieldValue,
  personasVotaron: fieldValue,
  representantesVotaron: fieldValue,
  votosSacados: fieldValue,
  votes: z.record(z.string(), fieldValue),
  totalAsentado: fieldValue,
});
const column = z.object({ id: z.string(), name: z.string(), kind: z.string() });
export const operatorSchema = z.object({
  id: z.string(),
  username: z.string(),
  name: z.optional(z.string()),
  role: z.string(),
  scope: z.string(),
  /** Present when the operator must change their password before anything else: breached or reset. */
  mustChangePassword: z.optional(z.string()),
});
export type Operator = z.infer<typeof operatorSchema>;
const taskSchema = z.object({
  recordId: z.string(),
  contest: z.string(),
  actaKey: z.nullable(z.string()),
  imageSha256: z.nullable(z.string()),
  columns: z.array(column),
});
export type CaptureTask = z.infer<typeof taskSchema>;
const verificationSchema = z.object({ ...taskSchema.shape, captures: z.array(fieldsSchema) });
export type VerificationTask = z.infer<typeof verificationSchema>;
const captureAnswer = z.object({ recordId: z.string(), outcome: z.string(), next: z.nullable(taskSchema) });
const stepAnswer = z.object({ recordId: z.string(), outcome: z.string() });
const signInAnswer = z.object({ csrfToken: z.string(), operator: operatorSchema });
const problem = z.object({ error: z.string(), message: z.string() });

export type ApiError =
  | 'no-session'
  | 'step-up-required'
  /** The acta's time ran out while the person typed and it was handed to someone else. */
  | 'claim-taken'
  /** The final cut is published: nothing changes a result any more. */
  | 'after-close'
  /** This account must change its password first: the console shows the change form. */
  | 'password-change-required'
  /** The acta moved on without this person (finished, verified or captured by others): on to the next. */
  | 'acta-gone'
  | 'refused'
  | 'unreachable'
  | 'malformed';
/** The center's error codes the console tells apart; any other is 'refused' with its message. */
const KNOWN_ERRORS: readonly ApiError[] = [
  'no-session',
  'step-up-required',
  'claim-taken',
  'after-close',
  'password-change-required',
];
/** Told to the whole console (console.tsx), whichever screen made the call. */
export const PASSWORD_CHANGE_REQUIRED_EVENT = 'openprep-password-change-required';
/** The center's codes for an acta that is no longer this person's to finish (src/domain/acta_lifecycle.ts). */
const ACTA_GONE: ReadonlySet<string> = new Set([
  'not-awaiting-capture',
  'already-captured',
  'same-operator',
  'verifier-was-capturista',
  'not-in-mismatch',
  'not-handed-out',
  'unknown-acta',
]);

async function call<T>(
  method: string,
  path: string,
  schema: z.ZodMiniType<T> | null,
  body?: unknown,
): Promise<Result<T | null, ApiError>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'GET' ? {} : { 'x-csrf-token': sessionStorage.getItem(CSRF_KEY) ?? '' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    return err('unreachable', `${serverErrorWords('unreachable')} (${(error as Error).message})`);
  }
  if (response.status === 204) return ok(null);
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const parsed = problem.safeParse(data);
    const code = parsed.success ? parsed.data.error : '';
    // The center speaks English (its logs' language); the person reads the console's language.
    const english = parsed.success ? parsed.data.message : `HTTP ${response.status}`;
    if (code === 'password-change-required') window.dispatchEvent(new Event(PASSWORD_CHANGE_REQUIRED_EVENT));
    const message =
      serverErrorWords(code) ??
      (response.status === 403 ? serverErrorWords('forbidden')! : unknownErrorWords(english));
    return err(
      KNOWN_ERRORS.find((known) => known === code) ?? (ACTA_GONE.has(code) ? 'acta-gone' : 'refused'),
      message,
    );
  }
  if (schema === null) return ok(null);
  const parsed = schema.safeParse(data);
  return parsed.success ? ok(parsed.data) : err('malformed', `${serverErrorWords('malformed')} (${path})`);
}

export async function signIn(
  username: string,
  password: string,
  code: string,
): Promise<Result<Operator, ApiError>> {
  const answer = await call('POST', '/api/v1/session', signInAnswer, { username, password, code });
  if (!answer.ok) return answer;
  sessionStorage.setItem(CSRF_KEY, answer.value!.csrfToken);
  return ok(answer.value!.operator);
}

/** The operator of this tab's session, if it has one and still holds its CSRF token. */
export async function currentOperator(): Promise<Operator | null> {
  if (sessionStorage.getItem(CSRF_KEY) === null) return null;
  const me = await call('GET', '/api/v1/me', operatorSchema);
  return me.ok ? me.value : null;
}

export async function signOut(): Promise<void> {
  await call('DELETE', '/api/v1/session', null);
  sessionStorage.removeItem(CSRF_KEY);
}

/** Changes this operator's password: the current one, and a code unless they signed in moments ago. */
export const changePassword = (current: string, password: string, code: string) =>
  call('POST', '/api/v1/password', z.object({ changed: z.boolean() }), {
    current,
    password,
    ...(code === '' ? {} : { code }),
  });

export const nextCapture = () => call('GET', '/api/v1/capture/next', taskSchema);

/** Sends a capture; the answer carries the next acta (null when none is waiting). */
export async function sendCapture(recordId: string, fields: ApiFields) {
  return call('POST', `/api/v1/capture/${encodeURIComponent(recordId)}`, captureAnswer, {
    fields,
    next: true,
  });
}

export const nextVerification = () => call('GET', '/api/v1/verification/next', verificationSchema);

export const sendVerification = (recordId: string, fields: ApiFields) =>
  call('POST', `/api/v1/verification/${encodeURIComponent(recordId)}`, stepAnswer, { fields });

export const imageUrl = (sha256: string) => `/api/v1/images/${sha256}`;
/** The image turned upright and cropped to the sheet, for reading (the original stays at imageUrl). */
export const sheetUrl = (sha256: string) => `/api/v1/images/${sha256}/sheet`;

/** Registers this browser's security key (or platform authenticator) for the operator. */
export async function registerSecurityKey(): Promise<Result<null, ApiError>> {
  const options = await call('POST', '/api/v1/webauthn/register/options', z.unknown(), {});
  if (!options.ok) return options;
  let response: unknown;
  try {
    response = await startRegistration({
      optionsJSON: options.value as PublicKeyCredentialCreationOptionsJSON,
    });
  } catch (error) {
    return err(
      'refused',
      fill(WORDS[currentLanguage()].keyDidNotRegister, { detail: (error as Error).message }),
    );
  }
  return call('POST', '/api/v1/webauthn/register', null, response);
}

/** Confirms with the security key (step-up): privileged actions need one in the last 10 minutes. */
export async function confirmWithSecurityKey(): Promise<Result<null, ApiError>> {
  const options = await call('POST', '/api/v1/webauthn/authenticate/options', z.unknown(), {});
  if (!options.ok) return options;
  let response: unknown;
  try {
    response = await startAuthentication({
      optionsJSON: options.value as PublicKeyCredentialRequestOptionsJSON,
    });
  } catch (error) {
    return err(
      'refused',
      fill(WORDS[currentLanguage()].keyDidNotConfirm, { detail: (error as Error).message }),
    );
  }
  const confirmed = await call<null>('POST', '/api/v1/webauthn/authenticate', null, response);
  if (confirmed.ok) confirmedAt = Date.now();
  return confirmed;
}

/** When this tab last confirmed with the key; the server keeps the authoritative time. */
let confirmedAt = Number.NEGATIVE_INFINITY;
const STEP_UP_MARGIN_MS = 9 * 60_000; // the server's window is 10 minutes

/**
 * A privileged action. The key is asked first when this tab has not confirmed recently (so the
 * server is not asked for what it would refuse); if the server still asks for a fresh
 * confirmation, it is given and the action tried once more.
 */
export async function withStepUp<T>(
  action: () => Promise<Result<T, ApiError>>,
): Promise<Result<T, ApiError>> {
  if (Date.now() - confirmedAt > STEP_UP_MARGIN_MS) {
    const confirmed = await confirmWithSecurityKey();
    if (!confirmed.ok) return confirmed;
  }
  const first = await action();
  if (first.ok || first.code !== 'step-up-required') return first;
  const confirmed = await confirmWithSecurityKey();
  if (!confirmed.ok) return confirmed;
  return action();
}

const cutAnswer = z.object({
  id: z.string(),
  sequence: z.number(),
  final: z.boolean(),
  manifestSha256: z.string(),
});
export const publishCutNow = () => withStepUp(() => call('POST', '/api/v1/cuts', cutAnswer, {}));
export const revokeDevice = (id: string, reason: string) =>
  withStepUp(() =>
    call('POST', `/api/v1/admin/devices/${encodeURIComponent(id)}/revoke`, z.unknown(), { reason }),
  );
export const purge = (scope: string, reason: string) =>
  withStepUp(() => call('POST', '/api/v1/admin/purge', z.unknown(), { scope, reason }));

const count = z.number();
const dashboardSchema = z.object({
  at: z.number(),
  /** The acta reader in assist (src/capture/reader_assist.ts), shown in the reader's panel. */
  readerAssist: z.optional(
    z.object({
      mode: z.enum(['shadow', 'assist']),
      active: z.boolean(),
      reason: z.enum(['earned', 'below-threshold', 'shadow-mode', 'too-few-scored']),
      agreement: z.nullable(z.number()),
      windowSize: count,
      scored: count,
      fallbacks: count,
      threshold: z.number(),
      window: count,
      minScored: count,
    }),
  ),
  actas: z.object({
    received: count,
    captured_once: count,
    mismatch: count,
    verified: count,
    sin_acta: count,
  }),
  catds: z.array(
    z.object({
      catd: z.string(),
      accepted: count,
      conflicts: count,
      acceptedSince: count,
      conflictsSince: count,
    }),
  ),
  quality: z.object({
    rejected: count,
    review: count,
    recent: z.array(
      z.object({
        at: z.number(),
        catd: z.string(),
        deviceId: z.string(),
        claimedKey: z.string(),
        verdict: z.enum(['reject', 'review']),
        qr: z.nullable(z.string()),
        reasons: z.array(z.string()),
        /** The reasons' codes (src/gate/judge.ts), in the same order: for the English words. */
        codes: z.array(z.string()),
      }),
    ),
  }),
});
export type Dashboard = z.infer<typeof dashboardSchema>;
export const dashboard = () => call('GET', '/api/v1/dashboard', dashboardSchema);

const alertsSchema = z.object({
  alerts: z.array(
    z.object({
      alertId: z.string(),
      detection: z.string(),
      severity: z.enum(['warning', 'high', 'critical']),
      subject: z.record(z.string(), z.string()),
      firstAt: z.number(),
      lastAt: z.number(),
      evidence: z.record(z.string(), z.number()),
      responses: z.array(z.string()),
      raisedAt: z.number(),
    }),
  ),
});
export type SecurityAlerts = z.infer<typeof alertsSchema>;
/** The alerts the security monitor raised (GET /api/v1/security/alerts), filtered as asked. */
export const securityAlerts = (filters: { severity?: string; detection?: string }) => {
  const query = new URLSearchParams();
  if (filters.severity) query.set('severity', filters.severity);
  if (filters.detection) query.set('detection', filters.detection);
  const text = query.toString();
  return call('GET', `/api/v1/security/alerts${text === '' ? '' : `?${text}`}`, alertsSchema);
};

const cotejoSchema = z.object({
  ...taskSchema.shape,
  status: z.string(),
  cotejada: z.number(),
  fields: z.nullable(fieldsSchema),
});
export type CotejoActa = z.infer<typeof cotejoSchema>;
export const cotejoActa = (recordId: string) =>
  call('GET', `/api/v1/cotejo/${encodeURIComponent(recordId)}`, cotejoSchema);
export const sendCotejo = (recordId: string, decision: 'accept' | 'reopen', reason?: string) =>
  call('POST', `/api/v1/cotejo/${encodeURIComponent(recordId)}`, stepAnswer, {
    decision,
    ...(reason === undefined ? {} : { reason }),
  });

const accountSchema = z.object({
  id: z.string(),
  username: z.string(),
  name: z.string(),
  role: z.string(),
  scope: z.string(),
  expiresAt: z.nullable(z.number()),
  lockedUntil: z.nullable(z.number()),
  disabledAt: z.nullable(z.number()),
  secondFactor: z.boolean(),
  securityKeys: z.number(),
});
export type Account = z.infer<typeof accountSchema>;
export const accountsList = () => call('GET', '/api/v1/admin/operators', z.array(accountSchema));
const createdSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: z.string(),
  scope: z.string(),
  totpUri: z.string(),
  totpSecret: z.string(),
});
export type CreatedAccount = z.infer<typeof createdSchema>;
/** Disables or enables an account and sets or clears its expiry (step-up; disabling ends its sessions). */
export const setAccountAccess = (
  id: string,
  access: { disabled: boolean; expiresAt: string | null; reason: string },
) =>
  withStepUp(() =>
    call(
      'POST',
      `/api/v1/admin/operators/${encodeURIComponent(id)}/access`,
      z.object({ id: z.string(), disabledAt: z.nullable(z.number()), expiresAt: z.nullable(z.number()) }),
      access,
    ),
  );
export const createAccount = (account: {
  username: string;
  name: string;
  role: string;
  scope: string;
  password: string;
  expiresAt: string | null;
}) => withStepUp(() => call('POST', '/api/v1/admin/operators', createdSchema, account));

/** The access review (src/security/access_review.ts's report, as the center answers it). */
const accessReviewSchema = z.object({
  electionId: z.string(),
  scope: z.string(),
  dormantDays: z.number(),
  sha256: z.string(),
  generatedAt: z.number(),
  operators: z.array(
    z.object({
      id: z.string(),
      username: z.string(),
      name: z.string(),
      role: z.string(),
      scope: z.string(),
      factors: z.object({ password: z.boolean(), totp: z.boolean(), webauthnKeys: z.number() }),
      expiresAt: z.nullable(z.number()),
      disabledAt: z.nullable(z.number()),
      certifiedFor: z.string(),
      lastUsedOn: z.nullable(z.string()),
      findings: z.array(z.string()),
    }),
  ),
  devices: z.array(
    z.object({
      id: z.string(),
      origin: z.string(),
      boundTo: z.string(),
      revokedAt: z.nullable(z.number()),
      lastPackageOn: z.nullable(z.string()),
      findings: z.array(z.string()),
    }),
  ),
  summary: z.object({
    operators: count,
    disabled: count,
    devices: count,
    revoked: count,
    findings: count,
    byFinding: z.record(z.string(), count),
  }),
});
export type AccessReview = z.infer<typeof accessReviewSchema>;
export const accessReview = (dormantDays: number) =>
  call('GET', `/api/v1/security/access-review?dormantDays=${dormantDays}`, accessReviewSchema);

const share = z.nullable(z.number());
const readerValue = z.union([z.number(), z.literal('ilegible'), z.literal('sin_dato')]);
const readerAgreement = z.nullable(
  z.object({
    actas: count,
    actasExact: count,
    actaAgreement: share,
    boxes: count,
    boxesRight: count,
    boxAgreement: share,
    confidentBoxes: count,
    confidentRight: count,
    confidentBoxAgreement: share,
  }),
);
const readerSchema = z.object({
  at: z.number(),
  mode: z.enum(['shadow', 'off']),
  queue: z.nullable(z.object({ read: count, failed: count, dropped: count, queued: count })),
  figures: z.object({
    model: z.nullable(z.object({ sha256: z.string() })),
    confidenceThreshold: z.nullable(z.number()),
    actasRead: count,
    boxesRead: count,
    readFailures: count,
    agreement: readerAgreement,
    resolved: readerAgreement,
    calibration: z.array(
      z.object({ from: z.number(), to: z.number(), boxes: count, right: count, accuracy: share }),
    ),
    disagreementsTotal: count,
    disagreements: z.array(
      z.object({
        recordId: z.string(),
        actaKey: z.nullable(z.string()),
        box: z.string(),
        read: readerValue,
        verified: z.nullable(readerValue),
        confidence: z.number(),
        imageSha256: z.string(),
        readAt: z.string(),
        verifiedBy: z.enum(['agreement', 'verificador']),
      }),
    ),
  }),
});
export type ReaderPanelData = z.infer<typeof readerSchema>;
/** The acta reader's mode and figures (GET /api/v1/reader). */
export const readerPanel = () => call('GET', '/api/v1/reader', readerSchema);
