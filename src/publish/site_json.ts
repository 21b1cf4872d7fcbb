/**
 * JSON for the public site, one file per contest and level: nacional, each entidad, each
 * distrito (with its secciones, casillas and acta rows). Built from the tabulation and the
 * very rows of the CSV, so the verifier can recompute every number from the CSV.
 */
import { type Casilla, type Catalog, distritoKey, seccionKey } from '../domain/catalog.ts';
import { candidaturaTotals, type DistritoVotes } from '../domain/candidaturas.ts';
import type { Contest, ElectionDefinition } from '../domain/election.ts';
import { formatIsoLocal } from '../domain/local_time.ts';
import { formatPercent, type Percent4, truncatedPercent } from '../domain/percent.ts';
import type { CasillaRange } from './results_csv.ts';
import {
  AGGREGATE_HEADERS,
  type LevelTotals,
  PERCENT_AGGREGATES,
  type Tabulation,
} from '../domain/tabulation_types.ts';

export function aggregatesJson(totals: LevelTotals): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [name, field] of AGGREGATE_HEADERS) {
    const value = totals.aggregates[field];
    out[name] = PERCENT_AGGREGATES.has(field) ? formatPercent(value as Percent4) : value;
  }
  return out;
}

/** Votes per column with each one's share of the counted votes (4 decimals, truncated). */
export function votesJson(
  contest: Contest,
  totals: LevelTotals,
): { column: string; votes: number; percent: string }[] {
  const total = totals.aggregates.totalVotosConCasillasEspeciales;
  return contest.columns.map((column) => {
    const votes = totals.votes[column.id] ?? 0;
    return { column: column.id, votes, percent: formatPercent(truncatedPercent(votes, total)) };
  });
}

function level(
  contest: Contest,
  totals: LevelTotals,
): { aggregates: Record<string, number | string>; votes: unknown } {
  return { aggregates: aggregatesJson(totals), votes: votesJson(contest, totals) };
}

