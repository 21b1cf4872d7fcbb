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
   * The party's (or independent's) colour, `#RRGGBB`, for the site. Only parties and
   * independents have one: coalition combinations, NO_REGISTRADAS and NULOS never do.
   */
  readonly color?: string;
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

/**
 * What a voter chose: a candidate (or senate formula) and the parties that nominated them.
 * Its votes are those of its columns plus every coalition combination of only its parties
 * (docs/catalog.md "Candidaturas"). It runs where it names a candidate.
 */
export interface Candidatura {
  readonly id: string; // e.g. SHH, FCM, MC, PVEM, CAND_IND_1
  readonly name: string; // e.g. Sigamos Haciendo Historia
  /** The party columns that nominated the candidate, or the one independent column. */
  readonly columns: readonly string[];
  /** The candidate, the same everywhere (presidency); it then runs on every ballot. */
  readonly candidate?: string;
  /**
   * The candidate by entidad (`"09"`) or distrito (`"09-022"`); it runs exactly in those
   * (every distrito of a listed entidad).
   */
  readonly candidates?: Readonly<Record<string, string>>;
}

export interface Contest {
  readonly id: string; // PRES, SEN, DIP_FED: the file stem (PRES_2024.csv)
  readonly title: string; // line 1 of the CSV, e.g. PRESIDENCIA DE LA REPÚBLICA
  readonly actaTypes: readonly ActaType[];
  readonly columns: readonly VoteColumn[];
  /** Absent: the contest publishes votes by column only. */
  readonly candidaturas?: readonly Candidatura[];
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
  /** Independent witnesses that cosign the journal's checkpoints (docs/witness.md); absent: none. */
  readonly witnesses?: WitnessPolicy;
  /** The acta reader's mode (docs/reader.md); absent: shadow, the reader never captures. */
  readonly reader?: ReaderPolicy;
}

/**
 * The acta reader's setting. In `assist` the reader may count as one of an acta's two blind
 * captures, only while its measured per-acta agreement over the last `window` scored actas is
 * at or above `agreementThreshold` and at least `minScored` have been scored (src/domain/reader_assist.ts).
 */
export interface ReaderPolicy {
  readonly mode: 'shadow' | 'assist';
  readonly agreementThreshold: number;
  readonly window: number;
  readonly minScored: number;
}

/**
 * The witnesses a cut's checkpoint should carry: their keys (C2SP cosignature/v1,
 * `<name>+<key id hex>+base64(0x04 || key)`), how many of them must have cosigned for the cut
 * to verify, and how long the publisher waits for them before publishing with what it has.
 */
export interface WitnessPolicy {
  readonly keys: readonly string[];
  readonly required: number;
  readonly waitSeconds: number;
}

/**
 * A scope's lists as sets, made once per list: a deputies coalition lists up to 300 distritos,
 * and the tabulation asks about every column of every distrito at every level. Definitions are
 * immutable values, so a list's set never goes stale.
 */
const scopeSets = new WeakMap<readonly (number | string)[], ReadonlySet<number | string>>();

function listHas(list: readonly (number | string)[], value: number | string): boolean {
  if (list.length <= 8) return list.includes(value);
  let set = scopeSets.get(list);
  if (set === undefined) {
    set = new Set(list);
    scopeSets.set(list, set);
  }
  return set.has(value);
}

/** Does a vote column appear on the ballot of this casilla's distrito? */
export function columnApplies(column: VoteColumn, entidad: number, distritoKey: string): boolean {
  const scope = column.scope;
  if (scope === undefined) return true;
  if (scope.entidades !== undefined && !listHas(scope.entidades, entidad)) return false;
  if (scope.distritos !== undefined && !listHas(scope.distritos, distritoKey)) return false;
  return true;
}

/** The candidate a candidatura has on this distrito's ballot, or null where it does not run. */
export function candidateIn(candidatura: Candidatura, distritoKey: string): string | null {
  if (candidatura.candidate !== undefined) return candidatura.candidate;
  const byPlace = candidatura.candidates ?? {};
  return byPlace[distritoKey] ?? byPlace[distritoKey.slice(0, 2)] ?? null;
}

/**
 * Do a column's votes count toward the candidatura (where both are on the ballot)? Its own
 * columns, and every coalition combination of only its parties.
 */
export function candidaturaCounts(candidatura: Candidatura, column: VoteColumn): boolean {
  if (column.kind === 'coalition')
    return (column.parties ?? []).every((party) => candidatura.columns.includes(party));
  return candidatura.columns.includes(column.id);
}
