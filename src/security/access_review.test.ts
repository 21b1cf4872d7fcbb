/**
 * The access review on a real SQLite store: a crafted set of accounts and devices, each built to
 * show one finding (or none), the report's hash and its stability while people work, and the
 * recertification: journaled when the hash still matches, refused with what changed otherwise.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { ROLES } from '../auth/accounts.ts';
import type { OperatorRow } from '../auth/operators_port.ts';
import type { DeviceRow } from '../domain/device.ts';
import { decodeEntry } from '../journal/entries.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import type { Store } from '../store/store.ts';
import { accessReport, operatorFindings, reportChanges, reportText } from './access_review.ts';
import {
  certifyAccessReview,
  parseAccessReport,
  reportSha256,
  reviewAccess,
  unsigned,
} from './access_review_service.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2024-06-02T12:00:00-06:00');
const ELECTION = 'PEF2024';

function operator(id: string, fields: Partial<OperatorRow> = {}): OperatorRow {
  return {
    id,
    username: id,
    name: `Persona ${id}`,
    role: 'capturista',
    scope: 'catd:CATD-1',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB',
    totpSealed: 'v1.a.b.c',
    totpLastStep: null,
    failedAttempts: 0,
    lockedUntil: null,
    expiresAt: null,
    certifiedFor: ELECTION,
    createdAt: NOW - 30 * DAY,
    disabledAt: null,
    ...fields,
  };
}

function device(id: string, boundTo: string, fields: Partial<DeviceRow> = {}): DeviceRow {
  return {
    id,
    publicKey: createHash('sha256').update(id).digest('base64'),
    origin: 'CATD',
    boundTo,
    label: '',
    enrolledAt: NOW - 20 * DAY,
    revokedAt: null,
    ...fields,
  };
}

const key = { id: 'k1', publicKey: 'pk', counter: 0, registeredAt: NOW - DAY };

/** Each account and device is used (or not) so that it shows exactly the findings its name says. */
async function craftedStore(): Promise<Store> {
  const opened = openSqliteStore(':memory:');
  assert.ok(opened.ok);
  const store = opened.value;
  const operators = [
    operator('clean'),
    operator('never.used'),
    operator('dormant'),
    operator('expired', { expiresAt: NOW - DAY }),
    operator('old.election', { certifiedFor: 'PEF2021' }),
    operator('admin.nokey', { role: 'administrador', scope: 'nacional' }),
    operator('admin.key', { role: 'administrador', scope: 'nacional', webauthn: [key] }),
    operator('purged', { totpSealed: null }),
    operator('broad', { scope: 'nacional' }),
    operator('disabled', { disabledAt: NOW - DAY, certifiedFor: 'PEF2021' }),
    operator('other.catd', { scope: 'catd:CATD-2' }),
    operator('entidad.seguridad', { role: 'seguridad', scope: 'entidad:09' }),
  ];
  const lastSeen: Record<string, number> = {
    clean: NOW - 2 * DAY,
    dormant: NOW - 15 * DAY,
    expired: NOW - DAY,
    'old.election': NOW - DAY,
    'admin.nokey': NOW - DAY,
    'admin.key': NOW - DAY,
    purged: NOW - DAY,
    broad: NOW - DAY,
    disabled: NOW - 40 * DAY,
    'other.catd': NOW - DAY,
    'entidad.seguridad': NOW - DAY,
  };
  await store.transaction(async (tx) => {
    for (const o of operators) await tx.putOperator(o);
    let i = 0;
    for (const [id, at] of Object.entries(lastSeen))
      await tx.putSession({
        idHash: (i++).toString(16).padStart(64, '0'),
        operatorId: id,
        createdAt: at - 3_600_000,
        lastSeenAt: at,
        csrfHash: 'x',
        webauthnAt: null,
        revokedAt: null,
      });
    await tx.putDevice(device('S-used', 'CATD-1'));
    await tx.putDevice(device('S-idle', 'CATD-1'));
    await tx.putDevice(device('S-old', 'CATD-1'));
    await tx.putDevice(device('S-revoked', 'CATD-1', { revokedAt: NOW - DAY }));
    await tx.putDevice(device('S-2', 'CATD-2'));
    for (const [id, at] of [
      ['S-used', NOW - 3_600_000],
      ['S-old', NOW - 16 * DAY],
      ['S-2', NOW - DAY],
    ] as const)
      await tx.addPackage({
        deviceId: id,
        sequence: 0,
        packageSha256: 'a'.repeat(64),
        imageSha256: 'b'.repeat(64),
        recordId: `PRES:${id}`,
        acopioAt: at,
        outcome: 'accepted',
        receipt: 'r',
      });
    // CATD-2 serves a distrito of entidad 09: the entidad's reviewer sees it; CATD-1 serves entidad 15.
    await tx.replaceTerritory([
      { unit: 'CATD-1', unitKind: 'CATD', areaKind: 'distrito', area: '15-001' },
      { unit: 'CATD-2', unitKind: 'CATD', areaKind: 'distrito', area: '09-003' },
    ]);
  });
  return store;
}

