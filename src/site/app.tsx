/**
 * The public results site: one page, the view chosen by the address's fragment, every figure
 * read from the newest published cut. The `latest` pointer is polled; a new cut replaces the
 * figures in place and is announced to screen readers.
 */
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { fetchCutIndex, fetchLatest, fetchLevel, type LevelData } from './data.ts';
import { type Language, WORDS, type Words } from './i18n.ts';
import type { CutIndex, FetchError } from './publication.ts';
import { COLUMN_HELP, CSV_LAYOUT } from './columns_help.ts';
import { parseRoute, type Route, routeHash } from './routes.ts';
import { VerifyView } from './verify_view.tsx';
import { HistoryView } from './history.tsx';
import { CasillaView, DistritoView, EntidadView, NacionalView, Problem, SeccionView } from './views.tsx';

/**
 * How often the `latest` pointer is asked for: 30 s, or `?poll=N` seconds (2–300) in the page's
 * address — a newsroom's screen may want it sooner, a mirror under load later.
 */
export function pollMs(search: string): number {
  const asked = Number(new URLSearchParams(search).get('poll'));
  return Number.isInteger(asked) && asked >= 2 && asked <= 300 ? asked * 1000 : 30_000;
}
const POLL_MS = pollMs(location.search);

function initialLanguage(): Language {
  const stored = localStorage.getItem('openprep-language');
  if (stored === 'es' || stored === 'en') return stored;
  return 'es';
}

type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'failed'; readonly code: FetchError; readonly message: string }
  | { readonly state: 'ready'; readonly value: T };

function App() {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [index, setIndex] = useState<Loaded<CutIndex | null>>({ state: 'loading' });
  const [level, setLevel] = useState<Loaded<LevelData> | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const words = WORDS[language];

  useEffect(() => {
    document.documentElement.lang = language;
    localStorage.setItem('openprep-language', language);
  }, [language]);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // The pointer, now, every POLL_MS and when the reader comes back to the tab: a new cut
  // replaces the one shown, and says so.
  const shownCut = useRef<string | null>(null);
  const wordsNow = useRef(words);
  wordsNow.current = words;
  const refresh = useCallback(async () => {
    const latest = await fetchLatest();
    if (!latest.ok) {
      if (shownCut.current !== null) return; // keep showing the cut we have
      setIndex(
        latest.code === 'not-found'
          ? { state: 'ready', value: null }
          : { state: 'failed', code: latest.code, message: latest.message },
      );
      return;
    }
    if (shownCut.current === latest.value.cut) return;
    const loaded = await fetchCutIndex(latest.value.cut);
    if (!loaded.ok) {
      if (shownCut.current === null)
        setIndex({ state: 'failed', code: loaded.code, message: loaded.message });
      return;
    }
    const first = shownCut.current === null;
    shownCut.current = loaded.value.cut.id;
    setIndex({ state: 'ready', value: loaded.value });
    if (!first) setAnnouncement(`${wordsNow.current.updated} ${loaded.value.cut.id}`);
  }, []);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), POLL_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') void refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refresh]);

  const cut = index.state === 'ready' ? index.value : null;
  const contest = cut === null ? null : contestOf(route, cut);

  useEffect(() => {
    if (
      cut === null ||
      contest === null ||
      route.view === 'descargas' ||
      route.view === 'verificar' ||
      route.view === 'historial' ||
      route.view === 'not-found'
    ) {
      setLevel(null);
      return;
    }
    let current = true;
    setLevel((before) => before ?? { state: 'loading' });
    void fetchLevel(cut.cut.id, contest, route).then((loaded) => {
      if (current)
        setLevel(
          loaded.ok
            ? { state: 'ready', value: loaded.value }
            : { state: 'failed', code: loaded.code, message: loaded.message },
        );
    });
    return () => {
      current = false;
    };
  }, [cut?.cut.id, contest, routeHash(route)]);

  useEffect(() => {
    const heading = document.querySelector('h1');
    if (heading !== null) document.title = `${heading.textContent ?? ''} — PREP`;
  });

  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('contenido')?.focus()}>
        {words.skipToContent}
      </button>
      <header class="site-header">
        <div class="brand">
          <a href="#/">{words.siteTitle}</a>
          {cut !== null && <span class="election">{cut.election.name}</span>}
        </div>
        <button
          type="button"
          class="language"
          lang={words.otherLanguageCode}
          onClick={() => setLanguage(language === 'es' ? 'en' : 'es')}
        >
          {words.otherLanguage}
        </button>
      </header>
      {cut !== null && cut.election.mode === 'simulacro' && (
        <p class="drill" role="note">
          {words.drill}
        </p>
      )}
      {cut !== null && (
        <nav aria-label={words.contest} class="contests">
          <ul>
            {cut.contests.map((c) => (
              <li key={c.id}>
                <a href={`#/${c.id}`} aria-current={c.id === contest ? 'page' : undefined}>
                  {c.title}
                </a>
              </li>
            ))}
            <li>
              <a href="#/descargas" aria-current={route.view === 'descargas' ? 'page' : undefined}>
                {words.downloads}
              </a>
            </li>
            <li>
              <a href="#/historial" aria-current={route.view === 'historial' ? 'page' : undefined}>
                {words.history}
              </a>
            </li>
            <li>
              <a href="#/verificar" aria-current={route.view === 'verificar' ? 'page' : undefined}>
                {words.verify}
              </a>
            </li>
          </ul>
        </nav>
      )}
      <main id="contenido" tabIndex={-1}>
        {cut !== null && (
          <p class="cut-time">
            {words.cutTime}:{' '}
            <time dateTime={cut.cut.time}>{cut.cut.time.replace('T', ' ').slice(0, 16)}</time>
            {cut.cut.final && <strong> · {words.finalCut}</strong>} ·{' '}
            <span class="cut-id">
              {words.cut} {cut.cut.id}
            </span>
          </p>
        )}
        <Body words={words} language={language} route={route} index={index} level={level} retry={refresh} />
      </main>
      <p class="announcement" aria-live="polite" role="status">
        {announcement}
      </p>
      <footer class="site-footer">
        <p>
          OpenPREP · <a href="#/descargas">{words.downloads}</a> · <a href="#/verificar">{words.verify}</a>
        </p>
      </footer>
    </>
  );
}

