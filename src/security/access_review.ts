/**
 * The access review (docs/security-operations.md, "Access review"): every account and every
 * device with its factors and latest use, and the findings a recertification must answer, from
 * a closed list. Pure: the rows, their latest uses and the time are given.
 *
 * The report is what a reviewer signs, so it holds only what a recertification vouches for and
 * what does not move while it is read: latest uses to the day (in the election's local time),
 * no counters. Its SHA-256 (access_review_service.ts) is over its canonical JSON, without the
 * time it was generated; the same accounts, devices and findings give the same hash.
 */
import type { OperatorRow, Role, Scope } from '../auth/operators_port.ts';
import type { DeviceOrigin, DeviceRow } from '../domain/device.ts';
import { localParts } from '../domain/local_time.ts';
import type { TerritoryRow } from '../domain/territory.ts';

/** What a review finds about an account; closed (docs/security-operations.md says what each means). */
export const OPERATOR_FINDINGS = [
  'never-used',
  'dormant',
  'expired-not-disabled',
  'not-certified',
  'no-webauthn',
  'no-totp',
  'scope-too-broad',
] as const;
/** What a review finds about an enrolled device; closed. */
export const DEVICE_FINDINGS = ['device-never-used', 'device-dormant'] as const;
export const ACCESS_FINDINGS = [...OPERATOR_FINDINGS, ...DEVICE_FINDINGS] as const;
export type OperatorFinding = (typeof OPERATOR_FINDINGS)[number];
export type DeviceFinding = (typeof DEVICE_FINDINGS)[number];
export type AccessFinding = (typeof ACCESS_FINDINGS)[number];

/**
 * The roles whose work needs a security key (the center asks them for a WebAuthn step-up before
 * purges, revocations, new accounts and cuts: server/admin_routes.ts).
 */
export const WEBAUTHN_REQUIRED: readonly Role[] = ['administrador', 'publicador'];

type ScopeKind = 'catd' | 'entidad' | 'nacional';
const BREADTH: Readonly<Record<ScopeKind, number>> = { catd: 0, entidad: 1, nacional: 2 };

/**
 * The widest scope each role's work needs. Acopio receives packets at one CATD; capture,
 * verification and coordination are done at a CATD or at a state's CCV; administration,
 * publication, audit and security look at the whole election.
 */
export const ROLE_WIDEST_SCOPE: Readonly<Record<Role, ScopeKind>> = {
  acopio: 'catd',
  capturista: 'entidad',
  verificador: 'entidad',
  coordinador: 'entidad',
  administrador: 'nacional',
  publicador: 'nacional',
  auditor: 'nacional',
  seguridad: 'nacional',
};

/** The dormancy threshold when none is given: two weeks, the time between INE's simulacros. */
export const DEFAULT_DORMANT_DAYS = 14;
const DAY_MS = 86_400_000;

export interface OperatorReview {
  readonly id: string;
  readonly username: string;
  readonly name: string;
  readonly role: Role;
  readonly scope: Scope;
  readonly factors: { readonly password: boolean; readonly totp: boolean; readonly webauthnKeys: number };
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly disabledAt: number | null;
  /** The election the account was last (re)certified for. */
  readonly certifiedFor: string;
  /** The day of its latest session activity (YYYY-MM-DD, the election's local time); null: never. */
  readonly lastUsedOn: string | null;
  readonly findings: readonly OperatorFinding[];
}

export interface DeviceReview {
  readonly id: string;
  readonly origin: DeviceOrigin;
  readonly boundTo: string;
  readonly enrolledAt: number;
  readonly revokedAt: number | null;
  /** The day of its latest package's acopio time (YYYY-MM-DD, local); null: it never sent one. */
  readonly lastPackageOn: string | null;
  readonly findings: readonly DeviceFinding[];
}