const options = (scope = 'nacional', now = NOW) => ({
  electionId: ELECTION,
  utcOffsetMinutes: -360,
  now,
  dormantDays: 14,
  scope,
});

test('each crafted account and device shows its finding, and only it', async () => {
  const store = await craftedStore();
  try {
    const report = await reviewAccess(store, options(), store);
    const findings = Object.fromEntries(report.operators.map((o) => [o.username, o.findings.join(',')]));
    assert.deepEqual(findings, {
      'admin.key': '',
      'admin.nokey': 'no-webauthn',
      broad: 'scope-too-broad',
      clean: '',
      disabled: '',
      dormant: 'dormant',
      'entidad.seguridad': '',
      expired: 'expired-not-disabled',
      'never.used': 'never-used',
      'old.election': 'not-certified',
      'other.catd': '',
      purged: 'no-totp',
    });
    const devices = Object.fromEntries(report.devices.map((d) => [d.id, d.findings.join(',')]));
    assert.deepEqual(devices, {
      'S-2': '',
      'S-idle': 'device-never-used',
      'S-old': 'device-dormant',
      'S-revoked': '',
      'S-used': '',
    });
    const clean = report.operators.find((o) => o.username === 'clean')!;
    assert.deepEqual(clean.factors, { password: true, totp: true, webauthnKeys: 0 });
    assert.equal(clean.lastUsedOn, '2024-05-31');
    assert.equal(report.operators.find((o) => o.username === 'admin.key')!.factors.webauthnKeys, 1);
    assert.equal(report.devices.find((d) => d.id === 'S-used')!.lastPackageOn, '2024-06-02');
    assert.equal(report.summary.operators, 12);
    assert.equal(report.summary.disabled, 1);
    assert.equal(report.summary.devices, 5);
    assert.equal(report.summary.revoked, 1);
    assert.equal(report.summary.findings, 9);
    assert.equal(report.summary.byFinding['never-used'], 1);
    assert.equal(report.summary.byRole.capturista, 9);
    assert.equal(report.sha256, reportSha256(unsigned(report)));
    const text = reportText(report, { sha256: report.sha256, generatedAt: NOW, utcOffsetMinutes: -360 });
    assert.match(text, new RegExp(`SHA-256 ${report.sha256}`));
    assert.match(text, /^never\.used .* never +never-used$/m);
    assert.match(text, /findings: 9: never-used 1, dormant 1,/);
  } finally {
    await store.close();
  }
});

