/**
 * The CATD dashboard: where the night stands (actas by state), how fast it moves (measured by
 * this screen between its refreshes), per CATD the packages received and refused as conflicts
 * (another image already holds that acta, docs/intake.md), and the images the quality gate
 * refused or sent to a person, and why (docs/images.md).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Dashboard, dashboard } from './api.ts';

const REFRESH_MS = 10_000;
const n = (value: number) => value.toLocaleString('es-MX');

export function DashboardScreen() {
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
        <h2>Tablero</h2>
        <p role="status">{error === '' ? 'Cargando…' : error}</p>
      </section>
    );
  const a = data.actas;
  return (
    <section aria-labelledby="tablero" class="dashboard">
      <h2 id="tablero">Tablero</h2>
      <p class="message" role="status">
        {error}
      </p>
      <dl class="tiles">
        <div>
          <dt>Por capturar</dt>
          <dd data-figure="pending-capture">{n(a.received + a.captured_once)}</dd>
        </div>
        <div>
          <dt>Por verificar</dt>
          <dd data-figure="pending-verification">{n(a.mismatch)}</dd>
        </div>
        <div>
          <dt>Verificadas</dt>
          <dd data-figure="verified">{n(a.verified)}</dd>
        </div>
        <div>
          <dt>Sin acta</dt>
          <dd>{n(a.sin_acta)}</dd>
        </div>
        <div>
          <dt>Verificadas por minuto</dt>
          <dd>{rate === null ? '—' : rate.toFixed(1)}</dd>
        </div>
      </dl>
      <p class="note">
        Actas de toda la elección. «Por capturar» suma las que esperan su primera o su segunda captura. El
        ritmo se mide entre las dos últimas actualizaciones de esta pantalla (cada 10 segundos).
      </p>
      <table class="catds">
        <caption>Paquetes recibidos por CATD</caption>
        <thead>
          <tr>
            <th scope="col">CATD</th>
            <th scope="col" class="number">
              Recibidos
            </th>
            <th scope="col" class="number">
              Rechazados (conflicto)
            </th>
            <th scope="col" class="number">
              Recibidos, última hora
            </th>
            <th scope="col" class="number">
              Rechazados, última hora
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
      <p class="note">
        Un rechazo por conflicto es un paquete cuya acta ya tiene otra imagen registrada: queda guardado para
        revisión y no se publica.
      </p>
      <table class="catds quality">
        <caption>
          Control de calidad de imágenes: {n(data.quality.rejected)} rechazadas, {n(data.quality.review)} por
          revisar
        </caption>
        <thead>
          <tr>
            <th scope="col">Hora</th>
            <th scope="col">CATD</th>
            <th scope="col">Acta</th>
            <th scope="col">Resultado</th>
            <th scope="col">Motivo</th>
          </tr>
        </thead>
        <tbody>
          {data.quality.recent.map((e) => (
            <tr key={`${e.at}-${e.deviceId}-${e.claimedKey}`} data-quality={e.verdict}>
              <td>{new Date(e.at).toLocaleTimeString('es-MX')}</td>
              <td>{e.catd}</td>
              <td>
                {e.claimedKey}
                {e.qr !== null && e.qr !== e.claimedKey ? ` (etiqueta QR: ${e.qr})` : ''}
              </td>
              <td>{e.verdict === 'reject' ? 'Rechazada' : 'Por revisar'}</td>
              <td>{e.reasons.join(' · ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="note">
        Una imagen rechazada no se guarda: el dispositivo recibe el motivo y se toma de nuevo. Una imagen «por
        revisar» tiene una etiqueta QR que no se lee o que nombra otra acta: se recibe solo cuando la persona
        del dispositivo confirma la clave, y queda señalada aquí para revisarla. Cuenta desde que arrancó este
        nodo; la bitácora las registra todas.
      </p>
    </section>
  );
}
