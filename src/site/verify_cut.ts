/**
 * "Verify this cut" in the reader's browser: the checks of docs/verification.md that need
 * nothing but the published files and the election's public key — the manifest's signature
 * (V01), drill or live (V02), the manifest's form (V03), every listed file's size and SHA-256
 * (V04), the journal checkpoint (V05), each contest's Merkle root over its acta rows (V06) —
 * and the signed `latest` pointer (V00, the browser's own; `openprep verify` checks it as V16).
 * The checks are the verifier's pure core (src/verify/core/, the same code as `openprep
 * verify`, with the same messages); this file binds it to WebCrypto and fetch. The rest (the
 * PREP rules on every row, aggregates, the catalog, the previous cut, images) is `npx openprep
 * verify`'s. The same code runs in Node's tests (Node has WebCrypto and fetch).
 */
import { openNoteWeb, parseVerifierKeyWeb, sha256Hex, toHex } from '../platform/web/web_crypto.ts';
import {
  checkActaRoot,
  checkActaRowCount,
  checkCheckpoint,
  checkpointSummary,
  csvRowBytes,
  merkleRoot as merkleRootWith,
} from '../verify/core/journal.ts';
import {
  checkKeyMode,
  checkListedFile,
  checkManifestForm,
  manifestSummary,
  openManifest,
  unsafePathFailure,
} from '../verify/core/manifest.ts';
import { safeRelativePath } from '../platform/web/paths.ts';
import { openLatestPointer } from '../verify/core/pointer.ts';
import type { VerifierCrypto } from '../verify/core/ports.ts';
import {
  checkWitnesses,
  readWitnesses,
  type WitnessesSeen,
  witnessPolicyOf,
  witnessSummary,
} from '../verify/core/witnesses.ts';
import {
  CHECK_TITLES,
  type CheckId,
  type CheckResult,
  Checks,
  type CheckTitles,
  type CutReleaseNamed,
} from '../verify/core/report.ts';

export type { CheckResult, CheckStatus, CutReleaseNamed } from '../verify/core/report.ts';
export type { WitnessesSeen } from '../verify/core/witnesses.ts';
export { csvRowBytes };

export const BROWSER_CHECKS = {
  V00: 'signed latest pointer',
  V01: CHECK_TITLES.V01,
  V02: CHECK_TITLES.V02,
  V03: CHECK_TITLES.V03,
  V04: CHECK_TITLES.V04,
  V05: CHECK_TITLES.V05,
  V06: CHECK_TITLES.V06,
} as const;
/** The browser's report lists V00–V06 only; the core's rooms it runs record nothing else. */
type BrowserCheck = CheckId | 'V00';

/** Where a manifest names its election definition: the published catalogo/ folder beside the cuts. */
const ELECTION_PATH = /^\.\.\/catalogo\/[A-Za-z0-9_.-]+\.json$/;

/** A URL path the page fetches: plain characters only, so no `?`, `#` or `%` can redirect it. */
const URL_SAFE_PATH = /^[A-Za-z0-9_./-]+$/;

const sha256Bytes = async (bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));

/** RFC 6962 tree hash over leaf data, with WebCrypto. */
export const merkleRoot = (leaves: readonly Uint8Array[]): Promise<Uint8Array> =>
  merkleRootWith(leaves, sha256Bytes);

export type VerifyProgress = (done: number, total: number) => void;

/** The verifier core's crypto over WebCrypto for the key the reader pasted, or null if it is no key. */
export async function browserVerifierCrypto(keyText: string): Promise<VerifierCrypto | null> {
  const key = await parseVerifierKeyWeb(keyText).catch(() => null);
  if (key === null) return null;
  return {
    keyName: key.name,
    sha256Hex: (bytes) => sha256Hex(new Uint8Array(bytes)),
    openNote: async (note) => {
      const body = await openNoteWeb(note, key);
      return body === null ? { ok: false, message: 'no valid signature by this key' } : { ok: true, body };
    },
  };
}

/**
 * Checks the cut `latest.json` names (or `cutId`) under `base` (the publication's root URL,
 * ending in `/`) against `keyText`, the election's verifier key as the institute published it.
 */
