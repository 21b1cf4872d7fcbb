/**
 * Every kind of journal entry, closed: one zod schema per entry type, joined in one
 * discriminated union on `type`. The TypeScript type of an entry is inferred from its schema, so
 * a writer of an unknown type, or with a missing or extra field, does not compile, and a reader
 * that switches on `type` sees that entry's fields. The schemas describe the bytes the current
 * code writes (docs/journal.md lists them; entry_types.test.ts holds the two together).
 * Encoding is unchanged (entries.ts): the schema never reorders, renames or fills in anything.
 */
import { z } from 'zod';
import { OBSERVATIONS } from '../domain/acta.ts';

import { SECURITY_DETECTIONS, SECURITY_RESPONSES } from '../domain/security_alert.ts';

export { SECURITY_DETECTIONS, SECURITY_RESPONSES };

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
/** A journal counts things with integers. */
const count = z.number().int().nonnegative();

// The acta's vocabulary, as domain/acta.ts and domain/values.ts define it.
const capturedValue = z.union([z.number(), z.literal('ilegible'), z.literal('sin_dato')]);
const actaFields = z.strictObject({
  boletasSobrantes: capturedValue,
  personasVotaron: capturedValue,
  representantesVotaron: capturedValue,
  votosSacados: capturedValue,
  votes: z.record(z.string(), capturedValue),
  totalAsentado: capturedValue,
});
const sinActaReason = z.enum([
  'PAQUETE_NO_ENTREGADO',
  'CASILLA_NO_INSTALADA',
  'SIN_SOBRE',
  'CONTINGENCIA_URNA_ELECTRONICA',
]);
const classification = z.strictObject({
  observations: z.array(z.enum(OBSERVATIONS)).readonly(),
  contabilizada: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  computedTotal: z.number().nullable(),
  totalMismatch: z.boolean(),
  sinActaReason: sinActaReason.nullable(),
});
const origin = z.enum(['CASILLA', 'CATD']);
const submission = z.strictObject({
  imageSha256: sha256Hex,
  origin,
  digitization: z.enum(['MOVIL', 'ESCANER']),
  documentType: z.enum(['ACTA_PREP', 'COPIA_PE', 'ACTA_CONSEJO', 'ACTA_CONSEJO_S', 'COPIA_RPPCI']),
  transfer: z.enum(['D', 'F', 'I']).nullable(),
  acopioAt: z.number(),
  source: z.string(),
});

/** One entry type: its name, the epoch-ms `at` every entry has, and its own fields (no others). */
function entry<const T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject({ type: z.literal(type), at: z.number(), ...shape });
}

/** What every lifecycle entry of one acta names. */
const acta = { recordId: z.string(), contest: z.string() };
const registration = {
  ...acta,
  inCatalog: z.boolean(),
  claimedKey: z.string(),
  submission,
};
// `modelHash` only on the acta reader's captures in assist mode (operatorId `lector:…`).
const capture = { ...acta, operatorId: z.string(), captured: actaFields, modelHash: z.string().optional() };
const cotejo = { ...acta, reviewerId: z.string(), reason: z.string().nullable() };
/** Security events are journaled within a budget; the next one says how many were left out. */
const unjournaledBefore = count.optional();

