/**
 * The election-night model behind the demo, the tests and the benchmarks: when each acta
 * arrives, what is truly written on it, and how capturistas mistype it. Pure and seeded:
 * the same seed gives the same night.
 */
import type { Casilla } from '../domain/catalog.ts';
import type { Contest, VoteColumn } from '../domain/election.ts';
import type { ActaFields, CapturedValue } from '../domain/values.ts';
import type { Random } from './random.ts';

/**
 * Cumulative share of all actas esperadas arrived, by hours after the start of publication
 * (20:00 central). domain.md: almost none before 21:00, ~50% by 01:00–02:00, ~80% by 07:00,
 * ~95% at the close; ~3% never arrive.
 */
export const ARRIVAL_CURVE: readonly (readonly [hours: number, share: number])[] = [
  [-1, 0],
  [0, 0.005],
  [1, 0.03],
  [2, 0.12],
  [3, 0.27],
  [4, 0.4],
  [5.5, 0.5],
  [8, 0.66],
  [11, 0.8],
  [16, 0.9],
  [24, 0.95],
];
export const NEVER_ARRIVES_SHARE = 0.03;

/** Hours after the publication start at which an acta arrives, or null when it never does. */
export function sampleArrivalHours(random: Random): number | null {
  const u = random.next();
  const last = ARRIVAL_CURVE[ARRIVAL_CURVE.length - 1]!;
  // Shares between the curve's end (95%) and 1 − never arrive (97%) come in the last hour of the tail.
  if (u >= 1 - NEVER_ARRIVES_SHARE) return null;
  if (u >= last[1]) return 23 + random.next();
  for (let i = 1; i < ARRIVAL_CURVE.length; i++) {
    const [h1, s1] = ARRIVAL_CURVE[i]!;
    const [h0, s0] = ARRIVAL_CURVE[i - 1]!;
    if (u < s1) return h0 + ((u - s0) / (s1 - s0)) * (h1 - h0);
  }
  return 23 + random.next();
}

/** Relative weight of each party's vote; coalition combinations take small shares. */
const PARTY_WEIGHTS: Readonly<Record<string, number>> = {
  MORENA: 40,
  PAN: 16,
  PRI: 10,
  MC: 10,
  PVEM: 8,
  PT: 6,
  PRD: 2.5,
};

function columnWeight(column: VoteColumn): number {
  switch (column.kind) {
    case 'party':
      return PARTY_WEIGHTS[column.id] ?? 2;
    case 'coalition':
      return 0.6;
    case 'independent':
      return 3;
    case 'no_registradas':
      return 0.05;
    case 'nulos':
      return 2.4;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

export interface TrueActaOptions {
  /** Probability that one vote field is illegible on the sheet. */
  readonly illegibleField: number;
  /** Probability that one vote field was left empty. */
  readonly emptyField: number;
  /** Probability that every vote field is illegible (a ruined acta). */
  readonly allIllegible: number;
  /** Probability that the numbers exceed the lista nominal (an acta that will not count). */
  readonly exceedsListaNominal: number;
  /** Probability that the written total differs from the sum. */
  readonly wrongWrittenTotal: number;
}

export const DEFAULT_TRUE_ACTA_OPTIONS: TrueActaOptions = {
  illegibleField: 0.02,
  emptyField: 0.01,
  allIllegible: 0.002,
  exceedsListaNominal: 0.002,
  wrongWrittenTotal: 0.02,
};

/** What is truly written on an acta: realistic turnout (~61%) and party shares with local noise. */
export function trueActaFields(input: {
  readonly random: Random;
  readonly casilla: Casilla;
  readonly columns: readonly VoteColumn[];
  readonly options?: TrueActaOptions;
}): ActaFields {
  const { random, casilla, columns } = input;
  const options = input.options ?? DEFAULT_TRUE_ACTA_OPTIONS;
  const cap = casilla.tipo === 'S' ? casilla.boletasAprobadas : casilla.listaNominal + casilla.representantes;
  const voters =
    casilla.tipo === 'S'
      ? Math.floor(casilla.boletasAprobadas * clamp(random.normal(0.55, 0.15), 0.1, 0.95))
      : Math.floor(casilla.listaNominal * clamp(random.normal(0.61, 0.08), 0.2, 0.95));
  // Local variation of each party's share; multiplicative, never negative.
  const weights = columns.map((column) => columnWeight(column) * clamp(random.normal(1, 0.35), 0.05, 3));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const votes: Record<string, CapturedValue> = {};
  let total = 0;
  columns.forEach((column, index) => {
    const count = Math.floor((voters * weights[index]!) / weightSum);
    votes[column.id] = count;
    total += count;
  });
  if (random.next() < options.exceedsListaNominal && columns[0] !== undefined) {
    const excess = cap + 1 - total + Math.floor(random.next() * 50);
    votes[columns[0].id] = (votes[columns[0].id] as number) + excess;
    total += excess;
  }
  const written: CapturedValue =
    random.next() < options.wrongWrittenTotal ? total + 1 + Math.floor(random.next() * 9) : total;
  if (random.next() < options.allIllegible) {
    for (const column of columns) votes[column.id] = 'ilegible';
  } else {
    if (random.next() < options.illegibleField && columns.length > 0)
      votes[columns[Math.floor(random.next() * columns.length)]!.id] = 'ilegible';
    if (random.next() < options.emptyField && columns.length > 0)
      votes[columns[Math.floor(random.next() * columns.length)]!.id] = 'sin_dato';
  }
  const listaNominal = casilla.tipo === 'S' ? casilla.boletasAprobadas : casilla.listaNominal;
  return {
    boletasSobrantes: Math.max(0, listaNominal - voters),
    personasVotaron: voters,
    representantesVotaron: Math.min(casilla.representantes, Math.floor(random.next() * 4)),
    votosSacados: voters,
    votes,
    totalAsentado: written,
  };
}

/**
 * A capturista's typing of an acta: with probability `errorRate` one box is mistyped
 * (a digit off, or a number where the sheet says illegible).
 */
export function typeActa(random: Random, truth: ActaFields, errorRate: number): ActaFields {
  if (random.next() >= errorRate) return truth;
  const columns = Object.keys(truth.votes);
  if (columns.length === 0) return { ...truth, personasVotaron: mistype(random, truth.personasVotaron) };
  const target = columns[Math.floor(random.next() * columns.length)]!;
  return { ...truth, votes: { ...truth.votes, [target]: mistype(random, truth.votes[target] ?? 0) } };
}

function mistype(random: Random, value: CapturedValue): CapturedValue {
  if (typeof value !== 'number') return Math.floor(random.next() * 100);
  const delta = 1 + Math.floor(random.next() * 9);
  return random.next() < 0.5 && value >= delta
    ? value - delta
    : value + delta * (random.next() < 0.2 ? 10 : 1);
}

/** The contest's columns that apply at a casilla (the caller passes applicableColumns). */
export type ColumnsFor = (contest: Contest, casilla: Casilla) => readonly VoteColumn[];
