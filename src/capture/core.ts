/**
 * What capture's services share, owned once: the election's lookups (contests, casillas, the
 * columns an acta is captured in), the closed flag and its per-transaction cache, and the one
 * lifecycle step — a command applied to an acta record, stored with its journal entry in the
 * same transaction, refused once intake is closed, the capture queue's hold kept in step — with
 * the claim check that capture and verification both ask. Every fact the services accept goes
 * through `step` (and `lifecycle` around it), so there is one place where a change meets its
 * journal entry. Internal to capture/: callers use the services (submissions.ts,
 * capture_work.ts, verification.ts, publication.ts), composed by pipeline.ts.
 */
import {
  type ActaRecord,
  applyCommand,
  type LifecycleCommand,
  type LifecycleContext,
  type LifecycleError,
  type LifecycleOutcome,
} from '../domain/acta_lifecycle.ts';
import { applicableColumns } from '../domain/actas_esperadas.ts';
import type { Casilla } from '../domain/catalog.ts';
import type { Contest, VoteColumn } from '../domain/election.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { EntryOf, JournalEntry, JournalEntryType } from '../journal/entries.ts';
import type { Commits } from '../platform/group_commit.ts';
import { ActaIndex } from './identify.ts';
import type { ActaRecords, CaptureTx } from './records_port.ts';
import { type CaptureSettings, isIntakeClosed, markIntakeClosed } from './settings.ts';

export type PipelineError =
  | LifecycleError
  | 'unknown-contest'
  | 'bad-image-hash'
  | 'after-close'
  | 'not-expected'
  | 'not-configured'
  | 'already-configured'
  /** Captured or resolved without the server having handed the acta to this person. */
  | 'not-handed-out'
  /** Handed to this person, but the claim ended and someone else holds the acta now. */
  | 'claim-taken'
  /** Not handed to this person, and people hold every place the acta has left. */
  | 'held-by-others'
  /** A person's capture under an id kept for the acta reader (`lector:…`). */
  | 'reserved-operator';

export interface StepResult {
  readonly recordId: string;
  readonly outcome: LifecycleOutcome;
  readonly leafIndex: number | null;
}

/** What a scope check may read (a CATD-scoped operator's actas are those its devices sent). */
export interface ScopeReader {
  getDevice(id: string): Promise<{ readonly origin: string; readonly boundTo: string } | null>;
}

/**
 * The pipeline's transaction view: capture's records and the journal, and the devices a scope
 * check reads. Intake's transaction, which registers a submission with its package, includes it.
 */
export type SubmissionTx = CaptureTx & ScopeReader;

/** How long an acta handed to a capturista stays theirs: time to type it, with margin. */
export const CAPTURE_CLAIM_MS = 10 * 60_000;

type JournaledOutcome = Exclude<LifecycleOutcome, 'unchanged' | 'duplicate'>;

/** The journal entry type of each lifecycle outcome (unchanged and duplicate write none). */
const ENTRY_TYPES = {
  registered: 'SUBMISSION_REGISTERED',
  'additional-image': 'ADDITIONAL_IMAGE_REGISTERED',
  captured: 'CAPTURE_RECORDED',
  verified: 'ACTA_VERIFIED',
  mismatch: 'CAPTURE_MISMATCH',
  resolved: 'MISMATCH_RESOLVED',
  'cotejo-accepted': 'COTEJO_ACCEPTED',
  'cotejo-reopened': 'COTEJO_REOPENED',
  'sin-acta': 'SIN_ACTA_DECLARED',
} as const satisfies Readonly<Record<JournaledOutcome, JournalEntryType>>;

/** The fields a lifecycle command adds to its entry (the outcome decides the entry's type). */
export type LifecyclePayload =
  | Pick<EntryOf<'SUBMISSION_REGISTERED'>, 'inCatalog' | 'claimedKey' | 'submission'>
  | Pick<EntryOf<'CAPTURE_RECORDED'>, 'operatorId' | 'captured' | 'modelHash'>
  | Pick<EntryOf<'MISMATCH_RESOLVED'>, 'verifierId'>
  | Pick<EntryOf<'COTEJO_ACCEPTED'>, 'reviewerId' | 'reason'>
  | Pick<EntryOf<'SIN_ACTA_DECLARED'>, 'reason' | 'operatorId'>;

/**
 * The entry of one lifecycle step. Each command has one payload and its own outcomes, so a
 * payload that does not go with the outcome is a bug in capture's services.
 */
