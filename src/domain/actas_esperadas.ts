import { type Casilla, type Catalog, distritoKey } from './catalog.ts';
import { type Contest, columnApplies, type VoteColumn } from './election.ts';
import { type ActaKey, formatActaKey } from './keys.ts';

export interface ActaEsperada {
  readonly actaKey: ActaKey;
  readonly casilla: Casilla;
  readonly tipoActa: string;
}

/**
 * Actas esperadas of a contest: every approved casilla × every acta type its casilla type
 * produces (special casillas yield two deputy actas, MR and RP), in publication order.
 */
export function actasEsperadas(catalog: Catalog, contest: Contest): ActaEsperada[] {
  const out: ActaEsperada[] = [];
  for (const casilla of catalog.casillas) {
    for (const actaType of contest.actaTypes) {
      if (!actaType.casillaTypes.includes(casilla.tipo)) continue;
      const key = formatActaKey(casilla.key, actaType.code);
      if (!key.ok) throw new Error(`election definition has a bad TIPO_ACTA: ${key.message}`);
      out.push({ actaKey: key.value, casilla, tipoActa: actaType.code });
    }
  }
  return out;
}

/** The vote columns on this casilla's ballot, in catalog order. */
export function applicableColumns(contest: Contest, casilla: Casilla): VoteColumn[] {
  const distrito = distritoKey(casilla.entidad, casilla.distrito);
  return contest.columns.filter((column) => columnApplies(column, casilla.entidad, distrito));
}
