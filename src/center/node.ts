/**
 * A center node, wired: the data folder, its store (SQLite by default, PostgreSQL when
 * configured: database.ts), the acta pipeline, and the election's signing key with the
 * checkpoint signer's own state file. The store never leaves this file whole: each part is
 * handed the port it owns (acta records, journal, devices, operators, leases) and the one
 * group commit every writer shares.
 */
import { pathExists } from '../platform/durable_file.ts';
import { mkdir } from 'node:fs/promises';
import type { OperatorsPort } from '../auth/operators_port.ts';
import { ActaPipeline } from '../capture/pipeline.ts';
import type { ActaRecordsPort } from '../capture/records_port.ts';
import type { DevicesPort } from '../intake/devices_port.ts';
import type { JournalPort } from '../journal/journal_port.ts';
import { type Commits, GroupCommit } from '../platform/group_commit.ts';
import type { LeasePort } from '../publish/lease_port.ts';
import type { AccessPort } from '../security/access_port.ts';
import type { PublicationSource } from '../publish/snapshot_port.ts';
import type { PoolStats, Store, StoreTransaction } from '../store/store.ts';
import type { ReadingsPort } from '../reading/readings_port.ts';
import type { ReaderReport } from '../publish/reader_json.ts';
import { currentReaderReport } from './reader.ts';
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
import type { AnyNoteSigner, NoteSigner } from '../journal/note.ts';
import { CheckpointSigner, type CheckpointSigning } from '../journal/signer.ts';
import type { ReceiptKeys } from '../intake/package.ts';
import { hostname } from 'node:os';
import { connectSigner } from './signer_client.ts';
import { signerEndpoint } from './signer_endpoint.ts';
import { describeLocation, openStore, storeLocation } from './database.ts';
import { readDrillClock, recordDrillClock, simulatedClock } from './drill_clock.ts';
import { type DataPaths, dataPaths } from './data_dir.ts';
import {
  openSecretBox,
  type SecretsKeyError,
  type SecretsKeySource,
  secretsKeySource,
  writeNewSecretsKey,
} from './secrets_key.ts';
import type { SecretBox } from '../auth/secret_box.ts';
import type { DecoysPort } from '../security/decoys_port.ts';
import type { SecurityAlertsPort } from '../security/alerts_port.ts';
import type { MonitorStore } from '../security/monitor.ts';
import path from 'node:path';
import process from 'node:process';

export interface CenterNode {
  readonly paths: DataPaths;
  /** Capture's services (submissions and sin acta, captures and claims, verification and cotejo), composed. */
  readonly pipeline: ActaPipeline;
  /** What the publisher snapshots (capture's publication service, seen through publish's port). */
  readonly publication: PublicationSource;
  /** The acta records port (capture's): reads, and transactions in capture's view. */
  readonly records: ActaRecordsPort;
  /** The journal port. */
  readonly journal: JournalPort;
  /** The devices port (intake's): devices, packages, territory. */
  readonly devices: DevicesPort;
  /** The operators port (auth's): operators, sessions, WebAuthn keys. */
  readonly operators: OperatorsPort;
  /** The access port (security's access review): accounts, devices, their latest use. */
  readonly access: AccessPort;
  /** The lease port (the cut scheduler's). */
  readonly leases: LeasePort;
  /** The readings port (the acta reader's, in shadow: center/reader.ts). */
  readonly readings: ReadingsPort;
  /** The acta reader's figures now (the console's panel, each cut's json/reader.json). */
  readerReport(): Promise<ReaderReport>;
  /** The decoys port (security operations'): decoys, export canaries, the export register. */
  readonly decoys: DecoysPort;
  /** The alerts port (security operations'): alerts, address blocks, the monitor's state and its transactions. */
  readonly security: SecurityAlertsPort & MonitorStore;
  /**
   * The node's group commit: capture, intake and auth write through it, so that many facts
   * share one commit. Handed by the wiring to the services it makes (IntakeService, Accounts).
   */
  readonly commits: Commits<StoreTransaction>;
  /** A small durable write to the store, for the health check while a fault lasts. */
  probeStore(at: number): Promise<void>;
  /** The database's connections and the writes queued for the next commit, now (the metrics). */
  database(): DatabaseStats;
  /**
   * Signs the cut and latest statements: the election's key in this process (the embedded
   * default), or the signer service (OPENPREP_SIGNER_SOCKET or OPENPREP_SIGNER_URL), which alone holds it.
   */
  readonly signer: AnyNoteSigner;
  readonly checkpointSigner: CheckpointSigning;
  /** What receipts are signed with: the election's key itself, or this node's certified receipt key. */
  readonly receipts: NoteSigner | ReceiptKeys;
  /** True when the signer service holds the key (this node has none). */
  readonly remoteSigner: boolean;
  /** The public key anyone verifies this election's cuts with. */
  readonly verifierKey: string;
  /**
   * The node's clock: the given one, or in a drill the simulated one its store records
   * (drill_clock.ts). The pipeline uses it; so must everything else that stamps a time.
   */
  readonly clock: () => number;
  /** Where this node's secrets key comes from (secrets_key.ts). */
  readonly secretsKey: SecretsKeySource;
  /**
   * The secrets key's box, checked against the store (the same key on every node); the first
   * call opens it, the next ones share the answer. Refused: a missing or readable-by-others
   * key file, or another key than the election's.
   */
  secrets(): Promise<Result<SecretBox, SecretsKeyError>>;
  close(): Promise<void>;
}