function lifecycleEntry(
  outcome: JournaledOutcome,
  base: { readonly at: number; readonly recordId: string; readonly contest: string },
  journal: LifecyclePayload,
  published: ActaRecord['published'],
): JournalEntry {
  const bug = () => new Error(`a ${outcome} step was given the journal fields of another command`);
  switch (outcome) {
    case 'registered':
    case 'additional-image':
      if (!('submission' in journal)) throw bug();
      return { type: ENTRY_TYPES[outcome], ...base, ...journal };
    case 'captured':
    case 'mismatch':
      if (!('captured' in journal)) throw bug();
      return { type: ENTRY_TYPES[outcome], ...base, ...journal };
    case 'verified':
      if (!('captured' in journal) || published === null) throw bug();
      return {
        type: 'ACTA_VERIFIED',
        ...base,
        ...journal,
        classification: published.classification,
        fields: published.fields,
      };
    case 'resolved':
      if (!('verifierId' in journal) || published === null) throw bug();
      return {
        type: 'MISMATCH_RESOLVED',
        ...base,
        ...journal,
        classification: published.classification,
        fields: published.fields,
      };
    case 'cotejo-accepted':
    case 'cotejo-reopened':
      if (!('reviewerId' in journal)) throw bug();
      return { type: ENTRY_TYPES[outcome], ...base, ...journal };
    case 'sin-acta':
      if ('reviewerId' in journal || !('reason' in journal)) throw bug();
      return { type: 'SIN_ACTA_DECLARED', ...base, ...journal };
  }
}

/** The shared core of capture's services (one per node; see the file's comment). */
export class CaptureCore {
  readonly records: ActaRecords;
  /** Every write of capture's services, and intake's, goes through the wiring's group commit: many share one commit. */
  readonly commits: Commits<SubmissionTx>;
  readonly settings: CaptureSettings;
  readonly clock: () => number;
  /**
   * The clock claims and holds are timed on: the time a person has to type an acta. The node's
   * clock, except where that runs faster than the wall clock (the demo's night).
   */
  readonly claimClock: () => number;
  readonly index: ActaIndex;
  readonly contests: ReadonlyMap<string, Contest>;
  readonly #casillas: ReadonlyMap<string, Casilla>;
  /** When the PREP closes: actas whose acopio is later are not published. */
  readonly closesAt: number;
  /** Once seen closed, always closed: the store is not asked again. */
  #closed = false;
  /**
   * Transactions already seen open. Write transactions are serialised, so none can close
   * under another (closeIntake removes its own): one read per group commit, not per acta.
   */
  readonly #openIn = new WeakSet<object>();

  constructor(options: {
    readonly records: ActaRecords;
    readonly commits: Commits<SubmissionTx>;
    readonly settings: CaptureSettings;
    readonly clock: () => number;
    readonly claimClock?: () => number;
  }) {
    const { election, catalog } = options.settings;
    this.records = options.records;
    this.commits = options.commits;
    this.settings = options.settings;
    this.clock = options.clock;
    this.claimClock = options.claimClock ?? options.clock;
    this.index = new ActaIndex(catalog, election);
    this.#casillas = new Map(catalog.casillas.map((c) => [c.key, c]));
    this.contests = new Map(election.contests.map((c) => [c.id, c]));
    this.closesAt = Date.parse(election.publicationStart) + election.publicationHours * 3_600_000;
  }

  /**
   * Closes the PREP ahead of the final cut, journaled once (INTAKE_CLOSED). Write transactions
   * are serialised (both stores), so every one that commits after this sees it, and every one
   * before is in the snapshot the final cut takes next.
   */
  async closeIntake(at: number, reason: string): Promise<void> {
    await this.commits.run(async (tx) => {
      this.#openIn.delete(tx);
      if (await isIntakeClosed(tx)) return;
      await markIntakeClosed(tx, at, reason);
      await tx.appendJournal({ type: 'INTAKE_CLOSED', at, reason });
    });
    this.#closed = true;
  }

