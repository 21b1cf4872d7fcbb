/**
 * The verifier's own reading of "votes per candidatura" (docs/publication-format.md, site JSON
 * `candidaturas`; docs/catalog.md "Candidaturas"), independent of src/publish/ and of the
 * domain's helpers: the expected `candidaturas` of a site file from the distritos' counts, and
 * the `CANDIDATURA` cell of the candidaturas CSV.
 */
import type { Candidatura, Contest, VoteColumn } from '../../domain/election.ts';
import { formatPercent, truncatedPercent } from '../../domain/percent.ts';

/** Where the candidatura names a candidate for this distrito ("EE-DDD"): that name, else null. */
function runningIn(candidatura: Candidatura, distrito: string): string | null {
  if (typeof candidatura.candidate === 'string') return candidatura.candidate;
  const places = candidatura.candidates ?? {};
  if (Object.hasOwn(places, distrito)) return places[distrito] ?? null;
  const entidad = distrito.split('-')[0] ?? '';
  return Object.hasOwn(places, entidad) ? (places[entidad] ?? null) : null;
}

function onBallot(column: VoteColumn, distrito: string): boolean {
  const entidad = Number.parseInt(distrito.split('-')[0] ?? '', 10);
  if (column.scope?.entidades !== undefined && !column.scope.entidades.includes(entidad)) return false;
  if (column.scope?.distritos !== undefined && !column.scope.distritos.includes(distrito)) return false;
  return true;
}

/** A party or independent column of its own, or a combination all of whose parties are its. */
function countsToward(candidatura: Candidatura, column: VoteColumn): boolean {
  const own = new Set(candidatura.columns);
  if (column.kind === 'coalition') return (column.parties ?? []).every((party) => own.has(party));
  return own.has(column.id);
}

export interface ExpectedCandidatura {
  id: string;
  name: string;
  candidate: string | null;
  columns: readonly string[];
  votes: number;
  percent: string;
}

/**
 * The `candidaturas` of a level made of these distritos, `votesOf` giving a distrito's vote of a
 * column; `cCs` the level's TOTAL_VOTOS_C_CS.
 */
export function expectedCandidaturas(
  contest: Contest,
  distritos: readonly string[],
  votesOf: (distrito: string, column: string) => number,
  cCs: number,
): ExpectedCandidatura[] {
  const expected: ExpectedCandidatura[] = [];
  for (const candidatura of contest.candidaturas ?? []) {
    const names: string[] = [];
    let votes = 0;
    for (const distrito of distritos) {
      const name = runningIn(candidatura, distrito);
      if (name === null) continue;
      if (!names.includes(name)) names.push(name);
      for (const column of contest.columns)
        if (onBallot(column, distrito) && countsToward(candidatura, column))
          votes += votesOf(distrito, column.id);
    }
    if (names.length === 0) continue;
    expected.push({
      id: candidatura.id,
      name: candidatura.name,
      candidate: names.length === 1 ? names[0]! : null,
      columns: candidatura.columns,
      votes,
      percent: formatPercent(truncatedPercent(votes, cCs)),
    });
  }
  return expected;
}

/** The candidaturas as published, in the same key order as `expectedCandidaturas`, for comparing. */
export function publishedCandidaturas(value: unknown): string {
  if (!Array.isArray(value)) return JSON.stringify(value ?? null);
  return JSON.stringify(
    value.map((item: Record<string, unknown> | null) => ({
      id: item?.['id'],
      name: item?.['name'],
      candidate: item?.['candidate'],
      columns: item?.['columns'],
      votes: item?.['votes'],
      percent: item?.['percent'],
    })),
  );
}

/**
 * The candidaturas CSV's `CANDIDATURA` for a column of a contest with candidaturas: the one name
 * its votes count toward wherever it may be on the ballot, `VARIAS` for several, `-` for none
 * (unquoted: the caller applies the spreadsheet guard).
 */
export function candidateOfColumn(contest: Contest, column: VoteColumn): string {
  const names = new Set<string>();
  for (const candidatura of contest.candidaturas ?? []) {
    if (!countsToward(candidatura, column)) continue;
    if (typeof candidatura.candidate === 'string') names.add(candidatura.candidate);
    for (const [place, name] of Object.entries(candidatura.candidates ?? {})) {
      const [entidad = '', distrito] = place.split('-');
      const scope = column.scope;
      const entidadOk = scope?.entidades === undefined || scope.entidades.includes(Number(entidad));
      const distritoOk =
        scope?.distritos === undefined ||
        (distrito === undefined
          ? scope.distritos.some((d) => d.split('-')[0] === entidad)
          : scope.distritos.includes(place));
      if (entidadOk && distritoOk) names.add(name);
    }
  }
  if (names.size === 0) return '-';
  return names.size > 1 ? 'VARIAS' : [...names][0]!;
}