export interface DatabaseStats {
  readonly kind: 'sqlite' | 'postgresql';
  /** PostgreSQL: the pool's. SQLite: its one connection, in use while a batch commits. */
  readonly pool: PoolStats;
  /** Writes queued for the next group commit. */
  readonly backlog: number;
}

export type CenterError =
  | 'already-initialised'
  | 'not-initialised'
  | 'database-newer-than-code'
  | 'database-unreadable'
  | 'key-unreadable'
  | 'not-ed25519'
  | 'simulated-live'
  | 'bad-state-file'
  | 'bad-signer-config'
  | 'signer-unavailable'
  | SecretsKeyError;

/** Creates a data folder: the store with the definition and catalog, and the signing key of the mode. */
export async function initCenter(options: {
  readonly root: string;
  readonly election: ElectionDefinition;
  readonly catalog: Catalog;
  readonly clock: () => number;
  /** As openCenter's. */
  readonly claimClock?: () => number;
  /** Where DATABASE_URL and the OPENPREP_SIGNER_* variables are read from (the process's environment by default). */
  readonly env?: NodeJS.ProcessEnv;
}): Promise<Result<CenterNode, CenterError>> {
  const env = options.env ?? process.env;
  const paths = dataPaths(options.root);
  const location = storeLocation(paths.database, env);
  if (location.kind === 'sqlite' && (await pathExists(paths.database)))
    return err('already-initialised', `${paths.database} already exists: this data folder is in use`);
  await mkdir(paths.root, { recursive: true });
  await mkdir(paths.cuts, { recursive: true });
  await mkdir(paths.keys, { recursive: true, mode: 0o700 });
  // The secrets key the deployment will give every node: made here, once, when it is named
  // (OPENPREP_SECRETS_KEY_FILE) and not there yet; otherwise the data folder's own.
  const secrets = secretsKeySource(paths, env);
  const named = env['OPENPREP_SECRETS_KEY_FILE'];
  if (secrets.given && named !== undefined && named !== '' && !(await pathExists(secrets.file)))
    await writeNewSecretsKey(secrets.file);
  const name = keyNameFor(options.election.id, options.election.mode);
  const keyFile = path.join(paths.keys, `${name}.key`);
  // With a signer service the key is made and kept there (`openprep signer --create-key`).
  const endpoint = await signerEndpoint(env);
  if (!endpoint.ok) return endpoint;
  if (endpoint.value === null && !(await pathExists(keyFile)))
    await saveSigningKey(paths.keys, generateSigningKey(name));
  const opened = await openStore(location);
  if (!opened.ok) return opened;
  const setup = await ActaPipeline.setup({
    records: opened.value,
    commits: new GroupCommit(opened.value),
    election: options.election,
    catalog: options.catalog,
    clock: options.clock,
  });
  if (!setup.ok) {
    await opened.value.close();
    return err('already-initialised', setup.message);
  }
  await opened.value.close();
  const node = await openCenter({
    root: options.root,
    clock: options.clock,
    env,
    ...(options.claimClock === undefined ? {} : { claimClock: options.claimClock }),
  });
  if (!node.ok) return node;
  // The election's secrets key is recorded now: a node given another one is refused at start.
  const box = await node.value.secrets();
  if (!box.ok) {
    await node.value.close();
    return box;
  }
  return node;
}