function contestOf(route: Route, cut: CutIndex): string | null {
  const wanted = 'contest' in route ? route.contest : null;
  if (wanted !== null) return cut.contests.some((c) => c.id === wanted) ? wanted : null;
  return cut.contests[0]?.id ?? null;
}

function Body(props: {
  words: Words;
  language: Language;
  route: Route;
  index: Loaded<CutIndex | null>;
  level: Loaded<LevelData> | null;
  retry: () => void;
}) {
  const { words, language, route, index, level } = props;
  if (index.state === 'loading') return <p aria-busy="true">{words.loading}</p>;
  if (index.state === 'failed')
    return <Failure words={words} code={index.code} message={index.message} retry={props.retry} />;
  const cut = index.value;
  if (cut === null) return <h1>{words.noCuts}</h1>;
  if (route.view === 'descargas') return <Downloads words={words} language={language} cut={cut} />;
  if (route.view === 'verificar') return <VerifyView words={words} language={language} cutId={cut.cut.id} />;
  if (route.view === 'historial')
    return <HistoryView words={words} language={language} cut={cut} changesOf={route.cut} />;
  if (route.view === 'not-found' || contestOf(route, cut) === null)
    return (
      <>
        <h1>{words.notFound}</h1>
        <p>
          <a href="#/">{words.home}</a>
        </p>
      </>
    );
  if (level === null || level.state === 'loading') return <p aria-busy="true">{words.loading}</p>;
  if (level.state === 'failed')
    return <Failure words={words} code={level.code} message={level.message} retry={props.retry} />;
  const shown = level.value;
  const common = { words, language, cutId: cut.cut.id };
  if (shown.level === 'nacional') return <NacionalView {...common} data={shown.data} />;
  if (shown.level === 'entidad') return <EntidadView {...common} data={shown.data} />;
  if (route.view === 'seccion') return <SeccionView {...common} data={shown.data} seccion={route.seccion} />;
  if (route.view === 'casilla') return <CasillaView {...common} data={shown.data} casilla={route.casilla} />;
  return <DistritoView {...common} data={shown.data} />;
}

function Failure(props: { words: Words; code: FetchError; message: string; retry: () => void }) {
  return (
    <div>
      <h1>{props.words.failed}</h1>
      <Problem words={props.words} code={props.code} message={props.message} />
      <button type="button" onClick={props.retry}>
        {props.words.retry}
      </button>
    </div>
  );
}

function Downloads(props: { words: Words; language: Language; cut: CutIndex }) {
  const { words, language, cut } = props;
  const id = cut.cut.id;
  return (
    <>
      <h1>{words.downloads}</h1>
      <ul class="downloads">
        <li>
          <a href={`${id}/${id}_PREP.zip`} download>{`${id}_PREP.zip`}</a> — {words.zipHelp}
        </li>
        {cut.contests.map((c) => (
          <li key={c.id}>
            <a href={`${id}/${c.csv}`} download>
              {c.csv}
            </a>{' '}
            — {c.title}
          </li>
        ))}
        <li>
          <a href={`${id}/LEEME.txt`}>LEEME.txt</a> — {words.leemeHelp}
        </li>
        <li>
          <a href={`${id}/manifest.json`}>manifest.json</a> · <a href={`${id}/manifest.sig`}>manifest.sig</a>{' '}
          — {words.manifestHelp}
        </li>
      </ul>
      <h2>{words.columnsTitle}</h2>
      <p>{CSV_LAYOUT[language]}</p>
      <table class="columns-help">
        <thead>
          <tr>
            <th scope="col">{words.columnsHeader}</th>
            <th scope="col">{words.meaningHeader}</th>
          </tr>
        </thead>
        <tbody>
          {COLUMN_HELP.map(([columns, es, en]) => (
            <tr key={columns}>
              <th scope="row">
                <code>{columns}</code>
              </th>
              <td>{language === 'es' ? es : en}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
