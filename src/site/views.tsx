/**
 * The views of one level: its figures (actas, participation, votes per option, coalition
 * combinations), the units below it with a link to each, and the way back up.
 */
import type { ActaRow } from './acta_rows.ts';
import { useEffect, useState } from 'preact/hooks';
import { fetchCasillaRows } from './data.ts';
import { fieldInWords } from './acta_words.ts';
import { INITIAL_TABLE, type SortKey, type TableState, type TableUnit, tableView } from './children_table.ts';
import { formatCount, type Language, type Words } from './i18n.ts';
import { Percent } from './percent.tsx';
import { formatPercent as formatPercent4, truncatedPercent } from '../domain/percent.ts';
import { BALLOT_COLUMNS, type FixedColumn } from '../domain/results_layout.ts';
import { leaderOf } from './leader.ts';
import { ActaImage } from './acta_image.tsx';
import { CandidaturasHeadline, swatchStyle } from './candidaturas.tsx';
import { EntidadMap } from './map.tsx';
import type {
  Aggregates,
  Column,
  Distrito,
  Entidad,
  FetchError,
  Level,
  Nacional,
  Votes,
} from './publication.ts';
import { routeHash } from './routes.ts';

interface Common {
  readonly words: Words;
  readonly language: Language;
  readonly cutId: string;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** A row of the children table: a unit with its own figures. */
interface Child {
  readonly key: string;
  readonly label: string;
  readonly href: string;
  readonly aggregates: Aggregates;
  readonly votes: readonly number[];
  /** A sección's casillas, each with its page, for search. */
  readonly casillas?: readonly (readonly [key: string, href: string])[];
}

function Breadcrumbs(props: { words: Words; items: readonly (readonly [string, string | null])[] }) {
  return (
    <nav aria-label={props.words.breadcrumbs} class="breadcrumbs">
      <ol>
        {props.items.map(([label, href], i) => (
          <li key={i}>
            {href === null ? <span aria-current="page">{label}</span> : <a href={href}>{label}</a>}
          </li>
        ))}
      </ol>
    </nav>
  );
}

function Summary(props: { words: Words; language: Language; aggregates: Aggregates }) {
  const { words, language, aggregates: a } = props;
  const n = (value: number) => formatCount(value, language);
  const counted = a.ACTAS_CONTABILIZADAS > 0;
  return (
    <dl class="summary">
      <div>
        <dt>{words.actasEsperadas}</dt>
        <dd data-aggregate="ACTAS_ESPERADAS">{n(a.ACTAS_ESPERADAS)}</dd>
      </div>
      <div>
        <dt>{words.actasCapturadas}</dt>
        <dd>
          <span data-aggregate="ACTAS_CAPTURADAS">{n(a.ACTAS_CAPTURADAS)}</span>{' '}
          <small data-aggregate="PORCENTAJE_ACTAS_CAPTURADAS">
            (<Percent words={words} text={a.PORCENTAJE_ACTAS_CAPTURADAS} counted={a.ACTAS_CAPTURADAS > 0} />)
          </small>
        </dd>
      </div>
      <div>
        <dt>{words.actasContabilizadas}</dt>
        <dd>
          <span data-aggregate="ACTAS_CONTABILIZADAS">{n(a.ACTAS_CONTABILIZADAS)}</span>{' '}
          <small data-aggregate="PORCENTAJE_ACTAS_CONTABILIZADAS">
            (<Percent words={words} text={a.PORCENTAJE_ACTAS_CONTABILIZADAS} counted={counted} />)
          </small>
        </dd>
      </div>
      <div>
        <dt>{words.participation}</dt>
        <dd data-aggregate="PORCENTAJE_PARTICIPACION_CIUDADANA">
          <Percent words={words} text={a.PORCENTAJE_PARTICIPACION_CIUDADANA} counted={counted} />
        </dd>
      </div>
      <div>
        <dt>{words.totalVotos}</dt>
        <dd data-aggregate="TOTAL_VOTOS_C_CS">{n(a.TOTAL_VOTOS_C_CS)}</dd>
      </div>
      <div>
        <dt>{words.listaNominal}</dt>
        <dd data-aggregate="LISTA_NOMINAL_ACTAS_CONTABILIZADAS">{n(a.LISTA_NOMINAL_ACTAS_CONTABILIZADAS)}</dd>
      </div>
    </dl>
  );
}

/** Votes per option, largest first; coalition combinations in their own table below. */
/** A level's results, first what the public reads first: candidaturas, the summary, the votes. */
function LevelResults(props: { words: Words; language: Language; data: Level }) {
  const { words, language, data } = props;
  return (
    <>
      <CandidaturasHeadline words={words} language={language} data={data} />
      <Summary words={words} language={language} aggregates={data.aggregates} />
      <VotesTables
        words={words}
        language={language}
        columns={data.columns}
        votes={data.votes}
        counted={data.aggregates.ACTAS_CONTABILIZADAS > 0}
      />
    </>
  );
}

function VotesTables(props: {
  words: Words;
  language: Language;
  columns: readonly Column[];
  votes: Votes;
  counted: boolean;
}) {
  const { words, language, columns, counted } = props;
  const byId = new Map(columns.map((c) => [c.id, c]));
  const rows = props.votes.map((v) => ({ ...v, column: byId.get(v.column) }));
  const main = rows
    .filter((r) => r.column?.kind !== 'coalition')
    .sort((a, b) => b.votes - a.votes || columns.indexOf(a.column!) - columns.indexOf(b.column!));
  const combinations = rows.filter((r) => r.column?.kind === 'coalition');
  const table = (list: typeof rows, caption: string, withParties: boolean) => (
    <table class="votes">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{words.candidate}</th>
          {withParties && <th scope="col">{words.parties}</th>}
          <th scope="col" class="number">
            {words.votes}
          </th>
          <th scope="col" class="number">
            {words.percent}
          </th>
        </tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={r.column?.id} data-column={r.column?.id}>
            <th scope="row">
              <span class="swatch" style={swatchStyle(r.column, columns)} aria-hidden="true" />
              {r.column?.name ?? ''} <span class="column-id">{r.column?.id}</span>
            </th>
            {withParties && <td>{r.column?.parties?.join(' + ') ?? ''}</td>}
            <td class="number" data-votes={r.votes}>
              {formatCount(r.votes, language)}
            </td>
            <td class="number">
              {counted && <span class="bar" style={`--share: ${Number(r.percent)}%`} aria-hidden="true" />}
              <Percent words={words} text={r.percent} counted={counted} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <>
      {table(main, words.votes, false)}
      {combinations.length > 0 && table(combinations, words.coalitionBreakdown, true)}
    </>
  );
}

interface ChildRow extends TableUnit {
  readonly child: Child;
}

function Children(props: {
  words: Words;
  language: Language;
  caption: string;
  columns: readonly Column[];
  units: readonly Child[];
  searchLabel?: string;
}) {
  const { words, language, columns } = props;
  const [state, setState] = useState<TableState>(INITIAL_TABLE);
  const rows: ChildRow[] = props.units.map((child, order) => {
    const counted = child.aggregates.ACTAS_CONTABILIZADAS > 0;
    return {
      key: child.key,
      label: child.label,
      order,
      leader: leaderOf(columns, child.votes)?.name ?? null,
      counted: counted ? child.aggregates.PORCENTAJE_ACTAS_CONTABILIZADAS : null,
      participation: counted ? child.aggregates.PORCENTAJE_PARTICIPACION_CIUDADANA : null,
      votes: child.aggregates.TOTAL_VOTOS_C_CS,
      casillas: child.casillas?.map(([key]) => key) ?? [],
      child,
    };
  });
  const view = tableView(rows, state);
  const searchId = `buscar-${props.caption.replace(/\W+/g, '-').toLowerCase()}`;
  const header = (key: SortKey, label: string, number: boolean) => {
    const sorted = state.sort === key;
    return (
      <th
        scope="col"
        class={number ? 'number' : undefined}
        aria-sort={sorted ? (state.descending ? 'descending' : 'ascending') : undefined}
      >
        <button
          type="button"
          class="sort"
          data-sort={key}
          onClick={() =>
            setState({
              ...state,
              sort: key,
              // A figure is first wanted largest first; a name, in its order.
              descending: sorted ? !state.descending : key !== 'name' && key !== 'leader',
              page: 0,
            })
          }
        >
          {label}
          <span aria-hidden="true" class="sort-mark">
            {sorted ? (state.descending ? ' ▼' : ' ▲') : ' ↕'}
          </span>
        </button>
      </th>
    );
  };
  return (
    <section class="children-section" aria-label={props.caption}>
      {(props.units.length > 10 || props.searchLabel !== undefined) && (
        <div class="table-tools">
          <label for={searchId}>{props.searchLabel ?? words.searchUnits}</label>
          <input
            id={searchId}
            type="search"
            class="search"
            autocomplete="off"
            value={state.query}
            onInput={(event) =>
              setState({ ...state, query: (event.target as HTMLInputElement).value, page: 0 })
            }
          />
          <p class="matching" aria-live="polite">
            {formatCount(view.matching, language)} {words.of} {formatCount(rows.length, language)}{' '}
            {words.matching}
          </p>
        </div>
      )}
      {view.casillas.length > 0 && (
        <div class="casillas-found">
          <h3>{words.casillasFound}</h3>
          <ul>
            {view.casillas.map(({ casilla, unit }) => (
              <li key={casilla}>
                <a href={unit.child.casillas?.find(([key]) => key === casilla)?.[1]}>
                  {words.casilla} {casilla}
                </a>{' '}
                · {unit.label}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div class="table-scroll">
        <table class="children">
          <caption>{props.caption}</caption>
          <thead>
            <tr>
              {header('name', props.caption, false)}
              {header('leader', words.leading, false)}
              {header('counted', words.actasContabilizadas, true)}
              {header('participation', words.participation, true)}
              {header('votes', words.totalVotos, true)}
            </tr>
          </thead>
          <tbody>
            {view.rows.map(({ child, leader, counted, participation }) => (
              <tr key={child.key} data-unit={child.key}>
                <th scope="row">
                  <a href={child.href}>{child.label}</a>
                </th>
                <td>{leader ?? '—'}</td>
                <td class="number">
                  <Percent words={words} text={counted ?? ''} counted={counted !== null} />
                </td>
                <td class="number">
                  <Percent words={words} text={participation ?? ''} counted={participation !== null} />
                </td>
                <td class="number">{formatCount(child.aggregates.TOTAL_VOTOS_C_CS, language)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {view.matching === 0 && <p>{words.noMatches}</p>}
      {view.pages > 1 && (
        <nav class="pager" aria-label={`${words.page} · ${props.caption}`}>
          <button
            type="button"
            disabled={view.page === 0}
            onClick={() => setState({ ...state, page: view.page - 1 })}
          >
            ‹ {words.previousPage}
          </button>
          <span class="page-of">
            {words.page} {view.page + 1} {words.of} {view.pages}
          </span>
          <button
            type="button"
            disabled={view.page >= view.pages - 1}
            onClick={() => setState({ ...state, page: view.page + 1 })}
          >
            {words.nextPage} ›
          </button>
        </nav>
      )}
    </section>
  );
}

const votesOf = (votes: Votes) => votes.map((v) => v.votes);

export function NacionalView(props: Common & { data: Nacional }) {
  const { words, language, data } = props;
  const units: Child[] = data.entidades.map((e) => ({
    key: String(e.id),
    label: e.name,
    href: routeHash({ view: 'entidad', contest: data.contest, entidad: e.id }),
    aggregates: e.aggregates,
    votes: votesOf(e.votes),
  }));
  return (
    <>
      <Breadcrumbs words={words} items={[[words.nacional, null]]} />
      <h1>
        {data.title} · {words.nacional}
      </h1>
      <LevelResults words={words} language={language} data={data} />
      <EntidadMap words={words} contest={data.contest} columns={data.columns} entidades={units} />
      <Children
        words={words}
        language={language}
        caption={words.entidades}
        columns={data.columns}
        units={units}
      />
    </>
  );
}

export function EntidadView(props: Common & { data: Entidad }) {
  const { words, language, data } = props;
  const units: Child[] = data.distritos.map((d) => ({
    key: String(d.id),
    label: `${pad(d.id, 2)} · ${d.name}`,
    href: routeHash({ view: 'distrito', contest: data.contest, entidad: data.entidad.id, distrito: d.id }),
    aggregates: d.aggregates,
    votes: votesOf(d.votes),
  }));
  return (
    <>
      <Breadcrumbs
        words={words}
        items={[
          [words.nacional, `#/${data.contest}`],
          [data.entidad.name ?? '', null],
        ]}
      />
      <h1>
        {data.title} · {data.entidad.name}
      </h1>
      <LevelResults words={words} language={language} data={data} />
      <Children
        words={words}
        language={language}
        caption={words.distritos}
        columns={data.columns}
        units={units}
      />
    </>
  );
}

/** A sección's figures come as arrays in `aggregateNames` order (docs/publication-format.md). */
function seccionAggregates(data: Distrito, values: readonly (number | string)[]): Aggregates {
  return Object.fromEntries(data.aggregateNames.map((name, i) => [name, values[i]])) as unknown as Aggregates;
}

function distritoCrumbs(words: Words, data: Distrito, last: string | null) {
  const items: [string, string | null][] = [
    [words.nacional, `#/${data.contest}`],
    [
      data.entidad.name ?? '',
      routeHash({ view: 'entidad', contest: data.contest, entidad: data.entidad.id }),
    ],
    [
      `${words.distrito} ${pad(data.distrito.id, 2)} · ${data.distrito.name ?? ''}`,
      last === null
        ? null
        : routeHash({
            view: 'distrito',
            contest: data.contest,
            entidad: data.entidad.id,
            distrito: data.distrito.id,
          }),
    ],
  ];
  if (last !== null) items.push([last, null]);
  return items;
}

export function DistritoView(props: Common & { data: Distrito }) {
  const { words, language, data } = props;
  const units: Child[] = data.secciones.map((s) => ({
    key: String(s.seccion),
    label: `${words.seccion} ${pad(s.seccion, 4)}`,
    href: routeHash({
      view: 'seccion',
      contest: data.contest,
      entidad: data.entidad.id,
      distrito: data.distrito.id,
      seccion: s.seccion,
    }),
    aggregates: seccionAggregates(data, s.aggregates),
    votes: s.votes,
    casillas: s.casillas.map(([key]) => [
      key,
      routeHash({
        view: 'casilla',
        contest: data.contest,
        entidad: data.entidad.id,
        distrito: data.distrito.id,
        casilla: key,
      }),
    ]),
  }));
  return (
    <>
      <Breadcrumbs words={words} items={distritoCrumbs(words, data, null)} />
      <h1>
        {data.title} · {words.distrito} {pad(data.distrito.id, 2)} {data.distrito.name}
      </h1>
      <LevelResults words={words} language={language} data={data} />
      <Children
        words={words}
        language={language}
        caption={words.secciones}
        columns={data.columns}
        units={units}
        searchLabel={words.searchSecciones}
      />
    </>
  );
}

export function SeccionView(props: Common & { data: Distrito; seccion: number }) {
  const { words, language, data } = props;
  const seccion = data.secciones.find((s) => s.seccion === props.seccion);
  const label = `${words.seccion} ${pad(props.seccion, 4)}`;
  if (seccion === undefined)
    return (
      <>
        <Breadcrumbs words={words} items={distritoCrumbs(words, data, label)} />
        <h1>{words.notFound}</h1>
      </>
    );
  const aggregates = seccionAggregates(data, seccion.aggregates);
  const total = aggregates.TOTAL_VOTOS_C_CS;
  const votes: Votes = data.columns.map((column, i) => {
    const v = seccion.votes[i] ?? 0;
    // The same truncated 4-decimal share the cut publishes for the levels above, by the same rule.
    return {
      column: column.id,
      votes: v,
      percent: formatPercent4(truncatedPercent(v, total)),
    };
  });
  return (
    <>
      <Breadcrumbs words={words} items={distritoCrumbs(words, data, label)} />
      <h1>
        {data.title} · {label}
      </h1>
      <Summary words={words} language={language} aggregates={aggregates} />
      <VotesTables
        words={words}
        language={language}
        columns={data.columns}
        votes={votes}
        counted={aggregates.ACTAS_CONTABILIZADAS > 0}
      />
      <h2>{words.casillas}</h2>
      <ul class="casillas">
        {seccion.casillas.map(([key, , length]) => (
          <li key={key}>
            <a
              href={routeHash({
                view: 'casilla',
                contest: data.contest,
                entidad: data.entidad.id,
                distrito: data.distrito.id,
                casilla: key,
              })}
            >
              {words.casilla} {key}
            </a>
            {length === 0 && <small> · {words.noRows}</small>}
          </li>
        ))}
      </ul>
    </>
  );
}

/** Columns shown with each acta, in the CSV's order; the vote columns come between. */
const ACTA_FIELDS_BEFORE: readonly FixedColumn[] = BALLOT_COLUMNS;
const ACTA_FIELDS_AFTER: readonly FixedColumn[] = [
  'TOTAL_VOTOS_ASENTADO',
  'TOTAL_VOTOS_CALCULADO',
  'LISTA_NOMINAL',
];
const ACTA_FACTS: readonly FixedColumn[] = [
  'CONTABILIZADA',
  'OBSERVACIONES',
  'COTEJADA',
  'FECHA_HORA_ACOPIO',
  'FECHA_HORA_CAPTURA',
  'FECHA_HORA_VERIFICACION',
  'ORIGEN',
  'DIGITALIZACION',
  'TIPO_DOCUMENTO',
  'MECANISMOS_TRASLADO',
];

/** A field's plain label, with its CSV column name for whoever reads the files. */
function FieldLabel(props: { words: Words; label: string; column: string }) {
  return (
    <>
      {props.label}{' '}
      <span class="column-id" title={props.words.csvColumn}>
        {props.column}
      </span>
    </>
  );
}

export function CasillaView(props: Common & { data: Distrito; casilla: string }) {
  const { words, data, casilla, cutId } = props;
  const [rows, setRows] = useState<
    | { state: 'loading' }
    | { state: 'failed'; code: FetchError; message: string }
    | { state: 'ready'; rows: ActaRow[] }
  >({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setRows({ state: 'loading' });
    void fetchCasillaRows(cutId, data, casilla).then((loaded) => {
      if (current)
        setRows(
          loaded.ok
            ? { state: 'ready', rows: loaded.value }
            : { state: 'failed', code: loaded.code, message: loaded.message },
        );
    });
    return () => {
      current = false;
    };
  }, [cutId, data, casilla]);
  const seccion = Number(casilla.slice(2, 6));
  const crumbs = distritoCrumbs(words, data, null);
  crumbs[2] = [
    crumbs[2]![0],
    routeHash({
      view: 'distrito',
      contest: data.contest,
      entidad: data.entidad.id,
      distrito: data.distrito.id,
    }),
  ];
  crumbs.push([
    `${words.seccion} ${pad(seccion, 4)}`,
    routeHash({
      view: 'seccion',
      contest: data.contest,
      entidad: data.entidad.id,
      distrito: data.distrito.id,
      seccion,
    }),
  ]);
  crumbs.push([`${words.casilla} ${casilla}`, null]);
  const voteColumns = data.columns.map((c) => c.id);
  const language = props.language;
  return (
    <>
      <Breadcrumbs words={words} items={crumbs} />
      <h1>
        {data.title} · {words.casilla} {casilla}
      </h1>
      {rows.state === 'loading' && <p aria-busy="true">{words.loading}</p>}
      {rows.state === 'failed' && <Problem words={words} code={rows.code} message={rows.message} />}
      {rows.state === 'ready' && rows.rows.length === 0 && <p>{words.noRows}</p>}
      {rows.state === 'ready' &&
        rows.rows.map((row) => {
          const key = (row['CLAVE_ACTA'] ?? '').replace(/^'/, '');
          const sha = row['CODIGO_INTEGRIDAD'] ?? '';
          return (
            <section class="acta" key={key} aria-labelledby={`acta-${key}`}>
              <h2 id={`acta-${key}`}>
                {words.acta} {key}
              </h2>
              <table class="acta-fields">
                <caption>{words.actaCounts}</caption>
                <thead>
                  <tr>
                    <th scope="col">{words.field}</th>
                    <th scope="col" class="number">
                      {words.value}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {[...ACTA_FIELDS_BEFORE, ...voteColumns, ...ACTA_FIELDS_AFTER].map((name) => {
                    const field = fieldInWords(
                      row,
                      name,
                      language,
                      data.columns.find((c) => c.id === name)?.name,
                    );
                    return (
                      <tr key={name} data-field={name} data-raw={row[name] ?? ''}>
                        <th scope="row">
                          {field.label === name ? (
                            name
                          ) : (
                            <FieldLabel words={words} label={field.label} column={name} />
                          )}
                        </th>
                        <td class="number">{field.value}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              <h3>{words.actaRecord}</h3>
              <dl class="acta-facts">
                {ACTA_FACTS.map((name) => {
                  const field = fieldInWords(row, name, language);
                  return (
                    <div key={name} data-field={name} data-raw={row[name] ?? ''}>
                      <dt>
                        <FieldLabel words={words} label={field.label} column={name} />
                      </dt>
                      <dd>
                        {field.value}
                        {field.raw !== null && (
                          <>
                            {' '}
                            <code class="raw" title={words.csvColumn}>
                              {field.raw}
                            </code>
                          </>
                        )}
                      </dd>
                    </div>
                  );
                })}
                <div data-field="CODIGO_INTEGRIDAD">
                  <dt>
                    <FieldLabel words={words} label={words.hash} column="CODIGO_INTEGRIDAD" />
                  </dt>
                  <dd>
                    <code class="hash">{sha}</code>
                  </dd>
                </div>
              </dl>
              {/^[0-9a-f]{64}$/.test(sha) && <ActaImage words={words} sha256={sha} actaKey={key} />}
            </section>
          );
        })}
    </>
  );
}

/** A file that could not be read, said in the reader's words; the technical message below. */
export function Problem(props: { words: Words; code: FetchError; message: string }) {
  const { words } = props;
  const said =
    props.code === 'not-found'
      ? words.errorNotFound
      : props.code === 'unreachable'
        ? words.errorUnreachable
        : words.errorMalformed;
  return (
    <div role="alert" class="problem">
      <p>
        <strong>{words.failed}.</strong> {said}
      </p>
      <details>
        <summary>{words.technicalDetail}</summary>
        <code lang="en">{props.message}</code>
      </details>
    </div>
  );
}
