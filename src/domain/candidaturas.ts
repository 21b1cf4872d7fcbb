/**
 * Votes per candidatura (docs/catalog.md, "Candidaturas"): what a voter chose, a candidate with the parties that
 * nominated them. A candidatura's votes in a distrito are those of every column on the ballot
 * there that counts toward it; a level's are the sum over its distritos (the votes of a level
 * are its distritos' votes: fuera de catálogo actas are never contabilizadas).
 */
import { candidateIn, candidaturaCounts, columnApplies, type Contest } from './election.ts';
import { formatPercent, truncatedPercent } from './percent.ts';

export interface CandidaturaTotal {
  readonly id: string;
  readonly name: string;
  /** The candidate when the candidatura has the same one wherever it runs in the level; else null. */
  readonly candidate: string | null;
  readonly columns: readonly string[];
  readonly votes: number;
  /** Share of the level's TOTAL_VOTOS_C_CS, 4 decimals truncated. */
  readonly percent: string;
}

export interface DistritoVotes {
  readonly key: string; // "EE-DDD"
  readonly votes: Readonly<Record<string, number>>; // by column id
}

/**
 * The candidaturas that run in at least one of the level's distritos, in the definition's
 * order, with their votes there; empty when the contest defines none.
 */
export function candidaturaTotals(
  contest: Contest,
  distritos: readonly DistritoVotes[],
  totalVotes: number,
): CandidaturaTotal[] {
  const out: CandidaturaTotal[] = [];
  for (const candidatura of contest.candidaturas ?? []) {
    let votes = 0;
    const candidates = new Set<string>();
    for (const distrito of distritos) {
      const candidate = candidateIn(candidatura, distrito.key);
      if (candidate === null) continue;
      candidates.add(candidate);
      const entidad = Number(distrito.key.slice(0, 2));
      for (const column of contest.columns)
        if (columnApplies(column, entidad, distrito.key) && candidaturaCounts(candidatura, column))
          votes += distrito.votes[column.id] ?? 0;
    }
    if (candidates.size === 0) continue;
    out.push({
      id: candidatura.id,
      name: candidatura.name,
      candidate: candidates.size === 1 ? [...candidates][0]! : null,
      columns: candidatura.columns,
      votes,
      percent: formatPercent(truncatedPercent(votes, totalVotes)),
    });
  }
  return out;
}
