/**
 * The history of the night (`#/historial`): every published cut with its time, % actas
 * contabilizadas, participación, manifest hash and downloads; a chart of the two percentages
 * over the night (a hand-written SVG, the table being its accessible text); and, for any cut
 * (`#/historial/<cut>`), what changed since the cut before it, each acta linking to its casilla.
 * Its files are read only when the reader comes here.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  type Changes,
  casillaHash,
  chartPoints,
  fetchChanges,
  fetchHistory,
  fetchPointer,
  type History,
} from './history_data.ts';
import { formatCount, formatPercent, type Language, type Words } from './i18n.ts';
import type { CutIndex } from './publication.ts';

type Loaded<T> = { state: 'loading' } | { state: 'failed'; message: string } | { state: 'ready'; value: T };

function useFetched<T>(
  load: () => Promise<{ ok: true; value: T } | { ok: false; message: string }>,
  key: string,
): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setLoaded({ state: 'loading' });
    void load().then((result) => {
      if (current)
        setLoaded(
          result.ok ? { state: 'ready', value: result.value } : { state: 'failed', message: result.message },
        );
    });
    return () => {
      current = false;
    };
  }, [key]);
  return loaded;
}

/** At most this many actas of a list are drawn; the rest are in the cut's cambios.json. */
const SHOWN_ACTAS = 200;

const localTime = (time: string) => time.replace('T', ' ').slice(0, 16);

export function HistoryView(props: {
  words: Words;
  language: Language;
  cut: CutIndex;
  changesOf: string | null;
}) {
  if (props.changesOf !== null) return <ChangesView {...props} changesOf={props.changesOf} />;
  return <CutsView {...props} />;
}

