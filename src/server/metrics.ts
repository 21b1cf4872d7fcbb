/**
 * What `GET /metrics` tells Prometheus about a center node. Every label value comes from a
 * closed set (refusal codes, acta statuses, gate verdicts and reasons, pool states): no device,
 * operator, acta or host name ever becomes a label, so the series stay few and say nothing a
 * scraper should not know.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CenterNode } from '../center/node.ts';
import type { ActaStatus } from '../domain/acta_lifecycle.ts';
import { QUALITY_REASONS } from '../gate/judge.ts';
import type { CheckpointRow } from '../journal/journal_port.ts';
import type { GateJudgement } from '../intake/intake_service.ts';
import { CUT_BUILDER_LEASE } from '../publish/cut_scheduler.ts';
import type { ServeConfig } from './config.ts';

const ACTA_STATUSES: readonly ActaStatus[] = [
  'received',
  'captured_once',
  'mismatch',
  'verified',
  'sin_acta',
];
const GATE_REASONS: ReadonlySet<string> = new Set(QUALITY_REASONS);

/** Intake's latency, from the request's start to its answer: a receipt's commit is ~10 ms, the gate ~50. */
const INTAKE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The acta counts scan an index of the whole election: one count serves scrapes this close together. */
const COUNT_FRESH_MS = 5_000;
/**
 * The latest checkpoint is read again only this often (one indexed row, but a scrape every few
 * seconds from several Prometheus servers need not reach the database each time). Its age keeps growing in between, so it is never understated, and
 * overstated by at most this much — well under the alert's two minutes.
 */
const CHECKPOINT_FRESH_MS = 30_000;

export class CenterMetrics {
  readonly registry = new Registry();
  readonly #refusalReasons: ReadonlySet<string>;
  readonly #received: Counter<'result'>;
  readonly #refused: Counter<'reason'>;
  readonly #intakeSeconds: Histogram<'outcome'>;
  readonly #gateVerdicts: Counter<'verdict'>;
  readonly #gateReasons: Counter<'verdict' | 'reason'>;
  readonly #actas: Gauge<'status'>;
  readonly #verificationsPending: Gauge;
  readonly #intakeClosed: Gauge;
  readonly #journalEntries: Gauge;
  readonly #checkpointSize: Gauge;
  readonly #checkpointAge: Gauge;
  readonly #cuts: Gauge;
  readonly #cutAge: Gauge;
  readonly #cutFinal: Gauge;
  readonly #leaseHeld: Gauge;
  readonly #leaseLocal: Gauge;
  readonly #leaseChanges: Counter;
  readonly #poolConnections: Gauge<'state'>;
  readonly #poolMax: Gauge;
  readonly #poolWaiting: Gauge;
  readonly #commitBacklog: Gauge;
  readonly #database: Gauge<'kind'>;
  readonly #readErrors: Counter;
  #lastHolder: string | null = null;
  #counted: { at: number; actas: Promise<Readonly<Record<ActaStatus, number>>> } | null = null;
  #checkpoint: { at: number; latest: Promise<CheckpointRow | undefined> } | null = null;

