/**
 * The security monitor: tails the journal every node writes to (through the store), runs the
 * detections over each new entry, and keeps each new alert once — the alert row, its
 * SECURITY_ALERT entry, the responses configured for its detection, and the monitor's journal
 * position and detection state, all in one transaction. One node at a time runs it, under the
 * `security-monitor` lease (as the cut builder); the transaction checks the lease is still ours,
 * so a node that lost it while reading writes nothing, and whoever takes over resumes from the
 * position and state the last holder saved (every few seconds, and with every alert): what it
 * reads again raises nothing twice, since an alert's id is a function of the entries.
 */
import type { AccountsTx } from '../auth/operators_port.ts';
import { readEntry } from '../journal/entries.ts';
import type { EntryOf } from '../journal/entry_types.ts';
import type { Transactional } from '../platform/group_commit.ts';
import type { SecurityTx } from './alerts_port.ts';
import type { DetectionConfig } from './detection_config.ts';
import { type Alert, Detector, type DetectorSnapshot, type OperatingNight } from './detections.ts';

export const SECURITY_MONITOR_LEASE = 'security-monitor';

/** The lease rows the cut builder's lease port keeps too (src/publish/lease_port.ts). */
interface MonitorLeaseTx {
  getLease(name: string): Promise<{ readonly holder: string; readonly expiresAt: number } | null>;
  putLease(lease: {
    readonly name: string;
    readonly holder: string;
    readonly expiresAt: number;
  }): Promise<void>;
}

/** What the monitor writes in one transaction: alerts, responses, the journal, its lease and state. */
export type MonitorTx = SecurityTx & AccountsTx & MonitorLeaseTx;

/** What the monitor needs of the store. */
export interface MonitorStore extends Transactional<MonitorTx> {
  journalHead(): Promise<{ readonly size: number }>;
  journalEntries(start: number, end: number): Promise<Buffer[]>;
  operators(): Promise<readonly { readonly id: string; readonly role: string }[]>;
}

export type SecurityAlertEntry = EntryOf<'SECURITY_ALERT'>;

export type MonitorEvent =
  | { readonly kind: 'leading' }
  | { readonly kind: 'standing-by' }
  | { readonly kind: 'alerted'; readonly alerts: readonly SecurityAlertEntry[] }
  | { readonly kind: 'failed'; readonly message: string };

/** The position and detection state the monitor keeps in the store. */
interface MonitorState {
  readonly position: number;
  readonly detector: DetectorSnapshot;
}

/** How often the holder saves its position and state when no alert made it save sooner. */
const SAVE_EVERY_MS = 10_000;
/** Entries read per poll at most, so a long journal (a first run, a long pause) is read in steps. */
const BATCH = 5_000;

/**
 * The monitor's one step: takes or renews the lease, reads what the journal grew by, and
 * commits. Exposed for tests and the bench; `runSecurityMonitor` calls it every poll.
 */
export class SecurityMonitor {
  readonly #store: MonitorStore;
  readonly #config: DetectionConfig;
  readonly #night: OperatingNight | null;
  readonly #holder: string;
  readonly #clock: () => number;
  readonly #leaseMs: number;
  /** Each new alert, once committed (the alert sinks: webhook, syslog). */
  readonly #listeners: ((alert: SecurityAlertEntry) => void)[] = [];
  #roles = new Map<string, string>();
  #rolesReadAt = Number.NEGATIVE_INFINITY;
  #leading = false;
  /** Where this holder has read to, and its detections' state, ahead of what it last saved. */
  #cache: { position: number; detector: Detector } | null = null;
  #savedAt = Number.NEGATIVE_INFINITY;

  constructor(options: {
    readonly store: MonitorStore;
    readonly config: DetectionConfig;
    readonly night: OperatingNight | null;
    readonly holder: string;
    readonly clock: () => number;
    readonly leaseMs?: number;
  }) {
    this.#store = options.store;
    this.#config = options.config;
    this.#night = options.night;
    this.#holder = options.holder;
    this.#clock = options.clock;
    this.#leaseMs = options.leaseMs ?? 15_000;
  }

  /** Hands each new alert to `listener` after it committed (never twice for one alertId). */
  onAlert(listener: (alert: SecurityAlertEntry) => void): void {
    this.#listeners.push(listener);
  }

  get leading(): boolean {
    return this.#leading;
  }

