/**
 * The acta reader in the demo's night when its election is in assist (`--reader-assist`,
 * docs/demo.md): the demo registers its actas without intake, so the center's reading service
 * never sees them; the demo reads each acta's image of record itself, with the center's own read
 * (src/reading/read_image.ts), and goes through the entry points that service uses — `readerAssist.offerReading` when the acta
 * arrives, `readerAssist.scoreVerified` once it is verified — and counts what assist saved: the
 * planned human captures it made unnecessary, and the differences it sent to a verificador.
 */
import type { ActaPipeline } from '../capture/pipeline.ts';
import type { ActaRecords } from '../capture/records_port.ts';
import type { ReaderPolicy } from '../domain/election.ts';
import {
  type ActaReading,
  isReaderCapturer,
  OFFER_CONFIDENCE,
  offeredFields,
} from '../domain/reader_assist.ts';
import type { ActaFields } from '../domain/values.ts';
import type { BlobStore } from '../images/blob_store.ts';
import { assistReading } from '../center/reader.ts';
import { readImage } from '../reading/read_image.ts';
import { loadDigitModel, MODEL_FILE } from '../reader/load_model.ts';
import type { ActaContent } from '../sim/acta_images/synthetic_acta.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The demo's assist setting: a night of a tiny demo has about a hundred actas, few of them read
 * confidently in every box, so its window and minimum are small; an election's would be
 * hundreds (docs/catalog.md).
 */
export const DEMO_READER_POLICY: ReaderPolicy = {
  mode: 'assist',
  agreementThreshold: 0.98,
  window: 10,
  minScored: 10,
};

/** The simulated verificador who resolves a difference between the reader and a capturista. */
const READER_VERIFIER = 'verificador-lector';

export interface ReaderNight {
  /** Actas whose image of record was read. */
  readonly read: number;
  /** The readings by what they were: `offerable` (confident in every box) or why not. */
  readonly readings: Readonly<Record<string, number>>;
  /** Readings that became one of the acta's two captures. */
  readonly captures: number;
  /** Why the others did not, by code (`assist-off`, `not-confident`, …). */
  readonly refused: Readonly<Record<string, number>>;
  /** Planned human captures the reader made unnecessary. */
  readonly saved: number;
  /** Actas where the reader and the person differed: each went to a verificador. */
  readonly toVerificador: number;
  /** Actas scored against their verified values (those whose reading would have been offered). */
  readonly scored: number;
  readonly active: boolean;
  readonly agreement: number | null;
  readonly fallbacks: number;
}

export class DemoReader {
  readonly #pipeline: ActaPipeline;
  readonly #records: Pick<ActaRecords, 'getActa'>;
  readonly #blobs: BlobStore;
  readonly #model: ReturnType<typeof loadDigitModel> & { ok: true };
  readonly #modelHash: string;
  /** Readings of actas not yet scored. */
  readonly #unscored = new Map<string, ActaReading>();
  #read = 0;
  #captures = 0;
  readonly #refused: Record<string, number> = {};
  /** What each reading was, whether assist was on or not: `offerable`, or why not (`not-confident`, …). */
  readonly #readings: Record<string, number> = {};
  #saved = 0;
  #toVerificador = 0;
  #scored = 0;

  private constructor(
    pipeline: ActaPipeline,
    records: Pick<ActaRecords, 'getActa'>,
    blobs: BlobStore,
    model: ReturnType<typeof loadDigitModel> & { ok: true },
  ) {
    this.#pipeline = pipeline;
    this.#records = records;
    this.#blobs = blobs;
    this.#model = model;
    // The model file's bytes name the model (docs/reader.md).
    this.#modelHash = createHash('sha256').update(readFileSync(MODEL_FILE)).digest('hex');
  }

  static create(options: {
    readonly pipeline: ActaPipeline;
    readonly records: Pick<ActaRecords, 'getActa'>;
    readonly blobs: BlobStore;
  }): DemoReader | string {
    const model = loadDigitModel();
    if (!model.ok) return model.message;
    return new DemoReader(options.pipeline, options.records, options.blobs, model);
  }

