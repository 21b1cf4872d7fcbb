/**
 * What a capturista types, box by box, in the acta's own order: the four boxes at the top of
 * the acta de escrutinio y cómputo, one per option on the ballot (parties, coalition
 * combinations, independents, no registradas, nulos), and the total. A box holds digits,
 * `Ilegible` or `Sin dato` — each one key away — or is still empty.
 */
import { actaBoxKeys, TOP_BOXES } from '../domain/acta_form.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { Words } from './i18n.ts';

export type BoxValue = string; // '' | digits | 'ilegible' | 'sin_dato'
export type FieldValue = number | 'ilegible' | 'sin_dato';

export interface ApiFields {
  readonly boletasSobrantes: FieldValue;
  readonly personasVotaron: FieldValue;
  readonly representantesVotaron: FieldValue;
  readonly votosSacados: FieldValue;
  readonly votes: Readonly<Record<string, FieldValue>>;
  readonly totalAsentado: FieldValue;
}

export interface Box {
  /** `boletasSobrantes` …, or `vote:<COLUMN>` for an option. */
  readonly key: string;
  readonly label: string;
  /** The column id for a vote box, as printed on the acta (PAN, PVEM_PT_MORENA …). */
  readonly column: string | null;
}

export const MAX_DIGITS = 5; // the API takes 0..99,999 in a box

/** The labels of the boxes that are not votes, in the console's language. */
export type BoxLabels = Pick<
  Words,
  | 'boxBoletasSobrantes'
  | 'boxPersonasVotaron'
  | 'boxRepresentantesVotaron'
  | 'boxVotosSacados'
  | 'boxTotalAsentado'
>;

export function boxesOf(
  columns: readonly { readonly id: string; readonly name: string }[],
  labels: BoxLabels,
): Box[] {
  const top: Readonly<Record<string, string>> = {
    boletasSobrantes: labels.boxBoletasSobrantes,
    personasVotaron: labels.boxPersonasVotaron,
    representantesVotaron: labels.boxRepresentantesVotaron,
    votosSacados: labels.boxVotosSacados,
    totalAsentado: labels.boxTotalAsentado,
  };
  // The acta's lines (acta_form.ts), labelled: a vote line by its column's name.
  return actaBoxKeys(columns.map((c) => c.id)).map((key, line) => {
    const column = key.startsWith('vote:') ? (columns[line - TOP_BOXES.length] ?? null) : null;
    return { key, label: column === null ? (top[key] ?? key) : column.name, column: column?.id ?? null };
  });
}

/**
 * A key pressed in a box: digits append (up to MAX_DIGITS, no leading zeros), Backspace
 * removes, `i` marks Ilegible and `s` Sin dato (a box marked so is replaced by the next digit).
 * Other keys change nothing (null: let the browser have them — Tab, arrows).
 */
export function applyKey(current: BoxValue, key: string): BoxValue | null {
  if (/^[0-9]$/.test(key)) {
    const digits = current === 'ilegible' || current === 'sin_dato' || current === '0' ? '' : current;
    return digits.length >= MAX_DIGITS ? current : digits + key;
  }
  if (key === 'Backspace')
    return current === 'ilegible' || current === 'sin_dato' ? '' : current.slice(0, -1);
  if (key === 'Delete') return '';
  if (key === 'i' || key === 'I') return 'ilegible';
  if (key === 's' || key === 'S') return 'sin_dato';
  return null;
}

/** How a box reads on screen. */
export function shown(value: BoxValue): string {
  return value === 'ilegible' ? 'Ilegible' : value === 'sin_dato' ? 'Sin dato' : value;
}

function fieldOf(value: BoxValue): FieldValue | null {
  if (value === 'ilegible' || value === 'sin_dato') return value;
  return /^\d{1,5}$/.test(value) ? Number(value) : null;
}

/** The API's fields from the boxes; every box must be filled. */
export function toFields(
  boxes: readonly Box[],
  values: ReadonlyMap<string, BoxValue>,
): Result<ApiFields, 'empty-box'> {
  const top: Partial<Record<keyof ApiFields, FieldValue>> = {};
  const votes: Record<string, FieldValue> = {};
  for (const box of boxes) {
    const value = fieldOf(values.get(box.key) ?? '');
    if (value === null) return err('empty-box', box.label);
    if (box.column !== null) votes[box.column] = value;
    else top[box.key as keyof ApiFields] = value as never;
  }
  return ok({
    boletasSobrantes: top.boletasSobrantes!,
    personasVotaron: top.personasVotaron!,
    representantesVotaron: top.representantesVotaron!,
    votosSacados: top.votosSacados!,
    votes,
    totalAsentado: top.totalAsentado!,
  });
}

/** The boxes' values of a capture (to show the two captures side by side). */
export function fromFields(boxes: readonly Box[], fields: ApiFields): Map<string, BoxValue> {
  const values = new Map<string, BoxValue>();
  for (const box of boxes) {
    const value = box.column !== null ? fields.votes[box.column] : fields[box.key as keyof ApiFields];
    values.set(box.key, value === undefined || typeof value === 'object' ? '' : String(value));
  }
  return values;
}

/** The boxes where two captures differ: what the verificador looks at on the image. */
export function differences(boxes: readonly Box[], a: ApiFields, b: ApiFields): Set<string> {
  const first = fromFields(boxes, a);
  const second = fromFields(boxes, b);
  return new Set(boxes.filter((box) => first.get(box.key) !== second.get(box.key)).map((box) => box.key));
}
