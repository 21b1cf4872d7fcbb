/**
 * Writes a built cut to the cuts root so that a reader never sees half a cut: every file is
 * fsynced in a temporary folder that is then renamed into place, and only afterwards is the
 * `latest` pointer replaced. A published cut is never overwritten.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { err, ok, type Result } from '../domain/result.ts';
import { syncDirectory, writeFileDurably, pathExists } from '../platform/durable_file.ts';
import { type AnyNoteSigner, signNoteBy } from '../journal/note.ts';
import { type BuiltCut, catalogFileNames } from './cut_builder.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { stableJson } from '../platform/web/canonical_json.ts';

export type WriteCutError = 'cut-exists' | 'catalog-changed';

async function writeSynced(file: string, data: Buffer): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeCut(input: {
  readonly cutsRoot: string;
  readonly cut: BuiltCut;
  readonly electionId: string;
  readonly catalogCsv: Buffer;
  readonly electionJson: Buffer;
  readonly cutTime: string;
  readonly signer: AnyNoteSigner;
}): Promise<Result<{ folder: string; zip: string }, WriteCutError>> {
  const { cutsRoot, cut } = input;
  await mkdir(path.join(cutsRoot, 'catalogo'), { recursive: true });
  const names = catalogFileNames(input.electionId);
  for (const [name, data] of [
    [names.catalog, input.catalogCsv],
    [names.election, input.electionJson],
  ] as const) {
    const file = path.join(cutsRoot, 'catalogo', name);
    if (await pathExists(file)) {
      if (sha256Hex(await readFile(file)) !== sha256Hex(data))
        return err(
          'catalog-changed',
          `${file} differs from this election's catalog: the catalog of an election never changes`,
        );
    } else await writeFileDurably(file, data);
  }

  const folder = path.join(cutsRoot, cut.cutId);
  if (await pathExists(folder))
    return err('cut-exists', `cut ${cut.cutId} is already published; a cut never changes`);
  const temporary = path.join(cutsRoot, `.${cut.cutId}.${process.pid}.tmp`);
  await rm(temporary, { recursive: true, force: true });
  const directories = new Set<string>([temporary]);
  for (const relative of cut.files.keys()) directories.add(path.dirname(path.join(temporary, relative)));
  for (const directory of [...directories].sort()) await mkdir(directory, { recursive: true });
  // Several writes and fsyncs in flight at once: the disk works on them together.
  const queue: (readonly [string, Buffer])[] = [
    ...[...cut.files].map(([relative, data]) => [path.join(temporary, relative), data] as const),
    [path.join(temporary, cut.zipName), cut.zip],
  ];
  let next = 0;
  const writer = async (): Promise<void> => {
    while (next < queue.length) {
      const [file, data] = queue[next++]!;
      await writeSynced(file, data);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, writer));
  for (const directory of [...directories].sort().reverse()) await syncDirectory(directory);
  await rename(temporary, folder);
  await syncDirectory(cutsRoot);

  const latest = Buffer.from(
    stableJson({ cut: cut.cutId, manifestSha256: cut.manifestSha256, time: input.cutTime }),
  );
  await writeFileDurably(path.join(cutsRoot, 'latest.json'), latest);
  await writeFileDurably(
    path.join(cutsRoot, 'latest.sig'),
    await signNoteBy(
      `${input.signer.name}/latest\n${cut.cutId}\nsha256 ${sha256Hex(latest)}\n`,
      input.signer,
    ),
  );
  return ok({ folder, zip: path.join(folder, cut.zipName) });
}
