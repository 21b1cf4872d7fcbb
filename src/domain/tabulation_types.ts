import type { Percent4 } from './percent.ts';

/** The 13 header aggregates of a results CSV (domain.md "Aggregates"), for one level. */
export interface Aggregates {
  readonly actasEsperadas: number;
  readonly actasRegistradas: number; // capturadas + fuera de catálogo
  readonly actasFueraCatalogo: number;
  readonly actasCapturadas: number;
  readonly porcentajeActasCapturadas: Percent4;
  readonly actasContabilizadas: number;
  readonly porcentajeActasContabilizadas: Percent4;
  readonly porcentajeActasInconsistencias: Percent4;
  readonly actasNoContabilizadas: number;
  readonly listaNominalActasContabilizadas: number;
  readonly totalVotosConCasillasEspeciales: number; // TOTAL_VOTOS_C_CS
  readonly totalVotosSinCasillasEspeciales: number; // TOTAL_VOTOS_S_CS
  readonly porcentajeParticipacionCiudadana: Percent4;
}

/** The CSV header names, in order, with the field each one publishes. */
export const AGGREGATE_HEADERS = [
  ['ACTAS_ESPERADAS', 'actasEsperadas'],
  ['ACTAS_REGISTRADAS', 'actasRegistradas'],
  ['ACTAS_FUERA_CATALOGO', 'actasFueraCatalogo'],
  ['ACTAS_CAPTURADAS', 'actasCapturadas'],
  ['PORCENTAJE_ACTAS_CAPTURADAS', 'porcentajeActasCapturadas'],
  ['ACTAS_CONTABILIZADAS', 'actasContabilizadas'],
  ['PORCENTAJE_ACTAS_CONTABILIZADAS', 'porcentajeActasContabilizadas'],
  ['PORCENTAJE_ACTAS_INCONSISTENCIAS', 'porcentajeActasInconsistencias'],
  ['ACTAS_NO_CONTABILIZADAS', 'actasNoContabilizadas'],
  ['LISTA_NOMINAL_ACTAS_CONTABILIZADAS', 'listaNominalActasContabilizadas'],
  ['TOTAL_VOTOS_C_CS', 'totalVotosConCasillasEspeciales'],
  ['TOTAL_VOTOS_S_CS', 'totalVotosSinCasillasEspeciales'],
  ['PORCENTAJE_PARTICIPACION_CIUDADANA', 'porcentajeParticipacionCiudadana'],
] as const satisfies readonly (readonly [string, keyof Aggregates])[];

export const PERCENT_AGGREGATES: ReadonlySet<keyof Aggregates> = new Set([
  'porcentajeActasCapturadas',
  'porcentajeActasContabilizadas',
  'porcentajeActasInconsistencias',
  'porcentajeParticipacionCiudadana',
]);

/** Aggregates plus the votes of every column (contabilizadas only), for one geographic unit. */
export interface LevelTotals {
  readonly aggregates: Aggregates;
  readonly votes: Readonly<Record<string, number>>; // by VoteColumn.id
}

/**
 * A contest tabulated at every level. Fuera de catálogo actas belong to no unit: they count
 * at the national level only.
 */
export interface Tabulation {
  readonly contest: string;
  readonly final: boolean;
  readonly national: LevelTotals;
  readonly entidades: ReadonlyMap<number, LevelTotals>; // by entidad id
  readonly distritos: ReadonlyMap<string, LevelTotals>; // by "EE-DDD"
  readonly secciones: ReadonlyMap<string, LevelTotals>; // by "EE-SSSS"
  /** By CLAVE_CASILLA; computed on request (a national contest has ~170,000 casillas, few are asked for). */
  readonly casillas: Pick<ReadonlyMap<string, LevelTotals>, 'get' | 'has' | 'size'>;
}
