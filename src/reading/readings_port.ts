/**
 * The readings store (the acta reader's, issue 19): one reading per acta image and model,
 * implemented by both adapters in src/store/ (docs/store.md, "readings port"). Readings sit apart
 * from everything published: no acta record, journal entry, capture or cut row is made from them.
 */
import type { Reading } from '../domain/reader_score.ts';

/** An acta's image of record that a model has not read yet. */
export interface UnreadImage {
  readonly recordId: string;
  readonly imageSha256: string;
}

export interface ReadingsPort {
  /**
   * Keeps a reading. Idempotent on (record, image, model): a second reading of the same image by
   * the same model (a redone one after a crash) leaves the first as it was.
   */
  putReading(reading: Reading): Promise<void>;
  /** Every reading made by this model, in the order they were read. */
  readings(modelSha256: string): Promise<Reading[]>;
  /** Images of record this model has not read, oldest first (the sweep at start). */
  unreadImages(modelSha256: string, limit: number): Promise<UnreadImage[]>;
}