export interface AccessSummary {
  readonly operators: number;
  readonly disabled: number;
  readonly devices: number;
  readonly revoked: number;
  /** Findings in all (an account or device may have several). */
  readonly findings: number;
  readonly byFinding: Readonly<Record<AccessFinding, number>>;
  readonly byRole: Readonly<Partial<Record<Role, number>>>;
}

/** The report a recertification signs: what its hash is taken over. */
export interface AccessReport {
  readonly format: 'openprep-access-review/1';
  readonly electionId: string;
  /** Whose view: nacional, or the reviewer's entidad or CATD. */
  readonly scope: Scope;
  readonly dormantDays: number;
  readonly operators: readonly OperatorReview[];
  readonly devices: readonly DeviceReview[];
  readonly summary: AccessSummary;
}

export interface ReviewInput {
  readonly electionId: string;
  readonly utcOffsetMinutes: number;
  readonly now: number;
  readonly dormantDays: number;
  /** The reviewer's scope: the report holds only what lies within it. */
  readonly scope: Scope;
  readonly operators: readonly OperatorRow[];
  readonly devices: readonly DeviceRow[];
  readonly operatorsLastUse: ReadonlyMap<string, number>;
  readonly devicesLastPackage: ReadonlyMap<string, number>;
  /** The declared territory: which entidades each CATD serves, for an entidad's reviewer. */
  readonly territory: readonly TerritoryRow[];
}

function kindOf(scope: Scope): ScopeKind {
  return scope.startsWith('catd:') ? 'catd' : scope.startsWith('entidad:') ? 'entidad' : 'nacional';
}

