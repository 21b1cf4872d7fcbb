/**
 * Cotejo: a coordinador compares what was published for an acta with its image. If they agree
 * the acta is marked cotejada; if not it is reopened and goes back to two blind captures — what
 * was published stays published until a new version is verified, then joins the acta's history
 * (docs/pipeline.md).
 */
import { actaStatusWords } from './i18n.ts';
import { useState } from 'preact/hooks';
import { AFTER_CLOSE_TEXT, type CotejoActa, cotejoActa, imageUrl, sendCotejo } from './api.ts';
import { boxesOf, fromFields, shown } from './entry.ts';

const COTEJADA = ['sin cotejar', 'cotejada', 'cotejada con modificación', 'en corrección'];

export function CotejoScreen() {
  const [acta, setActa] = useState<CotejoActa | null>(null);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  /** Loads an acta; after a decision its message stays on screen. */
  const load = async (recordId: string, keepMessage = false) => {
    setBusy(true);
    const loaded = await cotejoActa(recordId);
    setBusy(false);
    if (!loaded.ok || loaded.value === null) {
      setActa(null);
      setMessage(loaded.ok ? '' : `No se encontró: ${loaded.message}`);
      return;
    }
    setActa(loaded.value);
    if (!keepMessage) setMessage('');
  };
  const decide = async (decision: 'accept' | 'reopen', reason?: string) => {
    if (acta === null) return;
    setBusy(true);
    const sent = await sendCotejo(acta.recordId, decision, reason);
    setBusy(false);
    if (!sent.ok)
      return setMessage(
        sent.code === 'after-close' ? AFTER_CLOSE_TEXT : `No se registró el cotejo: ${sent.message}`,
      );
    setMessage(
      decision === 'accept'
        ? `Acta ${acta.recordId} cotejada: coincide con lo publicado.`
        : `Acta ${acta.recordId} reabierta: vuelve a captura.`,
    );
    await load(acta.recordId, true);
  };
  const boxes = acta === null ? [] : boxesOf(acta.columns);
  const values = acta?.fields == null ? null : fromFields(boxes, acta.fields);
  return (
    <section aria-labelledby="cotejo-titulo">
      <h2 id="cotejo-titulo">Cotejo</h2>
      <form
        class="cotejo-find"
        onSubmit={(event) => {
          event.preventDefault();
          void load(String(new FormData(event.currentTarget as HTMLFormElement).get('clave')).trim());
        }}
      >
        <label for="clave">Clave del acta (CLAVE_ACTA)</label>
        <input id="clave" name="clave" required autoComplete="off" pattern="[0-9]{6}[BCES][0-9]{6}|FC:.+" />
        <button type="submit" disabled={busy}>
          Buscar
        </button>
      </form>
      <p role="status" class="message">
        {message}
      </p>
      {acta !== null && (
        <div class="side-by-side">
          {acta.imageSha256 === null ? (
            <p>Esta acta no tiene imagen.</p>
          ) : (
            <figure class="acta-image">
              <img src={imageUrl(acta.imageSha256)} alt={`Imagen del acta ${acta.recordId}`} />
              <figcaption>
                SHA-256 <code>{acta.imageSha256}</code>
              </figcaption>
            </figure>
          )}
          <div>
            <p>
              Acta <span class="acta-key">{acta.recordId}</span> · {acta.contest} · estado{' '}
              {actaStatusWords(acta.status)} ·{' '}
              <span data-cotejada={acta.cotejada}>{COTEJADA[acta.cotejada] ?? acta.cotejada}</span>
            </p>
            {values === null ? (
              <p>Esta acta no tiene valores publicados: el cotejo se hace sobre actas verificadas.</p>
            ) : (
              <>
                <table class="box-table">
                  <caption>Valores publicados</caption>
                  <tbody>
                    {boxes.map((box) => (
                      <tr key={box.key}>
                        <th scope="row">{box.label}</th>
                        <td class="captured">{shown(values.get(box.key) ?? '')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <div class="admin">
                  <button type="button" disabled={busy} onClick={() => decide('accept')}>
                    Coincide con el acta: aceptar
                  </button>
                  <form
                    class="admin-form"
                    onSubmit={(event) => {
                      event.preventDefault();
                      void decide(
                        'reopen',
                        String(new FormData(event.currentTarget as HTMLFormElement).get('reason')),
                      );
                    }}
                  >
                    <label for="reopen-reason">Qué no coincide</label>
                    <input id="reopen-reason" name="reason" required maxLength={500} />
                    <button type="submit" disabled={busy}>
                      No coincide: reabrir para nueva captura
                    </button>
                  </form>
                </div>
              </>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
