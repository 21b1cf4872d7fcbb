/**
 * The security screen, for the security team (`seguridad`) and the administrators and auditors:
 * the alerts the detections raised (docs/security-operations.md), newest first, with their
 * severity, what they are about, the counts behind them and what the center did; filtered by
 * severity and detection. Read only: it changes nothing.
 */
import { useEffect, useState } from 'preact/hooks';
import { type SecurityAlerts, securityAlerts } from './api.ts';
import { codeWords, fill, LOCALE, type Words } from './i18n.ts';
import { DETECTIONS, SEVERITIES } from './security_codes.ts';
import { useLanguage, useWords } from './words.ts';

const REFRESH_MS = 10_000;

type Alert = SecurityAlerts['alerts'][number];

function subjectWords(subject: Alert['subject'], words: Words): string {
  const parts = Object.entries(subject).map(([key, value]) =>
    fill(codeWords('subject', key, words), { value }),
  );
  return parts.length === 0 ? words.subjectCenter : parts.join(' · ');
}

export function SecurityScreen() {
  const words = useWords();
  const language = useLanguage();
  const [severity, setSeverity] = useState('');
  const [detection, setDetection] = useState('');
  const [alerts, setAlerts] = useState<readonly Alert[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    const load = async () => {
      const next = await securityAlerts({ severity, detection });
      if (!live) return;
      if (!next.ok || next.value === null) {
        setError(next.ok ? '' : next.message);
        return;
      }
      setAlerts(next.value.alerts);
      setError('');
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [severity, detection]);
  const time = (at: number) => new Date(at).toLocaleString(LOCALE[language]);
  return (
    <section aria-labelledby="seguridad" class="security">
      <h2 id="seguridad">{words.screenSecurity}</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          {words.severity}{' '}
          <select
            name="severity"
            value={severity}
            onChange={(e) => setSeverity((e.target as HTMLSelectElement).value)}
          >
            <option value="">{words.allSeverities}</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {codeWords('severity', s, words)}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          {words.detection}{' '}
          <select
            name="detection"
            value={detection}
            onChange={(e) => setDetection((e.target as HTMLSelectElement).value)}
          >
            <option value="">{words.allDetections}</option>
            {DETECTIONS.map((d) => (
              <option key={d} value={d}>
                {codeWords('detection', d, words)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <p class="message" role="status">
        {error !== '' ? error : alerts === null ? words.loading : ''}
      </p>
      {alerts !== null && alerts.length === 0 && <p>{words.noAlerts}</p>}
      {alerts !== null && alerts.length > 0 && (
        <table class="alerts">
          <caption>{words.alertsCaption}</caption>
          <thead>
            <tr>
              <th scope="col">{words.time}</th>
              <th scope="col">{words.severity}</th>
              <th scope="col">{words.detection}</th>
              <th scope="col">{words.subject}</th>
              <th scope="col">{words.evidence}</th>
              <th scope="col">{words.responsesTaken}</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.alertId} data-alert={a.detection} data-severity={a.severity}>
                <td>{time(a.raisedAt)}</td>
                <td class={`severity ${a.severity}`}>{codeWords('severity', a.severity, words)}</td>
                <td>{codeWords('detection', a.detection, words)}</td>
                <td>{subjectWords(a.subject, words)}</td>
                <td>
                  {Object.entries(a.evidence)
                    .filter(([, value]) => value >= 0)
                    .map(([key, value]) => `${codeWords('evidence', key, words)}: ${value}`)
                    .join(' · ')}
                </td>
                <td>
                  {a.responses.length === 0
                    ? words.noResponse
                    : a.responses.map((r) => codeWords('response', r, words)).join(' · ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="note">{words.alertsNote}</p>
    </section>
  );
}
