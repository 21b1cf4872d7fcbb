/**
 * V15: each contest's `<CONTEST>_CANDIDATURAS_<YEAR>.csv`, the file that says what the vote
 * columns of the results CSV are and where each is on the ballot. It holds no numbers (the votes
 * are in the results CSV): what it must agree with is the results CSV's title and vote columns,
 * in order, and — with the election definition — every cell the definition implies. The
 * verifier's own reading of docs/publication-format.md, independent of src/publish/.
 */
import type { Contest, ElectionDefinition, VoteColumn } from '../../domain/election.ts';
import {
  FIXED_LEADING_COLUMNS,
  FIXED_TRAILING_COLUMNS,
  SIMULACRO_TITLE_PREFIX,
} from '../../domain/results_layout.ts';
import { candidateOfColumn } from './candidatura_votes.ts';
import { splitCells } from './csv_cells.ts';
import type { Manifest } from './manifest.ts';
import type { Failures } from './report.ts';

export const CANDIDATURAS_HEADER = 'ID_COLUMNA,TIPO,NOMBRE,CANDIDATURA,PARTIDOS,ENTIDADES,DISTRITOS';
const KINDS = new Set(['PARTY', 'COALITION', 'INDEPENDENT', 'NO_REGISTRADAS', 'NULOS']);
const ENTIDAD = /^([1-9]|[12][0-9]|3[0-2])$/;
const DISTRITO = /^[0-9]{2}-[0-9]{3}$/;

/** `<CONTEST>_CANDIDATURAS_<YEAR>.csv`, beside `<CONTEST>_<YEAR>.csv`. */
export function candidaturasName(manifest: Manifest, contestId: string): string {
  return `${contestId}_CANDIDATURAS_${manifest.election.year}.csv`;
}

/** What the results CSV of the contest says, when it was read (null when V07 could not read it). */
export interface ResultsColumns {
  /** Line 1, unquoted. */
  readonly title: string;
  /** The table header of line 7. */
  readonly header: readonly string[];
}

/** Catalog text that would start a spreadsheet formula is published with a leading `'` (a lone `-` is not). */
function safeText(text: string): string {
  return text !== '-' && /^[=+\-@\t\r\0]/.test(text) ? `'${text}` : text;
}

/** The 7 cells the election definition implies for a column. */
function expectedCells(contest: Contest, column: VoteColumn): string[] {
  const candidate =
    contest.candidaturas !== undefined ? candidateOfColumn(contest, column) : (column.candidate ?? '-');
  return [
    column.id,
    column.kind.toUpperCase(),
    safeText(column.name),
    safeText(candidate),
    column.parties === undefined ? '-' : column.parties.join(' '),
    column.scope?.entidades === undefined ? 'TODAS' : column.scope.entidades.join(' '),
    column.scope?.distritos === undefined ? 'TODOS' : column.scope.distritos.join(' '),
  ];
}

const NAMES = CANDIDATURAS_HEADER.split(',');

/** V15 for one contest: `bytes` is the file (null when absent). */
export function checkCandidaturas(
  checks: Failures,
  file: string,
  bytes: Uint8Array | null,
  results: ResultsColumns | null,
  contest: Contest | null,
  election: ElectionDefinition | null,
): void {
  const fail = (detail: string) => checks.fail('V15', `${file}: ${detail}`);
  if (bytes === null) {
    checks.fail('V15', `${file} is missing`);
    return;
  }
  if (bytes[0] !== 0xef || bytes[1] !== 0xbb || bytes[2] !== 0xbf) {
    fail('it does not start with a UTF-8 byte-order mark');
    return;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(3));
  } catch {
    fail('it is not valid UTF-8');
    return;
  }
  if (text.includes('\n') || !text.endsWith('\r')) {
    fail('every line must end in \\r alone');
    return;
  }
  const lines: string[][] = [];
  for (const [i, line] of text.slice(0, -1).split('\r').entries()) {
    const cells = splitCells(line, ',');
    if (!cells.ok) {
      fail(`line ${i + 1}: ${cells.message}`);
      return;
    }
    lines.push(cells.value);
  }
  const title = lines[0]?.join(',') ?? '';
  if (results !== null && title !== results.title)
    fail(`line 1 "${title}" is not the results CSV's title "${results.title}"`);
  if (lines[1]?.join(',') !== CANDIDATURAS_HEADER) fail(`line 2 is not the header ${CANDIDATURAS_HEADER}`);
  const rows = lines.slice(2);
  for (const [i, row] of rows.entries())
    if (row.length !== NAMES.length) {
      fail(`line ${i + 3}: ${row.length} cells, the header has ${NAMES.length}`);
      return;
    }
  const ids = rows.map((row) => row[0]!);
  if (results !== null) {
    const voteColumns = results.header.slice(
      FIXED_LEADING_COLUMNS.length,
      results.header.length - FIXED_TRAILING_COLUMNS.length,
    );
    if (ids.join(' ') !== voteColumns.join(' '))
      fail(`its columns (${ids.join(' ')}) are not the results CSV's (${voteColumns.join(' ')}), in order`);
  }
  // Each cell's domain, which holds with or without the election definition.
  const parties = new Set(rows.filter((row) => row[1] === 'PARTY').map((row) => row[0]!));
  for (const row of rows) {
    const [id, kind, name, candidate, members, entidades, distritos] = row as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const bad = (column: string, why: string) =>
      fail(`${id}: ${column} "${row[NAMES.indexOf(column)]}" ${why}`);
    if (!KINDS.has(kind)) bad('TIPO', `is not one of ${[...KINDS].join(', ')}`);
    if (name === '') bad('NOMBRE', 'is empty');
    if (candidate === '') bad('CANDIDATURA', 'is empty');
    if (kind === 'COALITION') {
      const list = members.split(' ');
      if (list.length < 2 || list.some((p) => !parties.has(p)) || new Set(list).size !== list.length)
        bad('PARTIDOS', 'is not two or more different PARTY columns of this file');
    } else if (members !== '-') bad('PARTIDOS', 'lists parties, and only a COALITION does');
    if (entidades !== 'TODAS') {
      const list = entidades.split(' ');
      if (list.some((e) => !ENTIDAD.test(e)) || new Set(list).size !== list.length)
        bad('ENTIDADES', 'is neither TODAS nor different entidades 1–32 separated by spaces');
    }
    if (distritos !== 'TODOS') {
      const list = distritos.split(' ');
      if (list.some((d) => !DISTRITO.test(d)) || new Set(list).size !== list.length)
        bad('DISTRITOS', 'is neither TODOS nor different EE-DDD distritos separated by spaces');
    }
  }
  // With the definition (V11 passed), every cell is what it implies.
  if (contest === null || election === null) return;
  const expectedTitle = `${election.mode === 'simulacro' ? SIMULACRO_TITLE_PREFIX : ''}${contest.title}`;
  if (title !== expectedTitle) fail(`line 1 "${title}" is not the definition's title "${expectedTitle}"`);
  const byId = new Map(rows.map((row) => [row[0]!, row]));
  for (const column of contest.columns) {
    const row = byId.get(column.id);
    if (row === undefined) {
      fail(`the definition's column ${column.id} is not listed`);
      continue;
    }
    const expected = expectedCells(contest, column);
    for (let c = 1; c < NAMES.length; c++)
      if (row[c] !== expected[c])
        fail(`${column.id}: ${NAMES[c]} is "${row[c]}", the election definition says "${expected[c]}"`);
  }
  for (const id of ids)
    if (!contest.columns.some((c) => c.id === id)) fail(`column ${id} is not in the election definition`);
}
