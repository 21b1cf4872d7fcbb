/**
 * The acta reader in assist mode, as pure rules (docs/reader.md, "Assist"): when a reading may
 * stand as one of an acta's two blind captures, the fields it stands for, and whether assist is
 * earned right now, measured over the last actas it was scored on. No I/O: capture's
 * ReaderAssist service (src/capture/reader_assist.ts) keeps the state in the store and journals
 * every switch.
 */
import { actaBoxKeys } from './acta_form.ts';
import type { ReaderPolicy, VoteColumn } from './election.ts';
import { err, ok, type Result } from './result.ts';
import { type ActaFields, type CapturedValue, isCapturedValue } from './values.ts';

/** One box as the reader read it. */
export interface ReaderBox {
  readonly value: CapturedValue;
  readonly confidence: number;
}

/** What the reading service gives for one acta's image of record. */
export interface ActaReading {
  readonly recordId: string;
  readonly imageSha256: string;
  /** The digit model's hash: which model read it (the capturer id carries its prefix). */
  readonly modelHash: string;
  /** By box key (`boxKeys`): the acta's boxes in the form's own keys. */
  readonly boxes: Readonly<Record<string, ReaderBox>>;
  /** Why the page could not be read at all (no registration marks, …); null when it was. */
  readonly failure: string | null;
}

/**
 * The confidence every box of a reading must reach to be offered as a capture: the reader's
 * `CONFIDENT` (src/reader/acta.ts, chosen on the train split; src/reader/assist_threshold.test.ts
 * holds the two equal). Here because capture may not import the reader.
 */
export const OFFER_CONFIDENCE = 0.998;

/** Capturer ids of the reader start with this; no person's id may (capture refuses it). */
export const READER_CAPTURER_PREFIX = 'lector:';

/** The capturer id the reader's captures are recorded under: one per model. */
export function readerCapturerId(modelHash: string): string {
  return `${READER_CAPTURER_PREFIX}${modelHash.slice(0, 12)}`;
}

export function isReaderCapturer(operatorId: string): boolean {
  return operatorId.startsWith(READER_CAPTURER_PREFIX);
}

/** The form's box keys of an acta with these vote columns, in the acta's order (src/sim/acta_images/acta_set.ts draws them). */
export function boxKeys(columns: readonly VoteColumn[]): string[] {
  return actaBoxKeys(columns.map((c) => c.id));
}

export type OfferRefusal =
  | 'reading-failed'
  | 'box-missing'
  | 'unexpected-box'
  | 'bad-value'
  | 'not-confident';

/**
 * The fields a reading stands for, when it may be offered as a capture at all: the page was
 * read, it holds exactly the acta's boxes, and every box — numbers, `ilegible` and `sin_dato`
 * alike — is at or above `confident`. A reading with one doubtful box is never offered: a
 * capture is a whole acta, and a person types a whole acta anyway, so half a reading saves no
 * one's work (two people type it, as without the reader).
 */
export function offeredFields(
  reading: Pick<ActaReading, 'boxes' | 'failure'>,
  columns: readonly VoteColumn[],
  confident: number,
): Result<ActaFields, OfferRefusal> {
  if (reading.failure !== null) return err('reading-failed', `the page was not read: ${reading.failure}`);
  const keys = boxKeys(columns);
  for (const key of Object.keys(reading.boxes))
    if (!keys.includes(key)) return err('unexpected-box', `box ${key} is not on this acta`);
  const values: Record<string, CapturedValue> = {};
  for (const key of keys) {
    const box = reading.boxes[key];
    if (box === undefined) return err('box-missing', `box ${key} was not read`);
    if (!isCapturedValue(box.value)) return err('bad-value', `box ${key} holds a bad value`);
    if (!(box.confidence >= confident))
      return err('not-confident', `box ${key} read at ${box.confidence.toFixed(3)}, below ${confident}`);
    values[key] = box.value;
  }
  const votes: Record<string, CapturedValue> = {};
  for (const column of columns) votes[column.id] = values[`vote:${column.id}`]!;
  return ok({
    boletasSobrantes: values.boletasSobrantes!,
    personasVotaron: values.personasVotaron!,
    representantesVotaron: values.representantesVotaron!,
    votosSacados: values.votosSacados!,
    votes,
    totalAsentado: values.totalAsentado!,
  });
}

