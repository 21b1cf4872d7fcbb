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
  await mkdir(out, { recursive: true });
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
    const base = path.join(out, acta.truth.actaKey);
    const image = `${base}.${acta.truth.format === 'jpeg' ? 'jpg' : 'png'}`;
    // Each file whole or absent: written aside, then renamed.
    await writeFile(`${image}.tmp`, acta.png);
    await rename(`${image}.tmp`, image);
    await writeFile(`${base}.json.tmp`, `${JSON.stringify(acta.truth, null, 2)}\n`);
    await rename(`${base}.json.tmp`, `${base}.json`);
    made++;
    progress.update(made, acta.truth.actaKey);
  }
  progress.finish();
  process.stdout.write(
    `${made} actas in ${out} (image + ground truth JSON), ${((performance.now() - started) / made).toFixed(0)} ms each\n`,
  );
  return 0;
}
