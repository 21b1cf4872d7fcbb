/**
 * The acta reader's readings, as the center stores them, and how they are scored against what
 * people captured (issue 19, shadow mode). Pure: the readings store (src/reading/) keeps them,
 * the cut's reader.json and the console's panel show what these functions count. A reading is
 * never a capture: nothing here feeds capture, verification, tabulation or the results CSVs.
 */
import type { ActaRecord } from './acta_lifecycle.ts';
import type { CapturedValue, ActaFields } from './values.ts';

/** One box as the reader read it. */
export interface BoxRead {
  /** The box's key, in the acta's order (acta_form.ts actaBoxKeys): `boletasSobrantes` …, `vote:<COLUMN>`, `totalAsentado`. */
  readonly key: string;
  readonly value: CapturedValue;
  readonly confidence: number;
}

/** Why an acta could not be read at all (a value: never an exception out of intake). */
export type ReadFailure = 'marks_not_found' | 'decode_error' | 'image_missing' | 'no_layout' | 'reader_error';

export const READ_FAILURES: readonly ReadFailure[] = [
  'marks_not_found',
  'decode_error',
  'image_missing',
  'no_layout',
  'reader_error',
];

/** One acta's image read by one model: what assist (issue 19, part 3) will take as it is. */
export interface Reading {
  readonly recordId: string;
  readonly imageSha256: string;
  /** The digit model file's SHA-256. */
  readonly modelSha256: string;
  /** Every box of the acta's applicable columns, in the acta's order; empty when `failure` is set. */
  readonly boxes: readonly BoxRead[];
  readonly failure: ReadFailure | null;
  readonly readAt: number;
}

/** The value a capture gives a box key (null: the acta has no such box). */
export function capturedValue(fields: ActaFields, key: string): CapturedValue | null {
  if (key.startsWith('vote:')) return fields.votes[key.slice(5)] ?? null;
  switch (key) {
    case 'boletasSobrantes':
    case 'personasVotaron':
    case 'representantesVotaron':
    case 'votosSacados':
    case 'totalAsentado':
      return fields[key];
    default:
      return null;
  }
}

export interface BoxScore {
  readonly key: string;
  readonly read: CapturedValue;
  readonly verified: CapturedValue | null;
  readonly confidence: number;
  readonly right: boolean;
}

/** A reading set beside the verified values of its acta, box by box. */
export function scoreReading(reading: Reading, verified: ActaFields): BoxScore[] {
  return reading.boxes.map((box) => {
    const truth = capturedValue(verified, box.key);
    return {
      key: box.key,
      read: box.value,
      verified: truth,
      confidence: box.confidence,
      right: truth === box.value,
    };
  });
}

/** How a verified acta came to be: two captures that agreed, or a verificador's resolution. */
export type VerifiedBy = 'agreement' | 'verificador';

/** The verified values of a record, and how they were reached; null while it is not verified. */
export function verifiedValues(record: ActaRecord): { fields: ActaFields; by: VerifiedBy } | null {
  if (record.published === null) return null;
  return {
    fields: record.published.fields,
    by: record.published.resolvedBy === null ? 'agreement' : 'verificador',
  };
}

export interface Agreement {
  readonly actas: number;
  readonly actasExact: number;
  readonly boxes: number;
  readonly boxesRight: number;
  readonly confidentBoxes: number;
  readonly confidentRight: number;
}

export interface CalibrationBin {
  /** The bin's confidences: from (inclusive) to (exclusive; the last bin includes 1). */
  readonly from: number;
  readonly to: number;
  readonly boxes: number;
  readonly right: number;
}

export interface Disagreement {
  readonly recordId: string;
  readonly actaKey: string | null;
  readonly box: string;
  readonly read: CapturedValue;
  readonly verified: CapturedValue | null;
  readonly confidence: number;
  readonly imageSha256: string;
  readonly readAt: number;
  readonly by: VerifiedBy;
}

