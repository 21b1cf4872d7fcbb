import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { JournalEntry } from '../journal/entry_types.ts';
import { DEFAULT_DETECTION_CONFIG, type DetectionConfig } from './detection_config.ts';
import { type Alert, Detector, networkOf, type OperatingNight } from './detections.ts';

const NIGHT: OperatingNight = {
  start: Date.parse('2024-06-03T02:00:00Z'),
  end: Date.parse('2024-06-04T02:00:00Z'),
};
const T0 = NIGHT.start + 3_600_000;
const ROLES = new Map<string, string>([
  ['admin1', 'administrador'],
  ['cap1', 'capturista'],
]);
const context = { roleOf: (id: string) => ROLES.get(id) ?? 'capturista' };

function run(entries: readonly JournalEntry[], config: DetectionConfig = DEFAULT_DETECTION_CONFIG): Alert[] {
  const detector = new Detector(config, NIGHT);
  return entries.flatMap((entry, index) => detector.observe(entry, index, context));
}

const failed = (
  at: number,
  operatorId: string | null,
  address: string,
  factor = 'password',
): JournalEntry => ({
  type: 'LOGIN_FAILED',
  at,
  operatorId,
  factor: operatorId === null ? 'account' : factor,
  address,
});
const succeeded = (at: number, operatorId: string, address: string): JournalEntry => ({
  type: 'LOGIN_SUCCEEDED',
  at,
  operatorId,
  factors: ['password', 'totp'],
  address,
});
const detections = (alerts: readonly Alert[]) => alerts.map((a) => a.detection);

