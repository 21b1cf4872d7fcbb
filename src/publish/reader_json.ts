/**
 * The acta reader's figures, inside each cut (docs/publication-format.md, "The acta reader"):
 * `json/reader.json`. The reader runs in shadow: it reads every acta image beside the people who
 * capture, and this file measures it in the open against what they verified — never a value of
 * the results. Built from its input alone (no clock, fields in a fixed order), so the cut stays a
 * pure function of what it is given.
 */
import { type Agreement, READ_FAILURES, type ReaderFigures, share } from '../domain/reader_score.ts';

/** The reader's figures as the center gives them to a cut. */
export interface ReaderReport {
  /** The digit model's file SHA-256: every reading counted here was made by it. */
  readonly modelSha256: string;
  /** The confidence at or above which a box counts as confident (src/reader/acta.ts CONFIDENT). */
  readonly confident: number;
  /** How many disagreements the list keeps at most (the latest). */
  readonly listed: number;
  readonly figures: ReaderFigures;
}

export const READER_JSON = 'json/reader.json';

export const READER_NOTICE =
  'El lector de actas trabaja en sombra: lee la imagen de cada acta junto a las personas que la capturan y aquí se mide contra lo que ellas verificaron. No publica nada por sí solo: ninguna cifra de resultados sale de él; cada una fue capturada y verificada por personas.';

function agreementJson(a: Agreement) {
  return {
    actas: a.actas,
    actasExact: a.actasExact,
    actaAgreement: share(a.actasExact, a.actas),
    boxes: a.boxes,
    boxesRight: a.boxesRight,
    boxAgreement: share(a.boxesRight, a.boxes),
    confidentBoxes: a.confidentBoxes,
    confidentRight: a.confidentRight,
    confidentBoxAgreement: share(a.confidentRight, a.confidentBoxes),
  };
}

/** The figures as reader.json gives them (and the console's panel shows them). */
export function readerFiguresJson(r: ReaderReport | null) {
  const f = r?.figures ?? null;
  return {
    model: r === null ? null : { sha256: r.modelSha256 },
    confidenceThreshold: r?.confident ?? null,
    actasRead: f?.actasRead ?? 0,
    boxesRead: f?.boxesRead ?? 0,
    readFailures: f?.readFailures ?? 0,
    failures: Object.fromEntries(READ_FAILURES.map((code) => [code, f?.failures[code] ?? 0])),
    agreement: f === null ? null : agreementJson(f.agreement),
    resolved: f === null ? null : agreementJson(f.resolved),
    calibration:
      f === null
        ? []
        : f.calibration.map((b) => ({
            from: b.from,
            to: b.to,
            boxes: b.boxes,
            right: b.right,
            accuracy: share(b.right, b.boxes),
          })),
    disagreementsTotal: f?.disagreementsTotal ?? 0,
    disagreementsListed: r?.listed ?? 0,
    disagreements: (f?.disagreements ?? []).map((d) => ({
      recordId: d.recordId,
      actaKey: d.actaKey,
      box: d.box,
      read: d.read,
      verified: d.verified,
      confidence: d.confidence,
      imageSha256: d.imageSha256,
      readAt: new Date(d.readAt).toISOString(),
      verifiedBy: d.by,
    })),
  };
}

export function readerJson(input: { readonly cutId: string; readonly report: ReaderReport | null }): Buffer {
  const value = {
    notice: READER_NOTICE,
    publishesValues: false,
    cut: input.cutId,
    ...readerFiguresJson(input.report),
  };
  return Buffer.from(`${JSON.stringify(value)}\n`, 'utf8');
}