export async function verifyCutInBrowser(options: {
  readonly base: string;
  readonly keyText: string;
  readonly cutId?: string;
  readonly progress?: VerifyProgress;
  /** Told the cut the signed pointer names (null when it names none), when it is read. */
  readonly pointer?: (cut: string | null) => void;
  /**
   * Told the release the signed manifest says built the cut (null: a development checkout), once
   * its signature (V01) and form (V03) checked; not told for a cut older than the field.
   */
  readonly release?: (release: CutReleaseNamed | null) => void;
  /**
   * Told which witnesses cosigned the cut's checkpoint: null when the definition lists none,
   * `unreadable` when the definition the manifest names cannot be read here (V05 fails then).
   */
  readonly witnesses?: (seen: WitnessesSeen | null | 'unreadable') => void;
}): Promise<CheckResult[]> {
  const checks = new Checks<BrowserCheck>(BROWSER_CHECKS as unknown as CheckTitles<BrowserCheck>);
  const finish = () => [...checks.report('').checks];
  const fetchBytes = async (path: string): Promise<Uint8Array<ArrayBuffer> | null> => {
    try {
      const response = await fetch(new URL(path, options.base), { cache: 'no-cache' });
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
    } catch {
      return null;
    }
  };

  const web = await browserVerifierCrypto(options.keyText);
  if (web === null) {
    checks.fail('V01', 'the public key is not a verifier key (<name>+<id>+<base64>)');
    checks.finish('V01', '');
    return finish();
  }

  // The pointer: signed, and naming the cut checked.
  let cutId = options.cutId;
  const latest = await fetchBytes('latest.json');
  const latestSig = await fetchBytes('latest.sig');
  if (latest === null || latestSig === null)
    checks.skip('V00', 'latest.json or latest.sig is not published here');
  else {
    const opened = await openLatestPointer(latest, latestSig, web);
    for (const failure of opened.failures) checks.fail('V00', failure);
    checks.finish('V00', `points to ${String(opened.namedCut)}`);
    options.pointer?.(opened.namedCut);
    if (cutId === undefined && opened.namedCut !== null) cutId = opened.namedCut;
  }
  if (cutId === undefined || !/^\d{8}_\d{4}$/.test(cutId)) {
    checks.fail('V01', 'no cut to check');
    checks.finish('V01', '');
    return finish();
  }

  const manifestBytes = await fetchBytes(`${cutId}/manifest.json`);
  const signature = await fetchBytes(`${cutId}/manifest.sig`);
  if (manifestBytes === null || signature === null) {
    checks.fail('V01', `${cutId}/manifest.json or manifest.sig is missing`);
    checks.finish('V01', '');
    return finish();
  }
  const loaded = await openManifest(manifestBytes, signature, web, checks);
  checks.finish('V01', `signed by ${web.keyName}`);
  if (loaded.error !== undefined) {
    checks.fail('V03', loaded.error);
    checks.finish('V03', '');
    return finish();
  }
  const { manifest } = loaded.value;
  checkManifestForm(checks, loaded.value);
  if (manifest.cut.id !== cutId) checks.fail('V03', `the manifest is of cut ${manifest.cut.id}`);
  checks.finish('V03', manifestSummary(manifest));
  if (!checks.failed('V01') && !checks.failed('V03') && manifest.release !== undefined)
    options.release?.(manifest.release);

  checkKeyMode(checks, web.keyName, manifest);
  checks.finish('V02', manifest.election.mode);

  await checkCheckpoint(checks, web, manifest);
  // The witnesses the election definition lists: the definition is the cut's, by its SHA-256.
  let witnessDetail = '';
  const electionPath = manifest.catalog.electionPath;
  const electionBytes = ELECTION_PATH.test(electionPath)
    ? await fetchBytes(`${cutId}/${electionPath}`)
    : null;
  if (electionBytes === null || (await sha256Hex(electionBytes)) !== manifest.catalog.electionSha256) {
    checks.fail(
      'V05',
      `witnesses: ${electionPath} cannot be read or is not the definition the manifest names`,
    );
    options.witnesses?.('unreadable');
  } else {
    let definition: unknown = null;
    try {
      definition = JSON.parse(new TextDecoder().decode(electionBytes));
    } catch {
      definition = null;
    }
    const policy = witnessPolicyOf(definition);
    if (policy === null) options.witnesses?.(null);
    else {
      const seen = await readWitnesses(manifest.journal.checkpoint, policy);
      checkWitnesses(checks, seen);
      witnessDetail = `; ${witnessSummary(seen)}`;
      options.witnesses?.(seen);
    }
  }
  checks.finish('V05', `${checkpointSummary(manifest)}${witnessDetail}`);

  // V04 and V06: every file, fetched and hashed; the contests' rows into their Merkle roots.
  let done = 0;
  let matched = 0;
  const total = manifest.files.length;
  const csvs = new Map(manifest.contests.map((c) => [c.csv, c]));
  const queue = [...manifest.files];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      if (!safeRelativePath(file.path) || !URL_SAFE_PATH.test(file.path))
        checks.fail('V04', unsafePathFailure(file.path));
      else {
        const bytes = await fetchBytes(`${cutId}/${file.path}`);
        const verdict = await checkListedFile(checks, web, file, bytes);
        if (verdict !== 'missing') matched++;
        const contest = csvs.get(file.path);
        if (verdict === 'matches' && bytes !== null && contest !== undefined) {
          const rows = csvRowBytes(bytes);
          checkActaRowCount(checks, contest, rows.length);
          checkActaRoot(checks, contest, toHex(await merkleRoot(rows)));
        }
      }
      done++;
      options.progress?.(done, total);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  checks.finish('V04', `${matched} files match`);
  checks.finish('V06', `${manifest.contests.length} contests`);
  return finish();
}
