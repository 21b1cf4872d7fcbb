/**
 * The acta reader in assist mode (docs/reader.md, "Assist"): while the election asks for assist
 * and the reader has earned it, a confident reading of an acta is recorded as ONE of its two
 * blind captures, under the capturer id `lector:<model hash prefix>`; a person types the other
 * and any difference goes to a verificador, as between two people. The reading service calls
 * `offerReading` once per acta it reads and `scoreVerified` once an acta it read is verified;
 * the state (the window of scored actas) is kept in the store beside the records, so that every
 * node decides alike, and every switch is journaled.
 */
import { z } from 'zod';
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import { READER_DEFAULTS } from '../domain/election_definition.ts';
import type { ReaderPolicy } from '../domain/election.ts';
import {
  type ActaReading,
  type AssistReason,
  type AssistState,
  assistActive,
  assistReason,
  INITIAL_ASSIST,
  OFFER_CONFIDENCE,
  type OfferRefusal,
  observeScore,
  offeredFields,
  readerCapturerId,
  windowAgreement,
} from '../domain/reader_assist.ts';
import { err, ok, type Result } from '../domain/result.ts';
import { type ActaFields, sameFields } from '../domain/values.ts';
import type { CaptureCore, PipelineError, StepResult } from './core.ts';

const META_ASSIST = 'reader_assist';
const count = z.number().int().nonnegative();
const assistStateSchema = z.strictObject({
  active: z.boolean(),
  window: z.array(z.strictObject({ recordId: z.string(), agreed: z.boolean() })),
  scored: count,
  fallbacks: count,
});

/** Why a reading did not become a capture; `not-awaiting-capture` also when two people already captured. */
export type OfferError = OfferRefusal | 'assist-off' | 'image-not-of-record' | PipelineError;

/** Assist's state as the console shows it. */
export interface AssistStatus {
  readonly mode: ReaderPolicy['mode'];
  readonly active: boolean;
  readonly reason: AssistReason;
  /** Exact agreement over the window, or null before any acta is scored. */
  readonly agreement: number | null;
  readonly windowSize: number;
  readonly scored: number;
  readonly fallbacks: number;
  readonly policy: ReaderPolicy;
}

export class ReaderAssist {
  readonly #core: CaptureCore;
  readonly policy: ReaderPolicy;

  constructor(core: CaptureCore) {
    this.#core = core;
    this.policy = core.settings.election.reader ?? READER_DEFAULTS;
  }

