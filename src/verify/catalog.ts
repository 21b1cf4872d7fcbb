/**
 * V11: the catalog and the election definition the cut names, read from the cut's folder (or
 * `--catalog`), hashed against the manifest and parsed with the domain's own parsers, which
 * the later checks then recompute the PREP rules and esperadas from. The definition must first
 * match its published schema (docs/schemas/election.schema.json).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCatalogCsv } from '../catalog/csv_import.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { parseElectionDefinition } from '../domain/election_definition.ts';
import { cutUtcOffsetMinutes, type Manifest } from './core/manifest.ts';
import type { Checks } from './core/report.ts';
import type { CutSource } from './cut_source.ts';
import { sha256Hex } from './node_crypto.ts';
import { parseJson, schemaFailure } from './schemas.ts';

export interface CatalogAndElection {
  readonly catalog: Catalog | null;
  readonly election: ElectionDefinition | null;
}

export async function checkCatalog(
  checks: Checks,
  source: CutSource,
  manifest: Manifest,
  catalogFolder: string | undefined,
): Promise<CatalogAndElection> {
  let catalog: Catalog | null = null;
  let election: ElectionDefinition | null = null;
  const catalogBase =
    catalogFolder !== undefined ? catalogFolder : source.kind === 'folder' ? source.location : null;
  if (catalogBase === null) {
    checks.skip('V11', 'a zip alone carries no catalog: pass --catalog <cuts>/catalogo');
    return { catalog, election };
  }
  const resolve = (p: string) =>
    catalogFolder !== undefined ? path.join(catalogFolder, path.basename(p)) : path.join(catalogBase, p);
  try {
    const catalogBytes = await readFile(resolve(manifest.catalog.path));
    const electionBytes = await readFile(resolve(manifest.catalog.electionPath));
    if (sha256Hex(catalogBytes) !== manifest.catalog.sha256)
      checks.fail('V11', 'the catalog SHA-256 differs');
    if (sha256Hex(electionBytes) !== manifest.catalog.electionSha256)
      checks.fail('V11', 'the election definition SHA-256 differs');
    const parsedCatalog = await parseCatalogCsv(catalogBytes);
    if (!parsedCatalog.ok) checks.fail('V11', `catalog: ${parsedCatalog.message}`);
    else catalog = parsedCatalog.value;
    // The definition's shape is the published schema's; the parser adds the rules across fields
    // (unique ids, the closing columns, coalitions of the contest's parties, scopes in the catalog).
    const electionName = path.basename(manifest.catalog.electionPath);
    const definition = parseJson(electionBytes);
    const shape = definition === null ? null : schemaFailure('election', definition.json, electionName);
    if (definition === null) checks.fail('V11', `${electionName} is not JSON`);
    else if (shape !== null) checks.fail('V11', shape);
    else if (catalog !== null) {
      const parsedElection = parseElectionDefinition(definition.json, { catalog });
      if (!parsedElection.ok) checks.fail('V11', `election definition: ${parsedElection.message}`);
      else {
        election = parsedElection.value;
        // The manifest restates the definition's facts; the cut's times are at its offset.
        const stated = manifest.election;
        if (election.id !== stated.id || election.name !== stated.name || election.year !== stated.year)
          checks.fail('V11', "the manifest's election id, name or year is not the definition's");
        if (cutUtcOffsetMinutes(manifest) !== election.utcOffsetMinutes)
          checks.fail('V11', `cut.time "${manifest.cut.time}" is not at the definition's UTC offset`);
      }
    }
  } catch (error) {
    checks.fail('V11', `cannot read the catalog: ${(error as Error).message}`);
  }
  if (checks.failed('V11')) {
    catalog = null;
    election = null;
  }
  checks.finish(
    'V11',
    `${catalog?.casillas.length ?? 0} casillas, ${election?.contests.length ?? 0} contests`,
  );
  return { catalog, election };
}
