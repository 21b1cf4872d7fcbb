/**
 * The byte level of the catalog import: a size cap applied before anything is buffered, UTF-8
 * checked chunk by chunk (a character split across chunks is checked whole), and floods of
 * empty lines or record-less bytes stopped early.
 */
import { isUtf8 } from 'node:buffer';
import { type CatalogProblem, type Collector, fatal, hex, report } from './problems.ts';

/** More consecutive blank lines than this is not a catalog (and would otherwise be read to the byte cap). */
export const MAX_CONSECUTIVE_BLANK_LINES = 1_000;

/**
 * Input that yields no record over this many bytes (whitespace, lone carriage returns...) is not a
 * catalog; without this it would be read up to the byte cap. Far above what the pipeline buffers.
 */
export const MAX_BYTES_WITHOUT_RECORD = 4 * 1024 * 1024;

export interface ByteGuard {
  readonly collector: Collector;
  readonly maxBytes: number;
  bytes: number;
  /** Line number of the next byte. */
  line: number;
  /** Stream offset of the last line feed seen (-1: none yet). */
  lastNewline: number;
  lastByte: number;
  /** Consecutive empty lines so far (the parser skips them silently, so they are counted here). */
  blankRun: number;
  carry: Uint8Array;
  /** Stream offset up to which the parser has produced records (updated by the record consumer). */
  recordBytes: number;
}

const NEWLINE = 0x0a;

function countNewlines(buf: Uint8Array, end = buf.length): number {
  let count = 0;
  let at = buf.indexOf(NEWLINE);
  while (at !== -1 && at < end) {
    count++;
    at = buf.indexOf(NEWLINE, at + 1);
  }
  return count;
}

/** Bytes at the end of `buf` that start a multi-byte character not finished in `buf`. */
function incompleteTailLength(buf: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const width = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return width > back ? back : 0;
  }
  return 0;
}

/** Offsets where invalid UTF-8 sequences start (the slow path, run only on a chunk that failed `isUtf8`). */
function invalidUtf8Offsets(buf: Uint8Array): number[] {
  const offsets: number[] = [];
  let i = 0;
  while (i < buf.length) {
    const byte = buf[i] ?? 0;
    if (byte < 0x80) {
      i++;
      continue;
    }
    const width =
      byte >= 0xc2 && byte <= 0xdf
        ? 2
        : byte >= 0xe0 && byte <= 0xef
          ? 3
          : byte >= 0xf0 && byte <= 0xf4
            ? 4
            : 0;
    if (width === 0) {
      offsets.push(i);
      i++;
      continue;
    }
    // RFC 3629 table 3-7: the second byte's range excludes overlongs and surrogates.
    const low = byte === 0xe0 ? 0xa0 : byte === 0xf0 ? 0x90 : 0x80;
    const high = byte === 0xed ? 0x9f : byte === 0xf4 ? 0x8f : 0xbf;
    let k = 1;
    for (; k < width; k++) {
      const next = buf[i + k];
      const min = k === 1 ? low : 0x80;
      const max = k === 1 ? high : 0xbf;
      if (next === undefined || next < min || next > max) break;
    }
    if (k < width) {
      offsets.push(i);
      i += k;
    } else {
      i += width;
    }
  }
  return offsets;
}

function reportInvalidUtf8(guard: ByteGuard, data: Uint8Array, firstLine: number, startByte: number): void {
  let lastLine = -1;
  for (const offset of invalidUtf8Offsets(data)) {
    const line = firstLine + countNewlines(data, offset);
    if (line === lastLine) continue; // one report per line is enough to find it
    lastLine = line;
    const byte = data[offset] ?? 0;
    report(guard.collector, {
      line,
      column: null,
      kind: 'not-utf8',
      reason: `byte ${hex(byte)} at byte offset ${startByte + offset} is not valid UTF-8; save the file as UTF-8 (it looks like Latin-1 / Windows-1252)`,
    });
    if (guard.collector.stopped) return;
  }
}