test('decoys are left out of every review: a never-used finding would give them away', async () => {
  const store = await craftedStore();
  try {
    const before = await reviewAccess(store, options(), store);
    await store.transaction(async (tx) => {
      await tx.putOperator(operator('bait.admin', { role: 'administrador', scope: 'nacional' }));
      await tx.putDevice(device('S-bait', 'CATD-1'));
      for (const [id, kind] of [
        ['bait.admin', 'operator'],
        ['S-bait', 'device'],
      ] as const)
        await tx.putDecoy({
          id: `decoy-${id}`,
          kind,
          label: 'planted for the test',
          subject: id,
          fingerprints: [],
          exportId: null,
          createdAt: NOW,
          by: 'test',
        });
    });
    const after = await reviewAccess(store, options(), store);
    assert.ok(!after.operators.some((o) => o.id === 'bait.admin'));
    assert.ok(!after.devices.some((d) => d.id === 'S-bait'));
    assert.equal(after.sha256, before.sha256, 'the report is the one without the decoys, byte for byte');
    // Without the decoy list they would show, each with a finding.
    const noDecoys = { decoys: async () => [] };
    const exposed = await reviewAccess(store, options(), noDecoys);
    assert.deepEqual(exposed.operators.find((o) => o.id === 'bait.admin')?.findings, [
      'never-used',
      'no-webauthn',
    ]);
  } finally {
    await store.close();
  }
});

test("a reviewer's scope: a CATD sees its own; an entidad its own and the CATDs serving it", async () => {
  const store = await craftedStore();
  try {
    const catd = await reviewAccess(store, options('catd:CATD-2'), store);
    assert.deepEqual(
      catd.operators.map((o) => o.username),
      ['other.catd'],
    );
    assert.deepEqual(
      catd.devices.map((d) => d.id),
      ['S-2'],
    );
    const entidad = await reviewAccess(store, options('entidad:09'), store);
    assert.deepEqual(
      entidad.operators.map((o) => o.username),
      ['entidad.seguridad', 'other.catd'],
    );
    assert.deepEqual(
      entidad.devices.map((d) => d.id),
      ['S-2'],
    );
  } finally {
    await store.close();
  }
});

test('the hash leaves out the time of generation and a session touched the same day', async () => {
  const store = await craftedStore();
  try {
    const first = await reviewAccess(store, options(), store);
    // Someone keeps working: their session's last activity moves on within the same day.
    await store.transaction(async (tx) => {
      const session = (await tx.getSession((0).toString(16).padStart(64, '0')))!;
      await tx.putSession({ ...session, lastSeenAt: session.lastSeenAt + 3_600_000 });
    });
    const later = await reviewAccess(store, options('nacional', NOW + 60_000), store);
    assert.notEqual(first.generatedAt, later.generatedAt);
    assert.equal(later.sha256, first.sha256);
  } finally {
    await store.close();
  }
});

