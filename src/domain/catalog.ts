import type { CasillaKey, TipoCasilla } from './keys.ts';

/**
 * Casilla types. B básica, C contigua, E extraordinaria, S especial (voters from anywhere:
 * lista nominal 0, capped by approved ballots).
 */

export type Ubicacion = 'URBANA' | 'NO_URBANA';

export interface Entidad {
  readonly id: number; // 1..32
  readonly name: string; // e.g. AGUASCALIENTES
}

export interface Distrito {
  readonly entidad: number;
  readonly id: number; // federal distrito number within the entidad, 1..
  readonly name: string; // cabecera distrital
}

export interface Casilla {
  readonly key: CasillaKey;
  readonly entidad: number;
  readonly distrito: number;
  readonly seccion: number; // 1..9999
  readonly tipo: TipoCasilla;
  readonly id: number; // ID_CASILLA, 1..99
  readonly extension: number; // EXT_CONTIGUA, 0..99
  readonly ubicacion: Ubicacion;
  readonly listaNominal: number; // 0 for special casillas
  readonly representantes: number; // party and independent representatives accredited (REPRESENTANTES_PP_CI)
  readonly boletasAprobadas: number; // approved ballots; what caps a special casilla (0 elsewhere)
}

/** An immutable, validated catalog. Arrays are sorted (entidad, distrito, sección, tipo, id, extension). */
export interface Catalog {
  readonly entidades: readonly Entidad[];
  readonly distritos: readonly Distrito[];
  readonly casillas: readonly Casilla[];
}

/** "EE-DDD", the key of a distrito in maps and JSON paths. */
export function distritoKey(entidad: number, distrito: number): string {
  return `${String(entidad).padStart(2, '0')}-${String(distrito).padStart(3, '0')}`;
}

/** "EE-SSSS", the key of a sección (secciones are numbered within an entidad). */
export function seccionKey(entidad: number, seccion: number): string {
  return `${String(entidad).padStart(2, '0')}-${String(seccion).padStart(4, '0')}`;
}

const TIPO_ORDER: Record<TipoCasilla, number> = { B: 0, C: 1, E: 2, S: 3 };

/** The publication order of casillas: entidad, distrito, sección, tipo, id, extension. */
export function compareCasillas(a: Casilla, b: Casilla): number {
  return (
    a.entidad - b.entidad ||
    a.distrito - b.distrito ||
    a.seccion - b.seccion ||
    TIPO_ORDER[a.tipo] - TIPO_ORDER[b.tipo] ||
    a.id - b.id ||
    a.extension - b.extension
  );
}
