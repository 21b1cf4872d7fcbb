/**
 * "Comparar con un espejo", on the verify page: the reader names a mirror (or picks one the
 * site lists in `mirrors.json`) and the page says whether that mirror received the same cut
 * (src/site/mirror_compare.ts). The list is fetched when the reader goes to the field, so a
 * reader who does not compare fetches nothing for it.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { fill, type Words } from './i18n.ts';
import { type Comparison, compareWithMirror, knownMirrors } from './mirror_compare.ts';

export function CompareView(props: { words: Words; cutId: string; keyText: string }) {
  const { words, cutId, keyText } = props;
  const [mirror, setMirror] = useState('');
  const [mirrors, setMirrors] = useState<readonly string[] | null>(null);
  const [state, setState] = useState<
    | { readonly step: 'idle' }
    | { readonly step: 'running' }
    | { readonly step: 'done'; readonly mirror: string; readonly result: Comparison }
  >({ step: 'idle' });
  const base = new URL('.', location.href).href;
  const wanted = () => {
    if (mirrors === null) {
      setMirrors([]);
      void knownMirrors(base).then(setMirrors);
    }
  };
  const run = async (event: Event) => {
    event.preventDefault();
    const chosen = mirror.trim();
    setState({ step: 'running' });
    const result = await compareWithMirror({ base, mirror: chosen, cutId, keyText });
    setState({ step: 'done', mirror: chosen, result });
  };
  return (
    <section class="compare" aria-labelledby="comparar">
      <h2 id="comparar">{words.compareTitle}</h2>
      <p>{words.compareIntro}</p>
      <form onSubmit={run} class="verify-form">
        <label for="espejo">{words.mirrorUrl}</label>
        <input
          id="espejo"
          name="espejo"
          type="url"
          list="espejos"
          inputMode="url"
          autocomplete="off"
          spellcheck={false}
          placeholder={words.mirrorUrlPlaceholder}
          value={mirror}
          onFocus={wanted}
          onInput={(event) => setMirror((event.target as HTMLInputElement).value)}
          required
        />
        {mirrors !== null && mirrors.length > 0 && (
          <>
            <datalist id="espejos">
              {mirrors.map((m) => (
                <option key={m} value={m} />
              ))}
            </datalist>
            <p class="known-mirrors">
              {words.knownMirrors}{' '}
              {mirrors.map((m) => (
                <button type="button" class="link" key={m} onClick={() => setMirror(m)}>
                  {m}
                </button>
              ))}
            </p>
          </>
        )}
        <button type="submit" disabled={state.step === 'running'}>
          {words.compareButton}
        </button>
      </form>
      {state.step === 'running' && <p aria-live="polite">{words.comparing}</p>}
      {state.step === 'done' && (
        <Verdict words={words} cutId={cutId} mirror={state.mirror} result={state.result} />
      )}
    </section>
  );
}

function Verdict(props: { words: Words; cutId: string; mirror: string; result: Comparison }) {
  const { words, cutId, mirror, result } = props;
  const values = { cut: cutId, mirror };
  switch (result.kind) {
    case 'bad-url':
      return <Said kind={result.kind} text={words.compareBadUrl} />;
    case 'unreachable':
      return <Said kind={result.kind} text={fill(words.compareUnreachable, values)} />;
    case 'absent':
      return (
        <Said
          kind={result.kind}
          text={
            result.latest === null
              ? fill(words.compareAbsent, values)
              : fill(words.compareAbsentLatest, { ...values, latest: result.latest })
          }
        />
      );
    case 'match':
      return (
        <Said kind={result.kind} text={fill(words.compareMatch, values)}>
          <p>
            {words.compareHash} <code>{result.sha256}</code>
          </p>
        </Said>
      );
    case 'mismatch': {
      const kind = result.signed === true ? 'split' : result.signed === false ? 'unsigned' : 'mismatch';
      const text =
        kind === 'split'
          ? words.compareSplit
          : kind === 'unsigned'
            ? words.compareUnsigned
            : words.compareMismatch;
      return (
        <Said kind={kind} text={fill(text, values)}>
          <p>
            {words.compareOurs} <code>{result.ours}</code>
          </p>
          <p>
            {words.compareTheirs} <code>{result.theirs}</code>
          </p>
        </Said>
      );
    }
  }
}

function Said(props: { kind: string; text: string; children?: ComponentChildren }) {
  const good = props.kind === 'match';
  return (
    <section class="compare-result" data-result={props.kind}>
      <p class={good ? 'verdict pass' : 'verdict fail'} role="status">
        {props.text}
      </p>
      {props.children}
    </section>
  );
}