  async intakeClosed(): Promise<boolean> {
    if (!this.#closed) this.#closed = await isIntakeClosed(this.records);
    return this.#closed;
  }

  /** What this process knows without asking the store: a hint (the transactions decide). */
  get knownClosed(): boolean {
    return this.#closed;
  }

  /** Whether intake is closed, as this transaction sees it (one read per group commit). */
  async closedIn(tx: SubmissionTx): Promise<boolean> {
    if (this.#closed) return true;
    if (this.#openIn.has(tx)) return false;
    this.#closed = await isIntakeClosed(tx);
    if (!this.#closed) this.#openIn.add(tx);
    return this.#closed;
  }

  casillaOf(key: string | null): Casilla | null {
    return key === null ? null : (this.#casillas.get(key) ?? null);
  }

  context(contest: Contest, casillaKey: string | null): LifecycleContext {
    const casilla = this.casillaOf(casillaKey);
    return {
      contest,
      casilla,
      columns: casilla === null ? contest.columns : applicableColumns(contest, casilla),
    };
  }

  /** The columns an acta is captured in (its casilla's coalitions apply). */
  columnsOf(record: ActaRecord): readonly VoteColumn[] {
    const contest = this.contests.get(record.contest);
    return contest === undefined ? [] : this.context(contest, record.casillaKey).columns;
  }

  /** One lifecycle step in the caller's transaction: the record and its journal entry, or nothing. */
  async step(
    tx: SubmissionTx,
    record: ActaRecord | undefined,
    command: LifecycleCommand,
    contest: Contest,
    casillaKey: string | null,
    journal: LifecyclePayload,
  ): Promise<Result<StepResult & { record: ActaRecord }, LifecycleError | 'after-close'>> {
    const context = this.context(contest, casillaKey);
    const transition = applyCommand(record, command, context);
    if (!transition.ok) return transition;
    const { outcome, record: next } = transition.value;
    if (outcome === 'unchanged' || outcome === 'duplicate')
      return ok({ recordId: next.recordId, outcome, leafIndex: null, record: next });
    if (await this.closedIn(tx))
      return err(
        'after-close',
        'the final cut is published: the PREP is closed and its results no longer change',
      );
    await tx.putActa(next, next.submission?.acopioAt ?? null);
    const leafIndex = await tx.appendJournal(
      lifecycleEntry(
        outcome,
        { at: this.clock(), recordId: next.recordId, contest: next.contest },
        journal,
        next.published,
      ),
    );
    return ok({ recordId: next.recordId, outcome, leafIndex, record: next });
  }

  /**
   * A step on an acta already received, in its own batch of the group commit: `allowed` may
   * refuse it first, `after` runs once it is stored, and the capture queue's hold follows.
   */
  lifecycle<E extends string = PipelineError>(
    recordId: string,
    make: (record: ActaRecord) => LifecycleCommand,
    journal: LifecyclePayload | ((record: ActaRecord) => LifecyclePayload),
    after?: (tx: SubmissionTx) => Promise<void>,
    allowed?: (tx: SubmissionTx, record: ActaRecord) => Promise<Result<void, E>>,
  ): Promise<Result<StepResult, PipelineError | E>> {
    return this.commits.run(async (tx) => {
      const record = await tx.getActa(recordId);
      if (record === null) return err('unknown-acta' as const, `no acta ${recordId} has been received`);
      if (allowed !== undefined) {
        const check = await allowed(tx, record);
        if (!check.ok) return check;
      }
      const contest = this.contests.get(record.contest)!;
      const payload = typeof journal === 'function' ? journal(record) : journal;
      const step = await this.step(tx, record, make(record), contest, record.casillaKey, payload);
      if (!step.ok) return step;
      await after?.(tx);
      if (step.value.outcome !== 'unchanged' && step.value.outcome !== 'duplicate')
        await this.#refreshHold(tx, step.value.record);
      return ok({
        recordId: step.value.recordId,
        outcome: step.value.outcome,
        leafIndex: step.value.leafIndex,
      });
    });
  }

  /**
   * After a capture (or any step) of an acta: back in the queue if it now needs more
   * capturistas than hold it, out of it while enough do.
   */
  async #refreshHold(tx: SubmissionTx, record: ActaRecord): Promise<void> {
    const recordId = record.recordId;
    const needed =
      record.status === 'received' || record.status === 'captured_once' ? 2 - record.captures.length : 0;
    if (needed <= 0) return;
    const now = this.claimClock();
    const holders = (await tx.captureClaims([recordId], now)).get(recordId) ?? [];
    await tx.setCaptureHold(recordId, holders.length >= needed ? now + CAPTURE_CLAIM_MS : 0);
  }

  /**
   * Whether the acta was handed to `operatorId` under `claimId`: a live claim, or one that ended
   * while the person was still typing and that nobody took since (fewer others hold it than the
   * `places` it has). Without this, two people agreeing on values for an acta they picked
   * themselves would verify it with no verifier involved.
   */
  async handedOut(
    tx: SubmissionTx,
    claimId: string,
    operatorId: string,
    places: number,
  ): Promise<Result<void, PipelineError>> {
    const live = (await tx.captureClaims([claimId], this.claimClock())).get(claimId) ?? [];
    if (live.includes(operatorId)) return ok(undefined);
    // A claim is deleted only once its work is in: an ended one is still there, expired.
    const ever = (await tx.captureClaims([claimId], Number.MIN_SAFE_INTEGER)).get(claimId) ?? [];
    if (!ever.includes(operatorId))
      return err('not-handed-out', 'this acta was not handed to you: ask for the next one');
    if (live.length >= places)
      return err(
        'claim-taken',
        'your time for this acta ended and it was handed to someone else; nothing was recorded',
      );
    return ok(undefined);
  }

  /**
   * Whether someone the acta was not handed to may still take one of its `places`: refused
   * while others hold a live claim on every one of them. For callers that hand out work
   * themselves (the demo's simulated capturistas), so that they never take an acta from the
   * person it was handed to.
   */
  async unheld(
    tx: SubmissionTx,
    claimId: string,
    operatorId: string,
    places: number,
  ): Promise<Result<void, PipelineError>> {
    const live = (await tx.captureClaims([claimId], this.claimClock())).get(claimId) ?? [];
    const others = live.filter((holder) => holder !== operatorId);
    if (others.length >= places)
      return err('held-by-others', 'people hold every place this acta has left: it is theirs to type');
    return ok(undefined);
  }
}
