/**
 * The manifest room: manifest.json's schema (V03), its signature (V01), the key's mode (V02's
 * first half) and each listed file's size and SHA-256 (V04). The verifier keeps its own reading
 * of docs/publication-format.md here, independent of the builder in src/publish/: the schema
 * is written from the document, not imported from the code that writes manifests. zod's mini
 * build keeps the site's bundle small; its messages are English once zod's locale is loaded
 * (src/verify/node_crypto.ts does so for the CLI).
 */
import * as z from 'zod/mini';
import { formatCutId, formatIsoLocal } from '../../domain/local_time.ts';
import { stableJson } from '../../platform/web/canonical_json.ts';
import type { Failures } from './report.ts';
import { type ReadFile, utf8, type VerifierCrypto } from './ports.ts';

const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const count = z.int().check(z.minimum(0));
export const manifestSchema = z.strictObject({
  format: z.literal('openprep-cut/1'),
  election: z.strictObject({
    id: z.string().check(z.minLength(1)),
    name: z.string(),
    year: z.int(),
    mode: z.enum(['simulacro', 'live']),
  }),
  cut: z.strictObject({
    id: z.string().check(z.regex(/^[0-9]{8}_[0-9]{4}$/)),
    sequence: z.int().check(z.minimum(1)),
    final: z.boolean(),
    time: z.string(),
    timeUtc: z.string(),
  }),
  previous: z.nullable(z.strictObject({ id: z.string(), journalSize: count, manifestSha256: hex64 })),
  // The release that built the cut (docs/trust.md, "The running code, attested"): null from a
  // development checkout; absent in cuts older than the field.
  release: z.optional(
    z.nullable(z.strictObject({ version: z.string().check(z.minLength(1)), sha256: hex64 })),
  ),
  journal: z.strictObject({
    size: count,
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
    z.strictObject({
      id: z.string(),
      csv: z.string(),
      actaRows: count,
      actaMerkleRoot: hex64,
    }),
  ),
  files: z.array(z.strictObject({ path: z.string(), bytes: count, sha256: hex64 })),
});
export type Manifest = z.infer<typeof manifestSchema>;

export type Loaded<T> = { value: T; error?: undefined } | { error: string; value?: undefined };

export interface LoadedManifest {
  readonly manifestBytes: Uint8Array;
  readonly manifest: Manifest;
}

/** Reads manifest.json and manifest.sig, then opens them (V01). */
export async function loadManifest(
  read: ReadFile,
  crypto: VerifierCrypto,
  checks: Failures | null,
): Promise<Loaded<LoadedManifest>> {
  const manifestBytes = await read('manifest.json');
  const signature = await read('manifest.sig');
  // Without its signature nothing in the cut is signed: V01 fails, not only V03.
  if (signature === null) checks?.fail('V01', 'manifest.sig is missing');
  else if (manifestBytes === null) checks?.fail('V01', 'manifest.json is missing: nothing is signed');
  if (manifestBytes === null || signature === null)
    return { error: 'manifest.json or manifest.sig is missing' };
  return openManifest(manifestBytes, signature, crypto, checks);
}

/** Checks the manifest's signature (V01) into `checks` and parses it: a malformed manifest is the error. */
export async function openManifest(
  manifestBytes: Uint8Array,
  signature: Uint8Array,
  crypto: VerifierCrypto,
  checks: Failures | null,
): Promise<Loaded<LoadedManifest>> {
  const note = await crypto.openNote(utf8(signature));
  const signed = note.ok ? note.body.split('\n') : [];
  if (!note.ok) {
    checks?.fail('V01', `manifest.sig: ${note.message}`);
  } else {
    if (signed[0] !== `${crypto.keyName}/cut`)
      checks?.fail('V01', `signed origin is "${signed[0]}", expected "${crypto.keyName}/cut"`);
    if (signed[2] !== `sha256 ${await crypto.sha256Hex(manifestBytes)}`)
      checks?.fail('V01', 'the signed SHA-256 is not the SHA-256 of manifest.json');
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8(manifestBytes));
  } catch (error) {
    return { error: `manifest.json is not JSON: ${(error as Error).message}` };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    return {
      error: `manifest.json: ${parsed.error.issues[0]?.message} at ${parsed.error.issues[0]?.path.join('.')}`,
    };
  if (note.ok && signed[1] !== parsed.data.cut.id)
    checks?.fail('V01', `the signature names cut ${signed[1]}, the manifest ${parsed.data.cut.id}`);
  return { value: { manifestBytes, manifest: parsed.data } };
}

/** V03 beyond the schema: published exactly as sorted-key JSON, files sorted and unique. */
export function checkManifestForm(checks: Failures, loaded: LoadedManifest): void {
  const { manifest, manifestBytes } = loaded;
  const text = utf8(manifestBytes);
  if (stableJson(JSON.parse(text)) !== text)
    checks.fail('V03', 'manifest.json is not sorted-key, 2-space JSON');
  const paths = manifest.files.map((f) => f.path);
  if (paths.some((p, i) => i > 0 && paths[i - 1]! >= p))
    checks.fail('V03', 'files are not sorted by path, or repeat');
  // The cut's three names for one moment agree: V07 formats the CSV's cut line from timeUtc in
  // the offset cut.time states, so they must be the same instant at the same offset.
  const { id, time, timeUtc } = manifest.cut;
  const instant = Date.parse(timeUtc);
  const offset = cutUtcOffsetMinutes(manifest);
  if (
    !/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/.test(timeUtc) ||
    Number.isNaN(instant) ||
    new Date(instant).toISOString() !== timeUtc
  )
    checks.fail('V03', `cut.timeUtc "${timeUtc}" is not an instant written YYYY-MM-DDTHH:MM:SS.sssZ`);
  else if (offset === null)
    checks.fail(
      'V03',
      `cut.time "${time}" is not YYYY-MM-DDTHH:MM:SS±HH:MM with an offset from -12:00 to +14:00`,
    );
  else {
    if (formatIsoLocal(instant, offset) !== time)
      checks.fail('V03', `cut.time "${time}" is not cut.timeUtc ${timeUtc} at its offset`);
    if (formatCutId(instant, offset) !== id)
      checks.fail(
        'V03',
        `cut.id "${id}" is not cut.timeUtc's local YYYYMMDD_HHMM (${formatCutId(instant, offset)})`,
      );
  }
}

/**
 * The offset from UTC, in minutes, that `cut.time` states (`…-06:00` is -360): the election's,
 * which formats every local time of the cut. Null when cut.time is not `YYYY-MM-DDTHH:MM:SS±HH:MM`
 * with minutes 00–59 and an offset within -12:00..+14:00 (the election definition's range).
 */
export function cutUtcOffsetMinutes(manifest: Manifest): number | null {
  const m = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-])([0-9]{2}):([0-9]{2})$/.exec(
    manifest.cut.time,
  );
  if (m === null || Number(m[3]) > 59) return null;
  const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  return minutes < -720 || minutes > 840 ? null : minutes;
}