describe('detections', () => {
  it('credential stuffing from one address: 20 accounts, about one try each, and the address is throttled', () => {
    const entries = Array.from({ length: 20 }, (_, i) =>
      failed(T0 + i * 1000, i % 2 ? `op${i}` : null, '10.0.0.9'),
    );
    const alerts = run(entries).filter((a) => a.detection === 'credential-stuffing');
    assert.equal(alerts.length, 1);
    assert.deepEqual(alerts[0]!.subject, { address: '10.0.0.9' });
    assert.deepEqual(alerts[0]!.responses, ['throttle']);
    assert.equal(alerts[0]!.evidence.accounts, 20);
    assert.equal(run(entries.slice(0, 19)).filter((a) => a.detection === 'credential-stuffing').length, 0);
  });

  it('credential stuffing from many addresses: unknown usernames, one try per address', () => {
    const entries = Array.from({ length: 50 }, (_, i) => failed(T0 + i * 1000, null, `10.1.${i}.7`));
    const alerts = run(entries);
    assert.deepEqual(detections(alerts), ['credential-stuffing']);
    assert.deepEqual(alerts[0]!.subject, {});
    assert.deepEqual(alerts[0]!.responses, []);
    // The events the journal left out under a flood count toward the volume.
    const flooded = entries.slice(0, 10).map((e, i) => (i === 9 ? { ...e, unjournaledBefore: 40 } : e));
    assert.deepEqual(detections(run(flooded)), ['credential-stuffing']);
  });

  it('password spraying: ten known accounts, one try each, from anywhere', () => {
    const entries = Array.from({ length: 10 }, (_, i) => failed(T0 + i * 60_000, `op${i}`, `10.2.${i}.1`));
    assert.deepEqual(detections(run(entries)), ['password-spraying']);
    assert.deepEqual(detections(run(entries.slice(1))), []);
  });

  it('brute force on one account, then its success after failures asks for the security key', () => {
    const entries = [
      ...Array.from({ length: 10 }, (_, i) => failed(T0 + i * 30_000, 'cap1', '10.3.0.1')),
      succeeded(T0 + 400_000, 'cap1', '10.3.0.1'),
    ];
    const alerts = run(entries);
    assert.deepEqual(detections(alerts), ['brute-force', 'success-after-failures']);
    assert.deepEqual(alerts[1]!.responses, ['step-up']);
    assert.equal(alerts[1]!.evidence.failures, 10);
    // Attempts the account's own delay refused unread count as much as failures.
    const throttled = Array.from(
      { length: 10 },
      (_, i): JournalEntry =>
        i < 5
          ? failed(T0 + i, 'cap1', '10.3.0.1')
          : { type: 'LOGIN_THROTTLED', at: T0 + i, operatorId: 'cap1', address: '10.3.0.1', by: 'account' },
    );
    assert.deepEqual(detections(run(throttled)), ['brute-force']);
  });

  it('a capturista signing in outside the night; an administrator is not held to it', () => {
    const early = NIGHT.start - 5 * 3_600_000;
    assert.deepEqual(detections(run([succeeded(early, 'cap1', '10.4.0.1')])), ['outside-window']);
    assert.deepEqual(detections(run([succeeded(early, 'admin1', '10.4.0.1')])), []);
    assert.deepEqual(detections(run([succeeded(NIGHT.start - 3_600_000, 'cap1', '10.4.0.1')])), []);
  });

  it('an administrator from a network not seen for them (the first sign-in sets the baseline)', () => {
    const alerts = run([
      succeeded(T0, 'admin1', '10.5.0.1'),
      { type: 'LOGOUT', at: T0 + 1000, operatorId: 'admin1' },
      succeeded(T0 + 2000, 'admin1', '10.5.0.77'),
      { type: 'LOGOUT', at: T0 + 3000, operatorId: 'admin1' },
      succeeded(T0 + 4000, 'admin1', '10.6.0.1'),
    ]);
    assert.deepEqual(detections(alerts), ['new-network-admin']);
    assert.deepEqual(alerts[0]!.responses, ['step-up']);
  });

  it('one account live from two networks at once, not after signing out', () => {
    assert.deepEqual(
      detections(run([succeeded(T0, 'cap1', '10.7.0.1'), succeeded(T0 + 60_000, 'cap1', '10.8.0.1')])),
      ['concurrent-sources'],
    );
    assert.deepEqual(
      detections(
        run([
          succeeded(T0, 'cap1', '10.7.0.1'),
          { type: 'LOGOUT', at: T0 + 1000, operatorId: 'cap1' },
          succeeded(T0 + 60_000, 'cap1', '10.8.0.1'),
        ]),
      ),
      [],
    );
  });

  it('a device far above a cap, another CATD’s actas, a TOTP replay, a decoy', () => {
    const sha = 'a'.repeat(64);
    const received = (at: number, sequence: number): JournalEntry => ({
      type: 'PACKAGE_RECEIVED',
      at,
      deviceId: 'dev1',
      sequence,
      packageSha256: sha,
      imageSha256: sha,
      recordId: `r${sequence}`,
      deviceTime: '',
    });
    const burst = Array.from({ length: 500 }, (_, i) => received(T0 + i * 100, i));
    assert.deepEqual(detections(run(burst)), ['device-rate']);
    const rejected = (i: number): JournalEntry => ({
      type: 'PACKAGE_REJECTED',
      at: T0 + i,
      reason: 'out-of-scope',
      deviceId: 'dev2',
      sequence: i,
      packageSha256: sha,
      boundTo: 'CATD-01',
      claimedKey: `k${i}`,
    });
    const scope = run([rejected(1), rejected(2), rejected(3)]);
    assert.deepEqual(detections(scope), ['device-scope']);
    assert.deepEqual(scope[0]!.subject, { deviceId: 'dev2' });
    assert.deepEqual(detections(run([failed(T0, 'cap1', '10.9.0.1', 'totp-replayed')])), ['totp-reused']);
    const decoy = run([
      {
        type: 'DECOY_USED',
        at: T0,
        decoyId: 'decoy-op',
        kind: 'operator',
        via: 'POST /api/v1/session',
        address: '10.9.9.9',
      },
    ]);
    assert.equal(decoy[0]!.severity, 'critical');
    assert.deepEqual(decoy[0]!.responses, ['revoke-sessions']);
  });

  it('the network of an address', () => {
    assert.equal(networkOf('192.168.4.20'), '192.168.4.0/24');
    assert.equal(networkOf('::ffff:10.0.0.1'), '10.0.0.0/24');
    assert.equal(networkOf('2001:db8:1:2:3::4'), '2001:db8:1:2::/64');
    assert.equal(networkOf('2001:db8:1:2::/64'), '2001:db8:1:2::/64');
  });
});

