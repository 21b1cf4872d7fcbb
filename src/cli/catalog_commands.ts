import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { catalogToCsv } from '../catalog/csv_import.ts';
import { entidadCount, generateCatalog } from '../sim/catalog_generator.ts';
import { parseCommandArgs } from './args.ts';
import { catalogGenerate } from './commands.ts';
import { createProgress } from './progress.ts';

export async function runCatalogGenerate(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, catalogGenerate.options);
  if (!parsed.ok) {
    process.stderr.write(`openprep catalog generate: ${parsed.message}\n`);
    return 2;
  }
  const { scale, seed, out } = parsed.value.options;
  const started = performance.now();
  const progress = createProgress(process.stderr, {
    label: 'catalog generate',
    unit: 'entidades',
    total: entidadCount(scale),
  });
  const catalog = generateCatalog({ scale, seed, onEntidad: (done) => progress.update(done) });
  progress.finish(`${catalog.casillas.length.toLocaleString('en-US')} casillas`);
  const csv = catalogToCsv(catalog);
  // Written beside the target and renamed, so a reader never sees half a catalog.
  const temporary = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.tmp`);
  try {
    await mkdir(path.dirname(out), { recursive: true });
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(csv);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, out);
  } catch (error) {
    // A folder that cannot be made or written (a file in the way, no permission, a full disk).
    process.stderr.write(`openprep catalog generate: cannot write ${out}: ${(error as Error).message}\n`);
    return 1;
  }
  const listaNominal = catalog.casillas.reduce((sum, c) => sum + c.listaNominal, 0);
  process.stdout.write(
    `${out}: ${catalog.casillas.length} casillas, ${catalog.distritos.length} distritos, ${catalog.entidades.length} entidades, lista nominal ${listaNominal} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  return 0;
}

export { runCatalogImportInto as runCatalogImport } from './center_commands.ts';
