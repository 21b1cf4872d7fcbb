/**
 * Tabulation at every level (national, entidad, distrito, sección, casilla) and the 13 header
 * aggregates. Pure and linear in actas + casillas. Rules: domain.md "Aggregates".
 */
import type { PublishedActa } from './acta.ts';
import { type Catalog, distritoKey, seccionKey } from './catalog.ts';
import { isInconsistent } from './classification.ts';
import type { Contest } from './election.ts';
import { truncatedPercent } from './percent.ts';
import type { Aggregates, LevelTotals, Tabulation } from './tabulation_types.ts';

/**
 * The 13 aggregates. Percentages are over actas esperadas, truncated to 4 decimals;
 * participation uses the votes without special casillas while the PREP runs and with them
 * at the final cut (special-casilla voters are on no casilla's lista nominal).
 */
export function aggregatesFromCounts(counts: Omit<LevelCounts, 'votes'>, final: boolean): Aggregates {
  return {
    actasEsperadas: counts.esperadas,
    actasRegistradas: counts.capturadas + counts.fueraCatalogo,
    actasFueraCatalogo: counts.fueraCatalogo,
    actasCapturadas: counts.capturadas,
    porcentajeActasCapturadas: truncatedPercent(counts.capturadas, counts.esperadas),
    actasContabilizadas: counts.contabilizadas,
    porcentajeActasContabilizadas: truncatedPercent(counts.contabilizadas, counts.esperadas),
    porcentajeActasInconsistencias: truncatedPercent(counts.inconsistentes, counts.esperadas),
    actasNoContabilizadas: counts.capturadas - counts.contabilizadas,
    listaNominalActasContabilizadas: counts.listaNominalContabilizadas,
    totalVotosConCasillasEspeciales: counts.votosConEspeciales,
    totalVotosSinCasillasEspeciales: counts.votosSinEspeciales,
    porcentajeParticipacionCiudadana: truncatedPercent(
      final ? counts.votosConEspeciales : counts.votosSinEspeciales,
      counts.listaNominalContabilizadas,
    ),
  };
}

/** The raw counts of one unit, from which its 13 aggregates follow. */
export interface LevelCounts {
  esperadas: number;
  fueraCatalogo: number;
  capturadas: number;
  contabilizadas: number;
  inconsistentes: number;
  listaNominalContabilizadas: number;
  votosConEspeciales: number;
  votosSinEspeciales: number;
  votes: number[]; // by column position
}

function zero(columns: number): LevelCounts {
  return {
    esperadas: 0,
    fueraCatalogo: 0,
    capturadas: 0,
    contabilizadas: 0,
    inconsistentes: 0,
    listaNominalContabilizadas: 0,
    votosConEspeciales: 0,
    votosSinEspeciales: 0,
    votes: new Array<number>(columns).fill(0),
  };
}

function addInto(target: LevelCounts, source: LevelCounts): void {
  target.esperadas += source.esperadas;
  target.fueraCatalogo += source.fueraCatalogo;
  target.capturadas += source.capturadas;
  target.contabilizadas += source.contabilizadas;
  target.inconsistentes += source.inconsistentes;
  target.listaNominalContabilizadas += source.listaNominalContabilizadas;
  target.votosConEspeciales += source.votosConEspeciales;
  target.votosSinEspeciales += source.votosSinEspeciales;
  for (let i = 0; i < source.votes.length; i++) target.votes[i]! += source.votes[i]!;
}

/**
 * Counts each casilla once, then rolls casillas up into secciones, distritos, entidades and
 * the nation: linear in actas + casillas, a second or so for a national contest.
 */
export function tabulate(input: {
  readonly contest: Contest;
  readonly catalog: Catalog;
  readonly actas: readonly PublishedActa[];
  readonly final: boolean;
}): Tabulation {
  const { contest, catalog, final } = input;
  const columns = contest.columns.map((c) => c.id);
  const position = new Map(columns.map((id, i) => [id, i]));
  const byCasilla = new Map<string, LevelCounts>();
  for (const casilla of catalog.casillas) {
    const counts = zero(columns.length);
    for (const actaType of contest.actaTypes)
      if (actaType.casillaTypes.includes(casilla.tipo)) counts.esperadas++;
    byCasilla.set(casilla.key, counts);
  }
  const national = zero(columns.length);
  for (const acta of input.actas) {
    if (acta.contest !== contest.id) throw new Error(`acta of ${acta.contest} tabulated in ${contest.id}`);
    const classification = acta.classification;
    if (classification.contabilizada === 2 || acta.casilla === null) {
      national.fueraCatalogo++;
      continue;
    }
    const counts = byCasilla.get(acta.casilla.key);
    if (counts === undefined) throw new Error(`acta ${acta.actaKey} names a casilla outside the catalog`);
    counts.capturadas++;
    if (isInconsistent(classification)) counts.inconsistentes++;
    if (classification.contabilizada !== 1) continue;
    const total = classification.computedTotal ?? 0;
    counts.contabilizadas++;
    counts.listaNominalContabilizadas += acta.casilla.listaNominal;
    counts.votosConEspeciales += total;
    if (acta.casilla.tipo !== 'S') counts.votosSinEspeciales += total;
    if (acta.fields !== null) {
      const votes = acta.fields.votes;
      for (const column in votes) {
        const value = votes[column];
        if (typeof value === 'number') counts.votes[position.get(column)!]! += value;
      }
    }
  }
  const entidades = new Map<number, LevelCounts>();
  const distritos = new Map<string, LevelCounts>();
  const secciones = new Map<string, LevelCounts>();
  const into = <K>(map: Map<K, LevelCounts>, key: K, counts: LevelCounts): void => {
    let target = map.get(key);
    if (target === undefined) {
      target = zero(columns.length);
      map.set(key, target);
    }
    addInto(target, counts);
  };
  for (const casilla of catalog.casillas) {
    const counts = byCasilla.get(casilla.key)!;
    addInto(national, counts);
    into(entidades, casilla.entidad, counts);
    into(distritos, distritoKey(casilla.entidad, casilla.distrito), counts);
    into(secciones, seccionKey(casilla.entidad, casilla.seccion), counts);
  }
  const toTotals = (counts: LevelCounts): LevelTotals => {
    const votes: Record<string, number> = {};
    columns.forEach((id, i) => {
      votes[id] = counts.votes[i]!;
    });
    return { aggregates: aggregatesFromCounts(counts, final), votes };
  };
  const convert = <K>(map: Map<K, LevelCounts>): Map<K, LevelTotals> =>
    new Map([...map].map(([key, counts]) => [key, toTotals(counts)]));
  return {
    contest: contest.id,
    final,
    national: toTotals(national),
    entidades: convert(entidades),
    distritos: convert(distritos),
    secciones: convert(secciones),
    casillas: {
      get: (key: string) => {
        const counts = byCasilla.get(key);
        return counts === undefined ? undefined : toTotals(counts);
      },
      has: (key: string) => byCasilla.has(key),
      size: byCasilla.size,
    },
  };
}
