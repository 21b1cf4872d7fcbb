/**
 * Tells a fault of the store or the disk from a bug. A device that gets a 4xx gives its acta
 * up, and a 500 says "our bug"; a failing disk, a damaged database or a database out of reach
 * is neither: the center answers 5xx with Retry-After, stops saying it is ready, and the device
 * keeps the acta and sends it again. This module only classifies; what to do is the server's
 * (src/server/health.ts).
 *
 * Recognised, walking an error's `cause` chain:
 * - node:sqlite errors by their primary result code (SQLite's own numbering);
 * - file system errors by their errno code (ENOSPC, EIO, …);
 * - PostgreSQL errors by SQLSTATE class, and the pg driver's connection failures.
 */

export type FaultKind =
  /** No space (or quota) left: a person must free space; nothing stored is wrong. */
  | 'disk-full'
  /** The store cannot be read or written (damaged, unreachable, an I/O error). */
  | 'store-unavailable';

export interface StoreFault {
  readonly kind: FaultKind;
  /** What was recognised: `SQLITE_CORRUPT`, `ENOSPC`, `pg 08006`, … (for the log). */
  readonly code: string;
  readonly message: string;
  /**
   * Damage that does not heal by itself (a corrupt page, a commit whose durability is
   * unknown): the node stays unready until it is restarted on a repaired store.
   */
  readonly permanent: boolean;
}

/** SQLite's primary result codes (https://sqlite.org/rescode.html) that are not our bug. */
const SQLITE_FAULTS: ReadonlyMap<number, readonly [string, FaultKind]> = new Map([
  [5, ['SQLITE_BUSY', 'store-unavailable']],
  [6, ['SQLITE_LOCKED', 'store-unavailable']],
  [7, ['SQLITE_NOMEM', 'store-unavailable']],
  [8, ['SQLITE_READONLY', 'store-unavailable']],
  [10, ['SQLITE_IOERR', 'store-unavailable']],
  [11, ['SQLITE_CORRUPT', 'store-unavailable']],
  [13, ['SQLITE_FULL', 'disk-full']],
  [14, ['SQLITE_CANTOPEN', 'store-unavailable']],
  [15, ['SQLITE_PROTOCOL', 'store-unavailable']],
  [26, ['SQLITE_NOTADB', 'store-unavailable']],
]);

const PERMANENT: ReadonlySet<string> = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'EUCLEAN']);

/** errno codes of the file system and the network that are the machine's, not the request's. */
const ERRNO_FAULTS: ReadonlyMap<string, FaultKind> = new Map([
  ['ENOSPC', 'disk-full'],
  ['EDQUOT', 'disk-full'],
  ['EIO', 'store-unavailable'],
  ['EROFS', 'store-unavailable'],
  ['ENXIO', 'store-unavailable'],
  ['EUCLEAN', 'store-unavailable'],
  ['ESTALE', 'store-unavailable'],
  ['EMFILE', 'store-unavailable'],
  ['ENFILE', 'store-unavailable'],
]);

/**
 * The database server out of reach: counted only when raised by `connect` (or the name
 * lookup before it), which only the store does — a device hanging up mid-upload also raises
 * ECONNRESET, and that is no fault of this center.
 */
const CONNECT_FAULTS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * PostgreSQL SQLSTATE classes (and single states) that mean the server, its disk or the
 * connection failed: 08 connection, 53 insufficient resources (53100 disk full), 57P01–57P03
 * shut down or starting, 58 system/I/O error, XX001/XX002 damaged data or index.
 */
function postgresFault(state: string): FaultKind | null {
  if (state === '53100') return 'disk-full';
  if (state.startsWith('08') || state.startsWith('53') || state.startsWith('58')) return 'store-unavailable';
  if (state === '57P01' || state === '57P02' || state === '57P03') return 'store-unavailable';
  if (state === 'XX001' || state === 'XX002') return 'store-unavailable';
  return null;
}

/** pg's own messages when the connection goes away under a query (they carry no code). */
const PG_CONNECTION_LOST =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

/** The fault this error is, or null when it is something else (a bug, a client's mistake). */
export function classifyFault(error: unknown): StoreFault | null {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (e instanceof StoreFaultError) return e.fault;
    const fields = e as Error & { code?: unknown; errcode?: unknown; syscall?: unknown };
    if (fields.code === 'ERR_SQLITE_ERROR' && typeof fields.errcode === 'number') {
      // Extended result codes carry the primary one in their low byte.
      const known = SQLITE_FAULTS.get(fields.errcode & 0xff);
      if (known !== undefined)
        return { kind: known[1], code: known[0], message: e.message, permanent: PERMANENT.has(known[0]) };
      continue;
    }
    if (typeof fields.code === 'string') {
      const kind = ERRNO_FAULTS.get(fields.code);
      if (kind !== undefined)
        return { kind, code: fields.code, message: e.message, permanent: PERMANENT.has(fields.code) };
      if (
        CONNECT_FAULTS.has(fields.code) &&
        (fields.syscall === 'connect' || fields.syscall === 'getaddrinfo')
      )
        return { kind: 'store-unavailable', code: fields.code, message: e.message, permanent: false };
      // A SQLSTATE is five characters of digits and capitals; pg sets `severity` beside it.
      if (/^[0-9A-Z]{5}$/.test(fields.code) && 'severity' in e) {
        const pgKind = postgresFault(fields.code);
        if (pgKind !== null)
          return {
            kind: pgKind,
            code: `pg ${fields.code}`,
            message: e.message,
            permanent: fields.code.startsWith('XX'),
          };
      }
    }
    if (PG_CONNECTION_LOST.test(e.message))
      return { kind: 'store-unavailable', code: 'pg connection', message: e.message, permanent: false };
    // Several addresses tried for one connection (IPv6 and IPv4): the first recognised one.
    if (e instanceof AggregateError)
      for (const inner of e.errors) {
        const fault = classifyFault(inner);
        if (fault !== null) return fault;
      }
  }
  return null;
}

/** An error already known to be a fault (the store's own, e.g. a commit it could not make durable). */
export class StoreFaultError extends Error {
  readonly fault: StoreFault;
  constructor(fault: StoreFault, options?: { readonly cause?: unknown }) {
    super(fault.message, options);
    this.name = 'StoreFaultError';
    this.fault = fault;
  }
}
