/**
 * The log's checkpoint signer. It remembers, in its own file beside its key (not in the
 * database), the last checkpoint it signed, and refuses to sign any tree that is not a
 * consistent extension of it (C2SP tlog-checkpoint: "a log MUST not sign any checkpoint
 * which is inconsistent with any checkpoint it previously signed"). Restoring an old
 * database and appending different entries is caught here.
 *
 * Several processes may sign with one key on one data folder (`serve`'s periodic checkpoints,
 * `openprep cut`): each signature is made under a lock file, after re-reading the state, so
 * the remembered checkpoint only ever grows whoever signs.
 */
import { readFile } from 'node:fs/promises';
import { withFileLock } from '../platform/file_lock.ts';
import { err, ok, type Result } from '../domain/result.ts';
import { formatCheckpointBody } from './checkpoint.ts';
import { writeFileDurably } from '../platform/durable_file.ts';
import { verifyConsistency } from './merkle.ts';
import type { KeyBackend } from './key_backend.ts';
import { type NoteSigner, signNote, signNoteWith } from './note.ts';

export interface SignInput {
  readonly size: number;
  readonly rootHash: Buffer;
  /**
   * The consistency proof between the two sizes compared (the last signed one is only known
   * under the lock: another process may have moved it), or one proof from the last size.
   */
  readonly consistencyProof:
    | readonly Uint8Array[]
    | ((fromSize: number, toSize: number) => readonly Uint8Array[] | Promise<readonly Uint8Array[]>);
  /** Sign even if smaller than the last signed tree, when it is a consistent prefix of it. */
  readonly allowPrefix?: boolean;
}

export interface SignedState {
  readonly size: number;
  readonly rootHash: Buffer;
}

export type SignerError =
  | 'smaller-than-last-signed'
  | 'inconsistent-with-last-signed'
  | 'bad-state-file'
  /** The signer service could not be reached or answered nothing usable (src/center/signer_client.ts). */
  | 'signer-unavailable';

/**
 * What a node asks of whoever signs its checkpoints: this process's CheckpointSigner (the
 * embedded default) or the signer service (src/center/signer_client.ts).
 */
export interface CheckpointSigning {
  readonly origin: string;
  sign(input: SignInput): Promise<Result<string, SignerError>>;
  /** The last checkpoint signed, as the signer holds it now (for the checks at start). */
  readLastSigned(): Promise<Result<SignedState | null, SignerError>>;
}

export class CheckpointSigner implements CheckpointSigning {
  readonly #signer: NoteSigner | KeyBackend;
  readonly #origin: string;
  readonly #stateFile: string;
  #last: SignedState | null;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    signer: NoteSigner | KeyBackend,
    origin: string,
    stateFile: string,
    last: SignedState | null,
  ) {
    this.#signer = signer;
    this.#origin = origin;
    this.#stateFile = stateFile;
    this.#last = last;
  }

  static async open(options: {
    readonly signer: NoteSigner | KeyBackend;
    readonly origin: string;
    readonly stateFile: string;
  }): Promise<Result<CheckpointSigner, 'bad-state-file'>> {
    const state = await readState(options.stateFile, options.origin);
    if (!state.ok) return state;
    return ok(new CheckpointSigner(options.signer, options.origin, options.stateFile, state.value));
  }

  get origin(): string {
    return this.#origin;
  }

  /** The last checkpoint signed, or null before the first. */
  get lastSigned(): SignedState | null {
    return this.#last;
  }

  async readLastSigned(): Promise<Result<SignedState | null, SignerError>> {
    const state = await readState(this.#stateFile, this.#origin);
    if (!state.ok) return state;
    if (state.value !== null && (this.#last === null || state.value.size >= this.#last.size))
      this.#last = state.value;
    return ok(this.#last);
  }

  /**
   * Signs the tree head when it is consistent with the last signed one (this process's or
   * another's): an extension of it, or — with `allowPrefix`, for a cut whose snapshot another
   * signer has overtaken — a prefix of it. The state is durable before the signed note is
   * returned, and never moves backwards.
   */
  async sign(input: SignInput): Promise<Result<string, SignerError>> {
    const signing = this.#queue.then(() =>
      withFileLock(`${this.#stateFile}.lock`, () => this.#signLocked(input)),
    );
    this.#queue = signing.catch(() => undefined);
    return signing;
  }

  async #signLocked(input: SignInput): Promise<Result<string, SignerError>> {
    const state = await readState(this.#stateFile, this.#origin);
    if (!state.ok) return state;
    // What another process signed counts as much as what this one did.
    if (state.value !== null && (this.#last === null || state.value.size >= this.#last.size))
      this.#last = state.value;
    const last = this.#last;
    const proof = async (from: number, to: number) =>
      typeof input.consistencyProof === 'function'
        ? input.consistencyProof(from, to)
        : input.consistencyProof;
    if (last !== null) {
      if (input.size < last.size && !input.allowPrefix)
        return err(
          'smaller-than-last-signed',
          `tree size ${input.size} is smaller than the signed ${last.size}`,
        );
      // Growth: the last signed tree is a prefix of this one. A prefix (a cut's snapshot that
      // another process overtook): this tree is a prefix of the last signed one.
      const [older, newer] =
        input.size >= last.size
          ? [last, { size: input.size, rootHash: input.rootHash }]
          : [{ size: input.size, rootHash: input.rootHash }, last];
      const consistent =
        older.size === newer.size
          ? older.rootHash.equals(newer.rootHash)
          : verifyConsistency({
              oldSize: older.size,
              newSize: newer.size,
              oldRoot: older.rootHash,
              newRoot: newer.rootHash,
              proof: await proof(older.size, newer.size),
            });
      if (!consistent)
        return err(
          'inconsistent-with-last-signed',
          `tree ${input.size} is not consistent with the signed tree ${last.size}: history was rewritten`,
        );
    }
    const body = formatCheckpointBody({ origin: this.#origin, size: input.size, rootHash: input.rootHash });
    const note =
      'privateKey' in this.#signer ? signNote(body, this.#signer) : await signNoteWith(body, this.#signer);
    // The remembered checkpoint only grows: signing a prefix leaves it where it is.
    if (last === null || input.size >= last.size) {
      await writeFileDurably(
        this.#stateFile,
        `${JSON.stringify({ origin: this.#origin, rootHash: input.rootHash.toString('base64'), size: input.size })}\n`,
        0o600,
      );
      this.#last = { size: input.size, rootHash: Buffer.from(input.rootHash) };
    }
    return ok(note);
  }
}

async function readState(
  stateFile: string,
  origin: string,
): Promise<Result<SignedState | null, 'bad-state-file'>> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ok(null);
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as { origin?: unknown; size?: unknown; rootHash?: unknown };
    const rootHash = Buffer.from(String(parsed.rootHash), 'base64');
    if (
      parsed.origin !== origin ||
      typeof parsed.size !== 'number' ||
      !Number.isSafeInteger(parsed.size) ||
      parsed.size < 0 ||
      rootHash.length !== 32
    )
      return err('bad-state-file', `signer state ${stateFile} is not for origin ${origin}`);
    return ok({ size: parsed.size, rootHash });
  } catch {
    return err('bad-state-file', `signer state ${stateFile} is not valid JSON`);
  }
}