  constructor(options: { readonly refusalReasons: readonly string[]; readonly processMetrics?: boolean }) {
    const registers = [this.registry];
    this.#refusalReasons = new Set(options.refusalReasons);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.#received = new Counter({
      name: 'openprep_intake_packages_received_total',
      help: 'Packages answered with a receipt: accepted (first time) or retry (the same package again, the same receipt).',
      labelNames: ['result'],
      registers,
    });
    this.#refused = new Counter({
      name: 'openprep_intake_packages_refused_total',
      help: 'Packages refused, by reason (the closed set of intake refusal codes, docs/intake.md).',
      labelNames: ['reason'],
      registers,
    });
    this.#intakeSeconds = new Histogram({
      name: 'openprep_intake_duration_seconds',
      help: "Seconds from an intake request's start to its answer, by outcome (accepted or refused).",
      labelNames: ['outcome'],
      buckets: INTAKE_BUCKETS,
      registers,
    });
    this.#gateVerdicts = new Counter({
      name: 'openprep_quality_gate_verdicts_total',
      help: "The image quality gate's verdicts at intake: accept, review, reject.",
      labelNames: ['verdict'],
      registers,
    });
    this.#gateReasons = new Counter({
      name: 'openprep_quality_gate_reasons_total',
      help: "The reasons given with the gate's review and reject verdicts (the gate's closed set of codes).",
      labelNames: ['verdict', 'reason'],
      registers,
    });
    this.#actas = gauge('openprep_actas', 'Actas by status in the whole election (the capture queues).', [
      'status',
    ]);
    this.#verificationsPending = gauge(
      'openprep_verifications_pending',
      'Actas whose two captures differ, waiting for a verificador.',
    );
    this.#intakeClosed = gauge('openprep_intake_closed', '1 once the final cut closed intake, else 0.');
    this.#journalEntries = gauge(
      'openprep_journal_entries',
      "Entries in the journal (its Merkle tree's size).",
    );
    this.#checkpointSize = gauge(
      'openprep_checkpoint_size',
      'The journal size the latest signed checkpoint covers (0: none yet).',
    );
    this.#checkpointAge = gauge(
      'openprep_checkpoint_age_seconds',
      "Seconds since the latest checkpoint was signed, on the node's clock (0: none yet).",
    );
    this.#cuts = gauge('openprep_cuts_published', 'Cuts published so far.');
    this.#cutAge = gauge(
      'openprep_cut_age_seconds',
      "Seconds since the latest published cut's time, on the node's clock (a drill's simulated one); 0 before the first.",
    );
    this.#cutFinal = gauge('openprep_cut_final_published', '1 once the final cut is published, else 0.');
    this.#leaseHeld = gauge(
      'openprep_cut_lease_held',
      'Whether some process holds the cut-builder lease (unexpired) now: 1 or 0.',
    );
    this.#leaseLocal = gauge(
      'openprep_cut_lease_holder_local',
      "1 when the cut-builder lease's holder runs on this node's host: which node builds the cuts, without naming it.",
    );
    this.#leaseChanges = new Counter({
      name: 'openprep_cut_lease_holder_changes_total',
      help: 'Times this node saw the cut-builder lease pass to another holder (counted at each scrape).',
      registers,
    });
    this.#poolConnections = gauge(
      'openprep_db_pool_connections',
      "The database's connections by state (PostgreSQL: the pool; SQLite: its one connection, in use while a batch commits).",
      ['state'],
    );
    this.#poolMax = gauge('openprep_db_pool_max', 'Most connections the pool opens (SQLite: 1).');
    this.#poolWaiting = gauge(
      'openprep_db_pool_waiting',
      'Requests waiting for a database connection (SQLite: writes waiting for the writer).',
    );
    this.#commitBacklog = gauge('openprep_db_commit_backlog', 'Writes queued for the next group commit.');
    this.#database = gauge('openprep_db_info', 'The kind of store: 1 on the label of the one in use.', [
      'kind',
    ]);
    this.#readErrors = new Counter({
      name: 'openprep_metrics_store_errors_total',
      help: 'Scrapes whose reads of the store failed (the figures read from it are then the previous ones).',
      registers,
    });
    // Every series of a closed set exists from the start at 0, so that rate() and increase()
    // see the first refusal, and a dashboard shows 0 rather than nothing.
    for (const result of ['accepted', 'retry']) this.#received.inc({ result }, 0);
    for (const reason of this.#refusalReasons) this.#refused.inc({ reason }, 0);
    for (const verdict of ['accept', 'review', 'reject']) this.#gateVerdicts.inc({ verdict }, 0);
    for (const state of ['in_use', 'idle']) this.#poolConnections.set({ state }, 0);

    function gauge<L extends string = never>(
      name: string,
      help: string,
      labelNames?: readonly L[],
    ): Gauge<L> {
      return new Gauge<L>({ name, help, ...(labelNames === undefined ? {} : { labelNames }), registers });
    }
  }

  /** A package answered with its receipt; `seconds` since its request started. */
  accepted(first: boolean, seconds: number): void {
    this.#received.inc({ result: first ? 'accepted' : 'retry' });
    this.#intakeSeconds.observe({ outcome: 'accepted' }, seconds);
  }

  refused(reason: string, seconds: number): void {
    this.#refused.inc({ reason: this.#refusalReasons.has(reason) ? reason : 'other' });
    this.#intakeSeconds.observe({ outcome: 'refused' }, seconds);
  }

  judged(judgement: GateJudgement): void {
    this.#gateVerdicts.inc({ verdict: judgement.verdict });
    if (judgement.verdict === 'accept') return;
    for (const { code } of judgement.reasons)
      this.#gateReasons.inc({ verdict: judgement.verdict, reason: GATE_REASONS.has(code) ? code : 'other' });
  }

  /** Reads what the store knows now; a failed read is counted and leaves the previous figures. */
  async refresh(node: CenterNode, now: number): Promise<void> {
    const database = node.database();
    for (const kind of ['sqlite', 'postgresql']) this.#database.set({ kind }, kind === database.kind ? 1 : 0);
    this.#poolConnections.set({ state: 'in_use' }, database.pool.inUse);
    this.#poolConnections.set({ state: 'idle' }, database.pool.idle);
    this.#poolMax.set(database.pool.max);
    this.#poolWaiting.set(database.pool.waiting);
    this.#commitBacklog.set(database.backlog);
    try {
      if (this.#counted === null || now - this.#counted.at >= COUNT_FRESH_MS || now < this.#counted.at) {
        const actas = node.devices.actaCounts();
        this.#counted = { at: now, actas };
        actas.catch(() => {
          if (this.#counted?.actas === actas) this.#counted = null;
        });
      }
      if (
        this.#checkpoint === null ||
        now - this.#checkpoint.at >= CHECKPOINT_FRESH_MS ||
        now < this.#checkpoint.at
      ) {
        const latest = node.journal.latestCheckpoint().then((row) => row ?? undefined);
        this.#checkpoint = { at: now, latest };
        latest.catch(() => {
          if (this.#checkpoint?.latest === latest) this.#checkpoint = null;
        });
      }
      const [actas, head, checkpoint, cuts, lease, closed] = await Promise.all([
        this.#counted.actas,
        node.journal.journalHead(),
        this.#checkpoint.latest,
        node.journal.cuts(),
        node.leases.transaction((tx) => tx.getLease(CUT_BUILDER_LEASE)),
        node.pipeline.intakeClosed(),
      ]);
      for (const status of ACTA_STATUSES) this.#actas.set({ status }, actas[status] ?? 0);
      this.#verificationsPending.set(actas.mismatch ?? 0);
      this.#intakeClosed.set(closed ? 1 : 0);
      this.#journalEntries.set(head.size);
      this.#checkpointSize.set(checkpoint?.size ?? 0);
      this.#checkpointAge.set(checkpoint === undefined ? 0 : Math.max(0, (now - checkpoint.signedAt) / 1000));
      const cut = cuts.at(-1);
      this.#cuts.set(cuts.length);
      this.#cutAge.set(cut === undefined ? 0 : Math.max(0, (now - cut.cutTime) / 1000));
      this.#cutFinal.set(cut?.final === true ? 1 : 0);
      const holder = lease !== null && lease.expiresAt > now ? lease.holder : null;
      this.#leaseHeld.set(holder === null ? 0 : 1);
      // The holder is `host:pid:random` (openprep cut --every): compared, never exported.
      this.#leaseLocal.set(holder?.split(':')[0] === hostname() ? 1 : 0);
      if (holder !== null && this.#lastHolder !== null && holder !== this.#lastHolder)
        this.#leaseChanges.inc();
      if (holder !== null) this.#lastHolder = holder;
    } catch {
      this.#readErrors.inc();
    }
  }
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const FORWARDING_HEADERS = ['x-forwarded-for', 'x-forwarded-host', 'forwarded', 'x-real-ip'];

/**
 * Whether a request may read the metrics: the configured bearer token from anywhere, or,
 * when allowed, a request from this machine that came through no proxy. The socket's address
 * is the one checked (never X-Forwarded-For), and a forwarding header disqualifies it: a
 * proxy on this machine makes every public request look local.
 */
export function metricsAllowed(request: FastifyRequest, config: ServeConfig['metrics']): boolean {
  const authorization = request.headers.authorization;
  if (config.token !== undefined && authorization !== undefined) {
    const match = /^Bearer (\S+)$/.exec(authorization);
    // Compared as digests: equal lengths, in constant time.
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(config.token));
  }
  if (!config.loopback) return false;
  if (!LOOPBACK.test(request.raw.socket.remoteAddress ?? '')) return false;
  return FORWARDING_HEADERS.every((name) => request.headers[name] === undefined);
}
