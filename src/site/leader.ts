import type { Column } from './publication.ts';

/**
 * The option with most votes among parties, coalition combinations and independents (not
 * nulos, not no registradas). None when nobody has a vote yet, or on a tie: the map shows
 * "no data" rather than pick one, and the tables show the figures.
 */
export function leaderOf(columns: readonly Column[], votes: readonly number[]): Column | null {
  let best = 0;
  let leader: Column | null = null;
  columns.forEach((column, i) => {
    if (column.kind === 'nulos' || column.kind === 'no_registradas') return;
    const v = votes[i] ?? 0;
    if (v > best) {
      best = v;
      leader = column;
    } else if (v === best && v > 0) leader = null;
  });
  return leader;
}
