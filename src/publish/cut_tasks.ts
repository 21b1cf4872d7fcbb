/**
 * The byte-crunching half of a cut: each contest CSV's acta Merkle root and zip, and the outer
 * zip. Pure functions of bytes, run either on the builder's thread (small cuts) or in a worker
 * thread (large cuts: see cut_worker.ts), with the same results either way.
 */
import { hash } from 'node:crypto';
import { CompactRange } from '../journal/merkle.ts';
import { zipFiles } from '../platform/zip.ts';

export interface ContestPackTask {
  readonly kind: 'contest';
  /** The name of the contest's zip inside the cut's zip. */
  readonly zipName: string;
  readonly csvName: string;
  /** The whole CSV file. */
  readonly csv: Uint8Array;
  /** Where the first acta row starts, and each row's byte length with its line end. */
  readonly firstRowOffset: number;
  readonly rowByteLengths: Uint32Array;
  readonly lineEndBytes: number;
  /** The other files of the contest's zip, after the CSV. */
  readonly companions: readonly (readonly [name: string, data: Uint8Array])[];
}

/** The cut's zip: every contest zip packed so far, in the given order, then the other files, stored. */
export interface OuterZipTask {
  readonly kind: 'outer-zip';
  readonly contestZips: readonly string[];
  readonly others: readonly (readonly [name: string, data: Uint8Array])[];
}

export type CutTask = ContestPackTask | OuterZipTask;

export interface ContestPack {
  /** RFC 6962 root, hex, over the acta rows as written (without line ends). */
  readonly actaMerkleRoot: string;
}

/**
 * RFC 6962 root over the rows, read straight from the file's bytes: each leaf is
 * SHA-256(0x00 ‖ row), hashed through one scratch buffer and folded into a compact range, so
 * memory stays O(log n) however many rows there are.
 */
export function rowsMerkleRoot(
  task: Pick<ContestPackTask, 'csv' | 'firstRowOffset' | 'rowByteLengths' | 'lineEndBytes'>,
): Buffer {
  const { csv, rowByteLengths, lineEndBytes } = task;
  let longest = 0;
  for (const length of rowByteLengths) longest = Math.max(longest, length);
  const scratch = Buffer.alloc(longest + 1);
  const range = new CompactRange();
  let at = task.firstRowOffset;
  for (let i = 0; i < rowByteLengths.length; i++) {
    const length = rowByteLengths[i]! - lineEndBytes;
    scratch.set(csv.subarray(at, at + length), 1);
    range.append(hash('sha256', scratch.subarray(0, length + 1), 'buffer'));
    at += rowByteLengths[i]!;
  }
  return range.root();
}

const asBuffer = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** Packs a cut's contests and then the cut's zip; contest zips stay here until the outer zip takes them. */
export class CutPacker {
  readonly #contestZips = new Map<string, Promise<Buffer>>();

  run(task: CutTask): Promise<ContestPack | Buffer> {
    return task.kind === 'contest' ? this.contest(task) : this.outerZip(task);
  }

  contest(task: ContestPackTask): Promise<ContestPack> {
    // Deflating runs on libuv's pool while the rows are hashed here.
    const zip = zipFiles([
      [task.csvName, asBuffer(task.csv)],
      ...task.companions.map(([name, data]) => [name, asBuffer(data)] as const),
    ]);
    // A failure surfaces when the outer zip awaits it, not as an unhandled rejection before.
    zip.catch(() => {});
    this.#contestZips.set(task.zipName, zip);
    return Promise.resolve({ actaMerkleRoot: rowsMerkleRoot(task).toString('hex') });
  }

  async outerZip(task: OuterZipTask): Promise<Buffer> {
    const entries: (readonly [string, Buffer])[] = [];
    for (const name of task.contestZips) {
      const zip = this.#contestZips.get(name);
      if (zip === undefined) throw new Error(`no contest zip ${name} was packed`);
      entries.push([name, await zip]);
    }
    for (const [name, data] of task.others) entries.push([name, asBuffer(data)]);
    this.#contestZips.clear();
    // The contest zips are already compressed: stored as they are.
    return zipFiles(entries, { compress: false });
  }
}
