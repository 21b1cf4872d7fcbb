/**
 * The acta pipeline as an in-process service over the store: acopio (register a submission),
 * two blind captures, the verifier on mismatch, cotejo, sin acta. Each accepted fact is one
 * store transaction holding both the state change and its journal entry. Repeating a command
 * changes nothing and writes nothing.
 */
import { parseCatalogCsv } from '../catalog/csv_import.ts';
import type {
  Digitization,
  DocumentType,
  Origin,
  PublishedActa,
  SinActaReason,
  Submission,
  TransferMechanism,
} from '../domain/acta.ts';
import {
  type ActaRecord,
  applyCommand,
  type LifecycleCommand,
  type LifecycleContext,
  type LifecycleError,
  type LifecycleOutcome,
  publishedActaOf,
} from '../domain/acta_lifecycle.ts';
import { applicableColumns } from '../domain/actas_esperadas.ts';
import type { Casilla, Catalog } from '../domain/catalog.ts';
import type { Contest, ElectionDefinition, VoteColumn } from '../domain/election.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { EntryOf, JournalEntry, JournalEntryType } from '../journal/entries.ts';
import type { ActaFields } from '../domain/values.ts';
import { ActaIndex, type Identified } from './identify.ts';
import { parseElectionDefinition, serializeElectionDefinition } from '../domain/election_definition.ts';
import type { Commits } from '../platform/group_commit.ts';
import type { JournalHead } from '../journal/journal_port.ts';
import type { ActaRecords, ActaRecordsTx, CaptureTx, QueuePosition } from './records_port.ts';
import { catalogToCsv, catalogSha256 } from '../catalog/csv_import.ts';
import { createHash } from 'node:crypto';

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
  | 'claim-taken';

export interface SubmissionInput {
  readonly contest: string;
  readonly claimedKey: string;
  readonly imageSha256: string;
  readonly origin: Origin;
  readonly digitization: Digitization;
  readonly documentType: DocumentType;
  readonly transfer: TransferMechanism;
  readonly acopioAt: number;
  readonly source: string;
}

export interface SubmissionResult {
  readonly recordId: string;
  readonly actaKey: string | null;
  readonly inCatalog: boolean;
  readonly outcome: 'registered' | 'duplicate' | 'additional-image' | 'conflict-flagged';
  readonly leafIndex: number | null;
}

export interface CaptureTaskView {
  readonly recordId: string;
  readonly contest: string;
  readonly actaKey: string | null;
  readonly imageSha256: string | null;
  /** The boxes to type, in the acta's own order. Never the other capture: capture is blind. */
  readonly columns: readonly VoteColumn[];
}

export interface StepResult {
  readonly recordId: string;
  readonly outcome: LifecycleOutcome;
  readonly leafIndex: number | null;
}

const META_ELECTION = 'election_definition';
const META_CATALOG = 'catalog_csv';
/**
 * Set once, before the final cut's snapshot, and never cleared: from then on nothing may change
 * a result (the final cut publishes them). In the store, not in a process, so that every node
 * on the election refuses alike.
 */
const META_INTAKE_CLOSED = 'intake_closed';

/** Whether the PREP is closed (the final cut is being or has been published). */
export async function isIntakeClosed(reader: {
  getMeta(key: string): Promise<string | null>;
}): Promise<boolean> {
  return (await reader.getMeta(META_INTAKE_CLOSED)) !== null;
}
const HEX64 = /^[0-9a-f]{64}$/;

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
type LifecyclePayload =
  | Pick<EntryOf<'SUBMISSION_REGISTERED'>, 'inCatalog' | 'claimedKey' | 'submission'>
  | Pick<EntryOf<'CAPTURE_RECORDED'>, 'operatorId' | 'captured'>
  | Pick<EntryOf<'MISMATCH_RESOLVED'>, 'verifierId'>
  | Pick<EntryOf<'COTEJO_ACCEPTED'>, 'reviewerId' | 'reason'>
  | Pick<EntryOf<'SIN_ACTA_DECLARED'>, 'reason' | 'operatorId'>;