export function siteJson(input: {
  readonly election: ElectionDefinition;
  readonly contest: Contest;
  readonly catalog: Catalog;
  readonly tabulation: Tabulation;
  readonly cutId: string;
  readonly cutTime: number;
  /** The contest's CSV: its name, table header and where each casilla's rows lie in it. */
  readonly csvName: string;
  readonly header: readonly string[];
  readonly casillaRanges: ReadonlyMap<string, CasillaRange>;
}): Map<string, Buffer> {
  const { election, contest, catalog, tabulation } = input;
  const files = new Map<string, Buffer>();
  const common = {
    contest: contest.id,
    title: contest.title,
    mode: election.mode,
    cut: { id: input.cutId, time: formatIsoLocal(input.cutTime, election.utcOffsetMinutes) },
    final: tabulation.final,
    columns: contest.columns.map((c) => ({
      id: c.id,
      kind: c.kind,
      name: c.name,
      parties: c.parties ?? null,
      color: c.color ?? null,
    })),
  };
  const distritoVotes = (keys: readonly string[]): DistritoVotes[] =>
    keys.map((key) => ({ key, votes: tabulation.distritos.get(key)?.votes ?? {} }));
  // The headline of each file (not of its list of parts: the national page's first load stays small).
  const candidaturas = (keys: readonly string[], totals: LevelTotals) =>
    candidaturaTotals(contest, distritoVotes(keys), totals.aggregates.totalVotosConCasillasEspeciales);
  const allKeys = catalog.distritos.map((d) => distritoKey(d.entidad, d.id));
  const write = (path: string, value: unknown): void => {
    // Objects are built in a fixed order, so plain JSON.stringify is deterministic.
    files.set(`json/${contest.id}/${path}`, Buffer.from(`${JSON.stringify(value)}\n`));
  };
  const entidadName = new Map(catalog.entidades.map((e) => [e.id, e.name]));
  write('nacional.json', {
    ...common,
    level: 'nacional',
    ...level(contest, tabulation.national),
    candidaturas: candidaturas(allKeys, tabulation.national),
    entidades: catalog.entidades.map((e) => ({
      id: e.id,
      name: e.name,
      ...level(contest, tabulation.entidades.get(e.id)!),
    })),
  });
  for (const entidad of catalog.entidades) {
    const distritos = catalog.distritos.filter((d) => d.entidad === entidad.id);
    write(`entidad/${String(entidad.id).padStart(2, '0')}.json`, {
      ...common,
      level: 'entidad',
      entidad: { id: entidad.id, name: entidad.name },
      ...level(contest, tabulation.entidades.get(entidad.id)!),
      candidaturas: candidaturas(
        distritos.map((d) => distritoKey(d.entidad, d.id)),
        tabulation.entidades.get(entidad.id)!,
      ),
      distritos: distritos.map((d) => ({
        id: d.id,
        name: d.name,
        ...level(contest, tabulation.distritos.get(distritoKey(d.entidad, d.id))!),
      })),
    });
  }
  // One pass over the catalog groups casillas by distrito and sección (catalog order).
  const byDistrito = new Map<string, Map<number, Casilla[]>>();
  for (const casilla of catalog.casillas) {
    const key = distritoKey(casilla.entidad, casilla.distrito);
    let secciones = byDistrito.get(key);
    if (secciones === undefined) {
      secciones = new Map();
      byDistrito.set(key, secciones);
    }
    let list = secciones.get(casilla.seccion);
    if (list === undefined) {
      list = [];
      secciones.set(casilla.seccion, list);
    }
    list.push(casilla);
  }
  // Secciones and casillas are many (a national distrito holds ~570 casillas): compact arrays,
  // with the names given once per file. The acta rows themselves stay in the CSV, published
  // once: each casilla names the byte range of its rows there.
  for (const distrito of catalog.distritos) {
    const key = distritoKey(distrito.entidad, distrito.id);
    const secciones = byDistrito.get(key) ?? new Map<number, Casilla[]>();
    write(`distrito/${key}.json`, {
      ...common,
      level: 'distrito',
      entidad: { id: distrito.entidad, name: entidadName.get(distrito.entidad) ?? null },
      distrito: { id: distrito.id, name: distrito.name },
      ...level(contest, tabulation.distritos.get(key)!),
      candidaturas: candidaturas([key], tabulation.distritos.get(key)!),
      aggregateNames: AGGREGATE_HEADERS.map(([name]) => name),
      actaCsv: input.csvName,
      actaHeader: input.header,
      secciones: [...secciones].map(([seccion, casillas]) => {
        const totals = tabulation.secciones.get(seccionKey(distrito.entidad, seccion))!;
        const aggregates = aggregatesJson(totals);
        return {
          seccion,
          aggregates: AGGREGATE_HEADERS.map(([name]) => aggregates[name]),
          votes: contest.columns.map((column) => totals.votes[column.id] ?? 0),
          casillas: casillas.map((casilla) => {
            const range = input.casillaRanges.get(casilla.key);
            return range === undefined ? [casilla.key, 0, 0] : [casilla.key, range[0], range[1]];
          }),
        };
      }),
    });
  }
  return files;
}

/**
 * `json/index.json`: what the site needs before anything else — the election, the cut and its
 * contests (with their CSV files) — in a few hundred bytes, so a reader's first load does not
 * fetch the manifest (hundreds of KB at national scale).
 */
export function cutIndexJson(input: {
  readonly election: ElectionDefinition;
  readonly cutId: string;
  readonly cutTime: number;
  readonly final: boolean;
  readonly contests: readonly { readonly id: string; readonly title: string; readonly csv: string }[];
}): Buffer {
  const { election } = input;
  const value = {
    election: { id: election.id, name: election.name, mode: election.mode, year: election.year },
    cut: {
      id: input.cutId,
      time: formatIsoLocal(input.cutTime, election.utcOffsetMinutes),
      final: input.final,
    },
    contests: input.contests.map((c) => ({ id: c.id, title: c.title, csv: c.csv })),
  };
  return Buffer.from(`${JSON.stringify(value)}\n`);
}
