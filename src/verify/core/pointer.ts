/**
 * The signed `latest` pointer (docs/publication-format.md, "latest.json" and "Keys and signed
 * notes"): `latest.json` is `{"cut","manifestSha256","time"}` as sorted-key, two-space JSON
 * with a final newline, and `latest.sig` a signed note by the election's key whose body is
 * `<key name>/latest`, the cut id and `sha256 <hex of latest.json>`. The site checks it as its
 * V00 before choosing which cut to verify; `openprep verify` as V16, where it also checks that
 * the pointer names a published cut (src/verify/pointer.ts).
 */
import { stableJson } from '../../platform/web/canonical_json.ts';
import { utf8, type VerifierCrypto } from './ports.ts';

export interface LatestPointer {
  readonly cut: string;
  readonly manifestSha256: string;
  readonly time: string;
}

export interface OpenedPointer {
  /** The pointer, when latest.json states one (even if something else about it failed). */
  readonly pointer: LatestPointer | null;
  /** The cut latest.json names, when its `cut` is text at all (the site goes on to check that cut). */
  readonly namedCut: string | null;
  /** What is wrong, in the words both reports use. */
  readonly failures: readonly string[];
}

function pointerOf(json: unknown): LatestPointer | null {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return null;
  const o = json as Record<string, unknown>;
  if (Object.keys(o).sort().join(',') !== 'cut,manifestSha256,time') return null;
  if (typeof o.cut !== 'string' || !/^[0-9]{8}_[0-9]{4}$/.test(o.cut)) return null;
  if (typeof o.manifestSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.manifestSha256)) return null;
  if (typeof o.time !== 'string') return null;
  return { cut: o.cut, manifestSha256: o.manifestSha256, time: o.time };
}

/** Reads `latest.json` and checks `latest.sig` over its bytes. */
export async function openLatestPointer(
  latest: Uint8Array,
  signature: Uint8Array,
  crypto: VerifierCrypto,
): Promise<OpenedPointer> {
  const failures: string[] = [];
  const text = utf8(latest);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
    failures.push('latest.json is not JSON');
  }
  const pointer = pointerOf(json);
  if (json !== undefined) {
    if (pointer === null)
      failures.push(
        'latest.json is not exactly {"cut": "YYYYMMDD_HHMM", "manifestSha256": "<64 hex>", "time": "<text>"}',
      );
    else if (stableJson(json) !== text) failures.push('latest.json is not sorted-key, 2-space JSON');
  }
  const note = await crypto.openNote(utf8(signature));
  const cut = (json as { cut?: unknown } | null | undefined)?.cut;
  const named = String(cut);
  if (!note.ok) failures.push('latest.sig is not signed by this key');
  else if (note.body !== `${crypto.keyName}/latest\n${named}\nsha256 ${await crypto.sha256Hex(latest)}\n`)
    failures.push('latest.sig does not sign these latest.json bytes');
  return { pointer, namedCut: typeof cut === 'string' ? cut : null, failures };
}