function day(at: number, utcOffsetMinutes: number): string {
  const p = localParts(at, utcOffsetMinutes);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

export function operatorFindings(
  operator: OperatorRow,
  lastUse: number | undefined,
  input: Pick<ReviewInput, 'electionId' | 'now' | 'dormantDays'>,
): OperatorFinding[] {
  // A disabled account cannot act: what it lacks is moot until someone enables it again.
  if (operator.disabledAt !== null) return [];
  const found: OperatorFinding[] = [];
  if (lastUse === undefined) found.push('never-used');
  else if (input.now - lastUse > input.dormantDays * DAY_MS) found.push('dormant');
  if (operator.expiresAt !== null && operator.expiresAt <= input.now) found.push('expired-not-disabled');
  if (operator.certifiedFor !== input.electionId) found.push('not-certified');
  if (WEBAUTHN_REQUIRED.includes(operator.role) && (operator.webauthn ?? []).length === 0)
    found.push('no-webauthn');
  if (operator.totpSealed === null) found.push('no-totp');
  const widest = ROLE_WIDEST_SCOPE[operator.role] ?? 'catd';
  if (BREADTH[kindOf(operator.scope)] > BREADTH[widest]) found.push('scope-too-broad');
  return found;
}

export function deviceFindings(
  device: DeviceRow,
  lastPackage: number | undefined,
  input: Pick<ReviewInput, 'now' | 'dormantDays'>,
): DeviceFinding[] {
  if (device.revokedAt !== null) return [];
  if (lastPackage === undefined) return ['device-never-used'];
  return input.now - lastPackage > input.dormantDays * DAY_MS ? ['device-dormant'] : [];
}

/**
 * Whether a reviewer of `scope` sees an account of `subject` scope, or a device bound to a unit
 * (`catd:UNIT`): nacional sees all; an entidad its own accounts and the CATDs whose declared
 * territory has a distrito in it; a CATD only itself.
 */
export function reviewerSees(
  scope: Scope,
  subject: Scope,
  catdEntidades: ReadonlyMap<string, ReadonlySet<number>>,
): boolean {
  if (scope === 'nacional' || scope === subject) return true;
  if (!scope.startsWith('entidad:') || !subject.startsWith('catd:')) return false;
  const entidad = Number(scope.slice('entidad:'.length));
  return catdEntidades.get(subject.slice('catd:'.length))?.has(entidad) === true;
}

/** Each unit's entidades, from the distritos of its declared territory (`EE-DDD`). */
export function unitEntidades(territory: readonly TerritoryRow[]): Map<string, Set<number>> {
  const units = new Map<string, Set<number>>();
  for (const row of territory) {
    if (row.areaKind !== 'distrito') continue;
    const entidad = Number(row.area.slice(0, row.area.indexOf('-')));
    if (!Number.isInteger(entidad)) continue;
    const set = units.get(row.unit) ?? new Set<number>();
    set.add(entidad);
    units.set(row.unit, set);
  }
  return units;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function accessReport(input: ReviewInput): AccessReport {
  const entidades = unitEntidades(input.territory);
  const operators: OperatorReview[] = input.operators
    .filter((o) => reviewerSees(input.scope, o.scope, entidades))
    .map((o) => {
      const lastUse = input.operatorsLastUse.get(o.id);
      return {
        id: o.id,
        username: o.username,
        name: o.name,
        role: o.role,
        scope: o.scope,
        factors: {
          password: o.passwordHash !== '',
          totp: o.totpSealed !== null,
          webauthnKeys: (o.webauthn ?? []).length,
        },
        createdAt: o.createdAt,
        expiresAt: o.expiresAt,
        disabledAt: o.disabledAt,
        certifiedFor: o.certifiedFor,
        lastUsedOn: lastUse === undefined ? null : day(lastUse, input.utcOffsetMinutes),
        findings: operatorFindings(o, lastUse, input),
      };
    })
    .sort((a, b) => byCodeUnit(a.username, b.username));
  const devices: DeviceReview[] = input.devices
    .filter((d) => reviewerSees(input.scope, `catd:${d.boundTo}`, entidades))
    .map((d) => {
      const last = input.devicesLastPackage.get(d.id);
      return {
        id: d.id,
        origin: d.origin,
        boundTo: d.boundTo,
        enrolledAt: d.enrolledAt,
        revokedAt: d.revokedAt,
        lastPackageOn: last === undefined ? null : day(last, input.utcOffsetMinutes),
        findings: deviceFindings(d, last, input),
      };
    })
    .sort((a, b) => byCodeUnit(a.id, b.id));
  const byFinding = Object.fromEntries(ACCESS_FINDINGS.map((f) => [f, 0])) as Record<AccessFinding, number>;
  for (const subject of [...operators, ...devices]) for (const f of subject.findings) byFinding[f]++;
  const byRole: Partial<Record<Role, number>> = {};
  for (const o of operators) byRole[o.role] = (byRole[o.role] ?? 0) + 1;
  return {
    format: 'openprep-access-review/1',
    electionId: input.electionId,
    scope: input.scope,
    dormantDays: input.dormantDays,
    operators,
    devices,
    summary: {
      operators: operators.length,
      disabled: operators.filter((o) => o.disabledAt !== null).length,
      devices: devices.length,
      revoked: devices.filter((d) => d.revokedAt !== null).length,
      findings: Object.values(byFinding).reduce((a, b) => a + b, 0),
      byFinding,
      byRole,
    },
  };
}

const LIMIT = 40;

/**
 * What differs between the report that was reviewed and the one now: the lines a refused
 * certification shows, so the reviewer knows what to look at again (at most LIMIT, then a count).
 */
export function reportChanges(before: AccessReport, after: AccessReport): string[] {
  const lines: string[] = [];
  for (const key of ['electionId', 'scope', 'dormantDays'] as const)
    if (before[key] !== after[key]) lines.push(`${key}: ${before[key]} → ${after[key]}`);
  const compare = <T extends { readonly id: string; readonly findings: readonly string[] }>(
    kind: 'operator' | 'device',
    was: readonly T[],
    now: readonly T[],
    name: (row: T) => string,
  ) => {
    const old = new Map(was.map((row) => [row.id, row]));
    const seen = new Set<string>();
    for (const row of now) {
      seen.add(row.id);
      const prior = old.get(row.id);
      if (prior === undefined) {
        lines.push(
          `${kind} ${name(row)}: new${row.findings.length > 0 ? ` (${row.findings.join(', ')})` : ''}`,
        );
        continue;
      }
      const fields = (Object.keys(row) as (keyof T & string)[]).filter(
        (key) => key !== 'findings' && JSON.stringify(row[key]) !== JSON.stringify(prior[key]),
      );
      const findings = prior.findings.join(', ') !== row.findings.join(', ');
      if (fields.length > 0 || findings)
        lines.push(
          `${kind} ${name(row)}: ${[
            ...fields.map((f) => `${f} ${JSON.stringify(prior[f])} → ${JSON.stringify(row[f])}`),
            ...(findings
              ? [`findings ${prior.findings.join(', ') || 'none'} → ${row.findings.join(', ') || 'none'}`]
              : []),
          ].join('; ')}`,
        );
    }
    for (const row of was) if (!seen.has(row.id)) lines.push(`${kind} ${name(row)}: gone`);
  };
  compare('operator', before.operators, after.operators, (o) => o.username);
  compare('device', before.devices, after.devices, (d) => d.id);
  return lines.length > LIMIT ? [...lines.slice(0, LIMIT), `… and ${lines.length - LIMIT} more`] : lines;
}

/** A time as the report's text shows it: the date and minute, in the election's local time. */
function when(at: number | null, utcOffsetMinutes: number): string {
  if (at === null) return '-';
  const p = localParts(at, utcOffsetMinutes);
  return `${day(at, utcOffsetMinutes)} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The report for a person, in English like the rest of the command line. */
export function reportText(
  report: AccessReport,
  signed: { readonly sha256: string; readonly generatedAt: number; readonly utcOffsetMinutes: number },
): string {
  const z = signed.utcOffsetMinutes;
  const s = report.summary;
  const counted = (counts: Readonly<Record<string, number | undefined>>) =>
    Object.entries(counts)
      .filter(([, n]) => (n ?? 0) > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const lines = [
    `Access review of ${report.electionId}, scope ${report.scope}`,
    `generated ${when(signed.generatedAt, z)} (UTC${z < 0 ? '-' : '+'}${Math.abs(z / 60)}); dormant after ${report.dormantDays} days without use`,
    `SHA-256 ${signed.sha256}`,
    '',
    `operators: ${s.operators} (${s.disabled} disabled); by role: ${counted(s.byRole)}`,
    `devices: ${s.devices} (${s.revoked} revoked)`,
    `findings: ${s.findings}: ${counted(s.byFinding)}`,
    '',
    'Operators',
    ...table(
      [
        'username',
        'name',
        'role',
        'scope',
        'factors',
        'created',
        'expires',
        'disabled',
        'certified for',
        'last use',
        'findings',
      ],
      report.operators.map((o) => [
        o.username,
        o.name,
        o.role,
        o.scope,
        [
          o.factors.password ? 'password' : '',
          o.factors.totp ? 'totp' : '',
          o.factors.webauthnKeys > 0 ? `webauthn×${o.factors.webauthnKeys}` : '',
        ]
          .filter((f) => f !== '')
          .join('+'),
        when(o.createdAt, z),
        when(o.expiresAt, z),
        when(o.disabledAt, z),
        o.certifiedFor,
        o.lastUsedOn ?? 'never',
        o.findings.join(', '),
      ]),
    ),
    '',
    'Devices',
    ...table(
      ['device', 'origin', 'bound to', 'enrolled', 'revoked', 'last package', 'findings'],
      report.devices.map((d) => [
        d.id,
        d.origin,
        d.boundTo,
        when(d.enrolledAt, z),
        when(d.revokedAt, z),
        d.lastPackageOn ?? 'never',
        d.findings.join(', '),
      ]),
    ),
    '',
    `To sign this review: openprep access review --certify ${signed.sha256} --by NAME`,
  ];
  return `${lines.join('\n')}\n`;
}
