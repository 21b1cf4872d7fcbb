/**
 * Cotejo: a coordinador compares what was published for an acta with its image. If they agree
 * the acta is marked cotejada; if not it is reopened and goes back to two blind captures — what
 * was published stays published until a new version is verified, then joins the acta's history
 * (docs/pipeline.md).
 */
import { useState } from 'preact/hooks';
import { type CotejoActa, cotejoActa, imageUrl, sendCotejo } from './api.ts';
import { boxesOf, fromFields, shown } from './entry.ts';
import { actaStatusWords, fill, type Words } from './i18n.ts';
import { useLanguage, useWords } from './words.ts';

/** COTEJADA's values (0–3) in words. */
const cotejadaWords = (words: Words) => [words.cotejada0, words.cotejada1, words.cotejada2, words.cotejada3];

export function CotejoScreen() {
  const words = useWords();
  const language = useLanguage();
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
      setMessage(loaded.ok ? '' : fill(words.cotejoNotFound, { reason: loaded.message }));
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
        sent.code === 'after-close' ? sent.message : fill(words.cotejoNotRecorded, { reason: sent.message }),
      );
    setMessage(
      fill(decision === 'accept' ? words.cotejoAccepted : words.cotejoReopened, { key: acta.recordId }),
    );
    await load(acta.recordId, true);
  };
  const boxes = acta === null ? [] : boxesOf(acta.columns, words);
  const values = acta?.fields == null ? null : fromFields(boxes, acta.fields);
  return (
    <section aria-labelledby="cotejo-titulo">
      <h2 id="cotejo-titulo">{words.screenCotejo}</h2>
      <form
        class="cotejo-find"
        onSubmit={(event) => {
          event.preventDefault();
          void load(String(new FormData(event.currentTarget as HTMLFormElement).get('clave')).trim());
        }}
      >
        <label for="clave">{words.actaKeyLabel}</label>
        <input id="clave" name="clave" required autoComplete="off" pattern="[0-9]{6}[BCES][0-9]{6}|FC:.+" />
        <button type="submit" disabled={busy}>
          {words.find}
        </button>
      </form>
      <p role="status" class="message">
        {message}
      </p>
      {acta !== null && (
        <div class="side-by-side">
          {acta.imageSha256 === null ? (
            <p>{words.noImage}</p>
          ) : (
            <figure class="acta-image">
              <img src={imageUrl(acta.imageSha256)} alt={fill(words.imageAlt, { key: acta.recordId })} />
              <figcaption>
                SHA-256 <code>{acta.imageSha256}</code>
              </figcaption>
            </figure>
          )}
          <div>
            <p>
              {words.acta} <span class="acta-key">{acta.recordId}</span> · {acta.contest} · {words.state}{' '}
              {actaStatusWords(acta.status, language)} ·{' '}
              <span data-cotejada={acta.cotejada}>
                {cotejadaWords(words)[acta.cotejada] ?? acta.cotejada}
              </span>
            </p>
            {values === null ? (
              <p>{words.noPublishedValues}</p>
            ) : (
              <>
                <table class="box-table">
                  <caption>{words.publishedValues}</caption>
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
                    {words.cotejoAccept}
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
                    <label for="reopen-reason">{words.cotejoWhat}</label>
                    <input id="reopen-reason" name="reason" required maxLength={500} />
                    <button type="submit" disabled={busy}>
                      {words.cotejoReopen}
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
