/**
 * Capture work: handing actas to capturistas and taking their captures. An acta is claimed for
 * the person it is handed to (nextToCapture), so that capturistas asking at once, on any node,
 * get different actas; once as many hold it as captures it still needs it is held out of the
 * queue. A capture is one lifecycle step (core.ts), refused when the acta was not handed to its
 * capturista. Also the reads a scope check of an image makes, which look at those claims.
 */
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import type { VoteColumn } from '../domain/election.ts';
import { err, ok, type Result } from '../domain/result.ts';
import { isReaderCapturer } from '../domain/reader_assist.ts';
import type { ActaFields } from '../domain/values.ts';
import {
  CAPTURE_CLAIM_MS,
  type CaptureCore,
  type PipelineError,
  type ScopeReader,
  type StepResult,
} from './core.ts';
import type { ActaRecordsTx, QueuePosition } from './records_port.ts';

export interface CaptureTaskView {
  readonly recordId: string;
  readonly contest: string;
  readonly actaKey: string | null;
  readonly imageSha256: string | null;
  /** The boxes to type, in the acta's own order. Never the other capture: capture is blind. */
  readonly columns: readonly VoteColumn[];
}

/** What a scope check of an image reads, in a batch of the shared commit. */
export type ImageScopeReader = Pick<ActaRecordsTx, 'imagesBySha' | 'claimsOf' | 'getActa'> & ScopeReader;

/** Rows of the capture queue read at a time, and pages looked through at most per request. */
const QUEUE_PAGE = 8;
const QUEUE_PAGES = 160;

/** Capture's service for capturistas: claims, holds and captures. */
export class CaptureWork {
  readonly #core: CaptureCore;

  constructor(core: CaptureCore) {
    this.#core = core;
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
    const work = await this.#core.records.mayHaveCaptureWork({
      operatorId: options.operatorId,
      now: this.#core.claimClock(),
      ...(options.contest !== undefined ? { contest: options.contest } : {}),
    });
    if (!work) return null;
    return this.#core.commits.run(async (tx) => {
      const now = this.#core.claimClock();
      const task = (record: ActaRecord): CaptureTaskView => ({
        recordId: record.recordId,
        contest: record.contest,
        actaKey: record.actaKey,
        imageSha256: record.submission?.imageSha256 ?? null,
        columns: this.#core.context(this.#core.contests.get(record.contest)!, record.casillaKey).columns,
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
    /**
     * For callers that hand out work themselves: refused ('held-by-others') when the capture
     * would take a place that people the acta was handed to hold.
     */
    readonly yieldToHolders?: boolean;
  }): Promise<Result<StepResult, PipelineError>> {
    if (isReaderCapturer(input.operatorId))
      return Promise.resolve(
        err('reserved-operator', 'capturer ids starting lector: are the acta reader’s (readerAssist)'),
      );
    const at = this.#core.clock();
    return this.#core.lifecycle(
      input.recordId,
      () => ({ kind: 'record-capture', operatorId: input.operatorId, fields: input.fields, at }),
      { operatorId: input.operatorId, captured: input.fields },
      // The capturista's claim is done with once the capture is in.
      (tx) => tx.deleteCaptureClaim(input.recordId, input.operatorId),
      async (tx, record) => {
        // A repeat of one's own capture, or an acta no longer awaiting one: the lifecycle answers.
        if (
          (record.status !== 'received' && record.status !== 'captured_once') ||
          record.captures.some((c) => c.operatorId === input.operatorId)
        )
          return ok(undefined);
        const places = 2 - record.captures.length;
        if (input.requireClaim === true)
          return this.#core.handedOut(tx, input.recordId, input.operatorId, places);
        if (input.yieldToHolders === true)
          return this.#core.unheld(tx, input.recordId, input.operatorId, places);
        return ok(undefined);
      },
    );
  }

  /**
   * Reads for a scope check of an image (its rows, the operator's claims, their actas and
   * devices) in a batch of the shared commit: many readers, one transaction.
   */
  readImageScope<T>(work: (reader: ImageScopeReader, claimNow: number) => Promise<T>): Promise<T> {
    return this.#core.commits.run((tx) => work(tx, this.#core.claimClock()));
  }
}
