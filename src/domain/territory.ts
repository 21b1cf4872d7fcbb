/**
 * Territory: which actas a CATD or a CAE may send. Each CATD serves one or more distritos (one
 * per consejo distrital as a rule; a distrito's casillas may also be split among several
 * CATDs, so a CATD's area may be casillas too); each CAE is assigned a few casillas, its área
 * de responsabilidad electoral (ARE). A device sends only actas within the area of the CATD or
 * CAE it is bound to: a stolen or misconfigured scanner of one CATD cannot take an acta of
 * another CATD's distrito before the genuine scan arrives.
 *
 * Pure: the store keeps the declared areas, intake asks this module.
 */
import { distritoKey } from './catalog.ts';

export const UNIT_KINDS = ['CATD', 'CAE'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** One assignment: a unit (CATD or CAE id, as devices are bound) serves a whole distrito or one casilla. */
export interface TerritoryRow {
  readonly unit: string;
  readonly unitKind: UnitKind;
  readonly areaKind: 'distrito' | 'casilla';
  /** `EE-DDD` (distritoKey) for a distrito, the CLAVE_CASILLA for a casilla. */
  readonly area: string;
}

/** A unit id: what `--bound-to` names. Kept to characters that need no quoting anywhere. */
export const UNIT_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The area of one unit as sets for lookup (all of it, or only the rows that matter to one acta). */
export interface Area {
  /** Whether anything at all is declared for the unit. */
  readonly declared: boolean;
  readonly distritos: ReadonlySet<string>;
  readonly casillas: ReadonlySet<string>;
}

export function areaOf(rows: readonly TerritoryRow[], declared = rows.length > 0): Area {
  const distritos = new Set<string>();
  const casillas = new Set<string>();
  for (const row of rows) (row.areaKind === 'distrito' ? distritos : casillas).add(row.area);
  return { declared: declared || rows.length > 0, distritos, casillas };
}

/** The areas that decide whether an acta is in a unit's territory: its distrito and its casilla. */
export function areasOfActa(acta: PlacedActa): readonly string[] {
  return [distritoKey(acta.entidad, acta.distrito), acta.casillaKey];
}

/** The casilla an acta claims to be from, as the catalog places it; null for fuera de catálogo. */
export interface PlacedActa {
  readonly entidad: number;
  readonly distrito: number;
  readonly casillaKey: string;
}

export type ScopeDecision =
  | { readonly inScope: true; readonly why: 'distrito' | 'casilla' | 'fuera-de-catalogo' }
  | { readonly inScope: false; readonly why: 'no-area' | 'outside' | 'fuera-de-catalogo' };

/**
 * Whether a device of this origin, bound to a unit with this area, may send this acta.
 *
 * - No declared area: refused. Sending would otherwise be open to every acta of the country,
 *   the very hole this closes; the operator is told to declare the area.
 * - An acta of the catalog: within the area if its distrito or its casilla is.
 * - Fuera de catálogo (the key names no casilla of the catalog, so it has no distrito to
 *   check): taken from a CATD's scanner, as today, because INE publishes such actas and a CATD
 *   receives whatever paper arrives; such a record (`FC:…`) can never be a catalog acta's, so
 *   it cannot block a genuine scan. Refused from a CAE's phone: a CAE photographs only the
 *   casillas of their ARE, all of which are in the catalog.
 */
export function decideScope(origin: 'CATD' | 'CASILLA', area: Area, acta: PlacedActa | null): ScopeDecision {
  if (!area.declared) return { inScope: false, why: 'no-area' };
  if (acta === null)
    return origin === 'CATD'
      ? { inScope: true, why: 'fuera-de-catalogo' }
      : { inScope: false, why: 'fuera-de-catalogo' };
  if (area.distritos.has(distritoKey(acta.entidad, acta.distrito))) return { inScope: true, why: 'distrito' };
  if (area.casillas.has(acta.casillaKey)) return { inScope: true, why: 'casilla' };
  return { inScope: false, why: 'outside' };
}