  /** Reads a newly registered acta's image of record and offers the reading as a capture. */
  async arrived(recordId: string, imageSha256: string, sheet: ActaContent): Promise<void> {
    const reading = await this.#readImage(recordId, imageSha256, sheet);
    this.#read++;
    this.#unscored.set(recordId, reading);
    const record = await this.#records.getActa(recordId);
    if (record !== null) {
      const would = offeredFields(reading, this.#pipeline.columnsOf(record), OFFER_CONFIDENCE);
      const why = would.ok ? 'offerable' : would.code;
      this.#readings[why] = (this.#readings[why] ?? 0) + 1;
    }
    const offered = await this.#pipeline.readerAssist.offerReading(reading);
    if (offered.ok) this.#captures++;
    else this.#refused[offered.code] = (this.#refused[offered.code] ?? 0) + 1;
  }

  /** The same read as the center's (src/reading/read_image.ts), as assist takes it. */
  async #readImage(recordId: string, imageSha256: string, sheet: ActaContent): Promise<ActaReading> {
    const stored = await this.#blobs.get(imageSha256);
    const read = stored.ok
      ? await readImage(
          stored.value.bytes,
          sheet.boxes.map((box) => box.key),
          this.#model.value.model,
        )
      : { boxes: [], failure: 'image_missing' as const };
    return assistReading({ recordId, imageSha256, modelSha256: this.#modelHash, readAt: 0, ...read });
  }

  /**
   * A planned human capture of an acta: recorded by `capture` unless the reader already holds
   * one of its places and a person made the other (then it is saved). A difference between the
   * reader and the person goes to a verificador, who types the acta as written (`truth`).
   */
  async capture(
    event: { readonly recordId: string; readonly truth: ActaFields },
    capture: () => Promise<string | null>,
  ): Promise<string | null> {
    const before = await this.#records.getActa(event.recordId);
    if (before === null || !before.captures.some((c) => isReaderCapturer(c.operatorId))) return capture();
    if (before.status !== 'received' && before.status !== 'captured_once') {
      this.#saved++;
      return null;
    }
    const problem = await capture();
    const after = await this.#records.getActa(event.recordId);
    if (after?.status === 'mismatch') {
      this.#toVerificador++;
      const resolved = await this.#pipeline.resolveMismatch({
        recordId: event.recordId,
        verifierId: READER_VERIFIER,
        fields: event.truth,
      });
      if (!resolved.ok) return resolved.message;
    }
    return problem;
  }

  /** Scores the readings of actas verified since the last call (before each cut). */
  async score(): Promise<void> {
    for (const [recordId, reading] of this.#unscored) {
      const record = await this.#records.getActa(recordId);
      if (record?.status !== 'verified') continue;
      this.#unscored.delete(recordId);
      const scored = await this.#pipeline.readerAssist.scoreVerified(reading);
      if (scored.ok && scored.value.counted) this.#scored++;
    }
  }

  async night(): Promise<ReaderNight> {
    const status = await this.#pipeline.readerAssist.status();
    return {
      read: this.#read,
      readings: { ...this.#readings },
      captures: this.#captures,
      refused: { ...this.#refused },
      saved: this.#saved,
      toVerificador: this.#toVerificador,
      scored: this.#scored,
      active: status.active,
      agreement: status.agreement,
      fallbacks: status.fallbacks,
    };
  }
}

/** The end-of-night line of the reader in assist. */
export function formatReaderNight(n: ReaderNight): string {
  const counts = (by: Readonly<Record<string, number>>) =>
    Object.entries(by)
      .sort((a, b) => b[1] - a[1])
      .map(([code, count]) => `${code} ${count}`)
      .join(', ') || 'none';
  const agreement = n.agreement === null ? '—' : `${(100 * n.agreement).toFixed(1)} %`;
  return (
    `reader (assist): ${n.read} actas read (${counts(n.readings)}); ${n.captures} readings were one of the ` +
    `two captures (not taken: ${counts(n.refused)}); ${n.saved} human captures saved; ` +
    `${n.toVerificador} differences sent to a verificador; ${n.scored} actas scored, ` +
    `agreement over the window ${agreement}; assist ${n.active ? 'active' : 'in shadow'} at the end` +
    (n.fallbacks > 0 ? ` (fell back to shadow ${n.fallbacks} time${n.fallbacks === 1 ? '' : 's'})` : '')
  );
}
