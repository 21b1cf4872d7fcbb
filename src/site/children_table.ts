/**
 * The table of the units below a level (entidades, distritos, secciones), made to scale: a
 * distrito has ~400 secciones. Search by name or number (and by casilla key, which finds the
 * casilla itself), sort by any column, and pages of PAGE_SIZE rows. Pure: the view keeps the
 * state, this computes what it shows.
 */
export const PAGE_SIZE = 50;

export type SortKey = 'name' | 'leader' | 'counted' | 'participation' | 'votes';

export interface TableUnit {
  readonly key: string;
  readonly label: string;
  /** Its position in the published order (by number): the default order and the last tie-break. */
  readonly order: number;
  readonly leader: string | null;
  /** Percentages as published (4-decimal strings); null where nothing is counted yet. */
  readonly counted: string | null;
  readonly participation: string | null;
  readonly votes: number;
  /** Casilla keys of a sección, for search. */
  readonly casillas?: readonly string[];
}

export interface TableState {
  readonly query: string;
  readonly sort: SortKey;
  readonly descending: boolean;
  /** 0-based. */
  readonly page: number;
}

export const INITIAL_TABLE: TableState = { query: '', sort: 'name', descending: false, page: 0 };

export interface TableView<U extends TableUnit> {
  readonly rows: readonly U[];
  /** Rows that match the query, over every page. */
  readonly matching: number;
  readonly page: number;
  readonly pages: number;
  /** Casillas whose key holds the query (at least 3 characters), with their sección's unit. */
  readonly casillas: readonly { readonly casilla: string; readonly unit: U }[];
}

const normalize = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase().trim();

function compare(a: TableUnit, b: TableUnit, key: SortKey): number {
  switch (key) {
    case 'name':
      return a.order - b.order;
    case 'leader':
      // Units with nobody ahead go last, whichever way the column is sorted.
      return (a.leader ?? '\uffff').localeCompare(b.leader ?? '\uffff', 'es');
    case 'counted':
    case 'participation': {
      const x = a[key] === null ? -1 : Number(a[key]);
      const y = b[key] === null ? -1 : Number(b[key]);
      return x - y;
    }
    case 'votes':
      return a.votes - b.votes;
  }
}

export function tableView<U extends TableUnit>(units: readonly U[], state: TableState): TableView<U> {
  const query = normalize(state.query);
  const digits = query.replace(/^0+(?=\d)/, '');
  const matches = (unit: U) =>
    query === '' ||
    normalize(unit.label).includes(query) ||
    // "123" finds sección 0123: numbers match without their leading zeros.
    (/^\d+$/.test(digits) &&
      normalize(unit.label)
        .replace(/\b0+(?=\d)/g, '')
        .includes(digits)) ||
    (query.length >= 3 && (unit.casillas ?? []).some((c) => c.includes(query)));
  const filtered = units.filter(matches);
  const sign = state.descending ? -1 : 1;
  const sorted = [...filtered].sort((a, b) => sign * compare(a, b, state.sort) || a.order - b.order);
  const pages = Math.max(1, Math.ceil(sorted.length / PAGE_SIZE));
  const page = Math.min(Math.max(0, state.page), pages - 1);
  const casillas =
    query.length >= 3
      ? filtered.flatMap((unit) =>
          (unit.casillas ?? []).filter((c) => c.includes(query)).map((casilla) => ({ casilla, unit })),
        )
      : [];
  return {
    rows: sorted.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE),
    matching: sorted.length,
    page,
    pages,
    casillas: casillas.slice(0, 20),
  };
}
