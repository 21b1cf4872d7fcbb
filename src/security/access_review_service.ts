/**
 * The access review over the store: reads the accounts, devices, their latest uses and the
 * territory (the access port), makes the report (access_review.ts) and states its SHA-256; and
 * the recertification, journaled (ACCESS_REVIEW_CERTIFIED) only when the report now is the one
 * that was reviewed, byte for byte of its canonical JSON.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { canonicalJson } from '../platform/web/canonical_json.ts';
import type { AccessPort } from './access_port.ts';
import {
  ACCESS_FINDINGS,
  type AccessReport,
  accessReport,
  DEVICE_FINDINGS,
  OPERATOR_FINDINGS,
  reportChanges,
} from './access_review.ts';

/** The report with its hash and when it was made (outside the hash). */
export type SignedAccessReport = AccessReport & { readonly sha256: string; readonly generatedAt: number };

export function reportSha256(report: AccessReport): string {
  return sha256Hex(Buffer.from(canonicalJson(report), 'utf8'));
}

/** The report without its signature's fields: what the hash is over. */
export function unsigned(report: AccessReport): AccessReport {
  const { sha256: _sha, generatedAt: _at, ...rest } = report as SignedAccessReport;
  return rest;
}

export async function reviewAccess(
  source: AccessPort,
  options: {
    readonly electionId: string;
    readonly utcOffsetMinutes: number;
    readonly now: number;
    readonly dormantDays: number;
    readonly scope: string;
  },
  /** The decoys (docs/security-operations.md): no legitimate work uses them, so no review lists them. */
  decoys: { decoys(): Promise<readonly { readonly subject: string | null }[]> },
): Promise<SignedAccessReport> {
  const [operators, devices, operatorsLastUse, devicesLastPackage, territory, planted] = await Promise.all([
    source.operators(),
    source.devices(),
    source.operatorsLastUse(),
    source.devicesLastPackage(),
    source.territory(),
    decoys.decoys(),
  ]);
  // A review is read by administradores and auditors too, and a decoy would show there as an
  // account never used: the finding would give it away, or get it disabled.
  const decoy = new Set(planted.flatMap((d) => (d.subject === null ? [] : [d.subject])));
  const report = accessReport({
    ...options,
    operators: operators.filter((o) => !decoy.has(o.id)),
    devices: devices.filter((d) => !decoy.has(d.id)),
    operatorsLastUse: new Map(operatorsLastUse.map((u) => [u.id, u.at])),
    devicesLastPackage: new Map(devicesLastPackage.map((u) => [u.id, u.at])),
    territory,
  });
  return { ...report, sha256: reportSha256(report), generatedAt: options.now };
}

const finding = <T extends readonly [string, ...string[]]>(codes: T) => z.array(z.enum(codes));
const nullableTime = z.number().nullable();
/** A report as written by `--format json` (a kept copy, or one a reviewer saved), checked before it is compared. */
export const accessReportSchema = z.object({
  format: z.literal('openprep-access-review/1'),
  electionId: z.string(),
  scope: z.string(),
  dormantDays: z.number(),
  operators: z.array(
    z.object({
      id: z.string(),
      username: z.string(),
      name: z.string(),
      role: z.string(),
      scope: z.string(),
      factors: z.object({ password: z.boolean(), totp: z.boolean(), webauthnKeys: z.number() }),
      createdAt: z.number(),
      expiresAt: nullableTime,
      disabledAt: nullableTime,
      certifiedFor: z.string(),
      lastUsedOn: z.string().nullable(),
      findings: finding(OPERATOR_FINDINGS),
    }),
  ),
  devices: z.array(
    z.object({
      id: z.string(),
      origin: z.enum(['CASILLA', 'CATD']),
      boundTo: z.string(),
      enrolledAt: z.number(),
      revokedAt: nullableTime,
      lastPackageOn: z.string().nullable(),
      findings: finding(DEVICE_FINDINGS),
    }),
  ),
  summary: z.object({
    operators: z.number(),
    disabled: z.number(),
    devices: z.number(),
    revoked: z.number(),
    findings: z.number(),
    byFinding: z.record(z.enum(ACCESS_FINDINGS), z.number()),
    byRole: z.record(z.string(), z.number()),
  }),
});

/** A saved report's JSON, or null when it is not one (its hash is checked by the caller). */
export function parseAccessReport(text: string): AccessReport | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = accessReportSchema.safeParse(data);
  return parsed.success ? (unsigned(data as AccessReport) as AccessReport) : null;
}

export type CertifyRefusal = 'changed' | 'bad-hash';

/**
 * Signs the review: journals ACCESS_REVIEW_CERTIFIED when `current` (the report made just now)
 * has the hash the reviewer read. Otherwise refused, saying what changed since `reviewed` (the
 * report with that hash, when a copy of it is at hand).
 */
export async function certifyAccessReview(
  port: Pick<AccessPort, 'transaction'>,
  input: {
    readonly current: SignedAccessReport;
    readonly reviewedSha256: string;
    readonly reviewed: AccessReport | null;
    readonly by: string;
    readonly note: string | null;
    readonly at: number;
  },
): Promise<
  Result<{ readonly leafIndex: number }, CertifyRefusal> & { readonly changes?: readonly string[] }
> {
  const expected = input.reviewedSha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) return err('bad-hash', 'the SHA-256 is 64 hexadecimal digits');
  if (input.current.sha256 !== expected) {
    const reviewed =
      input.reviewed !== null && reportSha256(input.reviewed) === expected ? input.reviewed : null;
    const changes = reviewed === null ? [] : reportChanges(reviewed, unsigned(input.current));
    return {
      ...err(
        'changed',
        reviewed === null
          ? `the access review now has SHA-256 ${input.current.sha256}, not ${expected}, and no copy of the reviewed one is at hand to compare: review the current report again`
          : `the access review changed since it was reviewed (now SHA-256 ${input.current.sha256}): review it again`,
      ),
      changes,
    };
  }
  const r = input.current.summary;
  const leafIndex = await port.transaction((tx) =>
    tx.appendJournal({
      type: 'ACCESS_REVIEW_CERTIFIED',
      at: input.at,
      reportSha256: expected,
      operators: r.operators,
      devices: r.devices,
      findings: r.findings,
      by: input.by,
      ...(input.note === null ? {} : { note: input.note }),
    }),
  );
  return ok({ leafIndex });
}
