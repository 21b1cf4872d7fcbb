/**
 * The 32 entidades on a map (@svg-maps/mexico, CC BY 4.0), coloured by the leading option or by
 * participation. Each entidad is a link, reachable with Tab and opened with Enter, named for
 * screen readers with what its colour means; the entidades table below says the same in text.
 */
import mexicoMap from '@svg-maps/mexico';
import { useState } from 'preact/hooks';
import { formatPercent, type Words } from './i18n.ts';
import type { Aggregates, Column } from './publication.ts';
import { columnColor } from './colors.ts';
import { leaderOf } from './leader.ts';

/** The package's shape (its own types point at a package that is not published). */
interface SvgMap {
  readonly viewBox: string;
  readonly locations: readonly { readonly id: string; readonly name: string; readonly path: string }[];
}
const mexico = mexicoMap as unknown as SvgMap;
/** The outline's source and licence, named as its authors ask (a name, not a sentence to translate). */
const MAP_CREDIT = '@svg-maps/mexico, Victor Cazanave, CC BY 4.0.';

/** The map's ids in INE's entidad order (1 Aguascalientes … 32 Zacatecas). */
const MAP_IDS = [
  'agu',
  'bcn',
  'bcs',
  'cam',
  'coa',
  'col',
  'chp',
  'chh',
  'cmx',
  'dur',
  'gua',
  'gro',
  'hid',
  'jal',
  'mex',
  'mic',
  'mor',
  'nay',
  'nle',
  'oax',
  'pue',
  'que',
  'roo',
  'slp',
  'sin',
  'son',
  'tab',
  'tam',
  'tla',
  'ver',
  'yuc',
  'zac',
] as const;

const NO_DATA = '#d9d9d9';
const OUTSIDE = '#f3f4f6';
/** Participation, light to dark; bins of 10 points from 40 %. */
const PARTICIPATION = ['#deebf7', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];
const PARTICIPATION_BINS = ['< 40 %', '40–50 %', '50–60 %', '60–70 %', '≥ 70 %'];

interface MapUnit {
  readonly key: string;
  readonly label: string;
  readonly href: string;
  readonly aggregates: Aggregates;
  readonly votes: readonly number[];
}

function participationBin(percent: string): number {
  const value = Number(percent);
  return Math.max(0, Math.min(4, Math.floor((value - 30) / 10)));
}

export function EntidadMap(props: {
  words: Words;
  contest: string;
  columns: readonly Column[];
  entidades: readonly MapUnit[];
}) {
  const { words, columns } = props;
  const [by, setBy] = useState<'leader' | 'participation'>('leader');
  const byId = new Map(props.entidades.map((e) => [Number(e.key), e]));
  const leaders = new Set<Column>();
  const shapes = mexico.locations.map((location) => {
    const id = MAP_IDS.indexOf(location.id as (typeof MAP_IDS)[number]) + 1;
    const unit = byId.get(id);
    // An entidad this election does not hold (a state election's map): drawn, not a link.
    if (unit === undefined) return <path key={location.id} d={location.path} fill={OUTSIDE} />;
    const leader = leaderOf(columns, unit.votes);
    if (leader !== null) leaders.add(leader);
    const counted = unit.aggregates.ACTAS_CONTABILIZADAS > 0;
    const fill =
      by === 'leader'
        ? leader === null
          ? NO_DATA
          : columnColor(leader, columns)
        : counted
          ? (PARTICIPATION[participationBin(unit.aggregates.PORCENTAJE_PARTICIPACION_CIUDADANA)] ?? NO_DATA)
          : NO_DATA;
    const meaning =
      by === 'leader'
        ? `${words.leading}: ${leader?.name ?? '—'}`
        : `${words.participation}: ${counted ? formatPercent(unit.aggregates.PORCENTAJE_PARTICIPACION_CIUDADANA) : `— (${words.nothingCounted})`}`;
    const name = `${unit.label}. ${meaning}`;
    return (
      <a key={location.id} href={unit.href} aria-label={name}>
        <title>{name}</title>
        <path d={location.path} fill={fill} />
      </a>
    );
  });
  const legend =
    by === 'leader'
      ? columns
          .filter((c) => leaders.has(c))
          .map((c) => [columnColor(c, columns), `${c.id} · ${c.name}`] as const)
      : PARTICIPATION.map((color, i) => [color, PARTICIPATION_BINS[i] ?? ''] as const);
  return (
    <section class="map-section" aria-labelledby="mapa">
      <h2 id="mapa">{words.map}</h2>
      <fieldset class="map-controls">
        <legend>{words.mapBy}</legend>
        <label>
          <input type="radio" name="map-by" checked={by === 'leader'} onChange={() => setBy('leader')} />{' '}
          {words.mapByLeader}
        </label>
        <label>
          <input
            type="radio"
            name="map-by"
            checked={by === 'participation'}
            onChange={() => setBy('participation')}
          />{' '}
          {words.mapByParticipation}
        </label>
      </fieldset>
      <p class="map-help">{words.mapHelp}</p>
      <div class="map">
        <svg viewBox={mexico.viewBox} aria-labelledby="mapa-titulo">
          <title id="mapa-titulo">{words.map}</title>
          {shapes}
        </svg>
      </div>
      <ul class="legend">
        {legend.map(([color, label]) => (
          <li key={label}>
            <svg width="14" height="14" aria-hidden="true">
              <rect width="14" height="14" fill={color} stroke="#1a1a1a" />
            </svg>{' '}
            {label}
          </li>
        ))}
      </ul>
      <p class="attribution">
        <small>
          {words.mapCredit}: {MAP_CREDIT}
        </small>
      </p>
    </section>
  );
}
