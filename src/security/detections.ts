/**
 * The detections (docs/security-operations.md, "Detections"): pure rules over the journal's
 * security events, in journal order, raising alerts shaped as the SECURITY_ALERT entry. Time is
 * the entries' own `at`, never a clock, so replaying the same entries gives the same alerts with
 * the same ids; the state is plain data (snapshot/restore) so a monitor that takes over resumes
 * it. Memory is bounded whatever an attacker sends: at most `maxKeys` addresses, accounts or
 * devices per table (the least recently seen forgotten first) and at most MAX_EVENTS_PER_KEY
 * events per key (the newest kept; every count threshold is at most that).
 */
import type {
  EntryOf,
  JournalEntry,
  SECURITY_DETECTIONS,
  SECURITY_RESPONSES,
} from '../journal/entry_types.ts';
import { type DetectionConfig, MAX_EVENTS_PER_KEY } from './detection_config.ts';

export type Detection = (typeof SECURITY_DETECTIONS)[number];
export type SecurityResponse = (typeof SECURITY_RESPONSES)[number];
/** An alert as the engine raises it: the SECURITY_ALERT entry without its `type` and `at`. */
export type Alert = Omit<EntryOf<'SECURITY_ALERT'>, 'type' | 'at'>;
type Subject = Alert['subject'];

/** The night the capture roles work in (epoch ms), from the election definition; null: no window. */
export interface OperatingNight {
  readonly start: number;
  readonly end: number;
}

/** The night's window from publicationStart and publicationHours. */
export function operatingNight(definition: {
  readonly publicationStart: string;
  readonly publicationHours: number;
}): OperatingNight {
  const start = Date.parse(definition.publicationStart);
  return { start, end: start + definition.publicationHours * 3_600_000 };
}

/** What the rules know besides the entries: each operator's role (the monitor reads them from the store). */
export interface DetectionContext {
  readonly roleOf: (operatorId: string) => string | undefined;
}

/** One event in a window: when, how many it stands for, and what it is about (account, address...). */
type Event = [at: number, weight: number, tag: string];

const MINUTE = 60_000;

/** Bounded sliding windows of events, one list per key, the least recently touched key evicted first. */
class Windows {
  readonly #lists = new Map<string, Event[]>();
  readonly #maxKeys: number;
  readonly #maxEvents: number;

  constructor(maxKeys: number, maxEvents: number, entries: readonly [string, Event[]][] = []) {
    this.#maxKeys = maxKeys;
    this.#maxEvents = maxEvents;
    for (const [key, list] of entries) this.#lists.set(key, list);
  }

  /** The key's events within `windowMs` of `now`, after adding `event` if given. */
  touch(key: string, now: number, windowMs: number, event?: Event): readonly Event[] {
    const old = this.#lists.get(key) ?? [];
    const list = old.filter((e) => e[0] > now - windowMs);
    const last = list.at(-1);
    // A counted event (its tag '#') in the same minute as the last adds to it: one entry a minute.
    if (
      event !== undefined &&
      event[2] === '#' &&
      last !== undefined &&
      last[2] === '#' &&
      last[0] === event[0]
    )
      list[list.length - 1] = [last[0], last[1] + event[1], '#'];
    else if (event !== undefined) list.push(event);
    if (list.length > this.#maxEvents) list.splice(0, list.length - this.#maxEvents);
    this.#lists.delete(key);
    if (list.length > 0) this.#lists.set(key, list);
    while (this.#lists.size > this.#maxKeys) {
      const oldest = this.#lists.keys().next().value;
      if (oldest === undefined) break;
      this.#lists.delete(oldest);
    }
    return list;
  }

  /** Forgets the key's events about `tag`. */
  forget(key: string, tag: string): void {
    const list = this.#lists.get(key);
    if (list !== undefined)
      this.#lists.set(
        key,
        list.filter((e) => e[2] !== tag),
      );
  }

  clear(key: string): void {
    this.#lists.delete(key);
  }

  get size(): number {
    return this.#lists.size;
  }

