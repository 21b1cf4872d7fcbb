/**
 * The INE 2024 results-CSV layout (docs/publication-format.md), named once: the header block's
 * lines, the fixed columns before and after a contest's vote columns, and the 2018/2021
 * spellings of the legacy variant. The builder (publish/), the election definition's reserved
 * names, the verifier and the site all read the format's vocabulary from here; each still
 * writes or reads the bytes in its own way.
 */
import { AGGREGATE_HEADERS } from './tabulation_types.ts';

/** Lines end in a carriage return alone, as in the 2024 files. */
export const LINE_END = '\r';
/** The title line of a drill's files starts with this. */
export const SIMULACRO_TITLE_PREFIX = 'SIMULACRO - ';

/**
 * The header block, by 1-based line number: title, cut time, a blank line, the 13 aggregate
 * names, their values, a blank line, the table header; the acta rows start on line 8.
 */
export const HEADER_LINES = {
  title: 1,
  cutTime: 2,
  aggregateNames: 4,
  aggregateValues: 5,
  tableHeader: 7,
} as const;
export const BLANK_HEADER_LINES = [3, 6] as const;
export const HEADER_LINE_COUNT = 7;
export const FIRST_ROW_LINE = HEADER_LINE_COUNT + 1;

/** The 13 aggregate names of line 4, in order. */
export const AGGREGATE_NAMES: readonly string[] = AGGREGATE_HEADERS.map(([name]) => name);

/** Where the casilla and the acta are: the keys, the territory and the casilla's parts. */
export const IDENTIFICATION_COLUMNS = [
  'CLAVE_CASILLA',
  'CLAVE_ACTA',
  'ID_ENTIDAD',
  'ENTIDAD',
  'ID_DISTRITO_FEDERAL',
  'DISTRITO_FEDERAL',
  'SECCION',
  'ID_CASILLA',
  'TIPO_CASILLA',
  'EXT_CONTIGUA',
  'UBICACION_CASILLA',
  'TIPO_ACTA',
] as const;

/** The acta's ballot counts, as written on it: the last fixed columns before the votes. */
export const BALLOT_COLUMNS = [
  'TOTAL_BOLETAS_SOBRANTES',
  'TOTAL_PERSONAS_VOTARON',
  'TOTAL_REP_PARTIDO_CI_VOTARON',
  'TOTAL_VOTOS_SACADOS',
] as const;

/** Every fixed column before the contest's vote columns. */
export const FIXED_LEADING_COLUMNS = [...IDENTIFICATION_COLUMNS, ...BALLOT_COLUMNS] as const;

/** Every fixed column after the contest's vote columns. */
export const FIXED_TRAILING_COLUMNS = [
  'TOTAL_VOTOS_ASENTADO',
  'TOTAL_VOTOS_CALCULADO',
  'LISTA_NOMINAL',
  'REPRESENTANTES_PP_CI',
  'OBSERVACIONES',
  'CONTABILIZADA',
  'MECANISMOS_TRASLADO',
  'CODIGO_INTEGRIDAD',
  'FECHA_HORA_ACOPIO',
  'FECHA_HORA_CAPTURA',
  'FECHA_HORA_VERIFICACION',
  'ORIGEN',
  'DIGITALIZACION',
  'TIPO_DOCUMENTO',
  'COTEJADA',
] as const;

export type FixedColumn = (typeof FIXED_LEADING_COLUMNS)[number] | (typeof FIXED_TRAILING_COLUMNS)[number];

/** 2018/2021 spellings of the legacy pipe-delimited variant. */
export const LEGACY_NAMES: Readonly<Record<string, string>> = {
  ID_ENTIDAD: 'ID_ESTADO',
  ENTIDAD: 'ESTADO',
  CODIGO_INTEGRIDAD: 'SHA',
  NO_REGISTRADAS: 'NO_REGISTRADOS',
};

/** A contest's table header: the fixed columns around its vote columns. */
export function tableHeaderOf(voteColumnIds: readonly string[]): string[] {
  return [...FIXED_LEADING_COLUMNS, ...voteColumnIds, ...FIXED_TRAILING_COLUMNS];
}
