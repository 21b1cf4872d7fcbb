/**
 * Publishing a cut: snapshot the pipeline, sign the journal checkpoint (the signer refuses a
 * rewritten history), build the cut, write it atomically, then record it and journal
 * CUT_PUBLISHED. A crash between writing and recording is harmless: the rebuilt cut is
 * byte-identical, so the next attempt adopts the cut already in the cut store (a folder, or
 * an S3 bucket: cut_store.ts).
 */
import { formatCutId, formatIsoLocal } from '../domain/local_time.ts';
import { err, ok, type Result } from '../domain/result.ts';
import { openCheckpoint } from '../journal/checkpoint.ts';
import { checkEntry, decodeEntry } from '../journal/entries.ts';
import { hashLeaf, MerkleTree } from '../journal/merkle.ts';
import type { JournalTreeView } from '../journal/journal_tree.ts';
import { parseVerifierKey } from '../journal/note.ts';
import type { SignerError } from '../journal/signer.ts';
import { buildCut, type CutRelease, type CutTimer, startTimer } from './cut_builder.ts';
import type { ReaderReport } from './reader_json.ts';
import type { EarlierCut } from './history_json.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { pointLatestTo, writeCutTo } from './cut_writer.ts';
import { LATEST_JSON } from './cut_store.ts';
import { type PublishedImages, publishImages } from './public_images.ts';
import type { CutStore } from './cut_store.ts';
import { FolderCutStore } from './folder_cut_store.ts';
import type { BlobStore } from '../images/blob_store.ts';
import { serializeElectionDefinition } from '../domain/election_definition.ts';
import type { CheckpointSigning } from '../journal/signer.ts';
import { type AnyNoteSigner, SignerUnavailable } from '../journal/note.ts';
import type { JournalHead, JournalPort } from '../journal/journal_port.ts';
import type { PublicationSource } from './snapshot_port.ts';
import type { LeasePort } from './lease_port.ts';
import type { WitnessPolicy } from '../domain/election.ts';
import { addCosignatureLine, openCosignatures, parseWitnessKey } from '../journal/cosignature.ts';

/**
 * What the publisher works with, handed in by the wiring (src/center/node.ts): the snapshot it
 * publishes, the journal it signs and records cuts in, the election's signers, and the folder
 * cuts are written to.
 */
export interface Publisher {
  readonly publication: PublicationSource;
  readonly journal: JournalPort;
  /** Signs the cut and latest statements: the key itself, or the signer service. */
  readonly signer: AnyNoteSigner;
  readonly checkpointSigner: CheckpointSigning;
  /** The data folder's `cuts/`: where cuts go when no other cut store is given. */
  readonly paths: { readonly cuts: string };
  /**
   * Where the publisher tells every node that a cut's checkpoint is waiting for its witnesses
   * (WITNESS_CHECKPOINT_LEASE); without it, `serve` goes on signing newer checkpoints meanwhile.
   */
  readonly leases?: LeasePort;
  /** The acta reader's figures now, for json/reader.json (center/reader.ts); none: the file says no model read. */
  readonly readerReport?: () => Promise<ReaderReport | null>;
}

/**
 * The lease row a publisher holds from its snapshot until its witnesses have cosigned (or the
 * wait is over): `serve` signs no periodic checkpoint meanwhile, so that the cut's checkpoint
 * stays the newest one, the one witnesses read at `GET /api/v1/checkpoint`. It expires by
 * itself should the publisher stop.
 */
export const WITNESS_CHECKPOINT_LEASE = 'witness-checkpoint';
/** Beyond the wait, how long a publisher may take from its snapshot to its signed checkpoint. */
const WITNESS_LEASE_MARGIN_MS = 120_000;

/** Whether a cut is waiting for its witnesses now (serve then signs no periodic checkpoint). */
export async function cutAwaitsWitnesses(leases: LeasePort, now: number): Promise<boolean> {
  const lease = await leases.transaction((tx) => tx.getLease(WITNESS_CHECKPOINT_LEASE));
  return lease !== null && lease.expiresAt > now;
}

export interface PublishedCut {
  readonly id: string;
  readonly sequence: number;
  /** Where the cut is: its folder, or its `s3://` prefix. */
  readonly folder: string;
  readonly manifestSha256: string;
  readonly journalSize: number;
  readonly final: boolean;
  readonly seconds: number;
  /** The acta images made public with this cut (null: no image store was given). */
  readonly images: PublishedImages | null;
  /** The witnesses whose cosignatures the cut's checkpoint carries (null: the election lists none). */
  readonly witnesses: CollectedCosignatures | null;
}

