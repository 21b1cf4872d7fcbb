/**
 * A contest's published actas and its tabulation packed into typed arrays, so a contest can
 * be rendered (CSV, acta Merkle root, site JSON) on another thread: structured-cloning
 * ~170,000 acta objects costs seconds, these arrays cost milliseconds. The same packed form
 * is rendered on the builder's own thread, so both paths run the same code.
 *
 * Everything here is exact: unpacking gives back the values the CSV and JSON print.
 */
import type { DocumentType, Observation, PublishedActa, SinActaReason } from '../domain/acta.ts';
import { OBSERVATIONS } from '../domain/acta.ts';
import { type Catalog, distritoKey, seccionKey, TIPOS_CASILLA, type TipoCasilla } from '../domain/catalog.ts';
import type { Contest } from '../domain/election.ts';
import type { Percent4 } from '../domain/percent.ts';
import { AGGREGATE_HEADERS, type Aggregates, type LevelTotals, type Tabulation } from '../domain/tabulation_types.ts';
import type { CapturedValue } from '../domain/values.ts';

/** Cell codes of a captured value; non-negative numbers are themselves. */
export const VALUE_ABSENT = -1;
export const VALUE_ILEGIBLE = -2;
export const VALUE_SIN_DATO = -3;

export const SIN_ACTA_REASONS: readonly SinActaReason[] = [
  'PAQUETE_NO_ENTREGADO',
  'CASILLA_NO_INSTALADA',
  'SIN_SOBRE',
  'CONTINGENCIA_URNA_ELECTRONICA',
];
export const DOCUMENT_TYPES: readonly DocumentType[] = [
  'ACTA_PREP',
  'COPIA_PE',
  'ACTA_CONSEJO',
  'ACTA_CONSEJO_S',
  'COPIA_RPPCI',
];
export const TRANSFERS = ['D', 'F', 'I'] as const;

/** Offsets of the integer fields of one packed acta; vote columns follow VOTES. */
export const F = {
  CASILLA: 0, // index in catalog.casillas; -1 fuera de catálogo
  TIPO_ACTA: 1, // index in PackedActas.strings; -1 none
  ACTA_KEY: 2, // 1 when the acta has a CLAVE_ACTA
  // Claimed identification, read only for fuera de catálogo rows (-1 unknown).
  ENTIDAD: 3,
  DISTRITO: 4,
  SECCION: 5,
  TIPO_CASILLA: 6, // index in TIPOS_CASILLA
  ID: 7,
  EXTENSION: 8,
  // The boxes (value codes); -1 throughout for a sin acta row.
  BOLETAS_SOBRANTES: 9,
  PERSONAS_VOTARON: 10,
  REPRESENTANTES_VOTARON: 11,
  VOTOS_SACADOS: 12,
  VOTES: 13,
} as const;

/** Offsets after the vote columns, relative to VOTES + number of columns. */
export const T = {
  TOTAL_ASENTADO: 0,
  COMPUTED_TOTAL: 1, // -1 none (sin acta)
  OBSERVACIONES: 2, // bit i: OBSERVATIONS[i]; bits 8+: index of the sin acta reason + 1
  CONTABILIZADA: 3,
  SUBMISSION: 4, // 1 when there is an image of record
  TRANSFER: 5, // index in TRANSFERS; -1 none
  ORIGIN: 6, // 0 CASILLA, 1 CATD
  DIGITIZATION: 7, // 0 MOVIL, 1 ESCANER
  DOCUMENT: 8, // index in DOCUMENT_TYPES
  COTEJADA: 9,
} as const;
const TRAILING_INTS = 10;

export function strideOf(columns: number): number {
  return F.VOTES + columns + TRAILING_INTS;
}

export interface PackedActas {
  readonly count: number;
  readonly columns: number;
  readonly ints: Int32Array;
  /** FECHA_HORA_ACOPIO, _CAPTURA, _VERIFICACION per acta, epoch ms; NaN when absent. */
  readonly times: Float64Array;
  /** CODIGO_INTEGRIDAD per acta; '' for sin acta. */
  readonly images: string[];
  /** Text interned by index (TIPO_ACTA values). */
  readonly strings: string[];
}

function valueCode(value: CapturedValue | undefined, where: string): number {
  if (value === undefined) return VALUE_ABSENT;
  if (value === 'ilegible') return VALUE_ILEGIBLE;
  if (value === 'sin_dato') return VALUE_SIN_DATO;
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff)
    throw new Error(`${where}: ${value} is not a publishable count`);
  return value;
}

