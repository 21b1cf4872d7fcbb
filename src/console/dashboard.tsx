/**
 * The CATD dashboard: where the night stands (actas by state), how fast it moves (measured by
 * this screen between its refreshes), per CATD the packages received and refused as conflicts
 * (another image already holds that acta, docs/intake.md), and the images the quality gate
 * refused or sent to a person, and why (docs/images.md).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Dashboard, dashboard } from './api.ts';
import { fill, LOCALE, qualityReasonWords } from './i18n.ts';
import { ReaderPanel } from './reader_panel.tsx';
import { useLanguage, useWords } from './words.ts';

const REFRESH_MS = 10_000;

export function DashboardScreen() {
  const words = useWords();
  const language = useLanguage();
  const n = (value: number) => value.toLocaleString(LOCALE[language]);
  const [data, setData] = useState<Dashboard | null>(null);
  const [rate, setRate] = useState<number | null>(null);
  const [error, setError] = useState('');
  const previous = useRef<Dashboard | null>(null);
  useEffect(() => {
    let live = true;
    const load = async () => {
      const next = await dashboard();
      if (!live) return;
      if (!next.ok || next.value === null) {
        setError(next.ok ? '' : next.message);
        return;
      }
      const before = previous.current;
      if (before !== null && next.value.at > before.at)
        setRate(((next.value.actas.verified - before.actas.verified) * 60_000) / (next.value.at - before.at));
      previous.current = next.value;
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
  if (data === null)
    return (
      <section>
        <h2>{words.screenDashboard}</h2>
        <p role="status">{error === '' ? words.loading : error}</p>
      </section>
    );
  const a = data.actas;
  return (
    <section aria-labelledby="tablero" class="dashboard">
      <h2 id="tablero">{words.screenDashboard}</h2>
      <p class="message" role="status">
        {error}
      </p>
      <dl class="tiles">
        <div>
          <dt>{words.pendingCapture}</dt>
          <dd data-figure="pending-capture">{n(a.received + a.captured_once)}</dd>
        </div>
        <div>
          <dt>{words.pendingVerification}</dt>
          <dd data-figure="pending-verification">{n(a.mismatch)}</dd>
        </div>
        <div>
          <dt>{words.verifiedTile}</dt>
          <dd data-figure="verified">{n(a.verified)}</dd>
        </div>
        <div>
          <dt>{words.sinActa}</dt>
          <dd>{n(a.sin_acta)}</dd>
        </div>
        <div>
          <dt>{words.perMinute}</dt>
          <dd>{rate === null ? '—' : rate.toFixed(1)}</dd>
        </div>
      </dl>
      <p class="note">{words.dashboardNote}</p>
      <table class="catds">
        <caption>{words.packagesCaption}</caption>
        <thead>
          <tr>
            <th scope="col">CATD</th>
            <th scope="col" class="number">
              {words.received}
            </th>
            <th scope="col" class="number">
              {words.refusedConflict}
            </th>
            <th scope="col" class="number">
              {words.receivedLastHour}
            </th>
            <th scope="col" class="number">
              {words.refusedLastHour}
            </th>
          </tr>
        </thead>
        <tbody>
          {data.catds.map((row) => (
            <tr key={row.catd} data-catd={row.catd}>
              <th scope="row">{row.catd}</th>
              <td class="number">{n(row.accepted)}</td>
              <td class="number">{n(row.conflicts)}</td>
              <td class="number">{n(row.acceptedSince)}</td>
              <td class="number">{n(row.conflictsSince)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="note">{words.conflictNote}</p>
      <table class="catds quality">
        <caption>
          {fill(words.qualityCaption, { rejected: n(data.quality.rejected), review: n(data.quality.review) })}
        </caption>
        <thead>
          <tr>
            <th scope="col">{words.time}</th>
            <th scope="col">CATD</th>
            <th scope="col">{words.acta}</th>
            <th scope="col">{words.result}</th>
            <th scope="col">{words.reason}</th>
          </tr>
        </thead>
        <tbody>
          {data.quality.recent.map((e) => (
            <tr key={`${e.at}-${e.deviceId}-${e.claimedKey}`} data-quality={e.verdict}>
              <td>{new Date(e.at).toLocaleTimeString(LOCALE[language])}</td>
              <td>{e.catd}</td>
              <td>
                {e.claimedKey}
                {e.qr !== null && e.qr !== e.claimedKey ? ` (${fill(words.qrLabel, { qr: e.qr })})` : ''}
              </td>
              <td>{e.verdict === 'reject' ? words.rejected : words.toReview}</td>
              <td>
                {e.reasons
                  .map((message, i) => qualityReasonWords(e.codes[i] ?? '', message, language))
                  .join(' · ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="note">{words.qualityNote}</p>
      <ReaderPanel assist={data?.readerAssist ?? null} />
    </section>
  );
}
