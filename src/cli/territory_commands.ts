/** `openprep territory import|list`: which distritos or casillas each CATD and CAE serves (docs/territory.md). */
import { open } from 'node:fs/promises';
import process from 'node:process';
import { MAX_TERRITORY_BYTES, parseTerritoryCsv } from '../catalog/territory_csv.ts';
import { openCenter } from '../center/node.ts';
import { declareTerritory } from '../intake/territory.ts';
import { parseCommandArgs } from './args.ts';
import { territoryImport, territoryList } from './commands.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (command: string, message: string, code = 1): number => {
  process.stderr.write(`openprep territory ${command}: ${message}\n`);
  return code;
};

/** Reads at most the cap and one byte more, so a huge or endless file (a device, a pipe) is refused without reading it all. */
async function readCapped(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(MAX_TERRITORY_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

export async function runTerritoryImport(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, territoryImport.options);
  if (!parsed.ok) return fail('import', parsed.message, 2);
  const file = parsed.value.positionals[0];
  if (file === undefined) return fail('import', 'name the territory CSV to import', 2);
  let bytes: Buffer;
  try {
    bytes = await readCapped(file);
  } catch (error) {
    return fail('import', `cannot read ${file}: ${(error as Error).message}`);
  }
  const node = await openCenter({ root: parsed.value.options.data, clock: Date.now });
  if (!node.ok) return fail('import', node.message);
  try {
    const territory = parseTerritoryCsv(bytes, node.value.pipeline.catalog);
    if (!territory.ok) {
      const lines = territory.problems.map(
        (p) => `  ${file}:${p.line}${p.column !== null ? ` column ${p.column}` : ''}: ${p.reason}`,
      );
      return fail(
        'import',
        `${territory.message}\n${lines.join('\n')}${territory.truncated ? '\n  (stopped reading: more problems may follow)' : ''}`,
      );
    }
    await declareTerritory(node.value.devices, territory.value, Date.now());
    const rows = territory.value.rows;
    const declared = new Set(rows.map((r) => r.unit));
    out(
      `territory of ${territory.value.units} units declared (${rows.filter((r) => r.areaKind === 'distrito').length} distritos, ${rows.filter((r) => r.areaKind === 'casilla').length} casillas); SHA-256 ${territory.value.sha256}`,
    );
    // A device bound to a unit the file leaves out can send nothing from now on: say so.
    const orphans = (await node.value.devices.devices()).filter(
      (d) => d.revokedAt === null && !declared.has(d.boundTo),
    );
    if (orphans.length > 0)
      process.stderr.write(
        `openprep territory import: warning: ${orphans.length} active device(s) are bound to a unit with no territory and will be refused: ${orphans
          .slice(0, 20)
          .map((d) => `${d.id} (${d.boundTo})`)
          .join(', ')}${orphans.length > 20 ? ', …' : ''}\n`,
      );
    return 0;
  } finally {
    await node.value.close();
  }
}

export async function runTerritoryList(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, territoryList.options);
  if (!parsed.ok) return fail('list', parsed.message, 2);
  const node = await openCenter({ root: parsed.value.options.data, clock: Date.now });
  if (!node.ok) return fail('list', node.message);
  try {
    const rows = await node.value.devices.territory();
    if (parsed.value.options.json) out(JSON.stringify(rows));
    else for (const r of rows) out(`${r.unit}\t${r.unitKind}\t${r.areaKind}\t${r.area}`);
    return 0;
  } finally {
    await node.value.close();
  }
}
