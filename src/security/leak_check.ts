/**
 * "Is this dump ours?" A claimed leak (CSV, JSON or plain text) is cut into records (a CSV
 * row, a JSON object, a line of text) and tokens (cells, string and number values, words and
 * runs of up to three words); each token's keyed fingerprint is looked up among the center's
 * internal values (operators, devices, sessions, decoys, the canaries of every export), and
 * its plain value among what is public anyway (the catalog, the election definition, the
 * published cuts, numbers and dates). Public values prove nothing: anyone can download them,
 * and presenting them as a breach is a known tactic (FBI/CISA PSA, 12 Sept 2024).
 *
 * Pure apart from the HMAC: the caller reads the store and the files.
 */
import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import type { DeviceRow } from '../domain/device.ts';
import type { OperatorRow } from '../auth/operators_port.ts';
import type { DecoyRow, ExportRow } from './decoys_port.ts';
import { fingerprint, fingerprintNormal, normalise } from './fingerprint.ts';

export type InternalKind = 'operator' | 'device' | 'session';

interface Internal {
  readonly kind: InternalKind | null;
  readonly decoy: DecoyRow | null;
}

export interface LeakIndex {
  readonly key: Buffer;
  readonly internal: ReadonlyMap<string, Internal>;
  readonly exports: ReadonlyMap<string, ExportRow>;
  /** Canaries per export, to say how many of an export's canaries a dump holds. */
  readonly canariesPerExport: ReadonlyMap<string, number>;
  readonly publicValues: ReadonlySet<string>;
}

export function buildLeakIndex(input: {
  readonly key: Buffer;
  readonly operators: readonly OperatorRow[];
  readonly devices: readonly DeviceRow[];
  readonly sessionHashes: readonly string[];
  readonly decoys: readonly DecoyRow[];
  readonly exports: readonly ExportRow[];
  /** Texts that are public anyway (catalog CSV, election definition, published cut files). */
  readonly publicTexts: readonly string[];
}): LeakIndex {
  const internal = new Map<string, Internal>();
  const add = (value: string, kind: InternalKind) => {
    const print = fingerprint(input.key, value);
    if (print !== '' && !internal.has(print)) internal.set(print, { kind, decoy: null });
  };
  for (const o of input.operators) for (const v of [o.id, o.username, o.name]) add(v, 'operator');
  for (const d of input.devices) for (const v of [d.id, d.publicKey]) add(v, 'device');
  for (const h of input.sessionHashes) add(h, 'session');
  const canariesPerExport = new Map<string, number>();
  for (const decoy of input.decoys) {
    if (decoy.exportId !== null)
      canariesPerExport.set(decoy.exportId, (canariesPerExport.get(decoy.exportId) ?? 0) + 1);
    for (const print of decoy.fingerprints)
      internal.set(print, { kind: internal.get(print)?.kind ?? null, decoy });
  }
  const publicValues = new Set<string>();
  for (const text of input.publicTexts)
    for (const record of parseDump(text, '').records)
      for (const token of record) publicValues.add(normalise(token));
  return {
    key: input.key,
    internal,
    exports: new Map(input.exports.map((e) => [e.id, e])),
    canariesPerExport,
    publicValues,
  };
}

export type DumpFormat = 'csv' | 'json' | 'text';

/** A dump cut into records, each the list of its tokens, read as they are checked (a large dump is never held twice). */
export interface Dump {
  readonly format: DumpFormat;
  readonly records: Iterable<readonly string[]>;
}

/** CSV by its name or by a first line that a delimiter splits; JSON when it parses; else text. */
export function parseDump(text: string, name: string): Dump {
  const body = text.replace(/^\uFEFF/, '');
  const trimmed = body.trimStart();
  if (/\.json$/i.test(name) || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { format: 'json', records: jsonRecords(JSON.parse(body) as unknown) };
    } catch {
      // Not JSON after all: read it as text or CSV below.
    }
  }
  const firstLine = body.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = [',', ';', '\t', '|'].find((d) => firstLine.split(d).length >= 3);
  if (delimiter !== undefined || /\.(csv|tsv)$/i.test(name)) {
    const rows = csvRows(body, delimiter ?? ',');
    if (rows !== null) return { format: 'csv', records: nonEmpty(rows, cellTokens) };
  }
  return { format: 'text', records: nonEmpty(lines(body), textTokens) };
}