// ---------------------------------------------------------------------------------------------
// Whether assist is earned

/**
 * Assist's state over the night. `window` holds the last scored actas since the night began or
 * since assist last fell back to shadow (oldest first, at most `policy.window`): an acta is
 * scored once verified, when its reading passed `offeredFields` — exact agreement of the whole
 * acta with the verified values, yes or no.
 */
export interface AssistState {
  readonly active: boolean;
  readonly window: readonly { readonly recordId: string; readonly agreed: boolean }[];
  /** Actas scored since the night began (or since the last fall-back). */
  readonly scored: number;
  /** How many times assist fell back to shadow tonight. */
  readonly fallbacks: number;
}

export const INITIAL_ASSIST: AssistState = { active: false, window: [], scored: 0, fallbacks: 0 };

export type AssistReason =
  /** Enough actas scored at or above the threshold: the reader may capture. */
  | 'earned'
  /** The agreement over the window fell below the threshold: back to shadow. */
  | 'below-threshold'
  /** The election is in shadow mode. */
  | 'shadow-mode'
  /** Fewer actas scored than assist needs before it may act (after a fall-back: a fresh full window). */
  | 'too-few-scored';

/** Agreed share of the window, or null when nothing was scored. */
export function windowAgreement(state: AssistState): number | null {
  if (state.window.length === 0) return null;
  return state.window.filter((s) => s.agreed).length / state.window.length;
}

/**
 * How many scored actas assist needs before it may act: `minScored` the first time; after a
 * fall-back, a whole fresh window as well (every acta of it scored after the fall), so one good
 * run right after a bad one never brings it back.
 */
export function scoredNeeded(state: AssistState, policy: ReaderPolicy): number {
  return state.fallbacks === 0 ? policy.minScored : Math.max(policy.minScored, policy.window);
}

export interface AssistStep {
  readonly state: AssistState;
  /** Set when this score switched assist on or off (journaled with the agreement). */
  readonly switched: { readonly active: boolean; readonly reason: AssistReason } | null;
}

/** One more scored acta. An acta already in the window is not counted twice. */
export function observeScore(
  state: AssistState,
  score: { readonly recordId: string; readonly agreed: boolean },
  policy: ReaderPolicy,
): AssistStep {
  if (state.window.some((s) => s.recordId === score.recordId)) return { state, switched: null };
  const window = [...state.window, { recordId: score.recordId, agreed: score.agreed }].slice(-policy.window);
  const next: AssistState = { ...state, window, scored: state.scored + 1 };
  const agreement = windowAgreement(next)!;
  if (state.active) {
    if (agreement >= policy.agreementThreshold) return { state: next, switched: null };
    // Conservative: the window that failed is dropped, and assist needs a fresh one to return.
    return {
      state: { active: false, window: [], scored: 0, fallbacks: state.fallbacks + 1 },
      switched: { active: false, reason: 'below-threshold' },
    };
  }
  if (
    policy.mode === 'assist' &&
    next.scored >= scoredNeeded(next, policy) &&
    agreement >= policy.agreementThreshold
  )
    return { state: { ...next, active: true }, switched: { active: true, reason: 'earned' } };
  return { state: next, switched: null };
}

/** Why assist is in its state now (what the console shows). */
export function assistReason(state: AssistState, policy: ReaderPolicy): AssistReason {
  if (policy.mode !== 'assist') return 'shadow-mode';
  if (state.active) return 'earned';
  if (state.scored < scoredNeeded(state, policy)) return 'too-few-scored';
  return 'below-threshold';
}

/** Whether the reader may capture now: assist mode, and earned. */
export function assistActive(state: AssistState, policy: ReaderPolicy): boolean {
  return policy.mode === 'assist' && state.active;
}