test('certify: journaled when the report still has the reviewed hash; refused, with what changed, otherwise', async () => {
  const store = await craftedStore();
  try {
    const reviewed = await reviewAccess(store, options(), store);
    const kept = parseAccessReport(JSON.stringify(reviewed));
    assert.ok(kept !== null);
    assert.equal(reportSha256(kept), reviewed.sha256);

    // A change after the review: an account is enabled again and a device revoked.
    await store.transaction(async (tx) => {
      const disabled = (await tx.getOperator('disabled'))!;
      await tx.putOperator({ ...disabled, disabledAt: null });
      const idle = (await tx.getDevice('S-idle'))!;
      await tx.putDevice({ ...idle, revokedAt: NOW });
    });
    const before = (await store.journalHead()).size;
    const now = await reviewAccess(store, options(), store);
    const refused = await certifyAccessReview(store, {
      current: now,
      reviewedSha256: reviewed.sha256,
      reviewed: kept,
      by: 'ana.seguridad',
      note: null,
      at: NOW,
    });
    assert.equal(refused.ok, false);
    assert.equal(refused.ok ? '' : refused.code, 'changed');
    assert.deepEqual(refused.changes, [
      'operator disabled: disabledAt 1717264800000 → null; findings none → dormant, not-certified',
      `device S-idle: revokedAt null → ${NOW}; findings device-never-used → none`,
    ]);
    assert.equal((await store.journalHead()).size, before, 'nothing journaled');
    const unknown = await certifyAccessReview(store, {
      current: now,
      reviewedSha256: reviewed.sha256,
      reviewed: null,
      by: 'ana.seguridad',
      note: null,
      at: NOW,
    });
    assert.match(unknown.ok ? '' : unknown.message, /no copy of the reviewed one/);
    const malformed = await certifyAccessReview(store, {
      current: now,
      reviewedSha256: 'abc',
      reviewed: null,
      by: 'x',
      note: null,
      at: NOW,
    });
    assert.equal(malformed.ok ? '' : malformed.code, 'bad-hash');
    assert.equal((await store.journalHead()).size, before, 'nothing journaled');

    const signed = await certifyAccessReview(store, {
      current: now,
      reviewedSha256: now.sha256.toUpperCase(),
      reviewed: null,
      by: 'ana.seguridad',
      note: 'quarterly review',
      at: NOW,
    });
    assert.ok(signed.ok);
    const [leaf] = await store.journalEntries(signed.value.leafIndex, signed.value.leafIndex + 1);
    const decoded = decodeEntry(leaf!);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, {
      type: 'ACCESS_REVIEW_CERTIFIED',
      at: NOW,
      reportSha256: now.sha256,
      operators: 12,
      devices: 5,
      findings: now.summary.findings,
      by: 'ana.seguridad',
      note: 'quarterly review',
    });
  } finally {
    await store.close();
  }
});

test('a saved report that is not one is refused, not trusted', () => {
  assert.equal(parseAccessReport('not json'), null);
  assert.equal(parseAccessReport('{"format":"openprep-access-review/1"}'), null);
  assert.equal(parseAccessReport('[]'), null);
});

test('property: a disabled account has no findings; a used, current, well-scoped one has none either', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...ROLES),
      fc.constantFrom('nacional', 'entidad:09', 'catd:X'),
      fc.option(fc.integer({ min: 0, max: 60 })),
      fc.boolean(),
      (role, scope, daysAgo, disabled) => {
        const o = operator('p', {
          role,
          scope,
          disabledAt: disabled ? NOW : null,
          webauthn: [key],
        });
        const lastUse = daysAgo === null ? undefined : NOW - daysAgo * DAY;
        const found = operatorFindings(o, lastUse, { electionId: ELECTION, now: NOW, dormantDays: 14 });
        if (disabled) return found.length === 0;
        const expected = [
          ...(lastUse === undefined ? ['never-used'] : daysAgo! > 14 ? ['dormant'] : []),
          ...((scope === 'nacional' &&
            !['administrador', 'publicador', 'auditor', 'seguridad'].includes(role)) ||
          (scope === 'entidad:09' && role === 'acopio')
            ? ['scope-too-broad']
            : []),
        ];
        assert.deepEqual(found, expected);
        return true;
      },
    ),
  );
});

test('reportChanges: new and gone accounts, a changed threshold, and a cap on the lines', () => {
  const base = accessReport({
    ...options(),
    operators: Array.from({ length: 50 }, (_, i) => operator(`u${i}`)),
    devices: [],
    operatorsLastUse: new Map(),
    devicesLastPackage: new Map(),
    territory: [],
  });
  const other = accessReport({
    ...options(),
    dormantDays: 30,
    operators: Array.from({ length: 50 }, (_, i) => operator(`v${i}`)),
    devices: [],
    operatorsLastUse: new Map(),
    devicesLastPackage: new Map(),
    territory: [],
  });
  const lines = reportChanges(base, other);
  assert.equal(lines[0], 'dormantDays: 14 → 30');
  assert.equal(lines[1], 'operator v0: new (never-used)');
  assert.equal(lines.length, 41);
  assert.equal(lines[40], '… and 61 more');
});
