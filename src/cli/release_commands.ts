/**
 * `openprep release keygen | sign | verify`: the maintainers' side of a release and the
 * operator's check of one (src/release/manifest.ts; docs/trust.md, "1. A reproducible
 * release"). Keys are the project's one key format (src/journal/keys.ts: `<name>.key`, PKCS#8
 * PEM, 0600, and `<name>.pub`); signatures are one signed note per release with a line per
 * maintainer.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileKeyBackend } from '../journal/key_backend.ts';
import { generateSigningKey, saveSigningKey, verifierKeyText } from '../journal/keys.ts';
import { signNoteWith } from '../journal/note.ts';
import { pathExists, writeFileDurably } from '../platform/durable_file.ts';
import { checkInstalledRelease, type InstalledDifference } from '../release/installed.ts';
import {
  DEFAULT_RELEASE_KEYS_FILE,
  parseReleaseKeys,
  parseReleaseManifest,
  RELEASE_MANIFEST_FILE,
  RELEASE_SIGNATURES_FILE,
  releaseHash,
  releaseStatement,
  verifyReleaseSignatures,
} from '../release/manifest.ts';
import { parseCommandArgs } from './args.ts';
import { releaseKeygen, releaseSign, releaseVerify } from './commands.ts';

const failAs =
  (command: string) =>
  (message: string, code = 1): number => {
    process.stderr.write(`openprep ${command}: ${message}\n`);
    return code;
  };

/** The signatures of a manifest: `X.json` → `X.sig` beside it (release-manifest.sig at a release's root). */
export function signaturesFileOf(manifestFile: string): string {
  return manifestFile.endsWith('.json') ? `${manifestFile.slice(0, -5)}.sig` : `${manifestFile}.sig`;
}

async function readBytes(file: string): Promise<Buffer | string> {
  try {
    return await readFile(file);
  } catch (error) {
    return `cannot read ${file}: ${(error as Error).message}`;
  }
}

