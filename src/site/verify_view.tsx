/**
 * "Verificar este corte": the reader pastes the election's public key, as the institute
 * published it through its own channels (not taken from this server, which is what is being
 * checked), and the browser checks the cut shown with WebCrypto (src/site/verify_cut.ts). The
 * results are said in the reader's language (src/site/verify_words.ts), the verifier's own
 * English text behind "detalle técnico"; and the page says which cut it checked, and that the
 * pointer moved on if a new cut was published meanwhile.
 */
import { useState } from 'preact/hooks';
import { CompareView } from './compare_view.tsx';
import { fill, type Language, type Words } from './i18n.ts';
import {
  type CheckResult,
  type CutReleaseNamed,
  verifyCutInBrowser,
  type WitnessesSeen,
} from './verify_cut.ts';
import { checkInWords } from './verify_words.ts';

export function VerifyView(props: { words: Words; language: Language; cutId: string }) {
  const { words, language, cutId } = props;
  const [key, setKey] = useState('');
  const [state, setState] = useState<
    | { readonly step: 'idle' }
    | { readonly step: 'running'; readonly done: number; readonly total: number }
    | {
        readonly step: 'done';
        readonly results: readonly CheckResult[];
        /** The cut checked: the one shown when the reader pressed the button. */
        readonly checked: string;
        /** The cut the signed pointer named while it was checked. */
        readonly pointer: string | null;
        /** The release the signed manifest names (undefined: none named, or not verified). */
        readonly release: CutReleaseNamed | null | undefined;
        /** Who cosigned the cut's checkpoint; null: the election names no witnesses. */
        readonly witnesses: WitnessesSeen | null | 'unreadable';
      }
  >({ step: 'idle' });
  const run = async (event: Event) => {
    event.preventDefault();
    const checked = cutId;
    let pointer: string | null = null;
    let release: CutReleaseNamed | null | undefined;
    let witnesses: WitnessesSeen | null | 'unreadable' = null;
    setState({ step: 'running', done: 0, total: 0 });
    const results = await verifyCutInBrowser({
      base: new URL('.', location.href).href,
      keyText: key,
      cutId: checked,
      progress: (done, total) => setState({ step: 'running', done, total }),
      pointer: (named) => {
        pointer = named;
      },
      release: (named) => {
        release = named;
      },
      witnesses: (seen) => {
        witnesses = seen;
      },
    });
    setState({ step: 'done', results, checked, pointer, release, witnesses });
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
          <p class="checked-cut" data-checked={state.checked}>
            {fill(words.verifyChecked, { cut: state.checked })}
          </p>
          {state.pointer !== null && state.pointer !== state.checked && (
            <p class="pointer-moved" role="note" data-pointer={state.pointer}>
              {fill(words.verifyPointerMoved, { latest: state.pointer })}
            </p>
          )}
          {state.release !== undefined && (
            <p class="release" data-release={state.release?.sha256 ?? 'none'}>
              {state.release === null
                ? words.verifyReleaseNone
                : fill(words.verifyRelease, { version: state.release.version, sha256: state.release.sha256 })}
            </p>
          )}
          <ol class="checks">
            {state.results.map((r) => {
              const said = checkInWords(r, language);
              return (
                <li key={r.id} data-check={r.id} data-status={r.status} class={`check ${r.status}`}>
                  <strong>
                    {r.id} · {said.title}: {label[r.status]}
                  </strong>{' '}
                  <span class="summary-text">{said.summary}</span>
                  {said.technical !== null && (
                    <details class="detail">
                      <summary>{words.technicalDetail}</summary>
                      <code lang="en">{said.technical}</code>
                    </details>
                  )}
                </li>
              );
            })}
          </ol>
          <WitnessList words={words} seen={state.witnesses} />
          <p>{words.verifyMore}</p>
        </section>
      )}
      <CompareView words={words} cutId={cutId} keyText={key} />
    </>
  );
}

/** The witnesses the election lists, each with when it cosigned this cut's checkpoint (or not). */
function WitnessList(props: { words: Words; seen: WitnessesSeen | null | 'unreadable' }) {
  const { words, seen } = props;
  if (seen === null || seen === 'unreadable')
    return (
      <section class="witnesses" aria-labelledby="testigos" data-witnesses={seen ?? 'none'}>
        <h3 id="testigos">{words.witnesses}</h3>
        <p>{seen === null ? words.witnessesNone : words.witnessesUnreadable}</p>
      </section>
    );
  const counts = {
    cosigned: String(seen.cosigned.length),
    listed: String(seen.listed.length),
    required: String(seen.required),
  };
  return (
    <section class="witnesses" aria-labelledby="testigos" data-witnesses={seen.met ? 'met' : 'not-met'}>
      <h3 id="testigos">{words.witnesses}</h3>
      <p>{words.witnessesIntro}</p>
      <p class={seen.met ? 'verdict pass' : 'verdict fail'}>
        {fill(seen.met ? words.witnessesMet : words.witnessesNotMet, counts)}
      </p>
      <ul>
        {seen.listed.map((name) => {
          const cosigned = seen.cosigned.find((c) => c.name === name);
          return (
            <li key={name} data-witness={name} data-cosigned={cosigned === undefined ? 'no' : 'yes'}>
              <code>{name}</code>{' '}
              {cosigned === undefined
                ? words.witnessMissing
                : fill(words.witnessAt, {
                    time: new Date(cosigned.time * 1000).toISOString().replace('.000Z', 'Z'),
                  })}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
