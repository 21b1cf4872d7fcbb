/**
 * The release manifest and its signatures (docs/trust.md, "1. A reproducible release"): the list
 * of every file an installed release holds, with its size, SHA-256 and mode, written as stable
 * JSON at the release's root (`release-manifest.json`). Its SHA-256 is the release hash, the one
 * number a cut names and maintainers sign. The signatures are a C2SP signed note beside it
 * (`release-manifest.sig`) whose body names the version and the hash; a node trusts a release
 * signed by at least `threshold` of the maintainers' keys it has pinned
 * (`/etc/openprep/release-keys.txt`), a file it got from somewhere other than the tarball.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';
import { openNote, parseVerifierKey, type VerifierKey } from '../journal/note.ts';
import { stableJson } from '../platform/web/canonical_json.ts';

export const RELEASE_FORMAT = 'openprep-release/1';
export const RELEASE_MANIFEST_FILE = 'release-manifest.json';
export const RELEASE_SIGNATURES_FILE = 'release-manifest.sig';
export const DEFAULT_RELEASE_KEYS_FILE = '/etc/openprep/release-keys.txt';

/** A regular file of the release. */
export interface ReleaseRegularFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** Permission bits in four octal digits: "0644" or "0755". */
  readonly mode: string;
}

/** A symbolic link of the release (node_modules/.bin): its target, relative, inside the release. */
export interface ReleaseSymlink {
  readonly path: string;
  readonly symlink: string;
}

export type ReleaseFile = ReleaseRegularFile | ReleaseSymlink;

export interface ReleaseManifest {
  readonly format: typeof RELEASE_FORMAT;
  readonly version: string;
  readonly commit: string;
  readonly sourceDateEpoch: number;
  readonly node: string;
  /** Present (true) only when it was built from a work tree with uncommitted changes. */
  readonly dirty?: true;
  readonly files: readonly ReleaseFile[];
}

export interface PinnedReleaseKeys {
  readonly keys: readonly VerifierKey[];
  readonly threshold: number;
}

export function isSymlink(file: ReleaseFile): file is ReleaseSymlink {
  return 'symlink' in file;
}

/**
 * A relative path inside the release: no leading slash, no empty, `.` or `..` segment, no
 * backslash or control character — a manifest must not name a file outside the folder it checks.
 */
function safeRelativePath(value: string): boolean {
  if (value.length === 0 || value.length > 4096 || value.startsWith('/') || value.includes('\\'))
    return false;
  if (/\p{C}/u.test(value)) return false;
  return value.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** A link's target, resolved from the link's folder, must stay inside the release. */
function symlinkStaysInside(linkPath: string, target: string): boolean {
  if (target.startsWith('/') || target.includes('\\') || target.length === 0) return false;
  const parts = linkPath.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '..') {
      if (parts.length === 0) return false;
      parts.pop();
    } else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.length > 0;
}

const relativePath = z.string().refine(safeRelativePath, 'a relative path inside the release');

const regularFile = z.strictObject({
  path: relativePath,
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256 in lowercase hex'),
  mode: z.string().regex(/^0[0-7]{3}$/, 'four octal digits'),
});
const symlinkFile = z
  .strictObject({ path: relativePath, symlink: z.string().min(1).max(4096) })
  .refine((file) => symlinkStaysInside(file.path, file.symlink), 'a symlink that points outside the release');

const manifestSchema = z.strictObject({
  format: z.literal(RELEASE_FORMAT),
  version: z.string().regex(/^[0-9A-Za-z.+-]{1,64}$/, 'a version such as 0.1.0'),
  commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a git commit (hex)'),
  sourceDateEpoch: z.number().int().min(0),
  node: z.string().regex(/^\d+\.\d+\.\d+$/, 'a Node version such as 24.21.0'),
  dirty: z.literal(true).optional(),
  files: z.array(z.union([regularFile, symlinkFile])),
});

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Sorts files by path in byte order: the manifest's one order. */
export function sortReleaseFiles<T extends { readonly path: string }>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => byteOrder(a.path, b.path));
}

/** The bytes of a manifest: stable JSON (sorted keys, two-space indentation, final newline). */
export function serializeReleaseManifest(manifest: ReleaseManifest): Buffer {
  return Buffer.from(stableJson({ ...manifest, files: sortReleaseFiles(manifest.files) }), 'utf8');
}

/** The release hash: SHA-256 (hex) of the manifest's bytes as they are on disk. */
export function releaseHash(manifestBytes: Uint8Array): string {
  return createHash('sha256').update(manifestBytes).digest('hex');
}

/**
 * Reads a manifest. Its bytes must be exactly the stable JSON of what they hold (so one release
 * has one hash), its files sorted by path in byte order with no path twice.
 */