export function observationCode(observations: readonly Observation[], reason: SinActaReason | null): number {
  let code = 0;
  for (const observation of observations) code |= 1 << OBSERVATIONS.indexOf(observation);
  return reason === null ? code : code | ((SIN_ACTA_REASONS.indexOf(reason) + 1) << 8);
}

export function decodeObservations(code: number): {
  observations: Observation[];
  sinActaReason: SinActaReason | null;
} {
  const observations = OBSERVATIONS.filter((_, i) => (code & (1 << i)) !== 0);
  const reason = code >> 8;
  return { observations, sinActaReason: reason === 0 ? null : SIN_ACTA_REASONS[reason - 1]! };
}

/**
 * Packs actas already in publication order. `casillaIndex` maps CLAVE_CASILLA to the
 * casilla's position in the catalog.
 */
export function packActas(input: {
  readonly contest: Contest;
  readonly actas: readonly PublishedActa[];
  readonly casillaIndex: ReadonlyMap<string, number>;
}): PackedActas {
  const { contest, actas } = input;
  const columns = contest.columns.length;
  const stride = strideOf(columns);
  const trailing = F.VOTES + columns;
  const ints = new Int32Array(actas.length * stride);
  const times = new Float64Array(actas.length * 3);
  const images = new Array<string>(actas.length);
  const strings: string[] = [];
  const interned = new Map<string, number>();
  const intern = (text: string): number => {
    let index = interned.get(text);
    if (index === undefined) {
      index = strings.length;
      strings.push(text);
      interned.set(text, index);
    }
    return index;
  };
  const columnIds = contest.columns.map((c) => c.id);
  for (let a = 0; a < actas.length; a++) {
    const acta = actas[a]!;
    const base = a * stride;
    const casilla = acta.casilla;
    const id = acta.identification;
    if (casilla !== null) {
      const index = input.casillaIndex.get(casilla.key);
      if (index === undefined) throw new Error(`acta ${acta.actaKey} names casilla ${casilla.key}, not in the catalog`);
      ints[base + F.CASILLA] = index;
      if (acta.actaKey !== null && acta.actaKey !== `${casilla.key}${acta.tipoActa ?? ''}`)
        throw new Error(`acta ${acta.actaKey} is not casilla ${casilla.key} + TIPO_ACTA ${acta.tipoActa}`);
    } else ints[base + F.CASILLA] = -1;
    ints[base + F.TIPO_ACTA] = acta.tipoActa === null ? -1 : intern(acta.tipoActa);
    ints[base + F.ACTA_KEY] = acta.actaKey === null ? 0 : 1;
    ints[base + F.ENTIDAD] = id.entidad ?? -1;
    ints[base + F.DISTRITO] = id.distrito ?? -1;
    ints[base + F.SECCION] = id.seccion ?? -1;
    ints[base + F.TIPO_CASILLA] = id.tipo === null ? -1 : TIPOS_CASILLA.indexOf(id.tipo);
    ints[base + F.ID] = id.id ?? -1;
    ints[base + F.EXTENSION] = id.extension ?? -1;
    const fields = acta.fields;
    const where = acta.actaKey ?? id.claimedKey;
    if (fields === null) {
      ints.fill(VALUE_ABSENT, base + F.BOLETAS_SOBRANTES, base + trailing + 1);
    } else {
      ints[base + F.BOLETAS_SOBRANTES] = valueCode(fields.boletasSobrantes, where);
      ints[base + F.PERSONAS_VOTARON] = valueCode(fields.personasVotaron, where);
      ints[base + F.REPRESENTANTES_VOTARON] = valueCode(fields.representantesVotaron, where);
      ints[base + F.VOTOS_SACADOS] = valueCode(fields.votosSacados, where);
      const votes = fields.votes;
      for (let c = 0; c < columns; c++) ints[base + F.VOTES + c] = valueCode(votes[columnIds[c]!], where);
      ints[base + trailing + T.TOTAL_ASENTADO] = valueCode(fields.totalAsentado, where);
    }
    const classification = acta.classification;
    ints[base + trailing + T.COMPUTED_TOTAL] =
      classification.computedTotal === null ? -1 : valueCode(classification.computedTotal, where);
    ints[base + trailing + T.OBSERVACIONES] = observationCode(
      classification.observations,
      classification.sinActaReason,
    );
    ints[base + trailing + T.CONTABILIZADA] = classification.contabilizada;
    const submission = acta.submission;
    if (submission === null) {
      ints.fill(-1, base + trailing + T.SUBMISSION, base + trailing + T.COTEJADA);
      ints[base + trailing + T.SUBMISSION] = 0;
      images[a] = '';
      times[a * 3] = Number.NaN;
    } else {
      ints[base + trailing + T.SUBMISSION] = 1;
      ints[base + trailing + T.TRANSFER] = submission.transfer === null ? -1 : TRANSFERS.indexOf(submission.transfer);
      ints[base + trailing + T.ORIGIN] = submission.origin === 'CASILLA' ? 0 : 1;
      ints[base + trailing + T.DIGITIZATION] = submission.digitization === 'MOVIL' ? 0 : 1;
      ints[base + trailing + T.DOCUMENT] = DOCUMENT_TYPES.indexOf(submission.documentType);
      images[a] = submission.imageSha256;
      times[a * 3] = submission.acopioAt;
    }
    ints[base + trailing + T.COTEJADA] = acta.cotejada;
    times[a * 3 + 1] = acta.capturedAt ?? Number.NaN;
    times[a * 3 + 2] = acta.verifiedAt ?? Number.NaN;
  }
  return { count: actas.length, columns, ints, times, images, strings };
}

