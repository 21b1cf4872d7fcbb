/**
 * What a capturista types in one box of an acta: a number, `ilegible` (illegible in both
 * letters and digits) or `sin_dato` (not written).
 */
export type CapturedValue = number | 'ilegible' | 'sin_dato';

/** The boxes of one acta as captured. `votes` has one entry per vote column that applies at the casilla. */
export interface ActaFields {
  readonly boletasSobrantes: CapturedValue; // TOTAL_BOLETAS_SOBRANTES
  readonly personasVotaron: CapturedValue; // TOTAL_PERSONAS_VOTARON
  readonly representantesVotaron: CapturedValue; // TOTAL_REP_PARTIDO_CI_VOTARON
  readonly votosSacados: CapturedValue; // TOTAL_VOTOS_SACADOS
  readonly votes: Readonly<Record<string, CapturedValue>>; // by VoteColumn.id, in catalog order
  readonly totalAsentado: CapturedValue; // TOTAL_VOTOS_ASENTADO, as written on the acta
}

export const MAX_FIELD_VALUE = 99_999;

export function isCapturedValue(value: unknown): value is CapturedValue {
  return (
    value === 'ilegible' ||
    value === 'sin_dato' ||
    (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_FIELD_VALUE)
  );
}

function sameValue(a: CapturedValue | undefined, b: CapturedValue | undefined): boolean {
  return a === b;
}

/** Two captures agree when every box holds the same value (the rule that verifies an acta). */
export function sameFields(a: ActaFields, b: ActaFields): boolean {
  if (
    !sameValue(a.boletasSobrantes, b.boletasSobrantes) ||
    !sameValue(a.personasVotaron, b.personasVotaron) ||
    !sameValue(a.representantesVotaron, b.representantesVotaron) ||
    !sameValue(a.votosSacados, b.votosSacados) ||
    !sameValue(a.totalAsentado, b.totalAsentado)
  )
    return false;
  const keysA = Object.keys(a.votes);
  const keysB = Object.keys(b.votes);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => sameValue(a.votes[key], b.votes[key]));
}

/** The names of the boxes where two captures differ (what the verifier is shown). */
export function differingFields(a: ActaFields, b: ActaFields): string[] {
  const out: string[] = [];
  const boxes = ['boletasSobrantes', 'personasVotaron', 'representantesVotaron', 'votosSacados'] as const;
  for (const box of boxes) if (!sameValue(a[box], b[box])) out.push(box);
  const columns = new Set([...Object.keys(a.votes), ...Object.keys(b.votes)]);
  for (const column of columns) if (!sameValue(a.votes[column], b.votes[column])) out.push(`votes.${column}`);
  if (!sameValue(a.totalAsentado, b.totalAsentado)) out.push('totalAsentado');
  return out;
}