export function parseReleaseManifest(bytes: Uint8Array): Result<ReleaseManifest, 'bad-release-manifest'> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    return err('bad-release-manifest', `the release manifest is not JSON: ${(error as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return err(
      'bad-release-manifest',
      `the release manifest is not ${RELEASE_FORMAT}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  const manifest = parsed.data as ReleaseManifest;
  for (let i = 1; i < manifest.files.length; i++) {
    const order = byteOrder(manifest.files[i - 1]!.path, manifest.files[i]!.path);
    if (order >= 0)
      return err(
        'bad-release-manifest',
        order === 0
          ? `the release manifest lists ${manifest.files[i]!.path} twice`
          : `the release manifest's files are not sorted by path (at ${manifest.files[i]!.path})`,
      );
  }
  if (!serializeReleaseManifest(manifest).equals(Buffer.from(bytes)))
    return err('bad-release-manifest', 'the release manifest is not in its canonical form (stable JSON)');
  return ok(manifest);
}

/** The body maintainers sign: the format, the version and the release hash. */
export function releaseStatement(version: string, sha256Hex: string): string {
  return `${RELEASE_FORMAT}\n${version}\nsha256 ${sha256Hex}\n`;
}

/** Reads a statement's version and hash back; null when the body is not one. */
export function parseReleaseStatement(body: string): { version: string; sha256: string } | null {
  const match = /^openprep-release\/1\n([0-9A-Za-z.+-]{1,64})\nsha256 ([0-9a-f]{64})\n$/.exec(body);
  return match === null ? null : { version: match[1]!, sha256: match[2]! };
}

/**
 * Reads the pinned keys: one verifier key per line (`<name>+<key id>+<base64 key>`), `#`
 * comments and blank lines, and exactly one `threshold <k>` line. A file holding fewer keys
 * than its threshold is refused — it could never accept a release, and the likely cause is a
 * key left out by mistake — as are two keys of one name (a maintainer counts once).
 */
export function parseReleaseKeys(text: string): Result<PinnedReleaseKeys, 'bad-release-keys'> {
  const keys: VerifierKey[] = [];
  let threshold: number | null = null;
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `line ${index + 1}`;
    if (line.startsWith('threshold')) {
      const match = /^threshold\s+([1-9][0-9]{0,2})$/.exec(line);
      if (match === null)
        return err('bad-release-keys', `${where}: the threshold line is "threshold <k>", k ≥ 1`);
      if (threshold !== null) return err('bad-release-keys', `${where}: a second threshold line`);
      threshold = Number(match[1]);
      continue;
    }
    const key = parseVerifierKey(line);
    if (!key.ok) return err('bad-release-keys', `${where}: ${key.message}`);
    if (keys.some((other) => other.name === key.value.name))
      return err('bad-release-keys', `${where}: a second key named ${key.value.name}`);
    keys.push(key.value);
  }
  if (threshold === null) return err('bad-release-keys', 'the release keys file has no "threshold <k>" line');
  if (keys.length < threshold)
    return err(
      'bad-release-keys',
      `the release keys file holds ${keys.length} key(s), fewer than its threshold ${threshold}`,
    );
  return ok({ keys, threshold });
}

/**
 * Checks a release's signatures: the note must be a statement of this manifest's version and
 * hash, every pinned key's signature on it must verify, and at least `threshold` distinct pinned
 * maintainers must have signed. Signatures by keys not pinned are ignored.
 */
export function verifyReleaseSignatures(
  sigNote: string,
  manifestBytes: Uint8Array,
  pinned: PinnedReleaseKeys,
): Result<{ signers: string[] }, 'release-unsigned' | 'release-threshold' | 'bad-release-signature'> {
  const opened = openNote(sigNote, pinned.keys);
  if (!opened.ok) {
    if (opened.code === 'no-known-signature')
      return err('release-unsigned', 'the release carries no signature by a pinned maintainer key');
    return err('bad-release-signature', `the release signatures: ${opened.message}`);
  }
  const statement = parseReleaseStatement(opened.value.body);
  if (statement === null)
    return err('bad-release-signature', `the signed note is not an ${RELEASE_FORMAT} statement`);
  const hash = releaseHash(manifestBytes);
  if (statement.sha256 !== hash)
    return err(
      'bad-release-signature',
      `the signatures are for release ${statement.sha256}, not for this manifest (${hash})`,
    );
  const manifest = parseReleaseManifest(manifestBytes);
  if (manifest.ok && manifest.value.version !== statement.version)
    return err(
      'bad-release-signature',
      `the signatures name version ${statement.version}, the manifest ${manifest.value.version}`,
    );
  const signers = [...new Set(opened.value.verifiedBy)].sort();
  if (signers.length < pinned.threshold)
    return err(
      'release-threshold',
      `the release is signed by ${signers.length} pinned maintainer(s) (${signers.join(', ')}), ${pinned.threshold} are required`,
    );
  return ok({ signers });
}