export function manifestSummary(manifest: Manifest): string {
  return `${manifest.files.length} files, cut ${manifest.cut.id} #${manifest.cut.sequence}`;
}

/** V02's first half: the key's last name part is the manifest's mode, so a drill never verifies as live. */
export function checkKeyMode(checks: Failures, keyName: string, manifest: Manifest): void {
  const keyMode = keyName.split('.').at(-1);
  const mode = manifest.election.mode;
  if (keyMode !== mode) checks.fail('V02', `the key is for "${keyMode}", the manifest says "${mode}"`);
}

/**
 * V04 for one listed file, given its bytes (null when absent). `missingIsFine` is for json/,
 * published beside a zip and not in it.
 */
export async function checkListedFile(
  checks: Failures,
  crypto: VerifierCrypto,
  file: Manifest['files'][number],
  data: Uint8Array | null,
  missingIsFine = false,
): Promise<'missing' | 'differs' | 'matches'> {
  if (data === null) {
    if (!missingIsFine) checks.fail('V04', `${file.path} is missing`);
    return 'missing';
  }
  if (data.length !== file.bytes) {
    checks.fail('V04', `${file.path}: ${data.length} bytes, manifest says ${file.bytes}`);
    return 'differs';
  }
  if ((await crypto.sha256Hex(data)) !== file.sha256) {
    checks.fail('V04', `${file.path}: SHA-256 differs from the manifest`);
    return 'differs';
  }
  return 'matches';
}

export function unsafePathFailure(path: string): string {
  return `unsafe path ${JSON.stringify(path)}`;
}
