/**
 * Catalog benchmark at national scale (170,648 casillas): generate, write the canonical CSV,
 * parse it back through the streaming importer. `node bench/catalog.ts` prints one JSON object.
 */
import process from 'node:process';
import { catalogToCsv, parseCatalogCsv } from '../src/catalog/csv_import.ts';
import { generateCatalog } from '../src/sim/catalog_generator.ts';

const CHUNK_BYTES = 64 * 1024;

function seconds(since: number): number {
  return Math.round(performance.now() - since) / 1000;
}

/** The file as a read stream would deliver it: 64 KiB chunks. */
async function* chunks(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, at + CHUNK_BYTES);
}

export async function benchCatalog(): Promise<Record<string, number>> {
  let started = performance.now();
  const catalog = generateCatalog({ scale: 'national', seed: 2024 });
  const generateSeconds = seconds(started);

  started = performance.now();
  const bytes = Buffer.from(catalogToCsv(catalog), 'utf8');
  const writeCsvSeconds = seconds(started);

  started = performance.now();
  const parsed = await parseCatalogCsv(chunks(bytes));
  const parseCsvSeconds = seconds(started);
  if (!parsed.ok) throw new Error(`the generated catalog did not import: ${parsed.message}`);
  if (parsed.value.casillas.length !== catalog.casillas.length) throw new Error('the import lost casillas');

  return {
    catalogCasillas: catalog.casillas.length,
    catalogGenerateSeconds: generateSeconds,
    catalogWriteCsvSeconds: writeCsvSeconds,
    catalogCsvBytes: bytes.length,
    catalogParseCsvSeconds: parseCsvSeconds,
    catalogParseCsvMBPerSecond: Math.round(bytes.length / 1e6 / parseCsvSeconds),
    // maxRSS is in kibibytes.
    catalogPeakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(await benchCatalog())}\n`);
}
