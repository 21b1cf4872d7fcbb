/**
 * "Verify this cut" in the reader's browser, with WebCrypto only: the checks of
 * docs/verification.md that need nothing but the published files and the election's public
 * key — the manifest's signature (V01), drill or live (V02), the manifest's form (V03), every
 * listed file's size and SHA-256 (V04), the journal checkpoint (V05), each contest's Merkle
 * root over its acta rows (V06) — and the signed `latest` pointer. The rest (the PREP rules on
 * every row, aggregates, the catalog, the previous cut, images) is `npx openprep verify`'s.
 * The same code runs in Node's tests (Node has WebCrypto and fetch). Its manifest schema
 * restates src/verify/verify.ts's in zod's mini build, which keeps the page small: a second,
 * independent reading of docs/publication-format.md, as the verifier is meant to have.
 */
import * as z from 'zod/mini';
import { openNoteWeb, parseVerifierKeyWeb, sha256Hex, toHex } from '../platform/web/web_crypto.ts';
import { stableJson } from '../platform/web/canonical_json.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';
export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

export const BROWSER_CHECKS = {
  V00: 'signed latest pointer',
  V01: 'manifest signature',
  V02: 'drill or live mode',
  V03: 'manifest well-formed',
  V04: 'file sizes and hashes',
  V05: 'journal checkpoint',
  V06: 'acta Merkle roots',
} as const;
type BrowserCheck = keyof typeof BROWSER_CHECKS;

const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const manifestSchema = z.strictObject({
  format: z.literal('openprep-cut/1'),
  election: z.strictObject({
    id: z.string(),
    name: z.string(),
    year: z.number(),
    mode: z.enum(['simulacro', 'live']),
  }),
  cut: z.strictObject({
    id: z.string().check(z.regex(/^\d{8}_\d{4}$/)),
    sequence: z.number(),
    final: z.boolean(),
    time: z.string(),
    timeUtc: z.string(),
  }),
  previous: z.nullable(z.strictObject({ id: z.string(), journalSize: z.number(), manifestSha256: hex64 })),
  journal: z.strictObject({
    size: z.number(),
    rootHash: z.string(),
    checkpoint: z.string(),
    consistencyProof: z.array(z.string()),
  }),
  catalog: z.strictObject({
    path: z.string(),
    sha256: hex64,
    electionPath: z.string(),
    electionSha256: hex64,
  }),
  contests: z.array(
    z.strictObject({ id: z.string(), csv: z.string(), actaRows: z.number(), actaMerkleRoot: hex64 }),
  ),
  files: z.array(z.strictObject({ path: z.string(), bytes: z.number(), sha256: hex64 })),
});
type Manifest = z.infer<typeof manifestSchema>;

const SAFE_PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** RFC 6962 tree hash over leaf data, level by level (an unpaired last node moves up as is). */
export async function merkleRoot(leaves: readonly Uint8Array[]): Promise<Uint8Array> {
  const digest = async (prefix: number, ...parts: Uint8Array[]) => {
    const length = parts.reduce((n, p) => n + p.length, 1);
    const input = new Uint8Array(length);
    input[0] = prefix;
    let at = 1;
    for (const p of parts) {
      input.set(p, at);
      at += p.length;
    }
    return new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  };
  if (leaves.length === 0) return new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(0)));
  let level: Uint8Array[] = await Promise.all(leaves.map((leaf) => digest(0x00, leaf)));
  while (level.length > 1) {
    const next: Promise<Uint8Array>[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(digest(0x01, level[i]!, level[i + 1]!));
    const carried = level.length % 2 === 1 ? level[level.length - 1]! : null;
    level = await Promise.all(next);
    if (carried !== null) level.push(carried);
  }
  return level[0]!;
}

/** The acta rows of a results CSV (line 8 on), each without its `\r`, split outside quotes. */
export function csvRowBytes(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let quoted = false;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x22) quoted = !quoted;
    else if (b === 0x0d && !quoted) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines.slice(7);
}

export type VerifyProgress = (done: number, total: number) => void;

/**
 * Checks the cut `latest.json` names (or `cutId`) under `base` (the publication's root URL,
 * ending in `/`) against `keyText`, the election's verifier key as the institute published it.
 */