/**
 * The entry of one lifecycle step. Each command has one payload and its own outcomes, so a
 * payload that does not go with the outcome is a bug in this file.
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

/** How long an acta handed to a capturista stays theirs: time to type it, with margin. */
export const CAPTURE_CLAIM_MS = 10 * 60_000;
/** Actas in scope looked at per request, oldest first. */
const CANDIDATES = 200;
/** Rows of the capture queue read at a time, and pages looked through at most per request. */
const QUEUE_PAGE = 8;
const QUEUE_PAGES = 160;

/** What a scope check may read (a CATD-scoped operator's actas are those its devices sent). */
export interface ScopeReader {
  getDevice(id: string): Promise<{ readonly origin: string; readonly boundTo: string } | null>;
}

/**
 * The pipeline's transaction view: capture's records and the journal, and the devices a scope
 * check reads. Intake's transaction, which registers a submission with its package, includes it.
 */
export type SubmissionTx = CaptureTx & ScopeReader;

/** What a scope check of an image reads, in a batch of the shared commit. */
export type ImageScopeReader = Pick<ActaRecordsTx, 'imagesBySha' | 'claimsOf' | 'getActa'> & ScopeReader;
/** A verifier's claim lives beside the capturistas' under its own name. */
const verificationClaim = (recordId: string) => `verify:${recordId}`;

/** Capture's service; it is also what the publisher snapshots (publish/snapshot_port.ts, checked where the node wires it). */
export class ActaPipeline {
  readonly #records: ActaRecords;
  /** Every write of this pipeline, and intake's, goes through the wiring's group commit: many share one commit. */
  readonly #commits: Commits<SubmissionTx>;
  readonly election: ElectionDefinition;
  readonly catalog: Catalog;
  readonly catalogCsv: string;
  readonly #clock: () => number;
  readonly #index: ActaIndex;
  readonly #casillas: ReadonlyMap<string, Casilla>;
  readonly #contests: ReadonlyMap<string, Contest>;
  readonly #closesAt: number;
  /** Once seen closed, always closed: the store is not asked again. */
  #closed = false;
  /**
   * Transactions already seen open. Write transactions are serialised, so none can close
   * under another (closeIntake removes its own): one read per group commit, not per acta.
   */
  readonly #openIn = new WeakSet<object>();

  private constructor(options: {
    records: ActaRecords;
    commits: Commits<SubmissionTx>;
    election: ElectionDefinition;
    catalog: Catalog;
    catalogCsv: string;
    clock: () => number;
  }) {
    this.#records = options.records;
    this.#commits = options.commits;
    this.election = options.election;
    this.catalog = options.catalog;
    this.catalogCsv = options.catalogCsv;
    this.#clock = options.clock;
    this.#index = new ActaIndex(options.catalog, options.election);
    this.#casillas = new Map(options.catalog.casillas.map((c) => [c.key, c]));
    this.#contests = new Map(options.election.contests.map((c) => [c.id, c]));
    this.#closesAt =
      Date.parse(options.election.publicationStart) + options.election.publicationHours * 3_600_000;
  }

  /** Stores the election definition and catalog in a new store and journals both (the first entries). */
  static async setup(options: {
    readonly records: ActaRecords;
    readonly commits: Commits<SubmissionTx>;
    readonly election: ElectionDefinition;
    readonly catalog: Catalog;
    readonly clock: () => number;
  }): Promise<Result<ActaPipeline, 'already-configured'>> {
    const catalogCsv = catalogToCsv(options.catalog);
    const electionJson = serializeElectionDefinition(options.election);
    const configured = await options.commits.run(async (tx) => {
      if ((await tx.getMeta(META_ELECTION)) !== null) return false;
      await tx.setMeta(META_ELECTION, electionJson);
      await tx.setMeta(META_CATALOG, catalogCsv);
      const at = options.clock();
      await tx.appendJournal({
        type: 'ELECTION_CONFIGURED',
        at,
        electionId: options.election.id,
        mode: options.election.mode,
        definitionSha256: createHash('sha256').update(electionJson).digest('hex'),
      });
      await tx.appendJournal({
        type: 'CATALOG_IMPORTED',
        at,
        catalogSha256: catalogSha256(options.catalog),
        entidades: options.catalog.entidades.length,
        distritos: options.catalog.distritos.length,
        casillas: options.catalog.casillas.length,
      });
      return true;
    });
    if (!configured)
      return err('already-configured', 'this store already holds an election; use a new data folder');
    return ok(
      new ActaPipeline({
        records: options.records,
        commits: options.commits,
        election: options.election,
        catalog: options.catalog,
        catalogCsv,
        clock: options.clock,
      }),
    );
  }

