/**
 * A center node on the embedded default: the data folder, its SQLite store, the acta
 * pipeline, and the election's signing key with the checkpoint signer's own state file.
 */
import { pathExists } from '../platform/durable_file.ts';
import { mkdir } from 'node:fs/promises';
import { ActaPipeline } from '../capture/pipeline.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { err, ok, type Result } from '../domain/result.ts';
import {
  generateSigningKey,
  keyNameFor,
  loadSigningKey,
  saveSigningKey,
  verifierKeyText,
} from '../journal/keys.ts';
import type { NoteSigner } from '../journal/note.ts';
import { CheckpointSigner } from '../journal/signer.ts';
import { describeLocation, openStore, storeLocation } from './database.ts';
import { readDrillClock, recordDrillClock, simulatedClock } from './drill_clock.ts';
import { type DataPaths, dataPaths } from './data_dir.ts';
import path from 'node:path';

export interface CenterNode {
  readonly paths: DataPaths;
  readonly pipeline: ActaPipeline;
  readonly signer: NoteSigner;
  readonly checkpointSigner: CheckpointSigner;
  /** The public key anyone verifies this election's cuts with. */
  readonly verifierKey: string;
  /**
   * The node's clock: the given one, or in a drill the simulated one its store records
   * (drill_clock.ts). The pipeline uses it; so must everything else that stamps a time.
   */
  readonly clock: () => number;
  close(): Promise<void>;
}

export type CenterError =
  | 'already-initialised'
  | 'not-initialised'
  | 'database-newer-than-code'
  | 'database-unreadable'
  | 'key-unreadable'
  | 'not-ed25519'
  | 'simulated-live'
  | 'bad-state-file';

/** Creates a data folder: the store with the definition and catalog, and the signing key of the mode. */
export async function initCenter(options: {
  readonly root: string;
  readonly election: ElectionDefinition;
  readonly catalog: Catalog;
  readonly clock: () => number;
}): Promise<Result<CenterNode, CenterError>> {
  const paths = dataPaths(options.root);
  const location = storeLocation(paths.database);
  if (location.kind === 'sqlite' && (await pathExists(paths.database)))
    return err('already-initialised', `${paths.database} already exists: this data folder is in use`);
  await mkdir(paths.root, { recursive: true });
  await mkdir(paths.cuts, { recursive: true });
  const name = keyNameFor(options.election.id, options.election.mode);
  const keyFile = path.join(paths.keys, `${name}.key`);
  if (!(await pathExists(keyFile))) await saveSigningKey(paths.keys, generateSigningKey(name));
  const opened = await openStore(location);
  if (!opened.ok) return opened;
  const setup = await ActaPipeline.setup({
    store: opened.value,
    election: options.election,
    catalog: options.catalog,
    clock: options.clock,
  });
  if (!setup.ok) {
    await opened.value.close();
    return err('already-initialised', setup.message);
  }
  await opened.value.close();
  return openCenter({ root: options.root, clock: options.clock });
}

export async function openCenter(options: {
  readonly root: string;
  readonly clock: () => number;
  /** Where DATABASE_URL is read from (the process's environment by default). */
  readonly env?: NodeJS.ProcessEnv;
  /** A drill's simulated time now: recorded in the store for every later command (drill_clock.ts). */
  readonly simulatedStart?: number;
}): Promise<Result<CenterNode, CenterError>> {
  const paths = dataPaths(options.root);
  const location = storeLocation(paths.database, options.env);
  if (location.kind === 'sqlite' && !(await pathExists(paths.database)))
    return err(
      'not-initialised',
      `no data folder at ${paths.root}: run \`openprep init --data ${options.root}\``,
    );
  const opened = await openStore(location);
  if (!opened.ok) return opened;
  const store = opened.value;
  // The election (its mode) is known once the pipeline is open; its clock is settled after.
  let clock = options.clock;
  const pipeline = await ActaPipeline.open({ store, clock: () => clock() });
  if (!pipeline.ok) {
    await store.close();
    return err('not-initialised', `${describeLocation(location)}: ${pipeline.message}`);
  }
  const election = pipeline.value.election;
  if (election.mode === 'live') {
    if (options.simulatedStart !== undefined) {
      await store.close();
      return err(
        'simulated-live',
        '--simulated-start is for drills only: a live election runs on the real clock',
      );
    }
  } else {
    if (options.simulatedStart !== undefined)
      await recordDrillClock(store, { simulatedStart: options.simulatedStart, realStart: options.clock() });
    const drill = await readDrillClock(store);
    if (drill !== null) clock = simulatedClock(drill, options.clock);
  }
  const name = keyNameFor(election.id, election.mode);
  const signer = await loadSigningKey(path.join(paths.keys, `${name}.key`));
  if (!signer.ok) {
    await store.close();
    return signer;
  }
  const checkpointSigner = await CheckpointSigner.open({
    signer: signer.value,
    origin: `${name}/log`,
    stateFile: paths.signerState,
  });
  if (!checkpointSigner.ok) {
    await store.close();
    return checkpointSigner;
  }
  return ok({
    paths,
    pipeline: pipeline.value,
    signer: signer.value,
    checkpointSigner: checkpointSigner.value,
    verifierKey: verifierKeyText(signer.value),
    clock: () => clock(),
    close: () => store.close(),
  });
}