  async #state(tx: { getMeta(key: string): Promise<string | null> }): Promise<AssistState> {
    const stored = await tx.getMeta(META_ASSIST);
    if (stored === null) return INITIAL_ASSIST;
    // Written only by this service: a value that does not parse is a damaged store, not an input.
    const parsed = assistStateSchema.safeParse(JSON.parse(stored));
    if (!parsed.success)
      throw new Error(`the store's reader assist state is damaged: ${parsed.error.message}`);
    return parsed.data;
  }

  /**
   * Offers the reader's reading of an acta as one of its two captures. Refused, with nothing
   * recorded, unless assist is active, the reading is of the acta's image of record and
   * confident in every box (offeredFields), and the acta still has a place that no person it
   * was handed to holds; once people made both captures, it is not a capture
   * (`not-awaiting-capture`).
   */
  offerReading(reading: ActaReading): Promise<Result<StepResult, OfferError>> {
    const operatorId = readerCapturerId(reading.modelHash);
    const fieldsOf = (record: ActaRecord): ActaFields => {
      const offered = offeredFields(reading, this.#core.columnsOf(record), OFFER_CONFIDENCE);
      // `allowed` refused a reading that offers nothing before these run.
      if (!offered.ok) throw new Error('an unofferable reading reached the lifecycle');
      return offered.value;
    };
    return this.#core.lifecycle<OfferError>(
      reading.recordId,
      (record) => ({ kind: 'record-capture', operatorId, fields: fieldsOf(record), at: this.#core.clock() }),
      (record) => ({ operatorId, captured: fieldsOf(record), modelHash: reading.modelHash }),
      undefined,
      async (tx, record) => {
        if (!assistActive(await this.#state(tx), this.policy))
          return err('assist-off', 'the reader is in shadow: its readings are not captures');
        if (record.submission?.imageSha256 !== reading.imageSha256)
          return err('image-not-of-record', 'the reading is not of the acta’s image of record');
        const offered = offeredFields(reading, this.#core.columnsOf(record), OFFER_CONFIDENCE);
        if (!offered.ok) return offered;
        if (record.captures.some((c) => c.operatorId === operatorId)) return ok(undefined); // a repeat
        if (record.status !== 'received' && record.status !== 'captured_once')
          return err('not-awaiting-capture', `acta is ${record.status}: it needs no capture from the reader`);
        // People handed the acta hold every place it has left: it is theirs to type.
        return this.#core.unheld(tx, record.recordId, operatorId, 2 - record.captures.length);
      },
    );
  }

  /**
   * Scores a reading against its acta's verified values, once the acta is verified: only a
   * reading assist would offer counts (the window measures what assist does), and the score
   * may switch assist on or back to shadow, journaled with the agreement it measured.
   * `counted` says whether the acta entered the window.
   */
  scoreVerified(
    reading: ActaReading,
  ): Promise<Result<{ readonly counted: boolean; readonly status: AssistStatus }, ScoreError>> {
    return this.#core.commits.run(async (tx) => {
      const record = await tx.getActa(reading.recordId);
      if (record === null)
        return err('unknown-acta' as const, `no acta ${reading.recordId} has been received`);
      if (record.status !== 'verified' || record.published === null)
        return err('not-verified' as const, `acta is ${record.status}: scored once verified`);
      if (record.submission?.imageSha256 !== reading.imageSha256)
        return err('image-not-of-record' as const, 'the reading is not of the acta’s image of record');
      const state = await this.#state(tx);
      const offered = offeredFields(reading, this.#core.columnsOf(record), OFFER_CONFIDENCE);
      if (!offered.ok) return ok({ counted: false, status: this.#status(state) });
      const agreed = sameFields(offered.value, record.published.fields);
      const step = observeScore(state, { recordId: record.recordId, agreed }, this.policy);
      if (step.state === state) return ok({ counted: false, status: this.#status(state) });
      await tx.setMeta(META_ASSIST, JSON.stringify(step.state));
      if (step.switched !== null) {
        // The window the switch was measured on (a fall-back empties the state's own).
        const measured = step.switched.active
          ? step.state.window
          : [...state.window, { recordId: record.recordId, agreed }].slice(-this.policy.window);
        const agreedCount = measured.filter((s) => s.agreed).length;
        await tx.appendJournal({
          type: 'READER_ASSIST_SWITCHED',
          at: this.#core.clock(),
          active: step.switched.active,
          reason: step.switched.active ? 'earned' : 'below-threshold',
          agreement: agreedCount / measured.length,
          agreed: agreedCount,
          scored: measured.length,
          threshold: this.policy.agreementThreshold,
        });
      }
      return ok({ counted: true, status: this.#status(step.state) });
    });
  }

  /** Assist's state now (what the console shows). */
  async status(): Promise<AssistStatus> {
    return this.#status(await this.#state(this.#core.records));
  }

  #status(state: AssistState): AssistStatus {
    return {
      mode: this.policy.mode,
      active: assistActive(state, this.policy),
      reason: assistReason(state, this.policy),
      agreement: windowAgreement(state),
      windowSize: state.window.length,
      scored: state.scored,
      fallbacks: state.fallbacks,
      policy: this.policy,
    };
  }
}

export type ScoreError = 'unknown-acta' | 'not-verified' | 'image-not-of-record';