export const journalEntrySchemas = [
  // Setup (capture/settings.ts), in the same transaction.
  entry('ELECTION_CONFIGURED', {
    electionId: z.string(),
    mode: z.enum(['simulacro', 'live']),
    definitionSha256: sha256Hex,
  }),
  entry('CATALOG_IMPORTED', {
    catalogSha256: sha256Hex,
    entidades: count,
    distritos: count,
    casillas: count,
  }),
  // One acta's lifecycle (capture/core.ts, for capture's services).
  entry('SUBMISSION_REGISTERED', registration),
  entry('ADDITIONAL_IMAGE_REGISTERED', registration),
  entry('SUBMISSION_CONFLICT', {
    ...acta,
    claimedKey: z.string(),
    imageSha256: sha256Hex,
    alreadyRegisteredAs: z.string(),
    source: z.string(),
  }),
  entry('CAPTURE_RECORDED', capture),
  entry('CAPTURE_MISMATCH', capture),
  entry('ACTA_VERIFIED', { ...capture, classification, fields: actaFields }),
  entry('MISMATCH_RESOLVED', { ...acta, verifierId: z.string(), classification, fields: actaFields }),
  entry('COTEJO_ACCEPTED', cotejo),
  entry('COTEJO_REOPENED', cotejo),
  entry('SIN_ACTA_DECLARED', { ...acta, reason: sinActaReason, operatorId: z.string() }),
  entry('INTAKE_CLOSED', { reason: z.string() }),
  // The acta reader's assist switching itself on or back to shadow (capture/reader_assist.ts).
  entry('READER_ASSIST_SWITCHED', {
    active: z.boolean(),
    reason: z.enum(['earned', 'below-threshold']),
    agreement: z.number().min(0).max(1),
    agreed: count,
    scored: count,
    threshold: z.number(),
  }),
  // Devices and territory (center/).
  entry('DEVICE_ENROLLED', {
    deviceId: z.string(),
    publicKey: z.string(),
    origin,
    boundTo: z.string(),
  }),
  entry('DEVICE_REVOKED', { deviceId: z.string(), reason: z.string() }),
  entry('TERRITORY_DECLARED', { territorySha256: sha256Hex, units: count, assignments: count }),
  // Signed packages (intake/intake_service.ts).
  entry('PACKAGE_RECEIVED', {
    deviceId: z.string(),
    sequence: count,
    packageSha256: sha256Hex,
    imageSha256: sha256Hex,
    recordId: z.string(),
    deviceTime: z.string(),
    // Only for an image the quality gate sent to review, taken on the device's confirmation.
    quality: z.literal('review').optional(),
    qualityReasons: z.array(z.string()).readonly().optional(),
    qr: z.string().nullable().optional(),
    keyConfirmed: z.literal(true).optional(),
  }),
  entry('PACKAGE_CONFLICT', {
    deviceId: z.string(),
    sequence: count,
    packageSha256: sha256Hex,
    imageSha256: sha256Hex,
    firstPackageSha256: sha256Hex,
  }),
  entry('PACKAGE_REJECTED', {
    reason: z.string(),
    deviceId: z.string(),
    sequence: count,
    packageSha256: sha256Hex,
    // out-of-scope: the device's unit and the acta it claimed.
    boundTo: z.string().optional(),
    claimedKey: z.string().optional(),
    // identification, image-quality: the quality gate's reason codes (and the QR it read).
    quality: z.array(z.string()).readonly().optional(),
    qr: z.string().nullable().optional(),
    unjournaledBefore,
  }),
  // Publication (publish/publisher.ts).
  entry('CUT_PUBLISHED', {
    cutId: z.string(),
    sequence: count,
    final: z.boolean(),
    journalSize: count,
    manifestSha256: sha256Hex,
  }),
  // Operators and their sign-ins (auth/accounts.ts, server/admin_routes.ts, server/operator_routes.ts).
  entry('OPERATOR_CREATED', {
    operatorId: z.string(),
    username: z.string(),
    role: z.enum([
      'acopio',
      'capturista',
      'verificador',
      'coordinador',
      'administrador',
      'publicador',
      'auditor',
      'seguridad',
    ]),
    scope: z.string(),
    by: z.string(),
  }),
  entry('TOTP_ENROLLED', { operatorId: z.string(), by: z.string() }),
  entry('OPERATOR_RECERTIFIED', { operatorId: z.string(), electionId: z.string(), by: z.string() }),
  // The access review signed (src/security/access_review.ts): the report's hash, as reviewed, and its size.
  entry('ACCESS_REVIEW_CERTIFIED', {
    reportSha256: sha256Hex,
    operators: count,
    devices: count,
    findings: count,
    by: z.string(),
    note: z.string().optional(),
  }),
  entry('OPERATOR_ACCESS_CHANGED', {
    operatorId: z.string(),
    disabled: z.boolean(),
    expiresAt: z.number().nullable(),
    by: z.string(),
    reason: z.string(),
  }),
  // Never the password, nor which corpus entry matched: only whose and why.
  entry('PASSWORD_CHANGED', {
    operatorId: z.string(),
    // self: the operator, with their current password; reset: an administrator (`by`).
    reason: z.enum(['self', 'reset']),
    by: z.string(),
  }),
  entry('PASSWORD_CHANGE_REQUIRED', {
    operatorId: z.string(),
    reason: z.enum(['breached', 'reset']),
    by: z.string(),
  }),
  entry('LOGIN_SUCCEEDED', {
    operatorId: z.string(),
    factors: z.array(z.string()).readonly(),
    address: z.string(),
  }),
  entry('LOGIN_FAILED', {
    // null: no account has this username.
    operatorId: z.string().nullable(),
    factor: z.string(),
    // Password and TOTP sign-ins: where from. A security key's: why it did not confirm.
    address: z.string().optional(),
    reason: z.string().optional(),
    unjournaledBefore,
  }),
  entry('LOGIN_THROTTLED', {
    operatorId: z.string().nullable(),
    address: z.string(),
    by: z.enum(['address', 'account']),
    unjournaledBefore,
  }),
  entry('ACCOUNT_THROTTLED', {
    operatorId: z.string(),
    failures: count,
    until: z.number(),
    unjournaledBefore,
  }),
  entry('LOGIN_STEP_UP', {
    operatorId: z.string(),
    factor: z.literal('webauthn'),
    credentialId: z.string(),
  }),
  entry('WEBAUTHN_REGISTERED', { operatorId: z.string(), credentialId: z.string() }),
  entry('LOGOUT', { operatorId: z.string() }),
  entry('AUTHORIZATION_DENIED', {
    operatorId: z.string(),
    method: z.string(),
    route: z.string(),
    reason: z.string(),
    unjournaledBefore,
  }),
  entry('ACCOUNTS_PURGED', {
    scope: z.string(),
    reason: z.string(),
    by: z.string(),
    operators: count,
    sessions: count,
    devices: count,
  }),
  // Security operations (src/security/): an alert a detection raised, and any touch of a decoy.
  entry('SECURITY_ALERT', {
    // Stable for one occurrence (detection, subject, window): nodes that see it again do not raise it twice.
    alertId: z.string(),
    detection: z.enum(SECURITY_DETECTIONS),
    severity: z.enum(['warning', 'high', 'critical']),
    // Who or what it is about; each detection names the ones it knows.
    subject: z.strictObject({
      address: z.string().optional(),
      operatorId: z.string().optional(),
      username: z.string().optional(),
      deviceId: z.string().optional(),
      decoyId: z.string().optional(),
    }),
    // The first and last events behind it, and counts of what it saw (events, accounts, addresses...).
    firstAt: z.number(),
    lastAt: z.number(),
    evidence: z.record(z.string(), z.number()),
    // What the center did about it, as configured for the detection.
    responses: z.array(z.enum(SECURITY_RESPONSES)).readonly(),
  }),
  entry('DECOY_USED', {
    decoyId: z.string(),
    kind: z.enum(['operator', 'device', 'record']),
    // Where it was used: the route or command, and the client address or device when known.
    via: z.string(),
    address: z.string().optional(),
    deviceId: z.string().optional(),
    // Uses of the same decoy counted but not journaled since its previous entry (a replay flood).
    unjournaledBefore,
  }),
  // An export of internal data to a file; its canaries (fingerprints only) are in the decoys table.
  entry('EXPORT_ISSUED', {
    exportId: z.string(),
    kind: z.enum(['operators', 'devices']),
    recipient: z.string(),
    rows: count,
    canaries: count,
    by: z.string(),
  }),
  // The code a node runs, at the start of `serve` and of `cut` (src/center/deployment.ts;
  // docs/trust.md, "The running code, attested"): the release (null in a development checkout),
  // the maintainers who signed it, Node, the configuration's hash (secrets removed), the host.
  entry('DEPLOYMENT', {
    command: z.enum(['serve', 'cut']),
    release: z.strictObject({ version: z.string(), sha256: sha256Hex, commit: z.string() }).nullable(),
    signers: z.array(z.string()).readonly(),
    node: z.string(),
    configSha256: sha256Hex.nullable(),
    host: z.string(),
    nodeId: z.string(),
  }),
  // The periodic re-check of a running release found files that differ from its manifest: the
  // node stops serving (src/center/deployment.ts). At most 20 differences; `count` is all of them.
  entry('RELEASE_CHECK_FAILED', {
    release: z.strictObject({ version: z.string(), sha256: sha256Hex }),
    code: z.string(),
    differences: z
      .array(
        z.strictObject({ path: z.string(), problem: z.enum(['missing', 'changed', 'unexpected', 'mode']) }),
      )
      .readonly(),
    count: count,
    host: z.string(),
    nodeId: z.string(),
  }),
] as const;

/** Any journal entry the current code writes; parsing refuses unknown types and extra fields. */
export const journalEntrySchema = z.discriminatedUnion('type', journalEntrySchemas);

export type JournalEntry = z.infer<typeof journalEntrySchema>;
export type JournalEntryType = JournalEntry['type'];
/** The entry of one type. */
export type EntryOf<T extends JournalEntryType> = Extract<JournalEntry, { readonly type: T }>;
/** Entries of these types without their `at`, for writers that stamp it themselves. */
export type UntimedEntry<T extends JournalEntryType> =
  EntryOf<T> extends infer E ? (E extends unknown ? Omit<E, 'at'> : never) : never;
/** Entries the security journal writes within its budget (auth/security_journal.ts). */
export type SecurityEntry = EntryOf<
  'LOGIN_FAILED' | 'LOGIN_THROTTLED' | 'ACCOUNT_THROTTLED' | 'AUTHORIZATION_DENIED'
>;
