/**
 * The acta reader's panel on the dashboard ("Lector de actas", issue 19): its mode, how much it
 * read, how well it agrees with what people verified (every box, and the boxes it was confident
 * about), its calibration curve and the latest disagreements, each linked to the acta's image.
 * The same figures every cut publishes in json/reader.json; the reader captures nothing.
 */
import { useEffect, useState } from 'preact/hooks';
import { type Dashboard, imageUrl, type ReaderPanelData, readerPanel } from './api.ts';
import { shown } from './entry.ts';
import { fill, LOCALE, type Words } from './i18n.ts';
import { useLanguage, useWords } from './words.ts';

const REFRESH_MS = 15_000;

const TOP_LABELS: Readonly<Record<string, keyof Words>> = {
  boletasSobrantes: 'boxBoletasSobrantes',
  personasVotaron: 'boxPersonasVotaron',
  representantesVotaron: 'boxRepresentantesVotaron',
  votosSacados: 'boxVotosSacados',
  totalAsentado: 'boxTotalAsentado',
};

/** Assist's state as the dashboard reads it (null: the center says nothing of it). */
type AssistState = NonNullable<Dashboard['readerAssist']>;

export function ReaderPanel({ assist }: { readonly assist: AssistState | null }) {
  const words = useWords();
  const language = useLanguage();
  const n = (value: number) => value.toLocaleString(LOCALE[language]);
  const pct = (value: number | null) =>
    value === null
      ? '—'
      : (value * 100).toLocaleString(LOCALE[language], {
          minimumFractionDigits: 1,
          maximumFractionDigits: 2,
        }) + ' %';
  const [data, setData] = useState<ReaderPanelData | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    const load = async () => {
      const next = await readerPanel();
      if (!live) return;
      if (!next.ok || next.value === null) {
        setError(next.ok ? '' : next.message);
        return;
      }
      setData(next.value);
      setError('');
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  const boxLabel = (key: string) => {
    const top = TOP_LABELS[key];
    return top !== undefined ? String(words[top]) : key.replace(/^vote:/, '');
  };
  const value = (v: number | 'ilegible' | 'sin_dato' | null) => (v === null ? '—' : shown(String(v)));
  if (data === null)
    return (
      <section aria-labelledby="lector" class="reader-panel">
        <h3 id="lector">{words.readerTitle}</h3>
        <p role="status">{error === '' ? words.loading : error}</p>
      </section>
    );
  const f = data.figures;
  const threshold = f.confidenceThreshold === null ? '—' : String(f.confidenceThreshold);
  const rows = [
    [words.readerByAgreement, f.agreement, 'agreement'],
    [words.readerByVerificador, f.resolved, 'resolved'],
  ] as const;
  return (
    <section aria-labelledby="lector" class="reader-panel" data-reader-mode={data.mode}>
      <h3 id="lector">{words.readerTitle}</h3>
      <p class="message" role="status">
        {error}
      </p>
      <p data-figure="reader-mode">
        {fill(words.readerMode, { mode: data.mode === 'shadow' ? words.readerShadow : words.readerOff })}
      </p>
      {assist !== null && assist.mode === 'assist' ? (
        <p data-figure="reader-assist" data-assist-active={String(assist.active)}>
          {fill(assist.active ? words.readerAssistOn : words.readerAssistOff, {
            agreement: pct(assist.agreement),
            count: n(assist.windowSize),
            threshold: pct(assist.threshold),
            fallbacks: n(assist.fallbacks),
            why:
              assist.reason === 'below-threshold'
                ? words.readerAssistBelow
                : fill(words.readerAssistFew, {
                    scored: n(assist.scored),
                    needed: n(Math.max(assist.window, assist.minScored)),
                  }),
          })}
        </p>
      ) : (
        <p class="note">{words.readerNote}</p>
      )}
      <dl class="reader-tiles">
        <div>
          <dt>{words.readerActasRead}</dt>
          <dd data-figure="reader-actas">{n(f.actasRead)}</dd>
        </div>
        <div>
          <dt>{words.readerBoxesRead}</dt>
          <dd>{n(f.boxesRead)}</dd>
        </div>
        <div>
          <dt>{words.readerFailures}</dt>
          <dd data-figure="reader-failures">{n(f.readFailures)}</dd>
        </div>
        <div>
          <dt>{words.readerQueue}</dt>
          <dd>{data.queue === null ? '—' : n(data.queue.queued)}</dd>
        </div>
      </dl>
      <table class="catds reader-agreement">
        <caption>{words.readerAgreementCaption}</caption>
        <thead>
          <tr>
            <th scope="col">{words.readerScoredBy}</th>
            <th scope="col" class="number">
              {words.readerActas}
            </th>
            <th scope="col" class="number">
              {words.readerActasExact}
            </th>
            <th scope="col" class="number">
              {words.readerBoxAgreement}
            </th>
            <th scope="col" class="number">
              {fill(words.readerConfidentAgreement, { threshold })}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, a, key]) => (
            <tr key={key} data-reader-row={key}>
              <th scope="row">{label}</th>
              <td class="number">{a === null ? '—' : n(a.actas)}</td>
              <td class="number">{a === null ? '—' : pct(a.actaAgreement)}</td>
              <td class="number">
                {a === null ? '—' : `${pct(a.boxAgreement)} (${n(a.boxesRight)}/${n(a.boxes)})`}
              </td>
              <td class="number">
                {a === null
                  ? '—'
                  : `${pct(a.confidentBoxAgreement)} (${n(a.confidentRight)}/${n(a.confidentBoxes)})`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="catds reader-calibration">
        <caption>{words.readerCalibrationCaption}</caption>
        <thead>
          <tr>
            <th scope="col">{words.readerConfidence}</th>
            <th scope="col" class="number">
              {words.readerBoxes}
            </th>
            <th scope="col" class="number">
              {words.readerRight}
            </th>
            <th scope="col" class="number">
              {words.readerAccuracy}
            </th>
          </tr>
        </thead>
        <tbody>
          {f.calibration.map((b) => (
            <tr key={b.from}>
              <th scope="row">
                {b.from}–{b.to}
              </th>
              <td class="number">{n(b.boxes)}</td>
              <td class="number">{n(b.right)}</td>
              <td class="number">{pct(b.accuracy)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="catds reader-disagreements">
        <caption>
          {fill(words.readerDisagreementsCaption, {
            shown: n(f.disagreements.length),
            total: n(f.disagreementsTotal),
          })}
        </caption>
        <thead>
          <tr>
            <th scope="col">{words.acta}</th>
            <th scope="col">{words.readerBox}</th>
            <th scope="col">{words.readerRead}</th>
            <th scope="col">{words.readerVerified}</th>
            <th scope="col" class="number">
              {words.readerConfidence}
            </th>
            <th scope="col">{words.readerImage}</th>
          </tr>
        </thead>
        <tbody>
          {f.disagreements.map((d) => (
            <tr key={`${d.recordId}-${d.box}`} data-disagreement={d.recordId}>
              <td>{d.actaKey ?? d.recordId}</td>
              <td>{boxLabel(d.box)}</td>
              <td>{value(d.read)}</td>
              <td>{value(d.verified)}</td>
              <td class="number">{d.confidence.toFixed(3)}</td>
              <td>
                <a href={imageUrl(d.imageSha256)} target="_blank" rel="noopener">
                  <code>{d.imageSha256.slice(0, 12)}</code>
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {f.model !== null && <p class="note">{fill(words.readerModel, { sha: f.model.sha256 })}</p>}
    </section>
  );
}