  toJSON(): [string, Event[]][] {
    return [...this.#lists];
  }
}

/** A bounded map whose least recently set key is evicted first. */
class Recent<V> {
  readonly #map = new Map<string, V>();
  readonly #max: number;
  constructor(max: number, entries: readonly [string, V][] = []) {
    this.#max = max;
    for (const [k, v] of entries) this.#map.set(k, v);
  }
  get(key: string): V | undefined {
    return this.#map.get(key);
  }
  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value;
      if (oldest === undefined) break;
      this.#map.delete(oldest);
    }
  }
  delete(key: string): void {
    this.#map.delete(key);
  }
  get size(): number {
    return this.#map.size;
  }
  toJSON(): [string, V][] {
    return [...this.#map];
  }
}

/** The engine's whole state as plain data, kept by the monitor with its journal position. */
export interface DetectorSnapshot {
  readonly version: 1;
  readonly windows: Record<string, [string, Event[]][]>;
  readonly cooldowns: [string, number][];
  readonly networks: [string, string[]][];
  readonly sessions: [string, [number, string][]][];
  readonly devices: [string, [number, number]][];
  readonly roles: [string, string][];
}

const WINDOW_TABLES = [
  'stuffingByAddress',
  'spread',
  'spraying',
  'bruteForce',
  'failuresBeforeSuccess',
  'deviceRate',
  'deviceScope',
  'totpReplays',
] as const;
type WindowTable = (typeof WINDOW_TABLES)[number];
/** Tables with one key for the whole center hold more events than a per-key one. */
const GLOBAL_EVENTS = 4 * MAX_EVENTS_PER_KEY;