export async function verifyCutInBrowser(options: {
  readonly base: string;
  readonly keyText: string;
  readonly cutId?: string;
  readonly progress?: VerifyProgress;
}): Promise<CheckResult[]> {
  const results = new Map<BrowserCheck, CheckResult>();
  const set = (id: BrowserCheck, status: CheckStatus, detail: string) => {
    const before = results.get(id);
    if (before?.status === 'fail' && status !== 'fail') return;
    results.set(id, { id, title: BROWSER_CHECKS[id], status, detail });
  };
  const finish = () =>
    (Object.keys(BROWSER_CHECKS) as BrowserCheck[]).map(
      (id) =>
        results.get(id) ?? { id, title: BROWSER_CHECKS[id], status: 'skip' as const, detail: 'not reached' },
    );
  const fetchBytes = async (path: string): Promise<Uint8Array<ArrayBuffer> | null> => {
    try {
      const response = await fetch(new URL(path, options.base), { cache: 'no-cache' });
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
    } catch {
      return null;
    }
  };
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

  const key = await parseVerifierKeyWeb(options.keyText).catch(() => null);
  if (key === null) {
    set('V01', 'fail', 'the public key is not a verifier key (<name>+<id>+<base64>)');
    return finish();
  }

  // The pointer: signed, and naming the cut checked.
  let cutId = options.cutId;
  const latest = await fetchBytes('latest.json');
  const latestSig = await fetchBytes('latest.sig');
  if (latest === null || latestSig === null)
    set('V00', 'skip', 'latest.json or latest.sig is not published here');
  else {
    const body = await openNoteWeb(text(latestSig), key);
    const pointer = (() => {
      try {
        return JSON.parse(text(latest)) as { cut?: unknown };
      } catch {
        return {};
      }
    })();
    if (body === null) set('V00', 'fail', 'latest.sig is not signed by this key');
    else if (body !== `${key.name}/latest\n${String(pointer.cut)}\nsha256 ${await sha256Hex(latest)}\n`)
      set('V00', 'fail', 'latest.sig does not sign these latest.json bytes');
    else set('V00', 'pass', `points to ${String(pointer.cut)}`);
    if (cutId === undefined && typeof pointer.cut === 'string') cutId = pointer.cut;
  }
  if (cutId === undefined || !/^\d{8}_\d{4}$/.test(cutId)) {
    set('V01', 'fail', 'no cut to check');
    return finish();
  }

  const manifestBytes = await fetchBytes(`${cutId}/manifest.json`);
  const signature = await fetchBytes(`${cutId}/manifest.sig`);
  if (manifestBytes === null || signature === null) {
    set('V01', 'fail', `${cutId}/manifest.json or manifest.sig is missing`);
    return finish();
  }
  const body = await openNoteWeb(text(signature), key);
  if (body === null) set('V01', 'fail', 'manifest.sig has no valid signature by this key');
  else if (body !== `${key.name}/cut\n${cutId}\nsha256 ${await sha256Hex(manifestBytes)}\n`)
    set('V01', 'fail', 'manifest.sig does not sign these manifest.json bytes for this cut');
  else set('V01', 'pass', `signed by ${key.name}`);

  let manifest: Manifest;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text(manifestBytes)));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      set('V03', 'fail', `manifest.json: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
      return finish();
    }
    manifest = parsed.data;
  } catch {
    set('V03', 'fail', 'manifest.json is not JSON');
    return finish();
  }
  const paths = manifest.files.map((f) => f.path);
  if (stableJson(manifest) !== text(manifestBytes)) set('V03', 'fail', 'not sorted-key, 2-space JSON');
  else if (paths.some((p, i) => i > 0 && paths[i - 1]! >= p))
    set('V03', 'fail', 'files not sorted or repeated');
  else if (manifest.cut.id !== cutId) set('V03', 'fail', `the manifest is of cut ${manifest.cut.id}`);
  else set('V03', 'pass', `${manifest.files.length} files, cut ${manifest.cut.id} #${manifest.cut.sequence}`);

  const keyMode = key.name.split('.').at(-1);
  if (keyMode !== manifest.election.mode)
    set('V02', 'fail', `the key is for ${keyMode ?? '?'}, the cut says ${manifest.election.mode}`);
  else set('V02', 'pass', manifest.election.mode);

  // V05: the checkpoint note, signed, stating the manifest's size and root.
  const checkpoint = await openNoteWeb(manifest.journal.checkpoint, key);
  const lines = checkpoint?.split('\n') ?? [];
  if (checkpoint === null) set('V05', 'fail', 'the checkpoint is not signed by this key');
  else if (
    lines[0] !== `${key.name}/log` ||
    lines[1] !== String(manifest.journal.size) ||
    lines[2] !== manifest.journal.rootHash
  )
    set('V05', 'fail', 'the checkpoint does not state the manifest’s journal size and root');
  else set('V05', 'pass', `journal of ${manifest.journal.size} entries`);

  // V04 and V06: every file, fetched and hashed; the contests' rows into their Merkle roots.
  let done = 0;
  const total = manifest.files.length;
  const csvs = new Map(manifest.contests.map((c) => [c.csv, c]));
  let bad = 0;
  const queue = [...manifest.files];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      if (!SAFE_PATH.test(file.path)) {
        set('V04', 'fail', `${file.path}: not a safe relative path`);
        bad++;
      } else {
        const bytes = await fetchBytes(`${cutId}/${file.path}`);
        if (bytes === null) {
          set('V04', 'fail', `${file.path} is missing`);
          bad++;
        } else if (bytes.length !== file.bytes || (await sha256Hex(bytes)) !== file.sha256) {
          set('V04', 'fail', `${file.path} is not the file the manifest lists`);
          bad++;
        } else {
          const contest = csvs.get(file.path);
          if (contest !== undefined) {
            const rows = csvRowBytes(bytes);
            const root = toHex(await merkleRoot(rows));
            if (rows.length !== contest.actaRows || root !== contest.actaMerkleRoot)
              set('V06', 'fail', `${contest.id}: the rows of ${file.path} do not give the manifest's root`);
          }
        }
      }
      done++;
      options.progress?.(done, total);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  if (bad === 0) set('V04', 'pass', `${total} files match`);
  set('V06', 'pass', `${manifest.contests.length} contests`);
  return finish();
}
