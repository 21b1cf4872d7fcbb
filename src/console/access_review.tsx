/**
 * The access review (Revisión de accesos), for the security team, administradores and auditors:
 * every account and device of the reader's scope with its factors, last use and findings, the
 * ones with findings highlighted and a filter by finding; the report's SHA-256 and the command
 * that signs it (docs/security-operations.md, "Access review"). It changes nothing.
 */
import { useEffect, useState } from 'preact/hooks';
import { type AccessReview, accessReview } from './api.ts';
import { fill, findingWords, LOCALE, roleWords } from './i18n.ts';
import { useLanguage, useWords } from './words.ts';

const ANY = '*';
const ALL = '';

export function AccessReviewScreen() {
  const words = useWords();
  const language = useLanguage();
  const [dormantDays, setDormantDays] = useState(14);
  const [data, setData] = useState<AccessReview | null>(null);
  const [error, setError] = useState('');
  const [filter, setFilter] = useState(ALL);
  useEffect(() => {
    let live = true;
    void accessReview(dormantDays).then((answer) => {
      if (!live) return;
      if (answer.ok && answer.value !== null) {
        setData(answer.value);
        setError('');
      } else setError(answer.ok ? '' : answer.message);
    });
    return () => {
      live = false;
    };
  }, [dormantDays]);
  if (data === null)
    return (
      <section>
        <h2>{words.screenAccessReview}</h2>
        <p role="status">{error === '' ? words.loading : error}</p>
      </section>
    );
  const n = (value: number) => value.toLocaleString(LOCALE[language]);
  const shows = (findings: readonly string[]) =>
    filter === ALL || (filter === ANY ? findings.length > 0 : findings.includes(filter));
  const operators = data.operators.filter((o) => shows(o.findings));
  const devices = data.devices.filter((d) => shows(d.findings));
  const findingList = (findings: readonly string[]) =>
    findings.length === 0 ? (
      words.noFindings
    ) : (
      <ul class="findings">
        {findings.map((f) => (
          <li key={f} data-finding={f}>
            {findingWords(f, language)}
          </li>
        ))}
      </ul>
    );
  const s = data.summary;
  return (
    <section aria-labelledby="revision-accesos" class="access-review">
      <h2 id="revision-accesos">{words.screenAccessReview}</h2>
      <p>
        {fill(words.accessReviewOf, { election: data.electionId, scope: data.scope })} ·{' '}
        {fill(words.generatedAt, { date: new Date(data.generatedAt).toLocaleString(LOCALE[language]) })}
      </p>
      <p class="message" role="status">
        {error}
      </p>
      <dl class="tiles">
        <div>
          <dt>{words.reviewAccounts}</dt>
          <dd data-figure="operators">{n(s.operators)}</dd>
          <dd class="detail">{fill(words.reviewDisabled, { count: n(s.disabled) })}</dd>
        </div>
        <div>
          <dt>{words.reviewDevices}</dt>
          <dd data-figure="devices">{n(s.devices)}</dd>
          <dd class="detail">{fill(words.reviewRevoked, { count: n(s.revoked) })}</dd>
        </div>
        <div>
          <dt>{words.reviewFindings}</dt>
          <dd data-figure="findings">{n(s.findings)}</dd>
        </div>
      </dl>
      <div class="review-controls">
        <label>
          {words.filterByFinding}{' '}
          <select id="filtro-hallazgo" value={filter} onChange={(e) => setFilter(e.currentTarget.value)}>
            <option value={ALL}>{words.filterAll}</option>
            <option value={ANY}>{words.filterAny}</option>
            {Object.entries(s.byFinding)
              .filter(([, count]) => count > 0)
              .map(([code, count]) => (
                <option key={code} value={code}>
                  {findingWords(code, language)} ({n(count)})
                </option>
              ))}
          </select>
        </label>
        <label>
          {words.dormantDaysLabel}{' '}
          <input
            id="dias-inactiva"
            type="number"
            min={1}
            max={3650}
            value={dormantDays}
            onChange={(e) => {
              const days = Number(e.currentTarget.value);
              if (Number.isInteger(days) && days >= 1 && days <= 3650) setDormantDays(days);
            }}
          />
        </label>
      </div>
      <table class="catds review">
        <caption>
          {fill(words.accountsCaption, { shown: n(operators.length), total: n(data.operators.length) })}
        </caption>
        <thead>
          <tr>
            <th scope="col">{words.username}</th>
            <th scope="col">{words.name}</th>
            <th scope="col">{words.role}</th>
            <th scope="col">{words.scope}</th>
            <th scope="col">{words.factors}</th>
            <th scope="col">{words.lastUse}</th>
            <th scope="col">{words.findingsHead}</th>
          </tr>
        </thead>
        <tbody>
          {operators.map((o) => (
            <tr
              key={o.id}
              data-operator={o.username}
              class={o.findings.length > 0 ? 'has-findings' : undefined}
            >
              <th scope="row">{o.username}</th>
              <td>{o.name}</td>
              <td>{roleWords(o.role, words)}</td>
              <td>{o.scope}</td>
              <td>
                {[
                  o.factors.password ? words.factorPassword : null,
                  o.factors.totp ? 'TOTP' : null,
                  o.factors.webauthnKeys > 0
                    ? fill(words.factorKeys, { count: n(o.factors.webauthnKeys) })
                    : null,
                ]
                  .filter((f) => f !== null)
                  .join(' + ')}
                {o.disabledAt !== null ? ` · ${words.accountDisabled}` : ''}
              </td>
              <td>{o.lastUsedOn ?? words.never}</td>
              <td>{findingList(o.findings)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="catds review">
        <caption>
          {fill(words.devicesCaption, { shown: n(devices.length), total: n(data.devices.length) })}
        </caption>
        <thead>
          <tr>
            <th scope="col">{words.deviceHead}</th>
            <th scope="col">{words.originHead}</th>
            <th scope="col">{words.boundToHead}</th>
            <th scope="col">{words.lastPackage}</th>
            <th scope="col">{words.findingsHead}</th>
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => (
            <tr key={d.id} data-device={d.id} class={d.findings.length > 0 ? 'has-findings' : undefined}>
              <th scope="row">{d.id}</th>
              <td>{d.origin}</td>
              <td>
                {d.boundTo}
                {d.revokedAt !== null ? ` · ${words.deviceRevokedState}` : ''}
              </td>
              <td>{d.lastPackageOn ?? words.never}</td>
              <td>{findingList(d.findings)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{words.reportHash}</h3>
      <p>
        <code class="seed" data-sha256={data.sha256}>
          {data.sha256}
        </code>
      </p>
      <p class="note">{words.certifyHow}</p>
      <pre class="command">
        {`openprep access review --certify ${data.sha256} --scope ${data.scope} --dormant-days ${data.dormantDays} --by ${words.signerPlaceholder}`}
      </pre>
    </section>
  );
}