export interface ReaderFigures {
  readonly actasRead: number;
  readonly boxesRead: number;
  readonly readFailures: number;
  readonly failures: Readonly<Record<ReadFailure, number>>;
  /** Actas verified by two captures that agreed. */
  readonly agreement: Agreement;
  /** Actas a verificador resolved (reported apart: their values were disputed). */
  readonly resolved: Agreement;
  /** Over the actas scored by agreement: confidence bins → how often right. */
  readonly calibration: readonly CalibrationBin[];
  readonly disagreementsTotal: number;
  /** The latest disagreements (by read time, newest first), at most the limit given. */
  readonly disagreements: readonly Disagreement[];
}

/** Ten bins of 0.1, and the confident end split finer: that is where the threshold lives. */
export const CALIBRATION_EDGES: readonly number[] = [
  0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.995, 0.998, 0.999, 1,
];

function emptyAgreement(): { -readonly [K in keyof Agreement]: number } {
  return { actas: 0, actasExact: 0, boxes: 0, boxesRight: 0, confidentBoxes: 0, confidentRight: 0 };
}

function binOf(confidence: number): number {
  const last = CALIBRATION_EDGES.length - 2;
  for (let i = 0; i < last; i++) if (confidence < CALIBRATION_EDGES[i + 1]!) return i;
  return last;
}

/**
 * The reader's figures so far: every reading (one per record, the image of record's, read by the
 * current model), scored against its record when verified. `confident` is the reader's threshold
 * (src/reader/acta.ts CONFIDENT); `limit` bounds the disagreements listed, never their count.
 */
export function readerFigures(input: {
  readonly readings: readonly Reading[];
  readonly records: ReadonlyMap<string, ActaRecord>;
  readonly confident: number;
  readonly limit: number;
}): ReaderFigures {
  const failures = Object.fromEntries(READ_FAILURES.map((f) => [f, 0])) as Record<ReadFailure, number>;
  const agreement = emptyAgreement();
  const resolved = emptyAgreement();
  const bins = CALIBRATION_EDGES.slice(0, -1).map((from, i) => ({
    from,
    to: CALIBRATION_EDGES[i + 1]!,
    boxes: 0,
    right: 0,
  }));
  const disagreements: Disagreement[] = [];
  let actasRead = 0;
  let boxesRead = 0;
  let readFailures = 0;
  for (const reading of input.readings) {
    if (reading.failure !== null) {
      readFailures++;
      failures[reading.failure]++;
      continue;
    }
    actasRead++;
    boxesRead += reading.boxes.length;
    const record = input.records.get(reading.recordId);
    if (record === undefined || record.submission?.imageSha256 !== reading.imageSha256) continue;
    const verified = verifiedValues(record);
    if (verified === null) continue;
    const scores = scoreReading(reading, verified.fields);
    const into = verified.by === 'agreement' ? agreement : resolved;
    into.actas++;
    if (scores.every((s) => s.right)) into.actasExact++;
    for (const s of scores) {
      into.boxes++;
      if (s.right) into.boxesRight++;
      if (s.confidence >= input.confident) {
        into.confidentBoxes++;
        if (s.right) into.confidentRight++;
      }
      if (verified.by === 'agreement') {
        const bin = bins[binOf(s.confidence)]!;
        bin.boxes++;
        if (s.right) bin.right++;
      }
      if (!s.right)
        disagreements.push({
          recordId: reading.recordId,
          actaKey: record.actaKey,
          box: s.key,
          read: s.read,
          verified: s.verified,
          confidence: s.confidence,
          imageSha256: reading.imageSha256,
          readAt: reading.readAt,
          by: verified.by,
        });
    }
  }
  // Newest first; ties in a fixed order, so the same readings always list the same way.
  disagreements.sort(
    (a, b) =>
      b.readAt - a.readAt ||
      (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0) ||
      (a.box < b.box ? -1 : a.box > b.box ? 1 : 0),
  );
  return {
    actasRead,
    boxesRead,
    readFailures,
    failures,
    agreement,
    resolved,
    calibration: bins,
    disagreementsTotal: disagreements.length,
    disagreements: disagreements.slice(0, Math.max(0, input.limit)),
  };
}

/** A share as a number with four decimals, or null when nothing was counted. */
export function share(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10000) / 10000;
}
