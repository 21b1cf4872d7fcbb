/**
 * Verification: what happens after two captures. A mismatch (the captures differ) is handed to
 * a verifier who captured neither — claimed for them as captures are, under its own claim name —
 * and resolved with the values they read; cotejo accepts a verified acta or reopens it. Each is
 * one lifecycle step (core.ts).
 */
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import { isReaderCapturer } from '../domain/reader_assist.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { ActaFields } from '../domain/values.ts';
import { CAPTURE_CLAIM_MS, type CaptureCore, type PipelineError, type StepResult } from './core.ts';

/** Actas in scope looked at per request, oldest first. */
const CANDIDATES = 200;
/** A verifier's claim lives beside the capturistas' under its own name. */
const verificationClaim = (recordId: string) => `verify:${recordId}`;

/** Capture's service for verifiers and reviewers: mismatch resolution and cotejo. */
export class Verification {
  readonly #core: CaptureCore;

  constructor(core: CaptureCore) {
    this.#core = core;
  }

  /** Actas whose captures differ, oldest first, with both captures, for a verifier. */
  async verificationQueue(limit = 50): Promise<ActaRecord[]> {
    return this.#core.records.mismatchQueue(limit);
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
    for (const record of await this.#core.records.mismatchQueue(200)) {
      if (record.captures.some((c) => c.operatorId === options.operatorId)) continue;
      if (options.accept !== undefined && !(await options.accept(record))) continue;
      candidates.push(record);
      if (candidates.length >= CANDIDATES) break;
    }
    if (candidates.length === 0) return null;
    return this.#core.commits.run(async (tx) => {
      const now = this.#core.claimClock();
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
    /** As recordCapture's: refused while a verifier it was handed to holds it. */
    readonly yieldToHolders?: boolean;
  }): Promise<Result<StepResult, PipelineError>> {
    if (isReaderCapturer(input.verifierId))
      return Promise.resolve(err('reserved-operator', 'the acta reader never resolves a mismatch'));
    const at = this.#core.clock();
    return this.#core.lifecycle(
      input.recordId,
      () => ({ kind: 'resolve-mismatch', verifierId: input.verifierId, fields: input.fields, at }),
      { verifierId: input.verifierId },
      (tx) => tx.deleteCaptureClaim(verificationClaim(input.recordId), input.verifierId),
      async (tx, record) => {
        if (record.status !== 'mismatch' || record.captures.some((c) => c.operatorId === input.verifierId))
          return ok(undefined);
        const claim = verificationClaim(input.recordId);
        if (input.requireClaim === true) return this.#core.handedOut(tx, claim, input.verifierId, 1);
        if (input.yieldToHolders === true) return this.#core.unheld(tx, claim, input.verifierId, 1);
        return ok(undefined);
      },
    );
  }

  cotejo(input: {
    readonly recordId: string;
    readonly reviewerId: string;
    readonly decision: 'accept' | 'reopen';
    readonly reason?: string;
  }): Promise<Result<StepResult, PipelineError>> {
    const at = this.#core.clock();
    return this.#core.lifecycle(
      input.recordId,
      () => ({ kind: 'cotejo', reviewerId: input.reviewerId, decision: input.decision, at }),
      { reviewerId: input.reviewerId, reason: input.reason ?? null },
    );
  }
}
