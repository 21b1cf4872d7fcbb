/** `<CONTEST>_CANDIDATURAS_<YEAR>.csv`: the contest's options and where each is on the ballot. */
import {
  candidaturaCounts,
  type Contest,
  type ElectionDefinition,
  type VoteColumn,
} from '../domain/election.ts';
import { LINE_END, safeText, titleLine } from './results_csv.ts';

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** Could the column be on the ballot somewhere in a place (`"EE"` or `"EE-DDD"`)? */
function overlaps(column: VoteColumn, place: string): boolean {
  const scope = column.scope;
  if (scope === undefined) return true;
  if (scope.entidades !== undefined && !scope.entidades.includes(Number(place.slice(0, 2)))) return false;
  if (scope.distritos === undefined) return true;
  return place.length > 2
    ? scope.distritos.includes(place)
    : scope.distritos.some((d) => d.startsWith(place));
}

/**
 * The candidate the column's votes count toward: their name when it is one person wherever the
 * column is on the ballot, `VARIAS` when it differs by entidad or distrito (the election
 * definition and the site JSON name them), `-` for none.
 */
function candidateCell(contest: Contest, column: VoteColumn): string {
  if (contest.candidaturas === undefined)
    return column.candidate === undefined ? '-' : safeText(column.candidate);
  const names = new Set<string>();
  for (const candidatura of contest.candidaturas) {
    if (!candidaturaCounts(candidatura, column)) continue;
    if (candidatura.candidate !== undefined) names.add(candidatura.candidate);
    for (const [place, name] of Object.entries(candidatura.candidates ?? {}))
      if (overlaps(column, place)) names.add(name);
  }
  if (names.size === 0) return '-';
  return names.size === 1 ? safeText([...names][0]!) : 'VARIAS';
}

export function candidaturasCsv(election: ElectionDefinition, contest: Contest): Buffer {
  const lines = [
    quote(titleLine(election, contest)),
    'ID_COLUMNA,TIPO,NOMBRE,CANDIDATURA,PARTIDOS,ENTIDADES,DISTRITOS',
    ...contest.columns.map((column) =>
      [
        column.id,
        column.kind.toUpperCase(),
        safeText(column.name),
        candidateCell(contest, column),
        column.parties === undefined ? '-' : column.parties.join(' '),
        column.scope?.entidades === undefined ? 'TODAS' : column.scope.entidades.join(' '),
        column.scope?.distritos === undefined ? 'TODOS' : column.scope.distritos.join(' '),
      ]
        .map(quote)
        .join(','),
    ),
  ];
  return Buffer.from(`\uFEFF${lines.join(LINE_END)}${LINE_END}`, 'utf8');
}
