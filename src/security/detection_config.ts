/**
 * The thresholds and responses of each detection (docs/security-operations.md, "Detections"),
 * as the server configuration's `security` section: defaults from the public hunting guides
 * (../shared/research/security-reliability.md §4.3), each one tunable. Pure: a schema and its
 * defaults, read by server/config.ts and handed to the monitor.
 */
import { z } from 'zod';
import { SECURITY_RESPONSES } from '../journal/entry_types.ts';

/** Per-key event lists are cut to this length, so no count threshold may exceed it. */
export const MAX_EVENTS_PER_KEY = 512;

const minutes = (fallback: number, description: string) =>
  z
    .number()
    .min(1)
    .max(7 * 24 * 60)
    .default(fallback)
    .describe(description);
const threshold = (fallback: number, description: string) =>
  z.number().int().min(1).max(MAX_EVENTS_PER_KEY).default(fallback).describe(description);
const responses = (fallback: readonly (typeof SECURITY_RESPONSES)[number][], description: string) =>
  z
    .array(z.enum(SECURITY_RESPONSES))
    .max(SECURITY_RESPONSES.length)
    .default([...fallback])
    .describe(description);

/** The roles whose sign-ins outside the night's window are suspicious by default. */
const CAPTURE_ROLES = ['acopio', 'capturista', 'verificador', 'coordinador'] as const;
const ROLE = z.enum([
  'acopio',
  'capturista',
  'verificador',
  'coordinador',
  'administrador',
  'publicador',
  'auditor',
  'seguridad',
]);

// Every field has a default, so an absent section is the defaults.
const strict = <S extends z.ZodRawShape>(description: string, shape: S) =>
  z
    .strictObject(shape)
    .prefault({} as never)
    .describe(description);

