/**
 * A labelled set of synthetic actas from a generated catalog: the first `count` actas
 * esperadas (in catalog order, all contests), each with the values a real night would give
 * (`src/sim/election_night.ts`) written on it, rendered with its ground truth.
 */
import { actasEsperadas, applicableColumns } from '../domain/actas_esperadas.ts';
import type { Casilla, Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import type { ActaFields } from '../domain/values.ts';
import { trueActaFields } from '../sim/election_night.ts';
import { createRandom } from '../sim/random.ts';
import { IMAGE_DEFECTS } from './defects.ts';
import { type RenderedActa, renderActa } from './render_acta.ts';
import type { ActaContent } from './synthetic_acta.ts';

const TIPO: Readonly<Record<Casilla['tipo'], string>> = {
  B: 'BÁSICA',
  C: 'CONTIGUA',
  E: 'EXTRAORDINARIA',
  S: 'ESPECIAL',
};

/** The boxes of an acta, in the acta's order, with the values on it. */
export function actaBoxes(
  columns: readonly { id: string; name: string }[],
  fields: ActaFields,
): ActaContent['boxes'] {
  return [
    { key: 'boletasSobrantes', label: 'Boletas sobrantes', value: fields.boletasSobrantes },
    { key: 'personasVotaron', label: 'Personas que votaron', value: fields.personasVotaron },
    {
      key: 'representantesVotaron',
      label: 'Representantes de partidos que votaron',
      value: fields.representantesVotaron,
    },
    { key: 'votosSacados', label: 'Votos sacados de la urna', value: fields.votosSacados },
    ...columns.map((c) => ({ key: `vote:${c.id}`, label: c.name, value: fields.votes[c.id] ?? 'sin_dato' })),
    { key: 'totalAsentado', label: 'Total de votos', value: fields.totalAsentado },
  ];
}

export async function* renderActaSet(input: {
  readonly catalog: Catalog;
  readonly election: ElectionDefinition;
  readonly count: number;
  readonly seed: number;
  /** Share photographed at the casilla by phone (the rest scanned at the CATD). */
  readonly phoneShare?: number;
  /** Share with one defect (INE's technical committee found 12% unfit to publish). */
  readonly defectiveShare?: number;
}): AsyncGenerator<RenderedActa> {
  const entidades = new Map(input.catalog.entidades.map((e) => [e.id, e.name]));
  const distritos = new Map(input.catalog.distritos.map((d) => [`${d.entidad}-${d.id}`, d.name]));
  let made = 0;
  for (const contest of input.election.contests) {
    for (const esperada of actasEsperadas(input.catalog, contest)) {
      if (made >= input.count) return;
      const casilla = esperada.casilla;
      const columns = applicableColumns(contest, casilla);
      const random = createRandom(`values:${input.seed}:${esperada.actaKey}`);
      const fields = trueActaFields({ random, casilla, columns });
      const style = random.chance(input.phoneShare ?? 0) ? 'phone' : 'scanner';
      const defects = random.chance(input.defectiveShare ?? 0) ? [random.pick(IMAGE_DEFECTS)] : [];
      const pad = (n: number, w: number) => String(n).padStart(w, '0');
      yield await renderActa(
        {
          actaKey: esperada.actaKey,
          contestTitle: contest.title,
          entidad: `${pad(casilla.entidad, 2)} ${entidades.get(casilla.entidad) ?? ''}`,
          distrito: `${pad(casilla.distrito, 2)} ${distritos.get(`${casilla.entidad}-${casilla.distrito}`) ?? ''}`,
          seccion: pad(casilla.seccion, 4),
          casilla: `${TIPO[casilla.tipo]} ${pad(casilla.id, 2)}${casilla.extension > 0 ? ` C${pad(casilla.extension, 2)}` : ''}`,
          boxes: actaBoxes(columns, fields),
        },
        input.seed,
        { style, defects },
      );
      made++;
    }
  }
}