/** The network an address is in: its /24 (IPv4) or /64 (IPv6), as new-network-admin compares them. */
export function networkOf(address: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(address);
  if (v4 !== null) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (address.endsWith('/64')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

const distinct = (events: readonly Event[]) => new Set(events.map((e) => e[2])).size;
const weight = (events: readonly Event[]) => events.reduce((sum, e) => sum + e[1], 0);
const span = (events: readonly Event[], at: number) => ({ firstAt: events[0]?.[0] ?? at, lastAt: at });

/** Which of the configured responses apply to this subject. */
function applicable(responses: readonly SecurityResponse[], subject: Subject): SecurityResponse[] {
  return responses.filter((r) =>
    r === 'throttle'
      ? subject.address !== undefined
      : r === 'revoke-device'
        ? subject.deviceId !== undefined
        : subject.operatorId !== undefined,
  );
}

export class Detector {
  readonly #config: DetectionConfig;
  readonly #night: OperatingNight | null;
  readonly #windows: Record<WindowTable, Windows>;
  readonly #cooldowns: Recent<number>;
  readonly #networks: Recent<string[]>;
  readonly #sessions: Recent<[number, string][]>;
  readonly #devices: Recent<[number, number]>;
  readonly #roles: Recent<string>;

  constructor(config: DetectionConfig, night: OperatingNight | null, snapshot?: DetectorSnapshot) {
    this.#config = config;
    this.#night = night;
    const max = config.maxKeys;
    const windows = {} as Record<WindowTable, Windows>;
    for (const table of WINDOW_TABLES) {
      const global = table === 'spread' || table === 'spraying';
      windows[table] = new Windows(
        global ? 1 : max,
        global ? GLOBAL_EVENTS : MAX_EVENTS_PER_KEY,
        snapshot?.windows[table] ?? [],
      );
    }
    this.#windows = windows;
    this.#cooldowns = new Recent(max, snapshot?.cooldowns);
    this.#networks = new Recent(max, snapshot?.networks);
    this.#sessions = new Recent(max, snapshot?.sessions);
    this.#devices = new Recent(max, snapshot?.devices);
    this.#roles = new Recent(max, snapshot?.roles);
  }

  snapshot(): DetectorSnapshot {
    const windows: Record<string, [string, Event[]][]> = {};
    for (const table of WINDOW_TABLES) windows[table] = this.#windows[table].toJSON();
    return {
      version: 1,
      windows,
      cooldowns: this.#cooldowns.toJSON(),
      networks: this.#networks.toJSON(),
      sessions: this.#sessions.toJSON(),
      devices: this.#devices.toJSON(),
      roles: this.#roles.toJSON(),
    };
  }

  /** Keys remembered in all tables (the property tests check the bound). */
  keys(): number {
    let n = this.#cooldowns.size + this.#networks.size + this.#sessions.size + this.#devices.size;
    for (const table of WINDOW_TABLES) n += this.#windows[table].size;
    return n + this.#roles.size;
  }

  /**
   * The alerts one entry raises, given the entries before it. `index` is the entry's place in the
   * journal: an unknown username's attempts are told apart by it.
   */
  observe(entry: JournalEntry, index: number, context: DetectionContext): Alert[] {
    const alerts: Alert[] = [];
    const raise = (
      detection: Detection,
      severity: Alert['severity'],
      subject: Subject,
      windowMs: number,
      times: { firstAt: number; lastAt: number },
      evidence: Record<string, number>,
      responses: readonly SecurityResponse[],
    ) => {
      const subjectKey =
        Object.entries(subject)
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || 'center';
      const key = `${detection}/${subjectKey}`;
      // One alert per subject and window: the next can come only once this one's window has passed.
      if ((this.#cooldowns.get(key) ?? Number.NEGATIVE_INFINITY) > times.lastAt) return;
      this.#cooldowns.set(key, times.lastAt + windowMs);
      alerts.push({
        alertId: `${key}/${Math.floor(times.lastAt / windowMs)}`,
        detection,
        severity,
        subject,
        ...times,
        evidence,
        responses: applicable(responses, subject),
      });
    };
    const c = this.#config;
    const at = entry.at;
    /** credential-stuffing, one address: many accounts, an unknown username counting once each. */
    const stuffing = (address: string, account: string) => {
      const windowMs = c.credentialStuffing.windowMinutes * MINUTE;
      const events = this.#windows.stuffingByAddress.touch(address, at, windowMs, [at, 1, account]);
      const accounts = distinct(events);
      if (accounts >= c.credentialStuffing.accounts)
        raise(
          'credential-stuffing',
          'high',
          { address },
          windowMs,
          span(events, at),
          {
            attempts: events.length,
            accounts,
            unknownAccounts: events.filter((e) => e[2].startsWith('?')).length,
          },
          c.credentialStuffing.responses,
        );
    };
    /** brute-force: one account, many failures (or attempts refused while it waits). */
    const bruteForce = (operatorId: string, address: string) => {
      const windowMs = c.bruteForce.windowMinutes * MINUTE;
      const events = this.#windows.bruteForce.touch(operatorId, at, windowMs, [at, 1, address]);
      if (events.length >= c.bruteForce.failures)
        raise(
          'brute-force',
          'high',
          { operatorId },
          windowMs,
          span(events, at),
          { attempts: events.length, addresses: distinct(events) },
          c.bruteForce.responses,
        );
    };
    switch (entry.type) {
      case 'OPERATOR_CREATED':
        this.#roles.set(entry.operatorId, entry.role);
        break;
      case 'LOGIN_FAILED': {
        const skipped = entry.unjournaledBefore ?? 0;
        const known = entry.operatorId !== null;
        const account = entry.operatorId ?? `?${index}`;
        if (entry.address !== undefined) stuffing(entry.address, account);
        {
          // credential-stuffing, many addresses: mostly unknown usernames, about one try each. The
          // events the security journal left out under a flood count here, where no subject is blamed.
          const windowMs = c.credentialStuffing.spreadWindowMinutes * MINUTE;
          const events = this.#windows.spread.touch('center', at, windowMs, [
            at,
            1 + skipped,
            `${known ? 'k' : 'u'}${entry.address ?? ''}`,
          ]);
          const unknown = weight(events.filter((e) => e[2].startsWith('u')));
          const all = weight(events);
          const addresses = new Set(events.filter((e) => e[2].startsWith('u')).map((e) => e[2])).size;
          if (
            !known &&
            unknown >= c.credentialStuffing.unknownAttempts &&
            addresses >= c.credentialStuffing.addresses &&
            unknown >= c.credentialStuffing.unknownShare * all
          )
            raise(
              'credential-stuffing',
              'high',
              {},
              windowMs,
              span(events, at),
              { attempts: all, unknownAttempts: unknown, addresses },
              [],
            );
        }
        if (known && entry.factor === 'password') {
          // password-spraying: many known accounts, few attempts each.
          const windowMs = c.passwordSpraying.windowMinutes * MINUTE;
          const events = this.#windows.spraying.touch('center', at, windowMs, [at, 1, account]);
          const accounts = distinct(events);
          if (
            accounts >= c.passwordSpraying.accounts &&
            events.length <= c.passwordSpraying.attemptsPerAccount * accounts
          )
            raise(
              'password-spraying',
              'high',
              {},
              windowMs,
              span(events, at),
              { attempts: events.length, accounts },
              c.passwordSpraying.responses,
            );
        }
        if (known && entry.factor !== 'webauthn') {
          bruteForce(account, entry.address ?? '');
          this.#windows.failuresBeforeSuccess.touch(
            account,
            at,
            c.successAfterFailures.windowMinutes * MINUTE,
            [at, 1, entry.address ?? ''],
          );
        }
        if (known && entry.factor === 'totp-replayed') {
          const windowMs = c.totpReused.windowMinutes * MINUTE;
          const events = this.#windows.totpReplays.touch(account, at, windowMs, [at, 1, entry.address ?? '']);
          if (events.length >= c.totpReused.replays)
            raise(
              'totp-reused',
              'high',
              { operatorId: account, ...(entry.address === undefined ? {} : { address: entry.address }) },
              windowMs,
              span(events, at),
              { replays: events.length },
              c.totpReused.responses,
            );
        }
        break;
      }
      case 'LOGIN_THROTTLED':
        // Past the address's own free failures its attempts are refused unread: each still counts,
        // as an account not known (the username is not in the entry).
        if (entry.by === 'address') stuffing(entry.address, `?${index}`);
        // Past the account's free failures its attempts are refused unread too: still brute force.
        else if (entry.operatorId !== null) bruteForce(entry.operatorId, entry.address);
        break;
      case 'LOGIN_SUCCEEDED': {
        const id = entry.operatorId;
        const role = context.roleOf(id) ?? this.#roles.get(id);
        {
          const windowMs = c.successAfterFailures.windowMinutes * MINUTE;
          const failures = this.#windows.failuresBeforeSuccess.touch(id, at, windowMs);
          if (failures.length >= c.successAfterFailures.failures)
            raise(
              'success-after-failures',
              'high',
              { operatorId: id, address: entry.address },
              windowMs,
              span(failures, at),
              { failures: failures.length, addresses: distinct(failures) },
              c.successAfterFailures.responses,
            );
          this.#windows.failuresBeforeSuccess.clear(id);
        }
        // A typo followed by the right password is not an attempt on someone else's account: a
        // shift of operators signing in at once, a few mistyping, is not spraying or stuffing.
        this.#windows.spraying.forget('center', id);
        this.#windows.stuffingByAddress.forget(entry.address, id);
        const night = this.#night;
        if (
          night !== null &&
          role !== undefined &&
          (c.outsideWindow.roles as readonly string[]).includes(role)
        ) {
          const from = night.start - c.outsideWindow.beforeMinutes * MINUTE;
          const to = night.end + c.outsideWindow.afterMinutes * MINUTE;
          if (at < from || at > to)
            raise(
              'outside-window',
              'warning',
              { operatorId: id, address: entry.address },
              60 * MINUTE,
              { firstAt: at, lastAt: at },
              { minutesOutside: Math.round((at < from ? from - at : at - to) / MINUTE) },
              c.outsideWindow.responses,
            );
        }
        const network = networkOf(entry.address);
        if (role !== undefined && (c.newNetworkAdmin.roles as readonly string[]).includes(role)) {
          const seen = this.#networks.get(id);
          if (seen !== undefined && !seen.includes(network))
            raise(
              'new-network-admin',
              'high',
              { operatorId: id, address: entry.address },
              60 * MINUTE,
              { firstAt: at, lastAt: at },
              { knownNetworks: seen.length },
              c.newNetworkAdmin.responses,
            );
          this.#networks.set(id, [...(seen ?? []).filter((n) => n !== network), network].slice(-64));
        }
        {
          const lifetime = c.concurrentSources.sessionMinutes * MINUTE;
          const live = (this.#sessions.get(id) ?? []).filter((s) => s[0] > at - lifetime);
          const others = live.filter((s) => s[1] !== network);
          if (others.length > 0)
            raise(
              'concurrent-sources',
              'high',
              { operatorId: id, address: entry.address },
              lifetime,
              { firstAt: others[0]![0], lastAt: at },
              { networks: new Set([...others.map((s) => s[1]), network]).size },
              c.concurrentSources.responses,
            );
          this.#sessions.set(
            id,
            [...live.filter((s) => s[1] !== network), [at, network] as [number, string]].slice(-16),
          );
        }
        break;
      }
      case 'LOGOUT':
        // The entry does not say which session ended: the operator's other networks are forgotten too.
        this.#sessions.delete(entry.operatorId);
        break;
      case 'PACKAGE_RECEIVED': {
        const windowMs = c.deviceRate.windowMinutes * MINUTE;
        // Counted per minute: a device's packages are not limited by the security journal's budget.
        const minute = Math.floor(at / MINUTE) * MINUTE;
        const events = this.#windows.deviceRate.touch(entry.deviceId, at, windowMs + MINUTE, [
          minute,
          1,
          '#',
        ]);
        const n = weight(events);
        const [since, total] = this.#devices.get(entry.deviceId) ?? [at, 0];
        this.#devices.set(entry.deviceId, [since, total + 1]);
        const elapsed = at - since;
        // Its usual rate per window, from before this window, once there is an hour of it.
        const before = total + 1 - n;
        const usual =
          elapsed >= 60 * MINUTE ? (before * windowMs) / Math.max(windowMs, elapsed - windowMs) : null;
        if (
          n >= c.deviceRate.packages ||
          (usual !== null && n >= c.deviceRate.minimum && n >= c.deviceRate.multiplier * usual)
        )
          raise(
            'device-rate',
            'warning',
            { deviceId: entry.deviceId },
            windowMs,
            span(events, at),
            { packages: n, usualPerWindow: usual === null ? -1 : Math.round(usual) },
            c.deviceRate.responses,
          );
        break;
      }
      case 'PACKAGE_REJECTED': {
        if (entry.reason !== 'out-of-scope') break;
        const windowMs = c.deviceScope.windowMinutes * MINUTE;
        const events = this.#windows.deviceScope.touch(entry.deviceId, at, windowMs, [
          at,
          1,
          entry.claimedKey ?? '',
        ]);
        if (events.length >= c.deviceScope.packages)
          raise(
            'device-scope',
            'high',
            { deviceId: entry.deviceId },
            windowMs,
            span(events, at),
            { packages: events.length, actas: distinct(events) },
            c.deviceScope.responses,
          );
        break;
      }
      case 'DECOY_USED': {
        const subject: Subject = {
          decoyId: entry.decoyId,
          ...(entry.kind === 'operator' ? { operatorId: entry.decoyId } : {}),
          ...(entry.kind === 'device' ? { deviceId: entry.deviceId ?? entry.decoyId } : {}),
          ...(entry.address === undefined ? {} : { address: entry.address }),
        };
        raise(
          'decoy-used',
          'critical',
          subject,
          10 * MINUTE,
          { firstAt: at, lastAt: at },
          { uses: 1 },
          c.decoyUsed.responses,
        );
        break;
      }
      default:
        break;
    }
    return alerts;
  }
}