export const detectionConfigSchema = strict('The security monitor and its detections.', {
  enabled: z
    .boolean()
    .default(true)
    .describe('Run the security monitor (on one node at a time, under the `security-monitor` lease).'),
  pollMilliseconds: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1000)
    .describe('How often the monitor reads the journal for new entries; alerts come within a few polls.'),
  maxKeys: z
    .number()
    .int()
    .min(100)
    .max(1_000_000)
    .default(20_000)
    .describe(
      'Addresses, accounts or devices remembered per detection; past it the least recently seen is forgotten (an attacker chooses how many keys there are).',
    ),
  throttleMinutes: minutes(15, 'How long the `throttle` response refuses sign-ins from an address.'),
  credentialStuffing: strict(
    'credential-stuffing: one address trying many accounts, or unknown usernames from many addresses.',
    {
      accounts: threshold(
        20,
        'Distinct accounts (an unknown username counts as one each) failing from one address.',
      ),
      windowMinutes: minutes(60, 'The window of the per-address count.'),
      unknownAttempts: threshold(
        50,
        'Across all addresses: failed sign-ins with unknown usernames (stuffing spread over many addresses).',
      ),
      addresses: threshold(
        10,
        'Across all addresses: the least distinct addresses those unknown usernames come from.',
      ),
      unknownShare: z
        .number()
        .min(0)
        .max(1)
        .default(0.5)
        .describe('Across all addresses: the least share of unknown usernames among all failures.'),
      spreadWindowMinutes: minutes(10, 'The window of the count across addresses.'),
      responses: responses(
        ['throttle'],
        'What the center does: `throttle` refuses the address (per-address alerts only). A CATD behind one NAT address is throttled as a whole.',
      ),
    },
  ),
  passwordSpraying: strict('password-spraying: many known accounts, a few passwords each.', {
    accounts: threshold(10, 'Distinct known accounts with a failed password, across all addresses.'),
    attemptsPerAccount: z
      .number()
      .min(1)
      .max(100)
      .default(3)
      .describe('At most this many attempts per account on average (more is brute force, not spraying).'),
    windowMinutes: minutes(30, 'The window.'),
    responses: responses([], 'What the center does (the alert has no single subject).'),
  }),
  bruteForce: strict('brute-force: many failures on one account.', {
    failures: threshold(10, 'Failed sign-ins of one account (any address).'),
    windowMinutes: minutes(10, 'The window.'),
    responses: responses(
      [],
      'What the center does; the account is already delayed by its own throttle, and the real operator should not pay for an attacker’s attempts.',
    ),
  }),
  successAfterFailures: strict('success-after-failures: a sign-in after many failures of its account.', {
    failures: threshold(5, 'Failures of the account before a successful sign-in.'),
    windowMinutes: minutes(60, 'How far back those failures count.'),
    responses: responses(
      ['step-up'],
      'What the center does: `step-up` asks the sessions for the security key again.',
    ),
  }),
  outsideWindow: strict('outside-window: a sign-in outside the night for roles that work only then.', {
    roles: z
      .array(ROLE)
      .default([...CAPTURE_ROLES])
      .describe(
        "Roles held to the night's window (publicationStart, publicationHours of the election definition).",
      ),
    beforeMinutes: minutes(
      240,
      'Sign-ins this long before publicationStart are inside the window (set-up, acopio).',
    ),
    afterMinutes: minutes(120, 'Sign-ins this long after the publication closes are inside the window.'),
    responses: responses([], 'What the center does.'),
  }),
  newNetworkAdmin: strict(
    'new-network-admin: an administrator or publicador from a network not seen for them.',
    {
      roles: z
        .array(ROLE)
        .default(['administrador', 'publicador'])
        .describe(
          'Roles whose sign-in from a network (/24 or /64) not seen for them before is an alert; their first sign-in sets the baseline.',
        ),
      responses: responses(['step-up'], 'What the center does.'),
    },
  ),
  concurrentSources: strict(
    'concurrent-sources: one account signed in from two networks while the first session is live.',
    {
      sessionMinutes: minutes(
        720,
        'How long a session counts as live after its sign-in (the absolute session lifetime).',
      ),
      responses: responses([], 'What the center does; two networks at once can be a phone and a laptop.'),
    },
  ),
  deviceRate: strict('device-rate: a device sending far above its usual rate, or above a cap.', {
    packages: threshold(500, 'Packages received from one device in the window, whatever its usual rate.'),
    multiplier: z
      .number()
      .min(1)
      .max(1000)
      .default(20)
      .describe("Or this many times the device's usual rate per window (after an hour of history)..."),
    minimum: threshold(120, '...and at least this many packages in the window.'),
    windowMinutes: minutes(10, 'The window.'),
    responses: responses(
      [],
      'What the center does; an outbox emptying after an outage is a legitimate burst.',
    ),
  }),
  deviceScope: strict("device-scope: a device sending another unit's actas (refused as out-of-scope).", {
    packages: threshold(3, "Packages refused as another unit's actas (out-of-scope) from one device."),
    windowMinutes: minutes(60, 'The window.'),
    responses: responses(
      [],
      'What the center does; the packages are already refused, and revoking a CATD scanner for a misfiled acta stops its night.',
    ),
  }),
  totpReused: strict('totp-reused: a TOTP code used twice.', {
    replays: threshold(1, 'Sign-ins with a TOTP code already used, per account.'),
    windowMinutes: minutes(10, 'The window.'),
    responses: responses([], 'What the center does.'),
  }),
  decoyUsed: strict('decoy-used: any use of a decoy (critical).', {
    responses: responses(
      ['revoke-sessions', 'revoke-device'],
      "What the center does, as applicable: the decoy operator's sessions, the decoy device.",
    ),
  }),
});

export type DetectionConfig = z.infer<typeof detectionConfigSchema>;

/** The defaults (tests, the bench). */
export const DEFAULT_DETECTION_CONFIG: DetectionConfig = detectionConfigSchema.parse({});