export async function runReleaseKeygen(args: readonly string[]): Promise<number> {
  const fail = failAs('release keygen');
  const parsed = parseCommandArgs(args, releaseKeygen.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  if (parsed.value.positionals.length > 0)
    return fail(`unexpected argument ${parsed.value.positionals[0]}`, 2);
  const { name, out } = parsed.value.options;
  if (await pathExists(path.join(out, `${name}.key`)))
    return fail(`${path.join(out, `${name}.key`)} exists: a key is never overwritten`);
  const signer = generateSigningKey(name);
  const written = await saveSigningKey(out, signer);
  process.stdout.write(
    `${verifierKeyText(signer)}\n` +
      `private key: ${written.key} (mode 0600: keep it offline)\npublic key: ${written.pub} (add its line to deploy/release-keys.txt)\n`,
  );
  return 0;
}

export async function runReleaseSign(args: readonly string[]): Promise<number> {
  const fail = failAs('release sign');
  const parsed = parseCommandArgs(args, releaseSign.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const [manifestFile, ...rest] = parsed.value.positionals;
  if (manifestFile === undefined) return fail('name the release manifest to sign', 2);
  if (rest.length > 0) return fail(`unexpected argument ${rest[0]}`, 2);
  const bytes = await readBytes(manifestFile);
  if (typeof bytes === 'string') return fail(bytes);
  const manifest = parseReleaseManifest(bytes);
  if (!manifest.ok) return fail(manifest.message);
  const key = await fileKeyBackend(parsed.value.options.key);
  if (!key.ok) return fail(key.message);
  const hash = releaseHash(bytes);
  const statement = releaseStatement(manifest.value.version, hash);
  const sigFile = signaturesFileOf(manifestFile);
  let existing = '';
  if (await pathExists(sigFile)) {
    existing = await readFile(sigFile, 'utf8');
    const split = existing.indexOf('\n\n');
    if (split < 0 || existing.slice(0, split + 1) !== statement)
      return fail(
        `${sigFile} signs another release than ${manifestFile} (sha256 ${hash}): move it away or sign the manifest it names`,
      );
    const lines = existing.slice(split + 2).split('\n');
    if (lines.some((line) => line.startsWith(`\u2014 ${key.value.name} `)))
      return fail(`${sigFile} already holds a signature by ${key.value.name}`);
  }
  const note = await signNoteWith(statement, key.value);
  const line = note.slice(statement.length + 1);
  const text = existing === '' ? note : `${existing}${line}`;
  await writeFileDurably(sigFile, text, 0o644);
  const count = text
    .slice(text.indexOf('\n\n') + 2)
    .split('\n')
    .filter(Boolean).length;
  process.stdout.write(
    `signed ${manifest.value.version} (sha256 ${hash}) as ${key.value.name}: ${sigFile} holds ${count} signature(s)\n`,
  );
  return 0;
}

export async function runReleaseVerify(args: readonly string[]): Promise<number> {
  const fail = failAs('release verify');
  const parsed = parseCommandArgs(args, releaseVerify.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const [target, ...rest] = parsed.value.positionals;
  if (target === undefined) return fail('name an installed release folder or a release manifest', 2);
  if (rest.length > 0) return fail(`unexpected argument ${rest[0]}`, 2);
  const o = parsed.value.options;
  let folder: string | null = null;
  try {
    if ((await stat(target)).isDirectory()) folder = target;
  } catch (error) {
    return fail(`cannot read ${target}: ${(error as Error).message}`);
  }
  const manifestFile = folder === null ? target : path.join(folder, RELEASE_MANIFEST_FILE);
  const sigFile = folder === null ? signaturesFileOf(target) : path.join(folder, RELEASE_SIGNATURES_FILE);
  const bytes = await readBytes(manifestFile);
  if (typeof bytes === 'string') return fail(bytes);
  const manifest = parseReleaseManifest(bytes);
  if (!manifest.ok) return fail(manifest.message);
  const hash = releaseHash(bytes);

  const problems: string[] = [];
  let signers: string[] = [];
  const keysFile = o.keys ?? process.env.OPENPREP_RELEASE_KEYS ?? DEFAULT_RELEASE_KEYS_FILE;
  const keysText = await readBytes(keysFile);
  const keys = typeof keysText === 'string' ? null : parseReleaseKeys(keysText.toString('utf8'));
  const sig = await readBytes(sigFile);
  if (typeof keysText === 'string') problems.push(`release-keys: ${keysText}`);
  else if (keys !== null && !keys.ok) problems.push(`${keys.code}: ${keysFile}: ${keys.message}`);
  else if (typeof sig === 'string') problems.push(`release-unsigned: ${sig}`);
  else if (keys?.ok) {
    const verified = verifyReleaseSignatures(sig.toString('utf8'), bytes, keys.value);
    if (verified.ok) signers = verified.value.signers;
    else problems.push(`${verified.code}: ${verified.message}`);
  }
  let differences: InstalledDifference[] = [];
  if (folder !== null) differences = (await checkInstalledRelease(folder, manifest.value)).differences;

  const good = problems.length === 0 && differences.length === 0;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({
        ok: good,
        version: manifest.value.version,
        commit: manifest.value.commit,
        releaseHash: hash,
        signers,
        problems,
        differences,
        ...(manifest.value.dirty === true ? { dirty: true } : {}),
      })}\n`,
    );
  } else {
    const out = good ? process.stdout : process.stderr;
    out.write(
      `release ${manifest.value.version} (commit ${manifest.value.commit}${manifest.value.dirty === true ? ', built from a dirty work tree' : ''}) sha256 ${hash}\n`,
    );
    if (signers.length > 0) out.write(`signed by ${signers.join(', ')}\n`);
    for (const problem of problems) out.write(`${problem}\n`);
    for (const difference of differences) out.write(`${difference.problem}: ${difference.path}\n`);
    if (folder !== null && differences.length === 0)
      out.write(`every one of its ${manifest.value.files.length} files is as released\n`);
  }
  return good ? 0 : 1;
}
