/**
 * The attestation of the running code (docs/trust.md, "The running code, attested"). bin/openprep.js
 * runs this BEFORE it loads the application: in an installed release (a `release-manifest.json`
 * at the install root) it checks the manifest's signatures against the pinned release keys and
 * every file the manifest lists against the disk, and the process refuses to start on any
 * difference. It imports only node built-ins and the small release code (manifest.ts,
 * installed.ts, and what they import: note.ts, canonical JSON), so what it checks is everything
 * that runs after it — all but itself and its few imports, which are listed too, so a change to
 * them is caught by the next start of an unmodified bootstrap and by the periodic re-check.
 *
 * What it leaves for the application is a value, `currentAttestation()`: a module is loaded once
 * per process, so the application reads the result the bootstrap recorded here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Ok } from '../domain/result.ts';

/**
 * The code the check itself loads, beyond this file and node built-ins: it is compared with the
 * manifest's hashes (with node:crypto alone) BEFORE it is imported, so a changed zod or note.ts
 * cannot make the signature check pass. The manifest is not trusted yet at that point; the
 * signature check that follows, by the code just found equal to what it lists, is what makes it
 * trusted (a forged manifest listing forged files fails there). bootstrap.test.ts holds this list
 * to the imports of manifest.ts and installed.ts, followed to the end.
 */
export const CHECKER_FILES: readonly string[] = [
  'src/domain/result.ts',
  'src/journal/note.ts',
  'src/platform/web/canonical_json.ts',
  'src/release/installed.ts',
  'src/release/manifest.ts',
];
/** Packages the checker loads (every file of theirs the manifest lists is compared). */
export const CHECKER_PACKAGES: readonly string[] = ['node_modules/zod/'];

/**
 * The exit status of a process that refused to run because its release does not check: no other
 * command of the CLI uses it (0, 1, 2; 3 and 4 for `security leak-check`; 130 on an interrupt),
 * nor does Node itself (1–14, and 128 + a signal). A service manager told not to restart on it
 * (systemd `RestartPreventExitStatus=20`) does not loop on modified code.
 */
export const RELEASE_REFUSED_EXIT = 20;

/** Where the pinned release keys are, unless `OPENPREP_RELEASE_KEYS` names another file. */
export const DEFAULT_RELEASE_KEYS = '/etc/openprep/release-keys.txt';

export const RELEASE_MANIFEST = 'release-manifest.json';
export const RELEASE_SIGNATURE = 'release-manifest.sig';

export type Difference = {
  readonly path: string;
  readonly problem: 'missing' | 'changed' | 'unexpected' | 'mode';
};

/** What the process runs: a checked release, or a development checkout nobody signed. */
export type Attestation =
  | { readonly kind: 'development' }
  | {
      readonly kind: 'attested';
      readonly root: string;
      readonly version: string;
      readonly commit: string;
      /** SHA-256 (hex) of `release-manifest.json`: the release hash the public compares. */
      readonly sha256: string;
      /** The pinned maintainers whose signatures verified, sorted. */
      readonly signers: readonly string[];
      readonly files: number;
      /** How long the check took, in milliseconds (files read and hashed). */
      readonly checkMs: number;
    };

export type Attested = Extract<Attestation, { kind: 'attested' }>;

export type AttestationCode =
  | 'release-keys-unreadable'
  | 'bad-release-keys'
  | 'release-unreadable'
  | 'bad-release-manifest'
  | 'release-unsigned'
  | 'release-threshold'
  | 'bad-release-signature'
  | 'release-modified';

export type AttestationFailure = {
  readonly code: AttestationCode;
  readonly message: string;
  readonly differences: readonly Difference[];
};

const DEVELOPMENT: Attestation = { kind: 'development' };
let current: Attestation = DEVELOPMENT;

/**
 * The attestation of this process: what the bootstrap recorded, or a development checkout when it
 * recorded nothing (a git checkout, the tests that run the CLI in their own process).
 */
export function currentAttestation(): Attestation {
  return current;
}

/** The differences a person reads: at most `limit` lines, then how many more. */
export function describeDifferences(differences: readonly Difference[], limit = 20): string {
  const lines = differences.slice(0, limit).map((d) => `  ${d.path}: ${PROBLEM[d.problem]}`);
  if (differences.length > limit) lines.push(`  (and ${differences.length - limit} more)`);
  return lines.join('\n');
}

const PROBLEM: Record<Difference['problem'], string> = {
  missing: 'missing (listed in the release manifest, not on disk)',
  changed: 'changed (its size or SHA-256 is not the one the release manifest lists)',
  unexpected: 'unexpected (not in the release manifest)',
  mode: 'mode changed (not the one the release manifest lists)',
};

/**
 * Checks the install at `root` against its signed manifest and the pinned keys. Pure of any
 * process state: the start and the periodic re-check both call it.
 */