export type PublishError =
  | SignerError
  | 'cut-exists'
  | 'catalog-changed'
  | 'cut-store-unavailable'
  | 'closed'
  | 'time-went-backwards'
  | 'previous-unreadable';

export async function publishCut(
  node: Publisher,
  options: {
    readonly cutTime: number;
    readonly final?: boolean;
    /**
     * The center's image store: the images the cut names are made public beside it first
     * (src/publish/public_images.ts). `known` remembers, across a process's cuts, those already there.
     */
    readonly images?: { readonly blobs: BlobStore; readonly known?: Set<string> };
    /** Told how long each part took (bench/history.ts); without it nothing is timed. */
    readonly timer?: CutTimer;
    /** Where the cut goes: the node's `cuts/` folder by default. */
    readonly cuts?: CutStore;
    /** The release building the cut, as the bootstrap attested it; null (the default): a development checkout. */
    readonly release?: CutRelease | null;
    /** How the wait for witnesses sleeps: tests, and the demo, whose in-process witnesses look at each wait; real time by default. */
    readonly witnessWait?: WitnessWait;
  },
): Promise<Result<PublishedCut, PublishError>> {
  const started = performance.now();
  const cutStore = options.cuts ?? new FolderCutStore(node.paths.cuts);
  const pipeline = node.publication;
  const election = pipeline.election;
  const store = node.journal;
  const cuts = await store.cuts();
  const previous = cuts.at(-1) ?? null;
  if (previous?.final === true)
    return err('closed', `the final cut ${previous.id} is published; the PREP is closed`);
  if (previous !== null && options.cutTime <= previous.cutTime)
    return err('time-went-backwards', `cut time is not after the last cut ${previous.id}`);
  const cutId = formatCutId(options.cutTime, election.utcOffsetMinutes);
  if (previous !== null && previous.id === cutId)
    return err('cut-exists', `cut ${cutId} is already published; cuts are at least a minute apart`);
  // A publisher stopped between recording its cut and moving the pointer left the pointer
  // behind the record: moved now, before anything else (never backwards: a cut id is its time).
  if (previous !== null) {
    const repaired = await catchUpPointer(cutStore, node.signer, {
      cutId: previous.id,
      manifestSha256: previous.manifestSha256,
      cutTime: formatIsoLocal(previous.cutTime, election.utcOffsetMinutes),
    }).catch((error: unknown) => {
      if (error instanceof SignerUnavailable)
        return err('signer-unavailable', `the signer: ${error.message}`);
      throw error;
    });
    if (!repaired.ok) return repaired;
  }
  // Once closed (a final cut that failed after closing), every next cut is the final one.
  const final = options.final ?? (options.cutTime >= pipeline.closesAt || (await pipeline.intakeClosed()));
  // Closed before the snapshot: whatever intake, capture or import commits afterwards is
  // refused (after-close) instead of being accepted into a result the final cut never shows.
  if (final) await pipeline.closeIntake(options.cutTime, `final cut ${cutId}`);

  // Witnesses read the newest checkpoint: from the snapshot until they have cosigned this cut's,
  // serve signs no other (WITNESS_CHECKPOINT_LEASE).
  const policy = election.witnesses;
  const holdCheckpoints = async (expiresAt: number) => {
    if (policy === undefined || policy.required === 0 || node.leases === undefined) return;
    await node.leases.transaction((tx) =>
      tx.putLease({ name: WITNESS_CHECKPOINT_LEASE, holder: cutId, expiresAt }),
    );
  };
  await holdCheckpoints(options.cutTime + (policy?.waitSeconds ?? 0) * 1000 + WITNESS_LEASE_MARGIN_MS);
  // Released however this part ends: a stopped publisher's hold expires by itself.
  const checkpointed = await (async () => {
    const { head, actas } = await pipeline.snapshot();
    const tree = new MerkleTree(await store.journalLeafHashes(0, head.size));
    const signed = await signCheckpoint(node, head, options.cutTime, tree, { allowPrefix: true });
    if (!signed.ok) return signed;
    // The witnesses see this checkpoint at /api/v1/checkpoint and hand their cosignatures to
    // serve, which keeps them in the store this process reads (docs/witness.md).
    const witnesses =
      policy === undefined
        ? null
        : await collectCosignatures(store, signed.value, head.size, policy, options.witnessWait);
    return ok({ head, actas, tree, signed: signed.value, witnesses });
  })().finally(() => holdCheckpoints(0));
  if (!checkpointed.ok) return checkpointed;
  const { head, actas, tree, witnesses } = checkpointed.value;
  const checkpointNote = witnesses?.note ?? checkpointed.value.signed;
  let images: PublishedImages | null = null;
  if (options.images !== undefined) {
    const hashes: string[] = [];
    for (const list of actas.values())
      for (const acta of list) if (acta.submission !== null) hashes.push(acta.submission.imageSha256);
    images = await publishImages({
      blobs: options.images.blobs,
      cuts: cutStore,
      hashes,
      ...(options.images.known === undefined ? {} : { known: options.images.known }),
    });
  }

  // The history and the changes since the previous cut are built from its published files.
  let earlier: EarlierCut | undefined;
  if (previous !== null) {
    const readDone = startTimer(options.timer, 'previous-read');
    const read = await readEarlierCut(cutStore, previous.id, previous.manifestSha256);
    readDone();
    if (!read.ok) return read;
    earlier = read.value;
  }
  const catalogCsv = Buffer.from(pipeline.catalogCsv, 'utf8');
  const electionJson = Buffer.from(serializeElectionDefinition(election), 'utf8');
  const sequence = (previous?.sequence ?? 0) + 1;
  // The cut and latest statements go to the signer service where there is one; if it is
  // away now, the cut waits (nothing was written yet, or only the folder: adopted next time).
  const unavailable = (error: unknown) => {
    if (error instanceof SignerUnavailable) return err('signer-unavailable', `the signer: ${error.message}`);
    throw error;
  };
  const cut = await buildCut({
    election,
    catalog: pipeline.catalog,
    catalogCsv,
    electionJson,
    actas,
    cutTime: options.cutTime,
    sequence,
    final,
    journal: {
      size: head.size,
      rootHash: head.rootHash,
      checkpointNote,
      consistencyProof: previous === null ? [] : tree.consistencyProof(previous.journalSize, head.size),
    },
    previous:
      previous === null
        ? null
        : { id: previous.id, journalSize: previous.journalSize, manifestSha256: previous.manifestSha256 },
    ...(earlier === undefined ? {} : { earlier }),
    signer: node.signer,
    release: options.release ?? null,
    ...(options.timer === undefined ? {} : { timer: options.timer }),
    reader: (await node.readerReport?.()) ?? null,
  }).catch(unavailable);
  if ('ok' in cut) return cut;
  const writeDone = startTimer(options.timer, 'write');
  const written = await writeCutTo(cutStore, {
    cut,
    electionId: election.id,
    catalogCsv,
    electionJson,
    cutTime: formatIsoLocal(options.cutTime, election.utcOffsetMinutes),
    signer: node.signer,
    // Recorded first, then pointed to: a second publisher that lost the lease unawares fails
    // at the record (one cut a sequence number) before it can move the public pointer.
    pointer: false,
  }).catch(unavailable);
  // A cut already stored whole with this manifest (written before a crash) is `present`: adopted.
  if (!written.ok) return written;
  writeDone();
  const recorded = await store
    .transaction(async (tx) => {
      await tx.addCut({
        sequence,
        id: cut.cutId,
        cutTime: options.cutTime,
        journalSize: head.size,
        manifestSha256: cut.manifestSha256,
        final,
      });
      await tx.appendJournal({
        type: 'CUT_PUBLISHED',
        at: options.cutTime,
        cutId: cut.cutId,
        sequence,
        final,
        journalSize: head.size,
        manifestSha256: cut.manifestSha256,
      });
    })
    .then(
      () => true,
      async (error: unknown) => {
        // Another publisher recorded this sequence meanwhile (it took the lease while this one
        // was building): this cut is not the night's, and the pointer is not moved to it.
        if ((await store.cuts()).some((c) => c.sequence === sequence)) return false;
        throw error;
      },
    );
  if (!recorded)
    return err(
      'cut-exists',
      `another publisher recorded cut #${sequence} first (the cut-builder lease passed while this one was building); ${cut.cutId} is left unnamed`,
    );
  const pointed = await pointLatestTo(cutStore, {
    cutId: cut.cutId,
    manifestSha256: cut.manifestSha256,
    cutTime: formatIsoLocal(options.cutTime, election.utcOffsetMinutes),
    signer: node.signer,
  }).catch(unavailable);
  // Recorded but not yet pointed to: the next publish moves the pointer first (catchUpPointer).
  if (!pointed.ok) return pointed;
  return ok({
    id: cut.cutId,
    sequence,
    folder: cutStore.whereIs(cut.cutId),
    manifestSha256: cut.manifestSha256,
    journalSize: head.size,
    final,
    seconds: Math.round(performance.now() - started) / 1000,
    images,
    witnesses,
  });
}