function isUtf16(chunk: Uint8Array): boolean {
  return (chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff);
}

/** Counts lines and runs of empty lines (`\n\n` or `\r\n\r\n`) in the next piece of the stream. */
function scanLines(guard: ByteGuard, piece: Uint8Array): void {
  const base = guard.bytes;
  let at = piece.indexOf(NEWLINE);
  while (at !== -1) {
    const gap = base + at - guard.lastNewline - 1;
    const before = at > 0 ? piece[at - 1] : guard.lastByte;
    guard.blankRun = gap === 0 || (gap === 1 && before === 0x0d) ? guard.blankRun + 1 : 0;
    guard.lastNewline = base + at;
    guard.line++;
    if (guard.blankRun > MAX_CONSECUTIVE_BLANK_LINES) {
      fatal(guard.collector, blankLinesProblem(guard.line));
      return;
    }
    at = piece.indexOf(NEWLINE, at + 1);
  }
  guard.lastByte = piece[piece.length - 1] ?? guard.lastByte;
}

export function blankLinesProblem(line: number): CatalogProblem {
  return {
    line,
    column: null,
    kind: 'malformed-csv',
    reason: `more than ${MAX_CONSECUTIVE_BLANK_LINES} blank lines in a row; this is not a catalog`,
  };
}

/** Checks one piece; false when reading must stop. */
function guardPiece(guard: ByteGuard, piece: Uint8Array): boolean {
  const { collector } = guard;
  if (guard.bytes === 0 && isUtf16(piece)) {
    fatal(collector, {
      line: 1,
      column: null,
      kind: 'not-utf8',
      reason: 'the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as "CSV UTF-8"',
    });
    return false;
  }
  if (guard.bytes - guard.recordBytes > MAX_BYTES_WITHOUT_RECORD) {
    fatal(collector, {
      line: guard.line,
      column: null,
      kind: 'malformed-csv',
      reason: `no CSV record in ${MAX_BYTES_WITHOUT_RECORD} bytes (blank or whitespace-only lines); this is not a catalog`,
    });
    return false;
  }
  if (guard.bytes + piece.length > guard.maxBytes) {
    fatal(collector, {
      line: guard.line,
      column: null,
      kind: 'too-large',
      reason: `the file is larger than the limit of ${guard.maxBytes} bytes; reading stopped`,
    });
    return false;
  }
  const carry = guard.carry;
  const data = carry.length === 0 ? piece : Buffer.concat([carry, piece]);
  const complete = data.length - incompleteTailLength(data);
  const head = data.subarray(0, complete);
  if (!isUtf8(head)) reportInvalidUtf8(guard, head, guard.line, guard.bytes - carry.length);
  guard.carry = data.subarray(complete);
  scanLines(guard, piece);
  guard.bytes += piece.length;
  return !collector.stopped;
}

/** The parser turns a whole piece into records at once; small pieces let a stop take effect sooner. */
const PIECE_BYTES = 16 * 1024;

/**
 * Passes the input through unchanged while counting bytes (stopping at the cap before buffering
 * more) and checking UTF-8. A character split across two chunks is checked once whole.
 */
export async function* guardBytes(
  source: AsyncIterable<Uint8Array>,
  guard: ByteGuard,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('catalog input must yield Buffers, not strings');
    for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
      const piece = chunk.subarray(at, at + PIECE_BYTES);
      if (!guardPiece(guard, piece)) return;
      yield piece;
    }
  }
  if (guard.carry.length > 0)
    report(guard.collector, {
      line: guard.line,
      column: null,
      kind: 'not-utf8',
      reason: `the file ends inside a UTF-8 character (byte ${hex(guard.carry[0] ?? 0)} at byte offset ${guard.bytes - guard.carry.length})`,
    });
}

export async function* chunksOf(buffer: Buffer): AsyncGenerator<Buffer> {
  const size = 64 * 1024;
  for (let at = 0; at < buffer.length; at += size) yield buffer.subarray(at, at + size);
}