function CutsView(props: { words: Words; language: Language; cut: CutIndex }) {
  const { words, cut } = props;
  const id = cut.cut.id;
  const history = useFetched(() => fetchHistory(id), id);
  const pointer = useFetched(() => fetchPointer(), id);
  const [contest, setContest] = useState(cut.contests[0]?.id ?? '');
  if (history.state === 'loading') return <p aria-busy="true">{words.loading}</p>;
  if (history.state === 'failed')
    return (
      <div role="alert">
        <h1>{words.historyTitle}</h1>
        <p>
          <code>{history.message}</code>
        </p>
      </div>
    );
  const data = history.value;
  const at = Math.max(0, data.contests.indexOf(contest));
  const title = cut.contests.find((c) => c.id === data.contests[at])?.title ?? data.contests[at] ?? '';
  const latestSha =
    pointer.state === 'ready' && pointer.value.cut === id ? pointer.value.manifestSha256 : null;
  const cuts = [...data.cuts].reverse();
  return (
    <>
      <h1>{words.historyTitle}</h1>
      <p>{words.historyIntro}</p>
      {data.contests.length > 1 && (
        <p>
          <label>
            {words.contest}:{' '}
            <select value={data.contests[at]} onChange={(e) => setContest(e.currentTarget.value)}>
              {data.contests.map((c) => (
                <option key={c} value={c}>
                  {cut.contests.find((x) => x.id === c)?.title ?? c}
                </option>
              ))}
            </select>
          </label>
        </p>
      )}
      <Chart words={words} history={data} contest={at} title={title} />
      <div class="table-scroll">
        <table class="history">
          <caption>
            {words.historyTableCaption} — {title}
          </caption>
          <thead>
            <tr>
              <th scope="col">{words.cut}</th>
              <th scope="col">{words.historyTime}</th>
              <th scope="col" class="number">
                {words.historyCounted}
              </th>
              <th scope="col" class="number">
                {words.participation}
              </th>
              <th scope="col">{words.historyManifest}</th>
              <th scope="col">{words.downloads}</th>
            </tr>
          </thead>
          <tbody>
            {cuts.map((c) => {
              const figures = c.aggregates[at];
              const sha = c.manifestSha256 ?? (c.id === id ? latestSha : null);
              return (
                <tr key={c.id}>
                  <th scope="row">
                    <a href={`#/historial/${c.id}`}>{c.id}</a>
                    {c.final && <strong> · {words.finalCut}</strong>}
                    {c.id === id && <span> · {words.historyShown}</span>}
                  </th>
                  <td>
                    <time dateTime={c.time}>{localTime(c.time)}</time>
                  </td>
                  <td class="number">{figures === undefined ? '' : formatPercent(figures[2])}</td>
                  <td class="number">{figures === undefined ? '' : formatPercent(figures[3])}</td>
                  <td>
                    <code class="hash">{sha ?? '—'}</code>
                  </td>
                  <td class="history-links">
                    <a href={`${c.id}/${c.id}_PREP.zip`} download>
                      {words.historyZip}
                    </a>{' '}
                    · <a href={`${c.id}/manifest.json`}>manifest.json</a> ·{' '}
                    <a href={`${c.id}/`}>{words.historyFolder}</a> ·{' '}
                    <a href={`#/historial/${c.id}`}>{words.historyChanges}</a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p>{words.historyCheck}</p>
    </>
  );
}

const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 44;
const TOP = 12;

/** Two lines over the night, 0–100 %; the table below holds the same figures as text. */
function Chart(props: { words: Words; history: History; contest: number; title: string }) {
  const { words, history, contest } = props;
  const counted = chartPoints(history.cuts, contest, 2, WIDTH - LEFT - 12, HEIGHT);
  const turnout = chartPoints(history.cuts, contest, 3, WIDTH - LEFT - 12, HEIGHT);
  const path = (points: [number, number][]) => points.map(([x, y]) => `${x + LEFT},${y + TOP}`).join(' ');
  const last = history.cuts.at(-1)?.aggregates[contest];
  const first = history.cuts[0];
  const end = history.cuts.at(-1);
  return (
    <figure class="history-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT + TOP + 28}`}
        role="img"
        aria-labelledby="history-chart-title history-chart-desc"
      >
        <title id="history-chart-title">
          {words.historyChartTitle} — {props.title}
        </title>
        <desc id="history-chart-desc">
          {`${words.historyChartDesc} ${history.cuts.length}. ${words.historyCounted}: ${last?.[2] ?? '-'} %. ${words.participation}: ${last?.[3] ?? '-'} %.`}
        </desc>
        {[0, 25, 50, 75, 100].map((tick) => {
          const y = TOP + HEIGHT - (tick / 100) * HEIGHT;
          return (
            <g key={tick} class="grid">
              <line x1={LEFT} x2={WIDTH - 12} y1={y} y2={y} />
              <text x={LEFT - 6} y={y + 4} text-anchor="end">
                {tick} %
              </text>
            </g>
          );
        })}
        <polyline class="line counted" points={path(counted)} />
        <polyline class="line turnout" points={path(turnout)} />
        {counted.map(([x, y], i) => (
          <circle key={`c${i}`} class="dot counted" cx={x + LEFT} cy={y + TOP} r="3" />
        ))}
        {turnout.map(([x, y], i) => (
          <rect key={`t${i}`} class="dot turnout" x={x + LEFT - 3} y={y + TOP - 3} width="6" height="6" />
        ))}
        {first !== undefined && end !== undefined && (
          <g class="axis">
            <text x={LEFT} y={TOP + HEIGHT + 20}>
              {localTime(first.time).slice(5)}
            </text>
            <text x={WIDTH - 12} y={TOP + HEIGHT + 20} text-anchor="end">
              {localTime(end.time).slice(5)}
            </text>
          </g>
        )}
      </svg>
      <figcaption>
        <span class="key counted">{words.historyCounted}</span>{' '}
        <span class="key turnout">{words.participation}</span>
        <span class="visually-hidden"> — {words.historyChartTable}</span>
      </figcaption>
    </figure>
  );
}

function ChangesView(props: { words: Words; language: Language; cut: CutIndex; changesOf: string }) {
  const { words, language, cut, changesOf } = props;
  const changes = useFetched(() => fetchChanges(changesOf), changesOf);
  if (changes.state === 'loading') return <p aria-busy="true">{words.loading}</p>;
  if (changes.state === 'failed')
    return (
      <div role="alert">
        <h1>
          {words.historyChangesTitle} {changesOf}
        </h1>
        <p>
          <code>{changes.message}</code>
        </p>
        <p>
          <a href="#/historial">{words.historyBack}</a>
        </p>
      </div>
    );
  const data: Changes = changes.value;
  return (
    <>
      <h1>
        {words.historyChangesTitle} {data.cut}
      </h1>
      <p>
        {data.previous === null ? (
          words.historyFirstCut
        ) : (
          <>
            {words.historySince} <a href={`#/historial/${data.previous}`}>{data.previous}</a>.
          </>
        )}{' '}
        <a href="#/historial">{words.historyBack}</a> ·{' '}
        <a href={`${data.cut}/json/cambios.json`}>cambios.json</a>
      </p>
      {data.contests.map((entry) => {
        const title = cut.contests.find((c) => c.id === entry.id)?.title ?? entry.id;
        return (
          <section key={entry.id} aria-labelledby={`cambios-${entry.id}`}>
            <h2 id={`cambios-${entry.id}`}>{title}</h2>
            <p>
              {formatCount(entry.added.length, language)} {words.historyAdded} ·{' '}
              {formatCount(entry.changed.length, language)} {words.historyChanged}
            </p>
            {entry.changed.length > 0 && (
              <ActaTable
                words={words}
                caption={`${words.historyChangedCaption} — ${title}`}
                contest={entry.id}
                rows={entry.changed}
                cut={data.cut}
              />
            )}
            {entry.added.length > 0 && (
              <ActaTable
                words={words}
                caption={`${words.historyAddedCaption} — ${title}`}
                contest={entry.id}
                rows={entry.added}
                cut={data.cut}
              />
            )}
          </section>
        );
      })}
    </>
  );
}

function ActaTable(props: {
  words: Words;
  caption: string;
  contest: string;
  rows: readonly (readonly [string, number, number, number, ...(readonly string[][])])[];
  cut: string;
}) {
  const { words, rows } = props;
  const withColumns = rows.some((row) => row.length > 4);
  return (
    <div class="table-scroll">
      <table class="history-actas">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{words.historyActa}</th>
            <th scope="col">{words.historyCotejo}</th>
            {withColumns && <th scope="col">{words.historyColumns}</th>}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, SHOWN_ACTAS).map((row) => {
            const [acta, entidad, distrito, cotejada] = row;
            return (
              <tr key={acta}>
                <th scope="row">
                  <a href={casillaHash(props.contest, acta, entidad, distrito)}>{acta}</a>
                </th>
                <td>{words[COTEJO[cotejada] ?? 'historyCotejo0']}</td>
                {withColumns && <td>{(row[4] ?? []).join(', ')}</td>}
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length > SHOWN_ACTAS && (
        <p>
          {words.historyMore} {rows.length - SHOWN_ACTAS}:{' '}
          <a href={`${props.cut}/json/cambios.json`}>cambios.json</a>
        </p>
      )}
    </div>
  );
}

const COTEJO: Readonly<Record<number, keyof Words>> = {
  0: 'historyCotejo0',
  1: 'historyCotejo1',
  2: 'historyCotejo2',
  3: 'historyCotejo3',
};
