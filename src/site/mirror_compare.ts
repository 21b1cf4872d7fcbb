/**
 * Gossip on the site (docs/trust.md §5): the reader compares the cut this page received with
 * the same cut as a mirror of their choosing received it — the SHA-256 of its signed manifest,
 * which covers every file and the journal's checkpoint. Equal: both saw the same cut. Different
 * and signed by the election's key: the center showed two histories (a split view). Different
 * and not signed: the mirror serves altered files. The page's policy lets it read any `https:`
 * origin for this (src/mirror/static_server.ts, docs/site.md); a mirror answers with
 * `access-control-allow-origin: *` (`openprep mirror` does). The same code runs in Node's tests.
 */
import { sha256Hex } from '../platform/web/web_crypto.ts';
import { openManifest } from '../verify/core/manifest.ts';
import { openLatestPointer } from '../verify/core/pointer.ts';
import { browserVerifierCrypto } from './verify_cut.ts';

export type Comparison =
  | { readonly kind: 'bad-url' }
  | { readonly kind: 'unreachable' }
  /** The mirror holds no such cut (behind, or on another chain): `latest` is the cut its pointer names. */
  | { readonly kind: 'absent'; readonly latest: string | null }
  | { readonly kind: 'match'; readonly sha256: string }
  /** Different manifests; `signed`: whether the mirror's verifies with the key (null: no key given). */
  | {
      readonly kind: 'mismatch';
      readonly ours: string;
      readonly theirs: string;
      readonly signed: boolean | null;
    };

/** A mirror's root as the reader typed it: http(s), no credentials, query or fragment, ending in `/`. */
export function mirrorBase(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

async function bytesAt(url: string): Promise<Uint8Array<ArrayBuffer> | null | 'unreachable'> {
  try {
    const response = await fetch(url, { cache: 'no-cache', credentials: 'omit', redirect: 'error' });
    if (response.status === 404) return null;
    if (!response.ok) return 'unreachable';
    return new Uint8Array(await response.arrayBuffer());
  } catch {
    return 'unreachable';
  }
}

/**
 * Compares cut `cutId` as published under `base` (this page's root) with the same cut under
 * `mirror`; `keyText`, the key the reader pasted (may be empty), tells a split view from a
 * mirror that altered the files.
 */
export async function compareWithMirror(options: {
  readonly base: string;
  readonly mirror: string;
  readonly cutId: string;
  readonly keyText: string;
}): Promise<Comparison> {
  const mirror = mirrorBase(options.mirror);
  if (mirror === null || !/^\d{8}_\d{4}$/.test(options.cutId)) return { kind: 'bad-url' };
  const ours = await bytesAt(new URL(`${options.cutId}/manifest.json`, options.base).href);
  if (ours === null || ours === 'unreachable') return { kind: 'unreachable' };
  const theirs = await bytesAt(new URL(`${options.cutId}/manifest.json`, mirror).href);
  if (theirs === 'unreachable') return { kind: 'unreachable' };
  const crypto = await browserVerifierCrypto(options.keyText);
  if (theirs === null) {
    // Which cut the mirror holds instead: its pointer's, read as text (checked when a key is given).
    const latest = await bytesAt(new URL('latest.json', mirror).href);
    const signature = await bytesAt(new URL('latest.sig', mirror).href);
    if (latest === null || latest === 'unreachable') return { kind: 'absent', latest: null };
    if (crypto !== null && signature !== null && signature !== 'unreachable') {
      const opened = await openLatestPointer(latest, signature, crypto);
      return { kind: 'absent', latest: opened.failures.length === 0 ? opened.namedCut : null };
    }
    // No key to check it with: the cut it names, said as the mirror's claim.
    try {
      const named = (JSON.parse(new TextDecoder().decode(latest)) as { cut?: unknown }).cut;
      return {
        kind: 'absent',
        latest: typeof named === 'string' && /^\d{8}_\d{4}$/.test(named) ? named : null,
      };
    } catch {
      return { kind: 'absent', latest: null };
    }
  }
  const ourHash = await sha256Hex(ours);
  const theirHash = await sha256Hex(theirs);
  if (ourHash === theirHash) return { kind: 'match', sha256: ourHash };
  let signed: boolean | null = null;
  if (crypto !== null) {
    const signature = await bytesAt(new URL(`${options.cutId}/manifest.sig`, mirror).href);
    if (signature === null || signature === 'unreachable') signed = false;
    else {
      const failures: string[] = [];
      const opened = await openManifest(theirs, signature, crypto, {
        fail: (_id, detail) => failures.push(detail),
        failed: () => failures.length > 0,
      });
      signed = opened.error === undefined && failures.length === 0;
    }
  }
  return { kind: 'mismatch', ours: ourHash, theirs: theirHash, signed };
}

/** The mirrors this site lists (`mirrors.json` beside the cuts: `{"mirrors": ["https://…/"]}`), or none. */
export async function knownMirrors(base: string): Promise<string[]> {
  const bytes = await bytesAt(new URL('mirrors.json', base).href);
  if (bytes === null || bytes === 'unreachable') return [];
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as { mirrors?: unknown };
    if (!Array.isArray(json.mirrors)) return [];
    return json.mirrors
      .filter((m): m is string => typeof m === 'string' && mirrorBase(m) !== null)
      .slice(0, 50);
  } catch {
    return [];
  }
}