describe('detection properties', () => {
  it('brute force is raised iff the failures within the window reach the threshold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 59_000 }), (n, gap) => {
        const windowMs = DEFAULT_DETECTION_CONFIG.bruteForce.windowMinutes * 60_000;
        const entries = Array.from({ length: n }, (_, i) => failed(T0 + i * gap, 'cap1', '10.3.0.1', 'totp'));
        // The most failures inside any one window (they are evenly spaced).
        const within = Math.min(n, Math.floor((windowMs - 1) / gap) + 1);
        const raised = run(entries).some((a) => a.detection === 'brute-force');
        assert.equal(raised, within >= DEFAULT_DETECTION_CONFIG.bruteForce.failures);
      }),
    );
  });

  const attack = fc.array(
    fc.oneof(
      fc.record({
        kind: fc.constant('fail' as const),
        op: fc.option(fc.constantFrom('cap1', 'admin1', 'op3', 'op4'), { nil: null }),
        address: fc.constantFrom('10.0.0.1', '10.0.1.1', '10.0.2.1'),
        factor: fc.constantFrom('password', 'totp', 'totp-replayed'),
      }),
      fc.record({
        kind: fc.constant('ok' as const),
        op: fc.constantFrom('cap1', 'admin1'),
        address: fc.constantFrom('10.0.0.1', '10.0.1.1', '10.0.2.1'),
      }),
    ),
    { maxLength: 120 },
  );
  const toEntries = (
    steps: ReadonlyArray<{ kind: string; op: string | null; address: string; factor?: string }>,
  ) =>
    steps.map(
      (s, i): JournalEntry =>
        s.kind === 'ok'
          ? succeeded(T0 + i * 20_000, s.op!, s.address)
          : failed(T0 + i * 20_000, s.op, s.address, s.factor),
    );

  it('replaying the same entries, or resuming from a snapshot, raises no alert twice', () => {
    fc.assert(
      fc.property(attack, fc.nat(), (steps, cut) => {
        const entries = toEntries(steps);
        const once = run(entries).map((a) => a.alertId);
        assert.equal(new Set(once).size, once.length);
        // A monitor that stopped after `split` entries and a successor resuming from its snapshot.
        const split = entries.length === 0 ? 0 : cut % entries.length;
        const first = new Detector(DEFAULT_DETECTION_CONFIG, NIGHT);
        const before = entries.slice(0, split).flatMap((e, i) => first.observe(e, i, context));
        const successor = new Detector(
          DEFAULT_DETECTION_CONFIG,
          NIGHT,
          JSON.parse(JSON.stringify(first.snapshot())),
        );
        const after = entries.slice(split).flatMap((e, i) => successor.observe(e, split + i, context));
        assert.deepEqual(
          [...before, ...after].map((a) => a.alertId),
          once,
        );
      }),
    );
  });

  it('a clean night never alerts: each operator from their own CATD, a typo now and then, within the night', () => {
    const operator = fc.record({
      failures: fc.integer({ min: 0, max: 2 }),
      subnet: fc.integer({ min: 0, max: 200 }),
    });
    fc.assert(
      fc.property(
        fc.array(operator, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1_000, max: 120_000 }),
        (ops, gap) => {
          const entries: JournalEntry[] = [];
          let at = NIGHT.start;
          ops.forEach((op, i) => {
            const address = `10.20.${op.subnet}.${(i % 200) + 1}`;
            for (let f = 0; f < op.failures; f++) {
              at += gap;
              entries.push(failed(at, `op${i}`, address));
            }
            at += gap;
            entries.push(succeeded(at, `op${i}`, address));
          });
          assert.deepEqual(run(entries), []);
        },
      ),
    );
  });

  it('memory stays bounded whatever the number of addresses and accounts', () => {
    const config = { ...DEFAULT_DETECTION_CONFIG, maxKeys: 100 };
    const detector = new Detector(config, NIGHT);
    for (let i = 0; i < 20_000; i++)
      detector.observe(
        failed(T0 + i, i % 3 ? null : `op${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`),
        i,
        context,
      );
    assert.ok(detector.keys() <= 100 * 12, `${detector.keys()} keys`);
    assert.ok(JSON.stringify(detector.snapshot()).length < 2_000_000);
  });
});
