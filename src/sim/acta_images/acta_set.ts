/**
 * A labelled set of synthetic actas from a generated catalog: the first `count` actas
 * esperadas (in catalog order, all contests), each with the values a real night would give
 * (`src/sim/election_night.ts`) written on it, rendered with its ground truth.
 */
import { actaBoxKeys, TOP_BOXES } from '../../domain/acta_form.ts';
import { actasEsperadas, applicableColumns } from '../../domain/actas_esperadas.ts';
import { capturedValue } from '../../domain/reader_score.ts';
import type { Casilla, Catalog } from '../../domain/catalog.ts';
import type { Contest, ElectionDefinition } from '../../domain/election.ts';
import type { ActaFields } from '../../domain/values.ts';
import { trueActaFields } from '../election_night.ts';
import { createRandom } from '../random.ts';
import { IMAGE_DEFECTS } from './defects.ts';
import { type RenderedActa, renderActa } from './render_acta.ts';
import type { ActaContent } from './synthetic_acta.ts';

const TIPO: Readonly<Record<Casilla['tipo'], string>> = {
  B: 'BÁSICA',
  C: 'CONTIGUA',
  E: 'EXTRAORDINARIA',
  S: 'ESPECIAL',
};

/** The printed labels of the boxes that are not votes. */
const TOP_LABELS: Readonly<Record<string, string>> = {
  boletasSobrantes: 'Boletas sobrantes',
  personasVotaron: 'Personas que votaron',
  representantesVotaron: 'Representantes de partidos que votaron',
  votosSacados: 'Votos sacados de la urna',
  totalAsentado: 'Total de votos',
};

/** The boxes of an acta, in the acta's order (acta_form.ts actaBoxKeys), with the values on it. */
export function actaBoxes(
  columns: readonly { id: string; name: string }[],
  fields: ActaFields,
): ActaContent['boxes'] {
  return actaBoxKeys(columns.map((c) => c.id)).map((key, line) => ({
    key,
    label: TOP_LABELS[key] ?? columns[line - TOP_BOXES.length]!.name,
    value: capturedValue(fields, key) ?? 'sin_dato',
  }));
}

/** What is written on an acta esperada's sheet: its header from the catalog, its boxes with `fields`. */
export function actaContent(
  catalog: Catalog,
  contest: Contest,
  esperada: { readonly actaKey: string; readonly casilla: Casilla },
  fields: ActaFields,
): ActaContent {
  const casilla = esperada.casilla;
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const entidad = catalog.entidades.find((e) => e.id === casilla.entidad)?.name ?? '';
  const distrito =
    catalog.distritos.find((d) => d.entidad === casilla.entidad && d.id === casilla.distrito)?.name ?? '';
  return {
    actaKey: esperada.actaKey,
    contestTitle: contest.title,
    entidad: `${pad(casilla.entidad, 2)} ${entidad}`,
    distrito: `${pad(casilla.distrito, 2)} ${distrito}`,
    seccion: pad(casilla.seccion, 4),
    casilla: `${TIPO[casilla.tipo]} ${pad(casilla.id, 2)}${casilla.extension > 0 ? ` C${pad(casilla.extension, 2)}` : ''}`,
    boxes: actaBoxes(applicableColumns(contest, casilla), fields),
  };
}

/**
 * One acta of a presidential election with values on every kind of box (numbers, an illegible
 * one, an empty one): for tests, samples and examples.
 */
export function sampleActaContent(actaKey = '010338B010001'): ActaContent {
  return {
    actaKey,
    contestTitle: 'PRESIDENCIA DE LA REPÚBLICA',
    entidad: '01 AGUASCALIENTES',
    distrito: '01 JESÚS MARÍA',
    seccion: actaKey.slice(2, 6),
    casilla: 'BÁSICA 01',
    boxes: [
      { key: 'boletasSobrantes', label: 'Boletas sobrantes', value: 212 },
      { key: 'personasVotaron', label: 'Personas que votaron', value: 388 },
      { key: 'representantesVotaron', label: 'Representantes de partidos que votaron', value: 4 },
      { key: 'votosSacados', label: 'Votos sacados de la urna', value: 392 },
      { key: 'vote:PAN', label: 'Partido Acción Nacional', value: 101 },
      { key: 'vote:PRI', label: 'Partido Revolucionario Institucional', value: 87 },
      { key: 'vote:PRD', label: 'Partido de la Revolución Democrática', value: 12 },
      { key: 'vote:PVEM', label: 'Partido Verde Ecologista de México', value: 19 },
      { key: 'vote:PT', label: 'Partido del Trabajo', value: 14 },
      { key: 'vote:MC', label: 'Movimiento Ciudadano', value: 35 },
      { key: 'vote:MORENA', label: 'Morena', value: 'ilegible' },
      { key: 'vote:NULOS', label: 'Votos nulos', value: 'sin_dato' },
      { key: 'totalAsentado', label: 'Total de votos', value: 392 },
    ],
  };
}

/**
 * The actas of a set: the first `count` actas esperadas (in catalog order, all contests), each
 * with its position in the set; only those `select` keeps (workers share a set this way).
 */
export function* setActas(input: {
  readonly catalog: Catalog;
  readonly election: ElectionDefinition;
  readonly count: number;
  readonly select?: (index: number) => boolean;
}): Generator<{ index: number; contest: Contest; esperada: ReturnType<typeof actasEsperadas>[number] }> {
  let made = 0;
  for (const contest of input.election.contests)
    for (const esperada of actasEsperadas(input.catalog, contest)) {
      if (made >= input.count) return;
      const index = made++;
      if (input.select === undefined || input.select(index)) yield { index, contest, esperada };
    }
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
  /** Renders only the actas at these positions of the set (workers share a set this way); all by default. */
  readonly select?: (index: number) => boolean;
}): AsyncGenerator<RenderedActa & { readonly index: number; readonly contest: string }> {
  for (const { index, contest, esperada } of setActas(input)) {
    // Each acta's values, style and defects come from its own random stream: skipping one
    // changes nothing for the others.
    const casilla = esperada.casilla;
    const columns = applicableColumns(contest, casilla);
    const random = createRandom(`values:${input.seed}:${esperada.actaKey}`);
    const fields = trueActaFields({ random, casilla, columns });
    const style = random.chance(input.phoneShare ?? 0) ? 'phone' : 'scanner';
    const defects = random.chance(input.defectiveShare ?? 0) ? [random.pick(IMAGE_DEFECTS)] : [];
    const rendered = await renderActa(actaContent(input.catalog, contest, esperada, fields), input.seed, {
      style,
      defects,
    });
    yield { ...rendered, index, contest: contest.id };
  }
}