export async function openCenter(options: {
  readonly root: string;
  readonly clock: () => number;
  /** Where DATABASE_URL is read from (the process's environment by default). */
  readonly env?: NodeJS.ProcessEnv;
  /** A drill's simulated time now: recorded in the store for every later command (drill_clock.ts). */
  readonly simulatedStart?: number;
  /**
   * What capture claims and holds are timed on: the node's clock by default. A clock that runs
   * faster than the wall clock (the demo's) passes the wall clock here, so that an acta handed
   * to a person stays theirs for the real time it takes to type it.
   */
  readonly claimClock?: () => number;
}): Promise<Result<CenterNode, CenterError>> {
  const paths = dataPaths(options.root);
  const env = options.env ?? process.env;
  const location = storeLocation(paths.database, options.env);
  // Read before the store is opened: a node meant to use a signer never signs with a key of its own.
  const endpoint = await signerEndpoint(options.env ?? process.env);
  if (!endpoint.ok) return endpoint;
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
  const commits = new GroupCommit(store);
  const database = (): DatabaseStats => {
    const pool = store.poolStats?.();
    if (pool !== undefined) return { kind: 'postgresql', pool, backlog: commits.backlog };
    const inUse = commits.busy ? 1 : 0;
    return {
      kind: 'sqlite',
      pool: { max: 1, inUse, idle: 1 - inUse, waiting: commits.backlog },
      backlog: commits.backlog,
    };
  };
  const pipeline = await ActaPipeline.open({
    records: store,
    commits,
    clock: () => clock(),
    ...(options.claimClock === undefined ? {} : { claimClock: options.claimClock }),
  });
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
  // On PostgreSQL a node's folder may be new and empty: it holds only this node's staging.
  await mkdir(paths.root, { recursive: true });
  const secretsKey = secretsKeySource(paths, env);
  let secrets: Promise<Result<SecretBox, SecretsKeyError>> | null = null;
  // What a node is whichever process holds the election's key.
  const common = {
    secretsKey,
    secrets: () =>
      (secrets ??= openSecretBox({
        source: secretsKey,
        operators: store,
        transaction: (work) => store.transaction(work),
      })),
    paths,
    pipeline: pipeline.value,
    publication: pipeline.value.publication,
    ...ports(store),
    commits,
    probeStore: async (at: number) => {
      await store.transaction((tx) => tx.setMeta('health-probe', String(at)));
    },
    database,
    clock: () => clock(),
    readerReport: () => currentReaderReport({ readings: store, records: store }),
  };
  const name = keyNameFor(election.id, election.mode);
  if (endpoint.value !== null) {
    const remote = await connectSigner({
      endpoint: endpoint.value,
      expectedKeyName: name,
      node: nodeId(options.env ?? process.env),
      certificateSeconds: RECEIPT_CERTIFICATE_SECONDS,
      clock: () => clock(),
    });
    if (!remote.ok) {
      await store.close();
      return remote;
    }
    return ok({
      ...common,
      signer: remote.value.notes,
      checkpointSigner: remote.value.checkpoints,
      receipts: remote.value.receipts,
      remoteSigner: true,
      verifierKey: remote.value.verifierKey,
      close: async () => {
        remote.value.close();
        await store.close();
      },
    });
  }
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
    ...common,
    signer: signer.value,
    checkpointSigner: checkpointSigner.value,
    receipts: signer.value,
    remoteSigner: false,
    verifierKey: verifierKeyText(signer.value),
    close: () => store.close(),
  });
}

/** The store seen through each part's port (the same object: one database, one transaction). */
function ports(
  store: Store,
): Pick<
  CenterNode,
  'records' | 'journal' | 'devices' | 'operators' | 'leases' | 'access' | 'decoys' | 'security' | 'readings'
> {
  return {
    records: store,
    journal: store,
    devices: store,
    operators: store,
    leases: store,
    access: store,
    decoys: store,
    security: store,
    readings: store,
  };
}

/** How long a node asks its receipt key to be certified for: renewed at half, so an hour without the signer costs nothing. */
const RECEIPT_CERTIFICATE_SECONDS = 4 * 3600;

/** This node's name in its receipt key (`OPENPREP_NODE_ID`, else the host name). */
export function nodeId(env: NodeJS.ProcessEnv): string {
  const given = env['OPENPREP_NODE_ID'] ?? hostname();
  return given.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'node';
}
