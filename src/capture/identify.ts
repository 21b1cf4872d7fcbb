/**
 * Identification at acopio: which acta esperada a claimed CLAVE_ACTA names, or fuera de
 * catálogo (a key that does not parse, or names no approved casilla of that contest).
 */
import type { Identification } from '../domain/acta.ts';
import { type ActaEsperada, actasEsperadas } from '../domain/actas_esperadas.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { parseActaKey } from '../domain/keys.ts';

export interface Identified {
  readonly recordId: string;
  readonly esperada: ActaEsperada | null; // null: fuera de catálogo
  readonly identification: Identification;
}

/** Every acta esperada of every contest, by contest then CLAVE_ACTA. */
export class ActaIndex {
  readonly #byContest = new Map<string, Map<string, ActaEsperada>>();

  constructor(catalog: Catalog, election: ElectionDefinition) {
    for (const contest of election.contests) {
      const actas = new Map<string, ActaEsperada>();
      for (const esperada of actasEsperadas(catalog, contest)) actas.set(esperada.actaKey, esperada);
      this.#byContest.set(contest.id, actas);
    }
  }

  esperadas(contest: string): ReadonlyMap<string, ActaEsperada> {
    return this.#byContest.get(contest) ?? new Map();
  }

  identify(contest: string, claimedKey: string): Identified {
    const parsed = parseActaKey(claimedKey);
    const text = claimedKey.startsWith("'") ? claimedKey.slice(1) : claimedKey;
    const esperada = parsed.ok ? (this.#byContest.get(contest)?.get(text) ?? null) : null;
    const identification: Identification = parsed.ok
      ? {
          claimedKey: text,
          entidad: parsed.value.entidad,
          distrito: esperada?.casilla.distrito ?? null,
          seccion: parsed.value.seccion,
          tipo: parsed.value.tipo,
          id: parsed.value.id,
          extension: parsed.value.extension,
          tipoActa: parsed.value.tipoActa,
        }
      : {
          claimedKey: text,
          entidad: null,
          distrito: null,
          seccion: null,
          tipo: null,
          id: null,
          extension: null,
          tipoActa: null,
        };
    return {
      recordId: esperada !== null ? esperada.actaKey : `FC:${contest}:${text}`,
      esperada,
      identification,
    };
  }
}