export interface CollectedCosignatures {
  /** The log's checkpoint note with the collected cosignature lines under it. */
  readonly note: string;
  readonly cosigners: readonly string[];
  readonly required: number;
  readonly waitedSeconds: number;
}

export interface WitnessWait {
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Waits up to the definition's `waitSeconds` for `required` distinct witnesses to cosign the
 * checkpoint of `size`, reading the store (the cut may be built in another process than the
 * one the witnesses post to), then adds every valid cosignature line to the note. Fewer than
 * required: the cut is published anyway, with those it has, and verification says the policy
 * was not met: a missing witness must not stop the night's publication.
 */
export async function collectCosignatures(
  journal: JournalPort,
  note: string,
  size: number,
  policy: WitnessPolicy,
  wait: WitnessWait = {},
): Promise<CollectedCosignatures> {
  const keys = policy.keys.flatMap((text) => {
    const key = parseWitnessKey(text);
    return key.ok ? [key.value] : [];
  });
  const pollMs = wait.pollMs ?? 250;
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = performance.now();
  const deadline = started + policy.waitSeconds * 1000;
  let cosigned = note;
  let cosigners: string[] = [];
  for (;;) {
    cosigned = note;
    for (const row of await journal.cosignatures(size)) {
      const candidate = addCosignatureLine(cosigned, row.line);
      // Stored only once verified (src/server/witness_routes.ts); checked again against the
      // keys this definition lists, so a line that does not verify never reaches a cut.
      if (openCosignatures(candidate, keys).ok) cosigned = candidate;
    }
    const opened = openCosignatures(cosigned, keys);
    cosigners = opened.ok ? opened.value.cosignatures.map((c) => c.name) : [];
    if (cosigners.length >= policy.required || performance.now() >= deadline) break;
    await sleep(Math.min(pollMs, Math.max(1, deadline - performance.now())));
  }
  return {
    note: cosigned,
    cosigners,
    required: policy.required,
    waitedSeconds: Math.round(performance.now() - started) / 1000,
  };
}

/** What a crashed publisher left in a cuts folder (folder_cut_store.ts); run when `openprep cut` starts. */
export { cleanLeftoverTemporaries } from './folder_cut_store.ts';

/** Moves the pointer to the last recorded cut when it names an earlier one (or none). */
async function catchUpPointer(
  store: CutStore,
  signer: AnyNoteSigner,
  last: { readonly cutId: string; readonly manifestSha256: string; readonly cutTime: string },
): Promise<Result<void, 'cut-store-unavailable'>> {
  const latest = await store.read(LATEST_JSON);
  if (!latest.ok && latest.code === 'unavailable') return err('cut-store-unavailable', latest.message);
  let named: unknown = null;
  if (latest.ok)
    try {
      named = (JSON.parse(latest.value.toString('utf8')) as { cut?: unknown }).cut;
    } catch {
      named = null;
    }
  if (typeof named === 'string' && named >= last.cutId) return ok(undefined);
  return pointLatestTo(store, { ...last, signer });
}

/** Recomputes the journal's tree from its stored entries and checks every stored checkpoint. */
export async function verifyJournal(node: {
  readonly journal: JournalPort;
  /** The public key the checkpoints are verified with. */
  readonly verifierKey: string;
}): Promise<Result<{ size: number; checkpoints: number }, 'journal-corrupt'>> {
  const store = node.journal;
  const head = await store.journalHead();
  const entries = await store.journalEntries(0, head.size);
  const hashes = await store.journalLeafHashes(0, head.size);
  for (let i = 0; i < entries.length; i++) {
    if (!hashLeaf(entries[i]!).equals(hashes[i]!))
      return err('journal-corrupt', `entry ${i} does not hash to its leaf`);
    const decoded = decodeEntry(entries[i]!);
    if (!decoded.ok) return err('journal-corrupt', `entry ${i} is not a canonical journal entry`);
    // Every entry is of a known type with exactly its fields (docs/journal.md, entry_types.ts).
    const typed = checkEntry(decoded.value);
    if (!typed.ok) return err('journal-corrupt', `entry ${i}: ${typed.message}`);
  }
  const tree = new MerkleTree(hashes);
  if (!tree.root(head.size).equals(head.rootHash))
    return err('journal-corrupt', 'the stored frontier does not match the stored leaves');
  const checkpoints = await store.checkpoints();
  const key = parseVerifierKey(node.verifierKey);
  if (!key.ok) throw new Error(key.message);
  for (const checkpoint of checkpoints) {
    const opened = openCheckpoint(checkpoint.note, [key.value]);
    if (!opened.ok) return err('journal-corrupt', `checkpoint ${checkpoint.size}: ${opened.message}`);
    if (checkpoint.size > head.size || !tree.root(checkpoint.size).equals(opened.value.rootHash))
      return err(
        'journal-corrupt',
        `checkpoint ${checkpoint.size} does not match the journal: history was rewritten`,
      );
  }
  return ok({ size: head.size, checkpoints: checkpoints.length });
}

/**
 * Signs a checkpoint of the journal at `head` (the signer refuses one inconsistent with the
 * last it signed) and stores it. Also run periodically by `openprep serve`, so that witnesses
 * and crash tests have checkpoints between cuts.
 */
export async function signCheckpoint(
  node: Pick<Publisher, 'journal' | 'checkpointSigner'>,
  head: JournalHead,
  at: number,
  tree?: JournalTreeView,
  options: { readonly allowPrefix?: boolean } = {},
): Promise<Result<string, SignerError>> {
  const store = node.journal;
  tree ??= new MerkleTree(await store.journalLeafHashes(0, head.size));
  const proofTree = tree;
  const signed = await node.checkpointSigner.sign({
    size: head.size,
    rootHash: head.rootHash,
    // Past this head only when another process signed further: then the leaves are read again.
    consistencyProof: async (from, to) =>
      to <= proofTree.size
        ? proofTree.consistencyProof(from, to)
        : new MerkleTree(await store.journalLeafHashes(0, to)).consistencyProof(from, to),
    allowPrefix: options.allowPrefix ?? false,
  });
  if (!signed.ok) return signed;
  await store.transaction(async (tx) => {
    await tx.addCheckpoint({ size: head.size, rootHash: head.rootHash, note: signed.value, signedAt: at });
  });
  return signed;
}

/**
 * The previous cut's files the next cut continues from, each checked against what was
 * published: its manifest.json by the SHA-256 the store recorded, every other file by the hash
 * that manifest lists. A disk that lost or damaged one of them gives `previous-unreadable`
 * (publication waits, the scheduler says why), never a history continued from wrong bytes.
 */
async function readEarlierCut(
  store: CutStore,
  cutId: string,
  manifestSha256: string,
): Promise<Result<EarlierCut, 'previous-unreadable' | 'cut-store-unavailable'>> {
  const unreadable = (why: string) =>
    err(
      'previous-unreadable',
      `the previous cut ${store.whereIs(cutId)}: ${why}; the history of the night continues from it`,
    );
  const read = async (name: string): Promise<Result<Buffer | null, 'cut-store-unavailable'>> => {
    const got = await store.read(`${cutId}/${name}`);
    if (got.ok) return got;
    return got.code === 'not-found' ? ok(null) : err('cut-store-unavailable', got.message);
  };
  const manifestBytes = await read('manifest.json');
  if (!manifestBytes.ok) return manifestBytes;
  if (manifestBytes.value === null) return unreadable('manifest.json cannot be read');
  if (sha256Hex(manifestBytes.value) !== manifestSha256)
    return unreadable('manifest.json is not the one published (its SHA-256 differs from the recorded one)');
  const manifest = JSON.parse(manifestBytes.value.toString('utf8')) as {
    files: { path: string; sha256: string }[];
    contests: { csv: string }[];
  };
  const listed = new Map(manifest.files.map((f) => [f.path, f.sha256] as const));
  const verified = async (name: string): Promise<Buffer | null> => {
    const bytes = await read(name);
    // A store that stops answering is the caller's exception: the cut waits.
    if (!bytes.ok) throw new Error(bytes.message);
    return bytes.value !== null && listed.get(name) === sha256Hex(bytes.value) ? bytes.value : null;
  };
  const history = await read('json/historial.json');
  if (!history.ok) return history;
  if (history.value === null || listed.get('json/historial.json') !== sha256Hex(history.value))
    return unreadable('json/historial.json is missing or not the file its manifest lists');
  // Checked now so a lost or damaged CSV stops this cut before it is built; read again (and
  // checked again) when its contest is built, so the night's CSVs are not all held at once.
  for (const { csv } of manifest.contests) {
    const bytes = await read(csv);
    if (!bytes.ok) return bytes;
    if (bytes.value === null || listed.get(csv) !== sha256Hex(bytes.value))
      return unreadable(`${csv} is missing or not the file its manifest lists`);
  }
  return ok({ history: history.value, manifestSha256, csv: verified });
}
