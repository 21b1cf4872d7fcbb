/**
 * The acta pipeline as callers see it: one object per node that composes capture's services —
 * acopio (submissions.ts: register a submission, sin acta), capture work (capture_work.ts:
 * claims, holds, captures), verification (verification.ts: mismatch resolution, cotejo) and
 * publication's view (publication.ts: the snapshot, closing intake) — over one shared core
 * (core.ts: the lifecycle step with its journal entry, the closed flag) and the stored election
 * (settings.ts). A façade, not a room of its own: each method hands the call to the service that
 * owns it. It stays so that the server, intake, the demo, the command line and the tests keep
 * one handle on capture (node.pipeline); new code may take the service it needs instead.
 * Each accepted fact is one store transaction holding both the state change and its journal
 * entry; repeating a command changes nothing and writes nothing.
 */
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import type { Casilla, Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition, VoteColumn } from '../domain/election.ts';
import { ok, type Result } from '../domain/result.ts';
import type { Commits } from '../platform/group_commit.ts';
import { CaptureWork, type CaptureTaskView, type ImageScopeReader } from './capture_work.ts';
import { CaptureCore, type PipelineError, type StepResult, type SubmissionTx } from './core.ts';
import type { Identified } from './identify.ts';
import { CapturePublication } from './publication.ts';
import { ReaderAssist } from './reader_assist.ts';
import type { ActaRecords } from './records_port.ts';
import { type CaptureSettings, openSettings, setupSettings } from './settings.ts';
import { type SubmissionInput, type SubmissionResult, Submissions } from './submissions.ts';
import { Verification } from './verification.ts';

// Callers name these through the façade; each is defined by the service that owns it.
export {
  CAPTURE_CLAIM_MS,
  type PipelineError,
  type ScopeReader,
  type StepResult,
  type SubmissionTx,
} from './core.ts';
export type { CaptureTaskView, ImageScopeReader } from './capture_work.ts';
export type { SubmissionInput, SubmissionResult } from './submissions.ts';
export type { AssistStatus, OfferError, ScoreError } from './reader_assist.ts';

/** Capture's services, composed (see the file's comment). */
export class ActaPipeline {
  readonly submissions: Submissions;
  readonly captureWork: CaptureWork;
  readonly verification: Verification;
  /** What the publisher snapshots (publish/snapshot_port.ts, checked where the node wires it). */
  readonly publication: CapturePublication;
  /** The acta reader as one of two blind captures, when the election asks and it earned it. */
  readonly readerAssist: ReaderAssist;
  readonly #core: CaptureCore;

  private constructor(core: CaptureCore) {
    this.#core = core;
    this.submissions = new Submissions(core);
    this.captureWork = new CaptureWork(core);
    this.verification = new Verification(core);
    this.publication = new CapturePublication(core);
    this.readerAssist = new ReaderAssist(core);
  }

  static #over(
    options: {
      readonly records: ActaRecords;
      readonly commits: Commits<SubmissionTx>;
      readonly clock: () => number;
      readonly claimClock?: () => number;
    },
    settings: CaptureSettings,
  ): ActaPipeline {
    return new ActaPipeline(
      new CaptureCore({
        records: options.records,
        commits: options.commits,
        settings,
        clock: options.clock,
        ...(options.claimClock === undefined ? {} : { claimClock: options.claimClock }),
      }),
    );
  }

  /** Stores the election definition and catalog in a new store and journals both (the first entries). */
  static async setup(options: {
    readonly records: ActaRecords;
    readonly commits: Commits<SubmissionTx>;
    readonly election: ElectionDefinition;
    readonly catalog: Catalog;
    readonly clock: () => number;
    readonly claimClock?: () => number;
  }): Promise<Result<ActaPipeline, 'already-configured'>> {
    const settings = await setupSettings(options);
    return settings.ok ? ok(ActaPipeline.#over(options, settings.value)) : settings;
  }

  /** Opens the pipeline of a configured store. */
  static async open(options: {
    readonly records: ActaRecords;
    readonly commits: Commits<SubmissionTx>;
    readonly clock: () => number;
    /** What claims and holds are timed on (core.ts); the clock by default. */
    readonly claimClock?: () => number;
  }): Promise<Result<ActaPipeline, 'not-configured'>> {
    const settings = await openSettings(options.records);
    return settings.ok ? ok(ActaPipeline.#over(options, settings.value)) : settings;
  }

  // The election and its lookups (core.ts, settings.ts).
  get election(): ElectionDefinition {
    return this.#core.settings.election;
  }
  get catalog(): Catalog {
    return this.#core.settings.catalog;
  }
  get catalogCsv(): string {
    return this.#core.settings.catalogCsv;
  }
  get closesAt(): number {
    return this.#core.closesAt;
  }
  /** What claims and holds are timed on (core.ts). */
  get claimClock(): () => number {
    return this.#core.claimClock;
  }
  columnsOf(record: ActaRecord): readonly VoteColumn[] {
    return this.#core.columnsOf(record);
  }
  casillaOf(key: string | null): Casilla | null {
    return this.#core.casillaOf(key);
  }

  // Closing intake (core.ts).
  closeIntake(at: number, reason: string): Promise<void> {
    return this.#core.closeIntake(at, reason);
  }
  intakeClosed(): Promise<boolean> {
    return this.#core.intakeClosed();
  }
  get knownClosed(): boolean {
    return this.#core.knownClosed;
  }

  // Acopio (submissions.ts).
  identify(contest: string, claimedKey: string): Identified {
    return this.submissions.identify(contest, claimedKey);
  }
  registerSubmission(input: SubmissionInput): Promise<Result<SubmissionResult, PipelineError>> {
    return this.submissions.registerSubmission(input);
  }
  registerSubmissionIn(
    tx: SubmissionTx,
    input: SubmissionInput,
  ): Promise<Result<SubmissionResult, PipelineError>> {
    return this.submissions.registerSubmissionIn(tx, input);
  }
  declareSinActa(
    input: Parameters<Submissions['declareSinActa']>[0],
  ): Promise<Result<StepResult, PipelineError>> {
    return this.submissions.declareSinActa(input);
  }

  // Capture work (capture_work.ts).
  nextToCapture(options: Parameters<CaptureWork['nextToCapture']>[0]): Promise<CaptureTaskView | null> {
    return this.captureWork.nextToCapture(options);
  }
  recordCapture(
    input: Parameters<CaptureWork['recordCapture']>[0],
  ): Promise<Result<StepResult, PipelineError>> {
    return this.captureWork.recordCapture(input);
  }
  readImageScope<T>(work: (reader: ImageScopeReader, claimNow: number) => Promise<T>): Promise<T> {
    return this.captureWork.readImageScope(work);
  }

  // Verification (verification.ts).
  verificationQueue(limit?: number): Promise<ActaRecord[]> {
    return this.verification.verificationQueue(limit);
  }
  nextToVerify(options: Parameters<Verification['nextToVerify']>[0]): Promise<ActaRecord | null> {
    return this.verification.nextToVerify(options);
  }
  resolveMismatch(
    input: Parameters<Verification['resolveMismatch']>[0],
  ): Promise<Result<StepResult, PipelineError>> {
    return this.verification.resolveMismatch(input);
  }
  cotejo(input: Parameters<Verification['cotejo']>[0]): Promise<Result<StepResult, PipelineError>> {
    return this.verification.cotejo(input);
  }

  // Publication's view (publication.ts).
  snapshot(): ReturnType<CapturePublication['snapshot']> {
    return this.publication.snapshot();
  }
}
