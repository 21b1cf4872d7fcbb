/**
 * Tabulation at every level (national, entidad, distrito, sección, casilla) and the 13 header
 * aggregates. Pure and linear in actas + casillas. Rules: domain.md "Aggregates".
 */
import type { PublishedActa } from './acta.ts';
import { actasEsperadas } from './actas_esperadas.ts';
import { type Catalog, distritoKey, seccionKey } from './catalog.ts';
import { isInconsistent } from './classification.ts';
import type { Contest } from './election.ts';
import { truncatedPercent } from './percent.ts';
import type { Aggregates, LevelTotals, Tabulation } from './tabulation_types.ts';

/** The raw counts from which the 13 aggregates follow. */
export interface LevelCounts {
  esperadas: number;
  fueraCatalogo: number;
  capturadas: number;
  contabilizadas: number;
  inconsistentes: number;
  listaNominalContabilizadas: number;
  votosConEspeciales: number;
  votosSinEspeciales: number;
  votes: Record<string, number>;
}

function emptyCounts(columns: readonly string[]): LevelCounts {
  const votes: Record<string, number> = {};
  for (const column of columns) votes[column] = 0;
  return {
    esperadas: 0,
    fueraCatalogo: 0,
    capturadas: 0,
    contabilizadas: 0,
    inconsistentes: 0,
    listaNominalContabilizadas: 0,
    votosConEspeciales: 0,
    votosSinEspeciales: 0,
    votes,
  };
}

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

function toTotals(counts: LevelCounts, final: boolean): LevelTotals {
  return { aggregates: aggregatesFromCounts(counts, final), votes: counts.votes };
}

export function tabulate(input: {
  readonly contest: Contest;
  readonly catalog: Catalog;
  readonly actas: readonly PublishedActa[];
  readonly final: boolean;
}): Tabulation {
  const { contest, catalog, final } = input;
  const columnIds = contest.columns.map((c) => c.id);
  const national = emptyCounts(columnIds);
  const entidades = new Map<number, LevelCounts>();
  const distritos = new Map<string, LevelCounts>();
  const secciones = new Map<string, LevelCounts>();
  const casillas = new Map<string, LevelCounts>();
  const unitsOf = new Map<string, LevelCounts[]>(); // by CLAVE_CASILLA: its casilla, sección, distrito, entidad

  for (const casilla of catalog.casillas) {
    const get = <K>(map: Map<K, LevelCounts>, key: K): LevelCounts => {
      let counts = map.get(key);
      if (counts === undefined) {
        counts = emptyCounts(columnIds);
        map.set(key, counts);
      }
      return counts;
    };
    unitsOf.set(casilla.key, [
      national,
      get(entidades, casilla.entidad),
      get(distritos, distritoKey(casilla.entidad, casilla.distrito)),
      get(secciones, seccionKey(casilla.entidad, casilla.seccion)),
      get(casillas, casilla.key),
    ]);
  }
  for (const esperada of actasEsperadas(catalog, contest)) {
    for (const counts of unitsOf.get(esperada.casilla.key)!) counts.esperadas++;
  }

  for (const acta of input.actas) {
    if (acta.contest !== contest.id) throw new Error(`acta of ${acta.contest} tabulated in ${contest.id}`);
    const classification = acta.classification;
    if (classification.contabilizada === 2 || acta.casilla === null) {
      national.fueraCatalogo++;
      continue;
    }
    const units = unitsOf.get(acta.casilla.key);
    if (units === undefined) throw new Error(`acta ${acta.actaKey} names a casilla outside the catalog`);
    const counted = classification.contabilizada === 1;
    const inconsistent = isInconsistent(classification);
    const total = classification.computedTotal ?? 0;
    const special = acta.casilla.tipo === 'S';
    for (const counts of units) {
      counts.capturadas++;
      if (inconsistent) counts.inconsistentes++;
      if (!counted) continue;
      counts.contabilizadas++;
      counts.listaNominalContabilizadas += acta.casilla.listaNominal;
      counts.votosConEspeciales += total;
      if (!special) counts.votosSinEspeciales += total;
      if (acta.fields !== null) {
        for (const [column, value] of Object.entries(acta.fields.votes)) {
          if (typeof value === 'number') counts.votes[column] = (counts.votes[column] ?? 0) + value;
        }
      }
    }
  }

  const convert = <K>(map: Map<K, LevelCounts>): Map<K, LevelTotals> =>
    new Map([...map].map(([key, counts]) => [key, toTotals(counts, final)]));
  return {
    contest: contest.id,
    final,
    national: toTotals(national, final),
    entidades: convert(entidades),
    distritos: convert(distritos),
    secciones: convert(secciones),
    casillas: convert(casillas),
  };
}
