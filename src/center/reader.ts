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
    onReading: (reading) => handToAssist(reading),
    onError: options.onError,
  });
  // Images of record that arrived while no reader ran (a crash, a restart, the reader off).
  void reader.sweep();
  return {
    reader,
    close: async () => {
      reader.close();
      await pool.close();
    },
  };
}

/**
 * Where the node will hand each reading to assist (issue 19, part 3) once it exists: in shadow,
 * nowhere. The reading is a clean value — record, image, model, per box a value and a confidence.
 */
function handToAssist(_reading: Reading): void {}

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