function* nonEmpty<T>(items: Iterable<T>, tokens: (item: T) => string[]): Generator<string[]> {
  for (const item of items) {
    const record = tokens(item);
    if (record.length > 0) yield record;
  }
}

function* lines(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    const stop = end === -1 ? text.length : end;
    yield text.slice(start, stop > start && text[stop - 1] === '\r' ? stop - 1 : stop);
    start = stop + 1;
  }
}

function jsonRecords(value: unknown): string[][] {
  const records: string[][] = [];
  const loose: string[] = [];
  const walk = (node: unknown, into: string[]) => {
    if (typeof node === 'string' || typeof node === 'number') into.push(String(node));
    else if (Array.isArray(node)) for (const item of node) walk(item, into);
    else if (node !== null && typeof node === 'object') {
      const own: string[] = [];
      for (const child of Object.values(node)) {
        if (child !== null && typeof child === 'object' && !Array.isArray(child)) walk(child, own);
        else if (Array.isArray(child) && child.some((c) => c !== null && typeof c === 'object'))
          walk(child, []);
        else walk(child, own);
      }
      if (own.length > 0) records.push(own);
    }
  };
  walk(value, loose);
  if (loose.length > 0) records.push(...loose.map((v) => [v]));
  return records;
}

/**
 * RFC 4180 rows, read as loosely as a leaked file needs (rows of any length, stray quotes); null
 * when even that fails (a quote never closed), and the file is read as text instead.
 */
