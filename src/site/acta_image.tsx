/**
 * An acta's image, as published beside the cuts (`imagenes/sha256/ab/…`, named by its
 * SHA-256), with that hash recomputed here, in the reader's browser, from the very bytes shown:
 * an image a server or a mirror altered says so, in words, next to it.
 */
import { useEffect, useState } from 'preact/hooks';
import { sha256Hex } from '../platform/web/web_crypto.ts';
import type { Words } from './i18n.ts';

type State =
  | { readonly step: 'asked' }
  | { readonly step: 'loading' }
  | { readonly step: 'absent' }
  | { readonly step: 'shown'; readonly url: string; readonly computed: string };

function imageType(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return 'image/png';
  return 'application/octet-stream';
}

export function ActaImage(props: { words: Words; sha256: string; actaKey: string }) {
  const { words, sha256 } = props;
  // Images weigh ~1 MB each: fetched when the reader asks, not with every casilla page.
  const [state, setState] = useState<State>({ step: 'asked' });
  const [wanted, setWanted] = useState(false);
  useEffect(() => {
    if (!wanted) return;
    let url: string | null = null;
    let live = true;
    setState({ step: 'loading' });
    (async () => {
      const response = await fetch(`imagenes/sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`).catch(
        () => null,
      );
      if (response === null || !response.ok) {
        if (live) setState({ step: 'absent' });
        return;
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      const computed = await sha256Hex(bytes);
      if (!live) return;
      url = URL.createObjectURL(new Blob([bytes], { type: imageType(bytes) }));
      setState({ step: 'shown', url, computed });
    })();
    return () => {
      live = false;
      if (url !== null) URL.revokeObjectURL(url);
    };
  }, [sha256, wanted]);
  if (state.step === 'asked')
    return (
      <button type="button" class="show-image" onClick={() => setWanted(true)}>
        {words.showImage}
      </button>
    );
  if (state.step === 'loading') return <p aria-busy="true">{words.loading}</p>;
  if (state.step === 'absent') return <p class="image-absent">{words.imageAbsent}</p>;
  const matches = state.computed === sha256;
  return (
    <figure class="acta-image">
      <img src={state.url} alt={`${words.image} ${props.actaKey}`} />
      <figcaption>
        <p
          class={matches ? 'hash-check pass' : 'hash-check fail'}
          role={matches ? undefined : 'alert'}
          data-hash-check={matches ? 'pass' : 'fail'}
        >
          {matches ? words.hashMatches : words.hashDiffers}
        </p>
        <p class="hash-line">
          {words.hashComputed}: <code class="hash">{state.computed}</code>
        </p>
      </figcaption>
    </figure>
  );
}
