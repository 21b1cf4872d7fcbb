/**
 * The headline of a level, as voters read results: actas contabilizadas, participation, and
 * each candidatura's votes and share, leader first, with its parties' colours and
 * abbreviations (the page reads in greyscale too) and the party breakdown beside it. Colours
 * come from the election definition; NO_REGISTRADAS and NULOS are grey hatching, never a colour.
 */
import { formatCount, type Language, type Words } from './i18n.ts';
import { Percent } from './percent.tsx';
import { columnColor } from './colors.ts';
import type { Candidatura, Column, Level } from './publication.ts';

/** Grey hatching: unregistered and null votes never take a party's colour. */
const NOT_A_PARTY = 'repeating-linear-gradient(45deg, #ffffff 0 2px, #6b6b6b 2px 4px)';

/** The CSS background of a column's swatch: its colour, its parties' stripes, or hatching. */
export function swatchBackground(column: Column | undefined, columns: readonly Column[]): string {
  if (column === undefined || column.kind === 'nulos' || column.kind === 'no_registradas') return NOT_A_PARTY;
  if (column.kind !== 'coalition') return columnColor(column, columns);
  const parts = (column.parties ?? []).flatMap((id) => {
    const party = columns.find((c) => c.id === id);
    return party === undefined ? [] : [columnColor(party, columns)];
  });
  const step = 100 / Math.max(parts.length, 1);
  return `linear-gradient(90deg, ${parts.map((c, i) => `${c} ${i * step}% ${(i + 1) * step}%`).join(', ')})`;
}

/** `style` for the `.swatch` of a vote column. */
export const swatchStyle = (column: Column | undefined, columns: readonly Column[]): string =>
  `--swatch: ${swatchBackground(column, columns)}`;

/**
 * The party breakdown of a candidatura: its own columns' votes and the rest (its combinations).
 * Only where no other candidatura of the level shares a party: there a party's votes at this
 * level are not all this candidatura's (deputies nationally: PVEM in and out of the coalition).
 */
function breakdown(
  candidatura: Candidatura,
  all: readonly Candidatura[],
  votes: ReadonlyMap<string, number>,
): { own: [string, number][]; combinations: number } | null {
  const shared = all.some(
    (other) => other !== candidatura && other.columns.some((id) => candidatura.columns.includes(id)),
  );
  if (shared || candidatura.columns.length < 2) return null;
  const own = candidatura.columns.map((id): [string, number] => [id, votes.get(id) ?? 0]);
  const combinations = candidatura.votes - own.reduce((sum, [, v]) => sum + v, 0);
  return combinations < 0 ? null : { own, combinations };
}

export function CandidaturasHeadline(props: { words: Words; language: Language; data: Level }) {
  const { words, language, data } = props;
  const candidaturas = data.candidaturas ?? [];
  if (candidaturas.length === 0) return null;
  const a = data.aggregates;
  // Nothing counted yet: every share is "—", as in the tables (a share of nothing is no figure).
  const counted = a.ACTAS_CONTABILIZADAS > 0;
  const n = (value: number) => formatCount(value, language);
  const votes = new Map(data.votes.map((v) => [v.column, v.votes]));
  const byId = new Map(data.columns.map((c) => [c.id, c]));
  const ranked = candidaturas
    .map((c, i) => [c, i] as const)
    .sort(([x, i], [y, j]) => y.votes - x.votes || i - j)
    .map(([c]) => c);
  return (
    <section class="headline" aria-labelledby="candidaturas-title">
      <p class="headline-figures">
        <span>
          {words.actasContabilizadas}: <strong>{n(a.ACTAS_CONTABILIZADAS)}</strong> (
          <Percent words={words} text={a.PORCENTAJE_ACTAS_CONTABILIZADAS} counted={counted} />)
        </span>
        <span>
          {words.participation}:{' '}
          <strong>
            <Percent words={words} text={a.PORCENTAJE_PARTICIPACION_CIUDADANA} counted={counted} />
          </strong>
        </span>
      </p>
      <h2 id="candidaturas-title">{words.candidaturasTitle}</h2>
      <ol class="candidaturas">
        {ranked.map((c) => {
          const parts = breakdown(c, candidaturas, votes);
          return (
            <li key={c.id} data-candidatura={c.id}>
              <span class="candidatura-parties">
                {c.columns.map((id) => (
                  <span key={id} class="candidatura-party">
                    <span class="swatch" style={swatchStyle(byId.get(id), data.columns)} aria-hidden="true" />
                    {id}
                  </span>
                ))}
              </span>
              <span class="candidatura-percent">
                <Percent words={words} text={c.percent} counted={counted} />
              </span>
              <strong class="candidatura-who">{c.candidate ?? c.name}</strong>
              <span class="candidatura-votes" data-votes={c.votes}>
                {n(c.votes)} {words.votesUnit}
              </span>
              <small class="candidatura-about">
                {c.candidate === null ? words.candidatesVary : c.name}
                {parts !== null &&
                  `: ${parts.own.map(([id, v]) => `${id} ${n(v)}`).join(' · ')} · ${words.combinations} ${n(parts.combinations)}`}
              </small>
              <span class="candidatura-bar" style={`--share: ${Number(c.percent)}%`} aria-hidden="true" />
            </li>
          );
        })}
      </ol>
    </section>
  );
}