export async function attestRelease(
  root: string,
  env: NodeJS.ProcessEnv,
): Promise<Ok<Attested> | AttestationFailureResult> {
  const started = performance.now();
  const keysFile = env['OPENPREP_RELEASE_KEYS'] || DEFAULT_RELEASE_KEYS;
  let keysText: string;
  try {
    keysText = await readFile(keysFile, 'utf8');
  } catch (error) {
    return failed(
      'release-keys-unreadable',
      `cannot read the pinned release keys ${keysFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (install them, or set OPENPREP_RELEASE_KEYS; docs/deployment.md, "Packaging")`,
    );
  }
  let manifestBytes: Buffer;
  let signature: string;
  try {
    manifestBytes = await readFile(path.join(root, RELEASE_MANIFEST));
    signature = await readFile(path.join(root, RELEASE_SIGNATURE), 'utf8');
  } catch (error) {
    return failed(
      'release-unreadable',
      `cannot read the release's manifest or its signatures in ${root}: ${(error as Error).message}`,
    );
  }
  const early = await precheckChecker(root, manifestBytes);
  if (early !== null) return early;
  const { checkInstalledRelease } = await import('./installed.ts');
  const { parseReleaseKeys, parseReleaseManifest, verifyReleaseSignatures } = await import('./manifest.ts');
  const pinned = parseReleaseKeys(keysText);
  if (!pinned.ok) return failed('bad-release-keys', `${keysFile}: ${pinned.message}`);
  const manifest = parseReleaseManifest(manifestBytes);
  if (!manifest.ok) return failed('bad-release-manifest', `${RELEASE_MANIFEST}: ${manifest.message}`);
  const signed = verifyReleaseSignatures(signature, manifestBytes, pinned.value);
  if (!signed.ok) return failed(signed.code, `${RELEASE_SIGNATURE}: ${signed.message}`);
  const checked = await checkInstalledRelease(root, manifest.value);
  if (checked.differences.length > 0)
    return failed(
      'release-modified',
      `${checked.differences.length} file(s) differ from release ${manifest.value.version}:\n${describeDifferences(checked.differences)}`,
      checked.differences,
    );
  return {
    ok: true,
    value: {
      kind: 'attested',
      root,
      version: manifest.value.version,
      commit: manifest.value.commit,
      sha256: createHash('sha256').update(manifestBytes).digest('hex'),
      signers: signed.value.signers,
      files: manifest.value.files.length,
      checkMs: Math.round(performance.now() - started),
    },
  };
}

export type AttestationFailureResult = { readonly ok: false } & AttestationFailure;

function failed(
  code: AttestationCode,
  message: string,
  differences: readonly Difference[] = [],
): AttestationFailureResult {
  return { ok: false, code, message, differences };
}

/**
 * What bin/openprep.js calls in an installed release, before anything else: returns null when the
 * release checks (and records it for the application), else writes the refusal to `stderr` and
 * returns the exit status the process must end with.
 */
export async function attestAtStart(
  root: string,
  env: NodeJS.ProcessEnv,
  stderr: { write(text: string): unknown },
): Promise<number | null> {
  // Code preloaded through Node's own options runs before this check and is not in the manifest.
  const preload =
    preloadedCode(env['NODE_OPTIONS'] ?? '', process.execArgv) ??
    // A compile cache is compiled code Node runs in place of a source whose hash it matches: a
    // planted entry would run unchecked (bin/openprep.js enables none in an installed release).
    (env['NODE_COMPILE_CACHE'] ? 'NODE_COMPILE_CACHE' : null);
  if (preload !== null) {
    stderr.write(
      `openprep: refusing to start: ${preload} loads code before the release is checked; an installed release runs without it.\n`,
    );
    return RELEASE_REFUSED_EXIT;
  }
  const result = await attestRelease(root, env);
  if (!result.ok) {
    stderr.write(
      `openprep: refusing to start: this installed release does not check (${result.code}).\n${result.message}\n` +
        'Reinstall the release from its signed tarball; nothing of the application was loaded (docs/deployment.md, "When a node refuses to start").\n',
    );
    return RELEASE_REFUSED_EXIT;
  }
  current = result.value;
  return null;
}

const PRELOAD = /^(?:-r|--require|--import|--loader|--experimental-loader)(?:=|$)/;

/** The Node option that preloads code, if any is given (NODE_OPTIONS or the command line). */
export function preloadedCode(nodeOptions: string, execArgv: readonly string[]): string | null {
  const given = [...nodeOptions.split(/\s+/).filter((o) => o !== ''), ...execArgv];
  const found = given.find((option) => PRELOAD.test(option));
  return found === undefined ? null : `the Node option ${found.split('=')[0]}`;
}

/**
 * The checker's own files against the (not yet trusted) manifest, with node built-ins only: null
 * when each is listed and equal, else the failure naming them.
 */
async function precheckChecker(
  root: string,
  manifestBytes: Buffer,
): Promise<AttestationFailureResult | null> {
  let files: unknown;
  try {
    files = (JSON.parse(manifestBytes.toString('utf8')) as { files?: unknown }).files;
  } catch (error) {
    return failed('bad-release-manifest', `${RELEASE_MANIFEST}: not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(files)) return failed('bad-release-manifest', `${RELEASE_MANIFEST}: no list of files`);
  const listed = new Map<string, { bytes?: unknown; sha256?: unknown }>();
  for (const file of files as { path?: unknown; bytes?: unknown; sha256?: unknown }[])
    if (typeof file?.path === 'string') listed.set(file.path, file);
  const wanted = [
    ...CHECKER_FILES,
    ...[...listed.keys()].filter((p) => CHECKER_PACKAGES.some((prefix) => p.startsWith(prefix))),
  ];
  const differences: Difference[] = [];
  for (const relative of wanted) {
    const entry = listed.get(relative);
    if (entry === undefined) {
      differences.push({ path: relative, problem: 'missing' });
      continue;
    }
    if (typeof entry.sha256 !== 'string') continue; // a link: the full check compares its target
    let bytes: Buffer;
    try {
      bytes = await readFile(path.join(root, ...relative.split('/')));
    } catch {
      differences.push({ path: relative, problem: 'missing' });
      continue;
    }
    if (bytes.length !== entry.bytes || createHash('sha256').update(bytes).digest('hex') !== entry.sha256)
      differences.push({ path: relative, problem: 'changed' });
  }
  if (differences.length === 0) return null;
  return failed(
    'release-modified',
    `the release check's own code differs from the release manifest:\n${describeDifferences(differences)}`,
    differences,
  );
}