function csvRows(text: string, delimiter: string): string[][] | null {
  try {
    return parseCsv(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch {
    return null;
  }
}

const cellTokens = (row: readonly string[]): string[] => row.map((c) => c.trim()).filter((c) => c !== '');

/** A line's words (split on spaces and punctuation that is not part of an id) and runs of two and three. */
function textTokens(line: string): string[] {
  const words = line.split(/[\s,;:"'()[\]{}<>|]+/).filter((w) => w !== '');
  const tokens = [...words];
  for (let n = 2; n <= 3; n++)
    for (let i = 0; i + n <= words.length; i++) tokens.push(words.slice(i, i + n).join(' '));
  return tokens;
}

/** A session token as the cookie carries it: 32 random bytes in base64url (src/auth/accounts.ts). */
const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Values public by their shape: counts, percentages, dates and times, single characters. */
const PUBLIC_SHAPE =
  /^([+-]?[0-9]+([.,][0-9]+)*%?|[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+(Z|[+-][0-9:]+)?)?|[0-9:]+|.)$/u;

export interface ExportNamed {
  readonly exportId: string;
  readonly kind: string;
  readonly recipient: string;
  readonly at: string;
  readonly by: string;
  /** Canaries of this export found in the dump, and how many it had. */
  readonly canariesFound: number;
  readonly canariesInExport: number;
}

export type LeakVerdict = 'export-leaked' | 'internal-data' | 'public-data' | 'no-match';

export interface LeakReport {
  readonly format: DumpFormat;
  readonly verdict: LeakVerdict;
  readonly summary: string;
  readonly records: number;
  readonly tokensChecked: number;
  /** Distinct internal values found, by kind. */
  readonly internalMatches: Readonly<Record<InternalKind, number>>;
  readonly recordsMatched: number;
  /** recordsMatched / records: the share of the dump's records that hold an internal value. */
  readonly matchRatio: number;
  readonly recordsPublicOnly: number;
  readonly publicTokens: number;
  readonly exports: readonly ExportNamed[];
  readonly decoys: readonly { readonly decoyId: string; readonly kind: string; readonly label: string }[];
}

/** Exit codes of `openprep leak check` (docs/security-operations.md). */
export const LEAK_EXIT = { 'no-match': 0, 'public-data': 0, 'internal-data': 3, 'export-leaked': 4 } as const;

export function checkLeak(index: LeakIndex, dump: Dump): LeakReport {
  const internalSeen = { operator: new Set<string>(), device: new Set<string>(), session: new Set<string>() };
  const canaries = new Map<string, Set<string>>();
  const decoys = new Map<string, DecoyRow>();
  let tokensChecked = 0;
  let recordsMatched = 0;
  let recordsPublicOnly = 0;
  let publicTokens = 0;
  // Dumps repeat values (a role, a scope, a date) row after row: each is classified once.
  const seen = new Map<string, { print: string; found: Internal | undefined; isPublic: boolean }>();
  const classify = (token: string) => {
    let known = seen.get(token);
    if (known === undefined) {
      const normal = normalise(token);
      let print = fingerprintNormal(index.key, normal);
      let found = print === '' ? undefined : index.internal.get(print);
      // A session token itself (a stolen cookie): the store keeps its SHA-256 (case matters here).
      if (found === undefined && SESSION_TOKEN.test(token.trim())) {
        const hashed = fingerprintNormal(index.key, createHash('sha256').update(token.trim()).digest('hex'));
        found = index.internal.get(hashed);
        if (found !== undefined) print = hashed;
      }
      known = { print, found, isPublic: index.publicValues.has(normal) || PUBLIC_SHAPE.test(normal) };
      if (seen.size >= 100_000) seen.clear();
      seen.set(token, known);
    }
    return known;
  };
  let records = 0;
  for (const record of dump.records) {
    records++;
    let matched = false;
    let publicCount = 0;
    let unknown = 0;
    for (const token of record) {
      tokensChecked++;
      const { print, found, isPublic } = classify(token);
      if (found !== undefined) {
        matched = true;
        if (found.kind !== null) internalSeen[found.kind].add(print);
        const decoy = found.decoy;
        if (decoy?.exportId != null) {
          const set = canaries.get(decoy.exportId) ?? new Set<string>();
          set.add(decoy.id);
          canaries.set(decoy.exportId, set);
        } else if (decoy !== null) decoys.set(decoy.id, decoy);
        continue;
      }
      if (isPublic) {
        publicCount++;
        publicTokens++;
      } else unknown++;
    }
    if (matched) recordsMatched++;
    else if (publicCount > 0 && unknown === 0) recordsPublicOnly++;
  }
  const exports: ExportNamed[] = [...canaries].map(([exportId, found]) => {
    const e = index.exports.get(exportId);
    return {
      exportId,
      kind: e?.kind ?? 'unknown',
      recipient: e?.recipient ?? 'unknown',
      at: e === undefined ? '' : new Date(e.at).toISOString(),
      by: e?.by ?? '',
      canariesFound: found.size,
      canariesInExport: index.canariesPerExport.get(exportId) ?? found.size,
    };
  });
  exports.sort((a, b) => b.canariesFound - a.canariesFound || a.exportId.localeCompare(b.exportId));
  const matchRatio = records === 0 ? 0 : recordsMatched / records;
  const verdict: LeakVerdict =
    exports.length > 0
      ? 'export-leaked'
      : recordsMatched > 0 || decoys.size > 0
        ? 'internal-data'
        : records > 0 && recordsPublicOnly / records >= 0.5
          ? 'public-data'
          : 'no-match';
  const percent = (matchRatio * 100).toFixed(1);
  const summary = {
    'export-leaked': `ours: canaries of ${exports.map((e) => `export ${e.exportId} (${e.kind}, to ${e.recipient}, ${e.at})`).join('; ')} are in it — that export leaked; ${recordsMatched} of ${records} records (${percent}%) hold internal values`,
    'internal-data': `ours: ${recordsMatched} of ${records} records (${percent}%) hold internal values, and no export's canary: the data came from the center itself or from a copy made outside an export`,
    'public-data': `public PREP data: proves nothing about a breach (${recordsPublicOnly} of ${records} records hold only values anyone can download)`,
    'no-match': `no match: none of its ${tokensChecked} tokens is an internal value of this center`,
  }[verdict];
  return {
    format: dump.format,
    verdict,
    summary,
    records,
    tokensChecked,
    internalMatches: {
      operator: internalSeen.operator.size,
      device: internalSeen.device.size,
      session: internalSeen.session.size,
    },
    recordsMatched,
    matchRatio,
    recordsPublicOnly,
    publicTokens,
    exports,
    decoys: [...decoys.values()].map((d) => ({ decoyId: d.id, kind: d.kind, label: d.label })),
  };
}
