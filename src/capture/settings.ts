/**
 * The election a store holds, as capture reads it: the definition and the catalog, stored and
 * journaled once at setup (the first two entries), read back when a node opens; and the flag
 * that closes intake for good. Owned apart from the services because every one of them is built
 * on these settings, and the flag's key must be written and read in one place.
 */
import { createHash } from 'node:crypto';
import { catalogSha256, catalogToCsv, parseCatalogCsv } from '../catalog/csv_import.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { parseElectionDefinition, serializeElectionDefinition } from '../domain/election_definition.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { Commits } from '../platform/group_commit.ts';
import type { ActaRecords, CaptureTx } from './records_port.ts';

const META_ELECTION = 'election_definition';
const META_CATALOG = 'catalog_csv';
/**
 * Set once, before the final cut's snapshot, and never cleared: from then on nothing may change
 * a result (the final cut publishes them). In the store, not in a process, so that every node
 * on the election refuses alike.
 */
const META_INTAKE_CLOSED = 'intake_closed';

/** The election a configured store holds. */
export interface CaptureSettings {
  readonly election: ElectionDefinition;
  readonly catalog: Catalog;
  /** The catalog as stored at setup, byte for byte (the cut publishes it). */
  readonly catalogCsv: string;
}

/** Whether the PREP is closed (the final cut is being or has been published). */
export async function isIntakeClosed(reader: {
  getMeta(key: string): Promise<string | null>;
}): Promise<boolean> {
  return (await reader.getMeta(META_INTAKE_CLOSED)) !== null;
}

/** Sets the closed flag (the caller has checked it was not set, and journals INTAKE_CLOSED with it). */
export async function markIntakeClosed(
  tx: { setMeta(key: string, value: string): Promise<void> },
  at: number,
  reason: string,
): Promise<void> {
  await tx.setMeta(META_INTAKE_CLOSED, JSON.stringify({ at, reason }));
}

/** Stores the election definition and catalog in a new store and journals both (the first entries). */
export async function setupSettings(options: {
  readonly commits: Commits<CaptureTx>;
  readonly election: ElectionDefinition;
  readonly catalog: Catalog;
  readonly clock: () => number;
}): Promise<Result<CaptureSettings, 'already-configured'>> {
  const catalogCsv = catalogToCsv(options.catalog);
  const electionJson = serializeElectionDefinition(options.election);
  const configured = await options.commits.run(async (tx) => {
    if ((await tx.getMeta(META_ELECTION)) !== null) return false;
    await tx.setMeta(META_ELECTION, electionJson);
    await tx.setMeta(META_CATALOG, catalogCsv);
    const at = options.clock();
    await tx.appendJournal({
      type: 'ELECTION_CONFIGURED',
      at,
      electionId: options.election.id,
      mode: options.election.mode,
      definitionSha256: createHash('sha256').update(electionJson).digest('hex'),
    });
    await tx.appendJournal({
      type: 'CATALOG_IMPORTED',
      at,
      catalogSha256: catalogSha256(options.catalog),
      entidades: options.catalog.entidades.length,
      distritos: options.catalog.distritos.length,
      casillas: options.catalog.casillas.length,
    });
    return true;
  });
  if (!configured)
    return err('already-configured', 'this store already holds an election; use a new data folder');
  return ok({ election: options.election, catalog: options.catalog, catalogCsv });
}

/** Reads the settings of a configured store. */
export async function openSettings(records: ActaRecords): Promise<Result<CaptureSettings, 'not-configured'>> {
  const electionJson = await records.getMeta(META_ELECTION);
  const catalogCsv = await records.getMeta(META_CATALOG);
  if (electionJson === null || catalogCsv === null)
    return err('not-configured', 'the store holds no election yet: run `openprep init` first');
  const catalog = await parseCatalogCsv(Buffer.from(catalogCsv));
  if (!catalog.ok) throw new Error(`stored catalog no longer parses: ${catalog.message}`);
  const election = parseElectionDefinition(JSON.parse(electionJson), { catalog: catalog.value });
  if (!election.ok) throw new Error(`stored election definition no longer parses: ${election.message}`);
  return ok({ election: election.value, catalog: catalog.value, catalogCsv });
}