  /** Opens the pipeline of a configured store. */
  static async open(options: {
    readonly records: ActaRecords;
    readonly commits: Commits<SubmissionTx>;
    readonly clock: () => number;
  }): Promise<Result<ActaPipeline, 'not-configured'>> {
    const electionJson = await options.records.getMeta(META_ELECTION);
    const catalogCsv = await options.records.getMeta(META_CATALOG);
    if (electionJson === null || catalogCsv === null)
      return err('not-configured', 'the store holds no election yet: run `openprep init` first');
    const catalog = await parseCatalogCsv(Buffer.from(catalogCsv));
    if (!catalog.ok) throw new Error(`stored catalog no longer parses: ${catalog.message}`);
    const election = parseElectionDefinition(JSON.parse(electionJson), { catalog: catalog.value });
    if (!election.ok) throw new Error(`stored election definition no longer parses: ${election.message}`);
    return ok(
      new ActaPipeline({
        records: options.records,
        commits: options.commits,
        election: election.value,
        catalog: catalog.value,
        catalogCsv,
        clock: options.clock,
      }),
    );
  }

  get closesAt(): number {
    return this.#closesAt;
  }

  /**
   * Closes the PREP ahead of the final cut, journaled once (INTAKE_CLOSED). Write transactions
   * are serialised (both stores), so every one that commits after this sees it, and every one
   * before is in the snapshot the final cut takes next.
   */
  async closeIntake(at: number, reason: string): Promise<void> {
    await this.#commits.run(async (tx) => {
      this.#openIn.delete(tx);
      if (await isIntakeClosed(tx)) return;
      await tx.setMeta(META_INTAKE_CLOSED, JSON.stringify({ at, reason }));
      await tx.appendJournal({ type: 'INTAKE_CLOSED', at, reason });
    });
    this.#closed = true;
  }

  async intakeClosed(): Promise<boolean> {
    if (!this.#closed) this.#closed = await isIntakeClosed(this.#records);
    return this.#closed;
  }

  /** What this process knows without asking the store: a hint (the transactions decide). */
  get knownClosed(): boolean {
    return this.#closed;
  }

  async #closedIn(tx: SubmissionTx): Promise<boolean> {
    if (this.#closed) return true;
    if (this.#openIn.has(tx)) return false;
    this.#closed = await isIntakeClosed(tx);
    if (!this.#closed) this.#openIn.add(tx);
    return this.#closed;
  }

  #context(contest: Contest, casillaKey: string | null): LifecycleContext {
    const casilla = casillaKey === null ? null : (this.#casillas.get(casillaKey) ?? null);
    return {
      contest,
      casilla,
      columns: casilla === null ? contest.columns : applicableColumns(contest, casilla),
    };
  }

  async #step(
    tx: SubmissionTx,
    record: ActaRecord | undefined,
    command: LifecycleCommand,
    contest: Contest,
    casillaKey: string | null,
    journal: LifecyclePayload,
  ): Promise<Result<StepResult & { record: ActaRecord }, LifecycleError | 'after-close'>> {
    const context = this.#context(contest, casillaKey);
    const transition = applyCommand(record, command, context);
    if (!transition.ok) return transition;
    const { outcome, record: next } = transition.value;
    if (outcome === 'unchanged' || outcome === 'duplicate')
      return ok({ recordId: next.recordId, outcome, leafIndex: null, record: next });
    if (await this.#closedIn(tx))
      return err(
        'after-close',
        'the final cut is published: the PREP is closed and its results no longer change',
      );
    await tx.putActa(next, next.submission?.acopioAt ?? null);
    const leafIndex = await tx.appendJournal(
      lifecycleEntry(
        outcome,
        { at: this.#clock(), recordId: next.recordId, contest: next.contest },
        journal,
        next.published,
      ),
    );
    return ok({ recordId: next.recordId, outcome, leafIndex, record: next });
  }

  /** Which acta esperada a claimed key names in a contest, or fuera de catálogo (intake's scope check). */
  identify(contest: string, claimedKey: string): Identified {
    return this.#index.identify(contest, claimedKey);
  }

  registerSubmission(input: SubmissionInput): Promise<Result<SubmissionResult, PipelineError>> {
    return this.#commits.run((tx) => this.registerSubmissionIn(tx, input));
  }

  /** registerSubmission inside a transaction the caller holds (intake adds its package record to it). */
  async registerSubmissionIn(
    tx: SubmissionTx,
    input: SubmissionInput,
  ): Promise<Result<SubmissionResult, PipelineError>> {
    const contest = this.#contests.get(input.contest);
    if (contest === undefined) return err('unknown-contest', `unknown election ${input.contest}`);
    if (!HEX64.test(input.imageSha256))
      return err('bad-image-hash', 'the image SHA-256 must be 64 lowercase hex digits');
    if (input.acopioAt > this.#closesAt)
      return err('after-close', 'the PREP has closed: actas arriving after the close are not published');
    if (await this.#closedIn(tx))
      return err('after-close', 'the final cut is published: the PREP is closed and takes no more actas');
    const identified = this.#index.identify(input.contest, input.claimedKey);
    const esperada = identified.esperada;
    const submission: Submission = {
      imageSha256: input.imageSha256,
      origin: input.origin,
      digitization: input.digitization,
      documentType: input.documentType,
      transfer: input.transfer,
      acopioAt: input.acopioAt,
      source: input.source,
    };
    {
      const sameImage = await tx.imagesBySha(input.imageSha256);
      const base = {
        recordId: identified.recordId,
        actaKey: esperada?.actaKey ?? null,
        inCatalog: esperada !== null,
      };
      if (sameImage.some((image) => image.recordId === identified.recordId))
        return ok({ ...base, outcome: 'duplicate' as const, leafIndex: null });
      if (sameImage.length > 0) {
        // The same bytes were already delivered as another acta: one of the two claims is
        // wrong. Keep this one aside for a person; never let it overwrite the first.
        await tx.addImage({
          sha256: input.imageSha256,
          recordId: identified.recordId,
          receivedAt: this.#clock(),
          role: 'conflict',
          source: input.source,
        });
        const leafIndex = await tx.appendJournal({
          type: 'SUBMISSION_CONFLICT',
          at: this.#clock(),
          recordId: identified.recordId,
          contest: input.contest,
          claimedKey: identified.identification.claimedKey,
          imageSha256: input.imageSha256,
          alreadyRegisteredAs: sameImage[0]!.recordId,
          source: input.source,
        });
        return ok({ ...base, outcome: 'conflict-flagged' as const, leafIndex });
      }
      const record = (await tx.getActa(identified.recordId)) ?? undefined;
      const step = await this.#step(
        tx,
        record,
        {
          kind: 'register-submission',
          recordId: identified.recordId,
          contest: input.contest,
          actaKey: esperada?.actaKey ?? null,
          casillaKey: esperada?.casilla.key ?? null,
          tipoActa: esperada?.tipoActa ?? identified.identification.tipoActa,
          identification: identified.identification,
          submission,
        },
        contest,
        esperada?.casilla.key ?? null,
        { inCatalog: esperada !== null, claimedKey: identified.identification.claimedKey, submission },
      );
      if (!step.ok) return step;
      const outcome = step.value.outcome;
      if (outcome === 'registered' || outcome === 'additional-image')
        await tx.addImage({
          sha256: input.imageSha256,
          recordId: identified.recordId,
          receivedAt: this.#clock(),
          role: outcome === 'registered' ? 'record' : 'additional',
          source: input.source,
        });
      return ok({
        ...base,
        outcome:
          outcome === 'additional-image'
            ? 'additional-image'
            : outcome === 'duplicate'
              ? 'duplicate'
              : 'registered',
        leafIndex: step.value.leafIndex,
      });
    }
  }

  /**
   * The next acta for this capturista — the oldest in the queue, in their scope, not captured
   * by them — claimed for them in a write transaction, so that capturistas asking at the same
   * moment, on any node, are handed different actas: at most as many people per acta as
   * captures it still needs. Once it has that many, it leaves the queue (its hold) until a
   * capture comes in or the claims expire.
   */
  async nextToCapture(options: {
    readonly operatorId: string;
    readonly contest?: string;
    /** Only actas this returns true for (the operator's scope); reads go through `reader`. */
    readonly accept?: (record: ActaRecord, reader: ScopeReader) => boolean | Promise<boolean>;
  }): Promise<CaptureTaskView | null> {
    // Capturistas waiting on an empty queue ask often: answer them with a read.
    const work = await this.#records.mayHaveCaptureWork({
      operatorId: options.operatorId,
      now: this.#clock(),
      ...(options.contest !== undefined ? { contest: options.contest } : {}),
    });
    if (!work) return null;
    return this.#commits.run(async (tx) => {
      const now = this.#clock();
      const task = (record: ActaRecord): CaptureTaskView => ({
        recordId: record.recordId,
        contest: record.contest,
        actaKey: record.actaKey,
        imageSha256: record.submission?.imageSha256 ?? null,
        columns: this.#context(this.#contests.get(record.contest)!, record.casillaKey).columns,
      });
      // Asking again (a reload, a lost answer) gives back the acta already handed over.
      for (const recordId of await tx.claimsOf(options.operatorId, now)) {
        const record = await tx.getActa(recordId);
        if (record === null || (record.status !== 'received' && record.status !== 'captured_once')) continue;
        if (record.captures.some((c) => c.operatorId === options.operatorId)) continue;
        if (options.contest !== undefined && record.contest !== options.contest) continue;
        await tx.putCaptureClaim(recordId, options.operatorId, now + CAPTURE_CLAIM_MS);
        return task(record);
      }
      await tx.releaseCaptureHolds(now);
      let after: QueuePosition | undefined;
      for (let page = 0; page < QUEUE_PAGES; page++) {
        const queue = await tx.captureQueue({
          limit: QUEUE_PAGE,
          ...(options.contest !== undefined ? { contest: options.contest } : {}),
          ...(after !== undefined ? { after } : {}),
        });
        for (const row of queue) {
          const record = await tx.getActa(row.recordId);
          // The queue's columns may lag an acta changed earlier in this very transaction.
          if (record === null || (record.status !== 'received' && record.status !== 'captured_once'))
            continue;
          if (record.captures.some((c) => c.operatorId === options.operatorId)) continue;
          if (options.accept !== undefined && !(await options.accept(record, tx))) continue;
          const needed = 2 - record.captures.length;
          const holders = (await tx.captureClaims([record.recordId], now)).get(record.recordId) ?? [];
          if (!holders.includes(options.operatorId) && holders.length >= needed) {
            await tx.setCaptureHold(record.recordId, now + CAPTURE_CLAIM_MS);
            continue;
          }
          await tx.putCaptureClaim(record.recordId, options.operatorId, now + CAPTURE_CLAIM_MS);
          const held = new Set([...holders, options.operatorId]).size;
          if (held >= needed) await tx.setCaptureHold(record.recordId, now + CAPTURE_CLAIM_MS);
          return task(record);
        }
        const last = queue[queue.length - 1];
        if (queue.length < QUEUE_PAGE || last === undefined) break;
        after = { acopioAt: last.acopioAt, recordId: last.recordId };
      }
      return null;
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
    const now = this.#clock();
    const holders = (await tx.captureClaims([recordId], now)).get(recordId) ?? [];
    await tx.setCaptureHold(recordId, holders.length >= needed ? now + CAPTURE_CLAIM_MS : 0);
  }

  /**
   * Whether the acta was handed to `operatorId` under `claimId`: a live claim, or one that ended
   * while the person was still typing and that nobody took since (fewer others hold it than the
   * `places` it has). Without this, two people agreeing on values for an acta they picked
   * themselves would verify it with no verifier involved.
   */
  async #handedOut(
    tx: SubmissionTx,
    claimId: string,
    operatorId: string,
    places: number,
  ): Promise<Result<void, PipelineError>> {
    const live = (await tx.captureClaims([claimId], this.#clock())).get(claimId) ?? [];
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

  #lifecycle(
    recordId: string,
    make: (record: ActaRecord) => LifecycleCommand,
    journal: LifecyclePayload,
    after?: (tx: SubmissionTx) => Promise<void>,
    allowed?: (tx: SubmissionTx, record: ActaRecord) => Promise<Result<void, PipelineError>>,
  ): Promise<Result<StepResult, PipelineError>> {
    return this.#commits.run(async (tx) => {
      const record = await tx.getActa(recordId);
      if (record === null) return err('unknown-acta' as const, `no acta ${recordId} has been received`);
      if (allowed !== undefined) {
        const check = await allowed(tx, record);
        if (!check.ok) return check;
      }
      const contest = this.#contests.get(record.contest)!;
      const step = await this.#step(tx, record, make(record), contest, record.casillaKey, journal);
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

  recordCapture(input: {
    readonly recordId: string;
    readonly operatorId: string;
    readonly fields: ActaFields;
    /**
     * Only for an acta handed to this capturista by nextToCapture (see #handedOut). The
     * operators' API always asks it; callers that hand out work themselves (the demo's
     * simulated night, lifecycle tests) do not.
     */
    readonly requireClaim?: boolean;
  }): Promise<Result<StepResult, PipelineError>> {
    const at = this.#clock();
    return this.#lifecycle(
      input.recordId,
      () => ({ kind: 'record-capture', operatorId: input.operatorId, fields: input.fields, at }),
      { operatorId: input.operatorId, captured: input.fields },
      // The capturista's claim is done with once the capture is in.
      (tx) => tx.deleteCaptureClaim(input.recordId, input.operatorId),
      async (tx, record) =>
        // A repeat of one's own capture, or an acta no longer awaiting one: the lifecycle answers.
        input.requireClaim !== true ||
        (record.status !== 'received' && record.status !== 'captured_once') ||
        record.captures.some((c) => c.operatorId === input.operatorId)
          ? ok(undefined)
          : this.#handedOut(tx, input.recordId, input.operatorId, 2 - record.captures.length),
    );
  }

  /** Actas whose captures differ, with both captures and the image, for a verifier. */
  /** The columns an acta is captured in (its casilla's coalitions apply). */
  columnsOf(record: ActaRecord): readonly VoteColumn[] {
    const contest = this.#contests.get(record.contest);
    return contest === undefined ? [] : this.#context(contest, record.casillaKey).columns;
  }

  casillaOf(key: string | null): Casilla | null {
    return key === null ? null : (this.#casillas.get(key) ?? null);
  }

  /**
   * Reads for a scope check of an image (its rows, the operator's claims, their actas and
   * devices) in a batch of the shared commit: many readers, one transaction.
   */
  readImageScope<T>(work: (reader: ImageScopeReader) => Promise<T>): Promise<T> {
    return this.#commits.run(work);
  }

  async verificationQueue(limit = 50): Promise<ActaRecord[]> {
    return this.#records.mismatchQueue(limit);
  }

  /**
   * The oldest mismatch this verifier may resolve (scope by `accept`; never one they
   * captured), claimed for them as captures are, so that verifiers asking at once get
   * different actas.
   */
  async nextToVerify(options: {
    readonly operatorId: string;
    readonly accept?: (record: ActaRecord) => boolean | Promise<boolean>;
  }): Promise<ActaRecord | null> {
    const candidates: ActaRecord[] = [];
    for (const record of await this.#records.mismatchQueue(200)) {
      if (record.captures.some((c) => c.operatorId === options.operatorId)) continue;
      if (options.accept !== undefined && !(await options.accept(record))) continue;
      candidates.push(record);
      if (candidates.length >= CANDIDATES) break;
    }
    if (candidates.length === 0) return null;
    return this.#commits.run(async (tx) => {
      const now = this.#clock();
      const claims = await tx.captureClaims(
        candidates.map((record) => verificationClaim(record.recordId)),
        now,
      );
      for (const candidate of candidates) {
        const record = await tx.getActa(candidate.recordId);
        if (record === null || record.status !== 'mismatch') continue;
        const holders = claims.get(verificationClaim(record.recordId)) ?? [];
        if (holders.length > 0 && !holders.includes(options.operatorId)) continue;
        await tx.putCaptureClaim(
          verificationClaim(record.recordId),
          options.operatorId,
          now + CAPTURE_CLAIM_MS,
        );
        return record;
      }
      return null;
    });
  }

  resolveMismatch(input: {
    readonly recordId: string;
    readonly verifierId: string;
    readonly fields: ActaFields;
    /** Only for a mismatch handed to this verifier by nextToVerify (as recordCapture's). */
    readonly requireClaim?: boolean;
  }): Promise<Result<StepResult, PipelineError>> {
    const at = this.#clock();
    return this.#lifecycle(
      input.recordId,
      () => ({ kind: 'resolve-mismatch', verifierId: input.verifierId, fields: input.fields, at }),
      { verifierId: input.verifierId },
      (tx) => tx.deleteCaptureClaim(verificationClaim(input.recordId), input.verifierId),
      async (tx, record) =>
        input.requireClaim !== true ||
        record.status !== 'mismatch' ||
        record.captures.some((c) => c.operatorId === input.verifierId)
          ? ok(undefined)
          : this.#handedOut(tx, verificationClaim(input.recordId), input.verifierId, 1),
    );
  }

  cotejo(input: {
    readonly recordId: string;
    readonly reviewerId: string;
    readonly decision: 'accept' | 'reopen';
    readonly reason?: string;
  }): Promise<Result<StepResult, PipelineError>> {
    const at = this.#clock();
    return this.#lifecycle(
      input.recordId,
      () => ({ kind: 'cotejo', reviewerId: input.reviewerId, decision: input.decision, at }),
      { reviewerId: input.reviewerId, reason: input.reason ?? null },
    );
  }

  async declareSinActa(input: {
    readonly contest: string;
    readonly actaKey: string;
    readonly reason: SinActaReason;
    readonly operatorId: string;
  }): Promise<Result<StepResult, PipelineError>> {
    const contest = this.#contests.get(input.contest);
    if (contest === undefined) return err('unknown-contest', `unknown election ${input.contest}`);
    const identified = this.#index.identify(input.contest, input.actaKey);
    const esperada = identified.esperada;
    if (esperada === null)
      return err('not-expected', `${input.actaKey} is not an acta esperada of ${input.contest}`);
    const at = this.#clock();
    return this.#commits.run(async (tx) => {
      const record = (await tx.getActa(identified.recordId)) ?? undefined;
      const step = await this.#step(
        tx,
        record,
        {
          kind: 'declare-sin-acta',
          recordId: identified.recordId,
          contest: input.contest,
          actaKey: esperada.actaKey,
          casillaKey: esperada.casilla.key,
          tipoActa: esperada.tipoActa,
          identification: identified.identification,
          reason: input.reason,
          operatorId: input.operatorId,
          at,
        },
        contest,
        esperada.casilla.key,
        { reason: input.reason, operatorId: input.operatorId },
      );
      if (!step.ok) return step;
      return ok({
        recordId: step.value.recordId,
        outcome: step.value.outcome,
        leafIndex: step.value.leafIndex,
      });
    });
  }

  /** What a cut publishes, per contest, and the journal head it corresponds to. */
  async snapshot(): Promise<{ head: JournalHead; actas: Map<string, PublishedActa[]> }> {
    const { head, records } = await this.#records.snapshot();
    const actas = new Map<string, PublishedActa[]>(this.election.contests.map((c) => [c.id, []]));
    for (const record of records) {
      const contest = this.#contests.get(record.contest);
      if (contest === undefined) continue;
      const published = publishedActaOf(record, this.#context(contest, record.casillaKey));
      if (published !== null) actas.get(contest.id)!.push(published);
    }
    return { head, actas };
  }
}
