/**
 * The PREP classification of an acta, exactly as domain.md "Classification" states it
 * (INE 2021 LEEME, Anexo 13). One observation per rule; several may apply at once.
 */
import { type Classification, OBSERVATIONS, type Observation, type SinActaReason } from './acta.ts';
import type { Casilla } from './catalog.ts';
import type { Contest } from './election.ts';
import { err, ok, type Result } from './result.ts';
import type { ActaFields } from './values.ts';

function canonicalOrder(observations: ReadonlySet<Observation>): Observation[] {
  return OBSERVATIONS.filter((o) => observations.has(o));
}

/** Observations that keep an acta out of the count (rules 3, 4, 5; fuera de catálogo is rule 1). */
const BLOCKING: ReadonlySet<Observation> = new Set([
  'FUERA_DE_CATALOGO',
  'SIN_ACTA',
  'EXCEDE_LISTA_NOMINAL',
  'TODOS_ILEGIBLES',
  'TODOS_VACIOS',
]);

/** The most votes an acta can hold before it "exceeds the lista nominal" (rule 4). */
export function votesCap(casilla: Casilla): number {
  // Special casillas have no lista nominal of their own: they are capped by the approved ballots.
  return (casilla.tipo === 'S' ? casilla.boletasAprobadas : casilla.listaNominal) + casilla.representantes;
}

export function classifyActa(input: {
  readonly casilla: Casilla | null;
  readonly contest: Contest;
  readonly fields: ActaFields | null;
  readonly sinActaReason: SinActaReason | null;
}): Classification {
  const observations = new Set<Observation>();
  if (input.casilla === null) observations.add('FUERA_DE_CATALOGO');
  if (input.fields === null) {
    observations.add('SIN_ACTA');
    return {
      observations: canonicalOrder(observations),
      contabilizada: input.casilla === null ? 2 : 0,
      computedTotal: null,
      totalMismatch: false,
      sinActaReason: input.sinActaReason ?? 'PAQUETE_NO_ENTREGADO',
    };
  }
  const values = Object.values(input.fields.votes);
  let computedTotal = 0;
  let illegible = 0;
  let empty = 0;
  for (const value of values) {
    if (value === 'ilegible') illegible++;
    else if (value === 'sin_dato') empty++;
    else computedTotal += value;
  }
  if (illegible > 0) observations.add('ILEGIBLE');
  if (empty > 0) observations.add('SIN_DATO');
  // Rule 2: the acta counts if at least one field is legible. With no legible field at all,
  // rule 3 names the case: all illegible, all empty, or (a mix of both) each of the two
  // observations — either way the acta is not counted.
  if (values.length > 0 && illegible + empty === values.length) {
    if (illegible === values.length) observations.add('TODOS_ILEGIBLES');
    else if (empty === values.length) observations.add('TODOS_VACIOS');
    else {
      observations.add('TODOS_ILEGIBLES');
      observations.add('TODOS_VACIOS');
    }
  }
  if (input.casilla !== null && computedTotal > votesCap(input.casilla))
    observations.add('EXCEDE_LISTA_NOMINAL');
  const written = input.fields.totalAsentado;
  const ordered = canonicalOrder(observations);
  const blocked = ordered.some((o) => BLOCKING.has(o));
  return {
    observations: ordered,
    contabilizada: input.casilla === null ? 2 : blocked ? 0 : 1,
    computedTotal,
    totalMismatch: typeof written === 'number' && written !== computedTotal,
    sinActaReason: null,
  };
}

/**
 * The observations that make an acta one "con inconsistencias" (domain.md "Aggregates"): the
 * LEEME names Excede Lista Nominal, Ilegible and Sin dato, and INE's own QA of PRES_2024.csv
 * filtered OBSERVACIONES on those texts plus Todos los campos ilegibles / vacíos. INE's 2024 CSV
 * generator counted every row with a non-empty OBSERVACIONES instead (so Sin acta too); where
 * the two disagree the LEEME wins: it is the published definition readers check us against.
 * Sin acta and Fuera de catálogo are not inconsistencies.
 */
export const INCONSISTENCY_OBSERVATIONS: ReadonlySet<Observation> = new Set([
  'EXCEDE_LISTA_NOMINAL',
  'TODOS_ILEGIBLES',
  'TODOS_VACIOS',
  'ILEGIBLE',
  'SIN_DATO',
]);

/**
 * Counts toward PORCENTAJE_ACTAS_INCONSISTENCIAS: a captured (in-catalog) acta with one of the
 * inconsistency observations; fuera de catálogo actas are outside the expected set.
 */
