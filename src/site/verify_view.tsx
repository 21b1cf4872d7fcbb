/**
 * "Verificar este corte": the reader pastes the election's public key, as the institute
 * published it through its own channels (not taken from this server, which is what is being
 * checked), and the browser checks the cut shown with WebCrypto (src/site/verify_cut.ts).
 */
import { useState } from 'preact/hooks';
import type { Words } from './i18n.ts';
import { type CheckResult, verifyCutInBrowser } from './verify_cut.ts';

export function VerifyView(props: { words: Words; cutId: string }) {
  const { words, cutId } = props;
  const [key, setKey] = useState('');
  const [state, setState] = useState<
    | { readonly step: 'idle' }
    | { readonly step: 'running'; readonly done: number; readonly total: number }
    | { readonly step: 'done'; readonly results: readonly CheckResult[] }
  >({ step: 'idle' });
  const run = async (event: Event) => {
    event.preventDefault();
    setState({ step: 'running', done: 0, total: 0 });
    const results = await verifyCutInBrowser({
      base: new URL('.', location.href).href,
      keyText: key,
      cutId,
      progress: (done, total) => setState({ step: 'running', done, total }),
    });
    setState({ step: 'done', results });
  };
  const failed = state.step === 'done' && state.results.some((r) => r.status === 'fail');
  const label = { pass: words.checkPass, fail: words.checkFail, skip: words.checkSkip } as const;
  return (
    <>
      <h1>
        {words.verify} {cutId}
      </h1>
      <p>{words.verifyIntro}</p>
      <form onSubmit={run} class="verify-form">
        <label for="llave">{words.publicKey}</label>
        <textarea
          id="llave"
          name="llave"
          rows={3}
          spellcheck={false}
          autocomplete="off"
          value={key}
          onInput={(event) => setKey((event.target as HTMLTextAreaElement).value)}
          required
        />
        <button type="submit" disabled={state.step === 'running'}>
          {words.verifyButton}
        </button>
      </form>
      {state.step === 'running' && (
        <p aria-live="polite">
          <label>
            {words.verifying} {state.done} {words.of} {state.total}{' '}
            <progress max={Math.max(1, state.total)} value={state.done} />
          </label>
        </p>
      )}
      {state.step === 'done' && (
        <section aria-labelledby="resultado" class="verify-results">
          <h2 id="resultado" class={failed ? 'verdict fail' : 'verdict pass'}>
            <span role="status">{failed ? words.verifyFailed : words.verifyPassed}</span>
          </h2>
          <ol class="checks">
            {state.results.map((r) => (
              <li key={r.id} data-check={r.id} data-status={r.status} class={`check ${r.status}`}>
                <strong>
                  {r.id} · {r.title}: {label[r.status]}
                </strong>{' '}
                <span class="detail">{r.detail}</span>
              </li>
            ))}
          </ol>
          <p>{words.verifyMore}</p>
        </section>
      )}
    </>
  );
}
