/**
 * V14 for a cut folder: the zip published in it (which must be there) carries exactly the
 * signed manifest and the files it lists, every entry dated 1980-01-01 00:00 (a zip opened on
 * its own is checked as it is read, in cut_source.ts). The zip is hostile input, read with
 * platform/zip.ts's limits, entry by entry.
 */
import path from 'node:path';
import { readZipEntries, type ZipEntryTime } from '../platform/zip.ts';
import type { LoadedManifest } from './core/manifest.ts';
import type { Checks } from './core/report.ts';
import { type CutSource, readZipFile, zipEntryDateProblem } from './cut_source.ts';
import { sha256Hex } from './node_crypto.ts';

/**
 * V14 for both modes: the outer zip holds exactly one `<cut id>_PREP_<CONTEST>.zip` per
 * manifest contest — no contest left out, none added, none from another cut — and each holds
 * exactly that contest's results CSV, its candidaturas CSV and LEEME.txt (publication-format.md).
 */
export function innerZipProblems(
  manifest: LoadedManifest['manifest'],
  innerZips: ReadonlyMap<string, readonly string[]>,
  where: string,
): string[] {
  const problems: string[] = [];
  const expected = new Map(
    manifest.contests.map((contest) => [
      `${manifest.cut.id}_PREP_${contest.id}.zip`,
      [contest.csv, `${contest.id}_CANDIDATURAS_${manifest.election.year}.csv`, 'LEEME.txt'],
    ]),
  );
  for (const [name, files] of expected) {
    const entries = innerZips.get(name);
    if (entries === undefined) {
      problems.push(`${where}${name} is missing`);
      continue;
    }
    for (const file of files)
      if (!entries.includes(file)) problems.push(`${where}${name} does not hold ${file}`);
    for (const entry of entries)
      if (!files.includes(entry)) problems.push(`${where}${name} holds ${entry}, not a file of its contest`);
  }
  for (const name of innerZips.keys())
    if (!expected.has(name))
      problems.push(`${where}${name} is not the zip of a contest of cut ${manifest.cut.id}`);
  return problems;
}

export async function checkFolderZip(
  checks: Checks,
  source: CutSource,
  loaded: LoadedManifest,
): Promise<void> {
  const { manifest, manifestBytes } = loaded;
  const zipName = `${manifest.cut.id}_PREP.zip`;
  // The format publishes the zip in every cut folder: a folder without it fails, it is not skipped.
  const zipBytes = await readZipFile(path.join(source.location, zipName), zipName);
  if (!zipBytes.ok) {
    checks.fail('V14', zipBytes.message);
    checks.finish('V14', '');
    return;
  }
  const listedHashes = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  const signature = (await source.read('manifest.sig')) ?? Buffer.alloc(0);
  const seen = new Set<string>();
  const innerZips = new Map<string, string[]>();
  const dated = (where: string, time: ZipEntryTime) => {
    const problem = zipEntryDateProblem(`${zipName}: ${where}`, time);
    if (problem !== null) checks.fail('V14', problem);
  };
  // Streamed: each entry is checked as it is inflated and dropped, so the zip costs little memory.
  const outer = await readZipEntries(zipBytes.value, async (name, data, time) => {
    seen.add(name);
    dated(name, time);
    if (name === 'manifest.json') {
      if (!data.equals(manifestBytes))
        checks.fail('V14', `${zipName}: its manifest.json differs from the folder's`);
    } else if (name === 'manifest.sig') {
      if (!data.equals(signature))
        checks.fail('V14', `${zipName}: its manifest.sig differs from the folder's`);
    } else if (/^[0-9]{8}_[0-9]{4}_PREP_[A-Z0-9_]+\.zip$/.test(name)) {
      const innerNames: string[] = [];
      innerZips.set(name, innerNames);
      const inner = await readZipEntries(data, (innerName, innerData, innerTime) => {
        innerNames.push(innerName);
        dated(`${name}/${innerName}`, innerTime);
        if (listedHashes.get(innerName) !== sha256Hex(innerData))
          checks.fail('V14', `${zipName}: ${name}/${innerName} is not the file the manifest lists`);
      });
      if (!inner.ok) checks.fail('V14', `${zipName}: ${name}: ${inner.message}`);
    } else checks.fail('V14', `${zipName}: unexpected entry ${name}`);
  }).catch((error: Error) => ({ ok: false as const, message: error.message }));
  if (!outer.ok) checks.fail('V14', `${zipName}: ${outer.message}`);
  for (const required of ['manifest.json', 'manifest.sig'])
    if (!seen.has(required)) checks.fail('V14', `${zipName}: ${required} is missing`);
  if (outer.ok)
    for (const problem of innerZipProblems(manifest, innerZips, `${zipName}: `)) checks.fail('V14', problem);
  checks.finish('V14', `${zipName} carries the signed manifest and the listed files`);
}
