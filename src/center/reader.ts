/**
 * The acta reader in shadow mode, wired (docs/reader.md, "Shadow mode in the center"): the
 * readings port the store implements, the reader pool, the image store and capture's columns,
 * given to the shadow queue; and the figures the console and the cut show, read from them.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ActaPipeline } from '../capture/pipeline.ts';
import type { ActaRecords } from '../capture/records_port.ts';
import { actaBoxKeys } from '../domain/acta_form.ts';
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import type { ActaReading } from '../domain/reader_assist.ts';
import { type Reading, readerFigures } from '../domain/reader_score.ts';
import type { ReaderReport } from '../publish/reader_json.ts';
import type { BlobStore } from '../images/blob_store.ts';
import { CONFIDENT } from '../reader/acta.ts';
import { MODEL_FILE } from '../reader/load_model.ts';
import { ReaderPool } from '../reading/reader_pool.ts';
import type { ReadingsPort } from '../reading/readings_port.ts';
import { ShadowReader } from '../reading/shadow_reader.ts';

/** The disagreements listed in the cut and on the console: the latest, with the total count. */
export const DISAGREEMENTS_LISTED = 500;

/** The committed model file's SHA-256: what every reading names. */
export async function modelSha256(file = MODEL_FILE): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

export async function startShadowReader(options: {
  readonly readings: ReadingsPort;
  readonly records: ActaRecords;
  readonly pipeline: ActaPipeline;
  readonly blobs: BlobStore;
  readonly clock: () => number;
  readonly workers: number;
  readonly onError: (error: unknown) => void;
}): Promise<{ reader: ShadowReader; close: () => Promise<void> }> {
  const pool = new ReaderPool(options.workers);
  const assist = new AssistFeed(options.pipeline, options.records, options.onError);
  const reader = new ShadowReader({
    readings: options.readings,
    read: (bytes, keys) => pool.read(bytes, keys),
    modelSha256: await modelSha256(),
    boxKeys: async (recordId) => {
      const record = await options.records.getActa(recordId);
      return record === null ? null : actaBoxKeys(options.pipeline.columnsOf(record).map((c) => c.id));
    },
    imageBytes: async (sha256) => {
      const stored = await options.blobs.get(sha256);
      return stored.ok ? stored.value.bytes : null;
    },
    clock: options.clock,
    onReading: (reading) => void assist.handToAssist(reading),
    onError: options.onError,
  });
  // After a restart, the readings of actas not yet verified wait to be scored (one verified while
  // the node was down is not scored: the window only ever misses an acta, never counts one twice).
  if (options.pipeline.readerAssist.policy.mode === 'assist') {
    for (const reading of await options.readings.readings(reader.modelSha256)) {
      const record = await options.records.getActa(reading.recordId);
      if (record !== null && record.status !== 'verified') assist.awaitVerification(reading);
    }
  }
  const scoring = setInterval(() => void assist.scoreVerified(), ASSIST_SCORING_MS);
  scoring.unref();
  // Images of record that arrived while no reader ran (a crash, a restart, the reader off).
  void reader.sweep();
  return {
    reader,
    close: async () => {
      clearInterval(scoring);
      reader.close();
      await pool.close();
    },
  };
}

/** How often the readings of actas awaiting verification are scored for assist. */
const ASSIST_SCORING_MS = 2_000;

/** A reading in the form's box keys, as assist takes it (src/domain/reader_assist.ts). */
export function assistReading(reading: Reading): ActaReading {
  return {
    recordId: reading.recordId,
    imageSha256: reading.imageSha256,
    modelHash: reading.modelSha256,
    boxes: Object.fromEntries(
      reading.boxes.map((b) => [b.key, { value: b.value, confidence: b.confidence }]),
    ),
    failure: reading.failure,
  };
}

/**
 * Each reading, handed to assist (docs/reader.md, "Assist"): offered as one of the acta's two
 * captures — which assist refuses, with nothing recorded, unless the election enables it, the
 * reader has earned it and every box is confident — and scored once its acta is verified,
 * which may switch assist on or back to shadow. In shadow mode nothing is handed on.
 */
export class AssistFeed {
  readonly #pipeline: ActaPipeline;
  readonly #records: ActaRecords;
  readonly #onError: (error: unknown) => void;
  /** Readings whose acta is not verified yet; scored once it is. */
  readonly #unscored = new Map<string, ActaReading>();
  #scoring = false;

  constructor(pipeline: ActaPipeline, records: ActaRecords, onError: (error: unknown) => void) {
    this.#pipeline = pipeline;
    this.#records = records;
    this.#onError = onError;
  }

  awaitVerification(reading: Reading): void {
    if (reading.failure === null) this.#unscored.set(reading.recordId, assistReading(reading));
  }

  async handToAssist(reading: Reading): Promise<void> {
    if (this.#pipeline.readerAssist.policy.mode !== 'assist' || reading.failure !== null) return;
    const acta = assistReading(reading);
    this.#unscored.set(acta.recordId, acta);
    try {
      // A refusal (assist off, a doubtful box, people already typed it) is the normal case.
      await this.#pipeline.readerAssist.offerReading(acta);
    } catch (error) {
      this.#onError(error);
    }
  }

  async scoreVerified(): Promise<void> {
    if (this.#scoring || this.#unscored.size === 0) return;
    this.#scoring = true;
    try {
      for (const [recordId, reading] of this.#unscored) {
        const record = await this.#records.getActa(recordId);
        if (record === null) continue;
        if (record.status !== 'verified') continue;
        this.#unscored.delete(recordId);
        if (record.submission?.imageSha256 !== reading.imageSha256) continue;
        await this.#pipeline.readerAssist.scoreVerified(reading);
      }
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#scoring = false;
    }
  }
}

let committedModel: Promise<string> | null = null;

/**
 * The reader's figures now (the console's panel, each cut's json/reader.json): every reading of
 * the committed model, against the acta records as they stand. The records are read only when
 * there is a reading to score (a center whose reader is off pays one query).
 */
export async function currentReaderReport(options: {
  readonly readings: ReadingsPort;
  readonly records: ActaRecords;
}): Promise<ReaderReport> {
  committedModel ??= modelSha256();
  const model = await committedModel;
  const readings = await options.readings.readings(model);
  const records = readings.length === 0 ? [] : (await options.records.snapshot()).records;
  return {
    modelSha256: model,
    confident: CONFIDENT,
    listed: DISAGREEMENTS_LISTED,
    figures: readerFigures({
      readings,
      records: new Map<string, ActaRecord>(records.map((r) => [r.recordId, r])),
      confident: CONFIDENT,
      limit: DISAGREEMENTS_LISTED,
    }),
  };
}
