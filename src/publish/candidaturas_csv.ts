/** `<CONTEST>_CANDIDATURAS_<YEAR>.csv`: the contest's options and where each is on the ballot. */
import type { Contest, ElectionDefinition } from '../domain/election.ts';
import { LINE_END, safeText, titleLine } from './results_csv.ts';

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
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
        column.candidate === undefined ? '-' : safeText(column.candidate),
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
