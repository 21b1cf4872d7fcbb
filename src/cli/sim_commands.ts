import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { renderActaSet } from '../sim/acta_images/acta_set.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { parseCommandArgs } from './args.ts';
import { simRender } from './commands.ts';
import { createProgress } from './progress.ts';

/**
 * `openprep sim render`: synthetic actas (PNG from the scanner, JPEG from a phone) and their
 * ground truth (JSON), a share of them with a labelled defect; deterministic from the seed.
 * The images are named as a CATD's scanner names them, `<CONTEST>_<CLAVE_ACTA>.png|jpg`, and
 * the ground truth goes to `truth/` beside them: rendered into an agent's watch folder, they
 * are sent as they are (the agent reads only the folder's own files).
 */
export async function runSimRender(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, simRender.options);
  if (!parsed.ok) {
    process.stderr.write(`openprep sim render: ${parsed.message}\n`);
    return 2;
  }
  const { count, seed, out, scale, 'phone-share': phoneShare, defective } = parsed.value.options;
  const catalog = generateCatalog({ scale, seed });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  await mkdir(path.join(out, 'truth'), { recursive: true });
  const started = performance.now();
  const progress = createProgress(process.stderr, { label: 'sim render', unit: 'actas', total: count });
  let made = 0;
  for await (const acta of renderActaSet({
    catalog,
    election,
    count,
    seed,
    phoneShare,
    defectiveShare: defective,
  })) {
    const name = `${acta.contest}_${acta.truth.actaKey}`;
    const image = path.join(out, `${name}.${acta.truth.format === 'jpeg' ? 'jpg' : 'png'}`);
    const truth = path.join(out, 'truth', `${name}.json`);
    // Each file whole or absent: written aside, then renamed. The ground truth first, and the
    // temporary image a dot file, which an agent watching the folder skips.
    await writeFile(`${truth}.tmp`, `${JSON.stringify(acta.truth, null, 2)}\n`);
    await rename(`${truth}.tmp`, truth);
    const aside = path.join(out, `.${name}.tmp`);
    await writeFile(aside, acta.png);
    await rename(aside, image);
    made++;
    progress.update(made, acta.truth.actaKey);
  }
  progress.finish();
  process.stdout.write(
    `${made} actas in ${out} (<CONTEST>_<CLAVE_ACTA>.png|jpg; ground truth in truth/), ${((performance.now() - started) / made).toFixed(0)} ms each\n`,
  );
  return 0;
}
