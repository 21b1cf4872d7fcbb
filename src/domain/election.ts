import type { TipoCasilla } from './keys.ts';

/**
 * Every election runs in one mode. A drill (simulacro) has its own keys, says so in every
 * published file, and can never verify as a live election.
 */
export type ElectionMode = 'simulacro' | 'live';

export type VoteColumnKind = 'party' | 'coalition' | 'independent' | 'no_registradas' | 'nulos';

/**
 * One vote field of an acta: a party, a coalition combination, an independent candidate,
 * NO_REGISTRADAS or NULOS. Columns appear in the CSV in this (catalog) order.
 */
export interface VoteColumn {
  readonly id: string; // CSV column name: PAN, PVEM_PT_MORENA, CAND_IND_1, NO_REGISTRADAS, NULOS
  readonly kind: VoteColumnKind;
  readonly name: string; // human name for the site and the candidaturas file
  readonly parties?: readonly string[]; // coalition combinations: the parties it combines
  readonly candidate?: string; // candidate name where one applies
  /**
   * Where the column is on the ballot. Absent: everywhere. Coalitions and independents vary
   * by entidad (senate) or distrito (deputies); elsewhere the CSV writes `-`.
   */
  readonly scope?: {
    readonly entidades?: readonly number[];
    readonly distritos?: readonly string[]; // "EE-DDD"
  };
}

/** A kind of acta of a contest, e.g. deputies MR at every casilla and RP at special casillas. */
export interface ActaType {
  readonly code: string; // TIPO_ACTA, the suffix of CLAVE_ACTA
  readonly label: string; // e.g. "MR", "RP"
  readonly casillaTypes: readonly TipoCasilla[]; // casilla types that produce this acta
}

export interface Contest {
  readonly id: string; // PRES, SEN, DIP_FED: the file stem (PRES_2024.csv)
  readonly title: string; // line 1 of the CSV, e.g. PRESIDENCIA DE LA REPÚBLICA
  readonly actaTypes: readonly ActaType[];
  readonly columns: readonly VoteColumn[];
}

export interface ElectionDefinition {
  readonly id: string; // e.g. PEF2024
  readonly name: string; // e.g. Proceso Electoral Federal 2023-2024
  readonly year: number; // used in file names: PRES_2024.csv
  readonly mode: ElectionMode;
  /** Offset of the published local time from UTC, minutes (central Mexico: -360, no DST since 2022). */
  readonly utcOffsetMinutes: number;
  /** Publication opens (ISO 8601 instant) and lasts this many hours. Actas after the close are not published. */
  readonly publicationStart: string;
  readonly publicationHours: number;
  readonly cutIntervalMinutes: number;
  readonly contests: readonly Contest[];
}

/** Does a vote column appear on the ballot of this casilla's distrito? */
export function columnApplies(column: VoteColumn, entidad: number, distritoKey: string): boolean {
  const scope = column.scope;
  if (scope === undefined) return true;
  if (scope.entidades !== undefined && !scope.entidades.includes(entidad)) return false;
  if (scope.distritos !== undefined && !scope.distritos.includes(distritoKey)) return false;
  return true;
}