export function isInconsistent(classification: Classification): boolean {
  return (
    classification.contabilizada !== 2 &&
    classification.observations.some((o) => INCONSISTENCY_OBSERVATIONS.has(o))
  );
}

export const SIN_ACTA_LABELS: Readonly<Record<SinActaReason, string>> = {
  PAQUETE_NO_ENTREGADO: 'paquete no entregado',
  CASILLA_NO_INSTALADA: 'casilla no instalada',
  SIN_SOBRE: 'sin sobre',
  CONTINGENCIA_URNA_ELECTRONICA: 'contingencia en urna electrónica',
};

/**
 * The OBSERVACIONES texts, byte for byte as INE 2024 writes them (readers filter on the exact
 * text: INE's QA matched `Excede Lista Nominal`, capitalized, and `Sin dato`, not).
 */
const OBSERVATION_LABELS: Readonly<Record<Exclude<Observation, 'SIN_ACTA'>, string>> = {
  FUERA_DE_CATALOGO: 'Fuera de catálogo',
  EXCEDE_LISTA_NOMINAL: 'Excede Lista Nominal',
  TODOS_ILEGIBLES: 'Todos los campos ilegibles',
  TODOS_VACIOS: 'Todos los campos vacíos',
  ILEGIBLE: 'Ilegible',
  SIN_DATO: 'Sin dato',
};

export function observationLabel(observation: Observation, sinActaReason: SinActaReason | null): string {
  if (observation === 'SIN_ACTA')
    return `Sin acta (${SIN_ACTA_LABELS[sinActaReason ?? 'PAQUETE_NO_ENTREGADO']})`;
  return OBSERVATION_LABELS[observation];
}

/** OBSERVACIONES cell: `-` when none, else a Python-style list as the 2024 files carry it. */
export function formatObservaciones(classification: Classification): string {
  if (classification.observations.length === 0) return '-';
  return `[${classification.observations.map((o) => `'${observationLabel(o, classification.sinActaReason)}'`).join(', ')}]`;
}

export interface ParsedObservaciones {
  readonly observations: readonly Observation[];
  readonly sinActaReason: SinActaReason | null;
}

/** The inverse of formatObservaciones, for verifiers. */
export function parseObservaciones(text: string): Result<ParsedObservaciones, 'bad-observaciones'> {
  if (text === '-') return ok({ observations: [], sinActaReason: null });
  if (!text.startsWith('[') || !text.endsWith(']'))
    return err('bad-observaciones', `OBSERVACIONES "${text}" is neither - nor a ['…'] list`);
  const items = text
    .slice(1, -1)
    .split(', ')
    .map((item) =>
      item.startsWith("'") && item.endsWith("'") && item.length >= 2 ? item.slice(1, -1) : null,
    );
  const observations: Observation[] = [];
  let sinActaReason: SinActaReason | null = null;
  for (const item of items) {
    if (item === null) return err('bad-observaciones', `OBSERVACIONES "${text}": items are quoted with '`);
    const simple = (Object.entries(OBSERVATION_LABELS) as [Observation, string][]).find(
      ([, label]) => label === item,
    );
    if (simple !== undefined) {
      observations.push(simple[0]);
      continue;
    }
    const reason = (Object.entries(SIN_ACTA_LABELS) as [SinActaReason, string][]).find(
      ([, label]) => item === `Sin acta (${label})`,
    );
    if (reason === undefined) {
      // A label in another case is the likeliest slip (2012–2021 wrote `Excede lista nominal`): name the 2024 spelling.
      const spelled = Object.values(OBSERVATION_LABELS).find((l) => l.toLowerCase() === item.toLowerCase());
      return err(
        'bad-observaciones',
        `OBSERVACIONES "${text}": unknown item "${item}"${spelled === undefined ? '' : ` (INE 2024 writes "${spelled}")`}`,
      );
    }
    observations.push('SIN_ACTA');
    sinActaReason = reason[0];
  }
  const canonical = canonicalOrder(new Set(observations));
  if (canonical.length !== observations.length || canonical.some((o, i) => o !== observations[i]))
    return err(
      'bad-observaciones',
      `OBSERVACIONES "${text}" is not in the published order or repeats an item`,
    );
  return ok({ observations, sinActaReason });
}

/** What CONTABILIZADA must be for these observations (rules 1–5). */
export function expectedContabilizada(observations: readonly Observation[]): 0 | 1 | 2 {
  if (observations.includes('FUERA_DE_CATALOGO')) return 2;
  return observations.some((o) => BLOCKING.has(o)) ? 0 : 1;
}
