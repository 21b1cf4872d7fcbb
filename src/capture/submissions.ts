/**
 * Acopio: what arrives for an acta. A submission (an image claimed as some acta) is identified,
 * deduplicated by its image hash, kept aside when its bytes were already delivered as another
 * acta, and registered as the acta's record or an additional image; an acta esperada that will
 * never arrive is declared sin acta. Both create an acta record from its key, so they live
 * together; each is one lifecycle step (core.ts). Intake registers a submission inside its own
 * transaction (registerSubmissionIn), with the package it came in.
 */
import type {
  Digitization,
  DocumentType,
  Origin,
  SinActaReason,
  Submission,
  TransferMechanism,
} from '../domain/acta.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { CaptureCore, PipelineError, StepResult, SubmissionTx } from './core.ts';
import type { Identified } from './identify.ts';

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

const HEX64 = /^[0-9a-f]{64}$/;

/** Acopio's service: submissions and sin acta. */
export class Submissions {
  readonly #core: CaptureCore;

  constructor(core: CaptureCore) {
    this.#core = core;
  }

  /** Which acta esperada a claimed key names in a contest, or fuera de catálogo (intake's scope check). */
  identify(contest: string, claimedKey: string): Identified {
    return this.#core.index.identify(contest, claimedKey);
  }

  registerSubmission(input: SubmissionInput): Promise<Result<SubmissionResult, PipelineError>> {
    return this.#core.commits.run((tx) => this.registerSubmissionIn(tx, input));
  }

  /** registerSubmission inside a transaction the caller holds (intake adds its package record to it). */
  async registerSubmissionIn(
    tx: SubmissionTx,
    input: SubmissionInput,
  ): Promise<Result<SubmissionResult, PipelineError>> {
    const contest = this.#core.contests.get(input.contest);
    if (contest === undefined) return err('unknown-contest', `unknown election ${input.contest}`);
    if (!HEX64.test(input.imageSha256))
      return err('bad-image-hash', 'the image SHA-256 must be 64 lowercase hex digits');
    if (input.acopioAt > this.#core.closesAt)
      return err('after-close', 'the PREP has closed: actas arriving after the close are not published');
    if (await this.#core.closedIn(tx))
      return err('after-close', 'the final cut is published: the PREP is closed and takes no more actas');
    const identified = this.#core.index.identify(input.contest, input.claimedKey);
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
          receivedAt: this.#core.clock(),
          role: 'conflict',
          source: input.source,
        });
        const leafIndex = await tx.appendJournal({
          type: 'SUBMISSION_CONFLICT',
          at: this.#core.clock(),
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
      const step = await this.#core.step(
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
          receivedAt: this.#core.clock(),
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

  async declareSinActa(input: {
    readonly contest: string;
    readonly actaKey: string;
    readonly reason: SinActaReason;
    readonly operatorId: string;
  }): Promise<Result<StepResult, PipelineError>> {
    const contest = this.#core.contests.get(input.contest);
    if (contest === undefined) return err('unknown-contest', `unknown election ${input.contest}`);
    const identified = this.#core.index.identify(input.contest, input.actaKey);
    const esperada = identified.esperada;
    if (esperada === null)
      return err('not-expected', `${input.actaKey} is not an acta esperada of ${input.contest}`);
    const at = this.#core.clock();
    return this.#core.commits.run(async (tx) => {
      const record = (await tx.getActa(identified.recordId)) ?? undefined;
      const step = await this.#core.step(
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
}
