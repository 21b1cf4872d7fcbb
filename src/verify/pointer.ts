/**
 * V16: the signed `latest` pointer of the cuts folder a cut folder sits in (`<cuts>/latest.json`
 * and `latest.sig`, written after every cut by src/publish/cut_writer.ts). The core checks the
 * signature and the form (the site's V00, src/verify/core/pointer.ts), and here also the
 * published schema (docs/schemas/latest.schema.json). With the folder at hand, the pointer must
 * also name a cut published beside this one — its manifest's SHA-256 and local time — that is
 * not older than this cut: the pointer only moves forward.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type LoadedManifest, type Manifest, manifestSchema } from './core/manifest.ts';
import { openLatestPointer } from './core/pointer.ts';
import { utf8, type VerifierCrypto } from './core/ports.ts';
import type { Checks } from './core/report.ts';
import type { CutSource } from './cut_source.ts';
import { bytesSchemaFailure } from './schemas.ts';

async function readOrNull(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch {
    return null;
  }
}

export async function checkLatestPointer(
  checks: Checks,
  source: CutSource,
  crypto: VerifierCrypto,
  loaded: LoadedManifest,
): Promise<void> {
  if (source.kind === 'zip') {
    checks.skip('V16', 'a zip alone has no cuts folder: verify the cut folder to check latest.json');
    return;
  }
  const root = path.dirname(path.resolve(source.location));
  const latest = await readOrNull(path.join(root, 'latest.json'));
  const signature = await readOrNull(path.join(root, 'latest.sig'));
  if (latest === null && signature === null) {
    checks.skip('V16', 'no latest.json beside the cut folder');
    return;
  }
  if (latest === null || signature === null) {
    checks.fail('V16', `${latest === null ? 'latest.json' : 'latest.sig'} is missing beside the other`);
    checks.finish('V16', '');
    return;
  }
  const opened = await openLatestPointer(latest, signature, crypto);
  for (const failure of opened.failures) checks.fail('V16', failure);
  const shape = bytesSchemaFailure('latest', latest, 'latest.json');
  if (shape !== null) checks.fail('V16', shape);
  const pointer = opened.pointer;
  const { manifest, manifestBytes } = loaded;
  if (pointer !== null) {
    const here = pointer.cut === manifest.cut.id;
    const pointedBytes = here
      ? manifestBytes
      : await readOrNull(path.join(root, pointer.cut, 'manifest.json'));
    if (pointedBytes === null)
      checks.fail('V16', `latest.json points to ${pointer.cut}, which is not published beside this cut`);
    else if ((await crypto.sha256Hex(pointedBytes)) !== pointer.manifestSha256)
      checks.fail('V16', `latest.json's manifestSha256 is not the SHA-256 of ${pointer.cut}/manifest.json`);
    else {
      const pointed = here ? manifest : parseManifest(pointedBytes);
      if (pointed === null) checks.fail('V16', `${pointer.cut}/manifest.json is not a cut's manifest`);
      else {
        if (pointed.cut.id !== pointer.cut)
          checks.fail('V16', `${pointer.cut}/manifest.json is the manifest of cut ${pointed.cut.id}`);
        if (pointed.cut.time !== pointer.time)
          checks.fail(
            'V16',
            `latest.json's time "${pointer.time}" is not ${pointer.cut}'s "${pointed.cut.time}"`,
          );
        if (pointed.cut.sequence < manifest.cut.sequence)
          checks.fail(
            'V16',
            `latest.json points back to ${pointer.cut} (#${pointed.cut.sequence}), behind this cut (#${manifest.cut.sequence})`,
          );
      }
    }
  }
  checks.finish('V16', `points to ${pointer?.cut ?? String(opened.namedCut)}`);
}

/** The pointed cut's manifest, read for its id, time and sequence (its signature is that cut's own V01). */
function parseManifest(bytes: Uint8Array): Manifest | null {
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(utf8(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