  async #lease(tx: MonitorLeaseTx, now: number): Promise<boolean> {
    const current = await tx.getLease(SECURITY_MONITOR_LEASE);
    if (current !== null && current.holder !== this.#holder && current.expiresAt > now) return false;
    // Ours for a while yet: no write (a poll every second would otherwise commit every second).
    if (current?.holder === this.#holder && current.expiresAt - now > this.#leaseMs / 2) return true;
    await tx.putLease({ name: SECURITY_MONITOR_LEASE, holder: this.#holder, expiresAt: now + this.#leaseMs });
    return true;
  }

  async #roleMap(): Promise<Map<string, string>> {
    const now = this.#clock();
    if (now - this.#rolesReadAt >= 5_000) {
      this.#roles = new Map((await this.#store.operators()).map((o) => [o.id, o.role]));
      this.#rolesReadAt = now;
    }
    return this.#roles;
  }

  /** One poll: the alerts it committed (none when another node holds the lease). */
  async poll(): Promise<{ readonly leading: boolean; readonly alerts: readonly SecurityAlertEntry[] }> {
    const { leading, start } = await this.#store.transaction(async (tx) => {
      if (!(await this.#lease(tx, this.#clock()))) return { leading: false, start: null };
      if (this.#cache !== null) return { leading: true, start: null };
      const kept = await tx.getSecurityMonitor();
      return { leading: true, start: kept === null ? null : (JSON.parse(kept) as MonitorState) };
    });
    this.#leading = leading;
    if (!leading) {
      // Whoever holds it now moves the stored state on: taken back later, that is where to resume.
      this.#cache = null;
      return { leading: false, alerts: [] };
    }
    this.#cache ??= {
      position: start?.position ?? 0,
      detector: new Detector(this.#config, this.#night, start?.detector),
    };
    const { position, detector } = this.#cache;
    const head = (await this.#store.journalHead()).size;
    const end = Math.min(head, position + BATCH);
    const now = this.#clock();
    const save = now - this.#savedAt >= SAVE_EVERY_MS;
    if (end <= position && !save) return { leading: true, alerts: [] };
    const roles = await this.#roleMap();
    const context = { roleOf: (id: string) => roles.get(id) };
    const raised: Alert[] = [];
    const raw = await this.#store.journalEntries(position, end);
    raw.forEach((bytes, i) => {
      const entry = readEntry(bytes);
      // An entry this code cannot read is the journal's business (the verifier's), not a detection's.
      if (entry.ok) raised.push(...detector.observe(entry.value, position + i, context));
    });
    this.#cache = { position: end, detector };
    const committed = await this.#store.transaction(async (tx) => {
      // Another node took the lease while this one read: it goes on from the state last saved.
      const lease = await tx.getLease(SECURITY_MONITOR_LEASE);
      if (lease?.holder !== this.#holder) return null;
      const fresh: SecurityAlertEntry[] = [];
      for (const alert of raised) {
        if (!(await tx.insertSecurityAlert({ ...alert, raisedAt: now }))) continue;
        const entry: SecurityAlertEntry = { type: 'SECURITY_ALERT', at: now, ...alert };
        await tx.appendJournal(entry);
        await respond(tx, alert, now, this.#config.throttleMinutes * 60_000);
        fresh.push(entry);
      }
      // The state is saved every few seconds, not every poll (it is up to a few megabytes): a
      // successor reads again what came after it, and raises nothing twice (the alertIds are the same).
      if (save || fresh.length > 0) {
        const state: MonitorState = { position: end, detector: detector.snapshot() };
        await tx.putSecurityMonitor(JSON.stringify(state));
      }
      return fresh;
    });
    if (committed === null) {
      this.#cache = null;
      this.#leading = false;
      return { leading: false, alerts: [] };
    }
    if (save || committed.length > 0) this.#savedAt = now;
    for (const alert of committed)
      for (const listener of this.#listeners) {
        try {
          listener(alert);
        } catch {
          // A sink's fault is the sink's: the alert is kept and journaled already.
        }
      }
    return { leading: true, alerts: committed };
  }

  /** Gives the lease back (if still ours), so another node takes over without waiting. */
  async release(): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const lease = await tx.getLease(SECURITY_MONITOR_LEASE);
      if (lease?.holder === this.#holder)
        await tx.putLease({ name: SECURITY_MONITOR_LEASE, holder: this.#holder, expiresAt: 0 });
    });
  }
}

/** The responses the alert carries, in the transaction that keeps it. */
async function respond(tx: MonitorTx, alert: Alert, now: number, throttleMs: number): Promise<void> {
  const { operatorId, deviceId, address } = alert.subject;
  for (const response of alert.responses) {
    if (response === 'step-up' && operatorId !== undefined) await tx.requireStepUp(operatorId);
    else if (response === 'revoke-sessions' && operatorId !== undefined)
      await tx.revokeSessions([operatorId], now);
    else if (response === 'throttle' && address !== undefined)
      await tx.blockAddress({ address, until: now + throttleMs, alertId: alert.alertId });
    else if (response === 'revoke-device' && deviceId !== undefined) {
      const device = await tx.getDevice(deviceId);
      if (device !== null && device.revokedAt === null) {
        await tx.putDevice({ ...device, revokedAt: now });
        await tx.appendJournal({
          type: 'DEVICE_REVOKED',
          at: now,
          deviceId,
          reason: `security alert ${alert.alertId}`,
        });
      }
    }
  }
}

/** Runs the monitor every `pollMs` until `signal` aborts, then gives the lease back. */
export async function runSecurityMonitor(options: {
  readonly monitor: SecurityMonitor;
  readonly pollMs: number;
  readonly signal: AbortSignal;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly onEvent?: (event: MonitorEvent) => void;
}): Promise<void> {
  let leading: boolean | null = null;
  try {
    while (!options.signal.aborted) {
      try {
        const step = await options.monitor.poll();
        if (step.leading !== leading) {
          leading = step.leading;
          options.onEvent?.({ kind: leading ? 'leading' : 'standing-by' });
        }
        if (step.alerts.length > 0) options.onEvent?.({ kind: 'alerted', alerts: step.alerts });
      } catch (error) {
        // A store fault now is retried at the next poll; the position is only moved by a commit.
        options.onEvent?.({ kind: 'failed', message: (error as Error).message });
      }
      await options.sleep(options.pollMs, options.signal);
    }
  } finally {
    if (leading === true) await options.monitor.release().catch(() => undefined);
  }
}