export function tipoCasillaOf(index: number): TipoCasilla | null {
  return index < 0 ? null : TIPOS_CASILLA[index]!;
}

/** The secciones of a catalog in publication order (first appearance among the casillas). */
export function seccionKeys(catalog: Catalog): string[] {
  const seen = new Set<string>();
  for (const casilla of catalog.casillas) seen.add(seccionKey(casilla.entidad, casilla.seccion));
  return [...seen];
}

/** A tabulation's level totals as numbers: national, entidades, distritos, secciones, in catalog order. */
export interface PackedTabulation {
  readonly contest: string;
  readonly final: boolean;
  readonly values: Float64Array;
}

export function packTabulation(tabulation: Tabulation, catalog: Catalog, contest: Contest): PackedTabulation {
  const width = AGGREGATE_HEADERS.length + contest.columns.length;
  const levels: LevelTotals[] = [tabulation.national];
  for (const e of catalog.entidades) levels.push(tabulation.entidades.get(e.id)!);
  for (const d of catalog.distritos) levels.push(tabulation.distritos.get(distritoKey(d.entidad, d.id))!);
  for (const key of seccionKeys(catalog)) levels.push(tabulation.secciones.get(key)!);
  const values = new Float64Array(levels.length * width);
  levels.forEach((level, i) => {
    if (level === undefined) throw new Error(`tabulation of ${contest.id} lacks a unit of the catalog`);
    const base = i * width;
    AGGREGATE_HEADERS.forEach(([, field], j) => {
      values[base + j] = level.aggregates[field];
    });
    contest.columns.forEach((column, j) => {
      values[base + AGGREGATE_HEADERS.length + j] = level.votes[column.id] ?? 0;
    });
  });
  return { contest: tabulation.contest, final: tabulation.final, values };
}

/** The tabulation back, for the levels the site JSON shows (casillas are not packed). */
export function unpackTabulation(packed: PackedTabulation, catalog: Catalog, contest: Contest): Tabulation {
  const width = AGGREGATE_HEADERS.length + contest.columns.length;
  let level = 0;
  const next = (): LevelTotals => {
    const base = level++ * width;
    const aggregates: Record<string, number> = {};
    AGGREGATE_HEADERS.forEach(([, field], j) => {
      aggregates[field] = packed.values[base + j]!;
    });
    const votes: Record<string, number> = {};
    contest.columns.forEach((column, j) => {
      votes[column.id] = packed.values[base + AGGREGATE_HEADERS.length + j]!;
    });
    return { aggregates: aggregates as unknown as Aggregates & Record<string, Percent4>, votes };
  };
  const national = next();
  const entidades = new Map(catalog.entidades.map((e) => [e.id, next()] as const));
  const distritos = new Map(catalog.distritos.map((d) => [distritoKey(d.entidad, d.id), next()] as const));
  const secciones = new Map(seccionKeys(catalog).map((key) => [key, next()] as const));
  return { contest: packed.contest, final: packed.final, national, entidades, distritos, secciones, casillas: new Map() };
}
