/**
 * Tampering as the key holder would: edit files of a copied cut folder, then publish it again
 * with everything the signature covers made consistent — each file's size and SHA-256 in the
 * manifest, each edited contest CSV's row count and acta Merkle root, the manifest re-signed,
 * and the cut's zip rebuilt with the new files and manifest. What is left to fail is only what
 * the format promises beyond the signature (the PREP rules, the previous cut, the catalog…).
 */
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NoteSigner } from '../journal/note.ts';
import { signNote } from '../journal/note.ts';
import { stableJson } from '../platform/web/canonical_json.ts';
import { readZipEntries, zipFiles } from '../platform/zip.ts';
import { csvRowBytes, merkleRootHex } from '../verify/core/journal.ts';

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The manifest as plain JSON, for an edit to change anything in it. */
// biome-ignore lint/suspicious/noExplicitAny: a test edits any field of the manifest.
export type ManifestJson = any;

/**
 * Writes `files` (null deletes) into the cut `folder`, lets `editManifest` change the manifest
 * after the listed files were brought up to date, re-signs it with `signer` and rebuilds the zip.
 */
export async function resignCut(
  folder: string,
  signer: NoteSigner,
  edits: {
    readonly files?: Readonly<Record<string, Buffer | null>>;
    readonly editManifest?: (manifest: ManifestJson) => void;
  } = {},
): Promise<void> {
  const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as ManifestJson;
  const files = edits.files ?? {};
  for (const [relative, data] of Object.entries(files)) {
    if (data === null) {
      await rm(path.join(folder, relative), { force: true });
      manifest.files = manifest.files.filter((f: { path: string }) => f.path !== relative);
      continue;
    }
    await writeFile(path.join(folder, relative), data);
    const listed = manifest.files.find((f: { path: string }) => f.path === relative);
    if (listed !== undefined) {
      listed.bytes = data.length;
      listed.sha256 = sha256Hex(data);
    }
    const contest = manifest.contests.find((c: { csv: string }) => c.csv === relative);
    if (contest !== undefined) {
      const rows = csvRowBytes(data);
      contest.actaRows = rows.length;
      contest.actaMerkleRoot = await merkleRootHex(rows, async (b) =>
        createHash('sha256').update(b).digest(),
      );
    }
  }
  edits.editManifest?.(manifest);
  const manifestBytes = Buffer.from(stableJson(manifest));
  const signature = Buffer.from(
    signNote(`${signer.name}/cut\n${manifest.cut.id}\nsha256 ${sha256Hex(manifestBytes)}\n`, signer),
  );
  await writeFile(path.join(folder, 'manifest.json'), manifestBytes);
  await writeFile(path.join(folder, 'manifest.sig'), signature);

  // The zip: every inner zip with the edited files, then the new manifest and signature.
  const zipPath = path.join(folder, `${manifest.cut.id}_PREP.zip`);
  const outer = await readZipEntries(await readFile(zipPath));
  if (!outer.ok) throw new Error(outer.message);
  const entries: [string, Buffer][] = [];
  for (const [name, data] of outer.value) {
    if (name === 'manifest.json') entries.push([name, manifestBytes]);
    else if (name === 'manifest.sig') entries.push([name, signature]);
    else {
      const inner = await readZipEntries(data);
      if (!inner.ok) throw new Error(inner.message);
      const innerEntries: [string, Buffer][] = [];
      for (const [innerName, innerData] of inner.value) {
        const edited = files[innerName];
        if (edited === null) continue;
        innerEntries.push([innerName, edited ?? innerData]);
      }
      entries.push([name, await zipFiles(innerEntries)]);
    }
  }
  await writeFile(zipPath, await zipFiles(entries, { compress: false }));
}

/** Signs `latest.json` bytes as the publisher does (docs/publication-format.md, "Keys and signed notes"). */
export function signLatest(latest: Buffer, cutId: string, signer: NoteSigner): string {
  return signNote(`${signer.name}/latest\n${cutId}\nsha256 ${sha256Hex(latest)}\n`, signer);
}
