/**
 * The log's checkpoint signer. It remembers, in its own file beside its key (not in the
 * database), the last checkpoint it signed, and refuses to sign any tree that is not a
 * consistent extension of it (C2SP tlog-checkpoint: "a log MUST not sign any checkpoint
 * which is inconsistent with any checkpoint it previously signed"). Restoring an old
 * database and appending different entries is caught here.
 */
import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../domain/result.ts';
import { formatCheckpointBody } from './checkpoint.ts';
import { writeFileDurably } from './durable_file.ts';
import { verifyConsistency } from './merkle.ts';
import { type NoteSigner, signNote } from './note.ts';

export interface SignedState {
  readonly size: number;
  readonly rootHash: Buffer;
}

export type SignerError = 'smaller-than-last-signed' | 'inconsistent-with-last-signed' | 'bad-state-file';

export class CheckpointSigner {
  readonly #signer: NoteSigner;
  readonly #origin: string;
  readonly #stateFile: string;
  #last: SignedState | null;

  private constructor(signer: NoteSigner, origin: string, stateFile: string, last: SignedState | null) {
    this.#signer = signer;
    this.#origin = origin;
    this.#stateFile = stateFile;
    this.#last = last;
  }

  static async open(options: {
    readonly signer: NoteSigner;
    readonly origin: string;
    readonly stateFile: string;
  }): Promise<Result<CheckpointSigner, 'bad-state-file'>> {
    let text: string;
    try {
      text = await readFile(options.stateFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return ok(new CheckpointSigner(options.signer, options.origin, options.stateFile, null));
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as { origin?: unknown; size?: unknown; rootHash?: unknown };
      const rootHash = Buffer.from(String(parsed.rootHash), 'base64');
      if (
        parsed.origin !== options.origin ||
        typeof parsed.size !== 'number' ||
        !Number.isSafeInteger(parsed.size) ||
        parsed.size < 0 ||
        rootHash.length !== 32
      )
        return err('bad-state-file', `signer state ${options.stateFile} is not for origin ${options.origin}`);
      return ok(
        new CheckpointSigner(options.signer, options.origin, options.stateFile, {
          size: parsed.size,
          rootHash,
        }),
      );
    } catch {
      return err('bad-state-file', `signer state ${options.stateFile} is not valid JSON`);
    }
  }

  get origin(): string {
    return this.#origin;
  }

  /** The last checkpoint signed, or null before the first. */
  get lastSigned(): SignedState | null {
    return this.#last;
  }

  /**
   * Signs the tree head when it extends the last signed one; `consistencyProof` proves
   * lastSigned.size → size. The state is durable before the signed note is returned.
   */
  async sign(input: {
    readonly size: number;
    readonly rootHash: Buffer;
    readonly consistencyProof: readonly Uint8Array[];
  }): Promise<Result<string, SignerError>> {
    const last = this.#last;
    if (last !== null) {
      if (input.size < last.size)
        return err(
          'smaller-than-last-signed',
          `tree size ${input.size} is smaller than the signed ${last.size}`,
        );
      const consistent =
        input.size === last.size
          ? input.rootHash.equals(last.rootHash)
          : verifyConsistency({
              oldSize: last.size,
              newSize: input.size,
              oldRoot: last.rootHash,
              newRoot: input.rootHash,
              proof: input.consistencyProof,
            });
      if (!consistent)
        return err(
          'inconsistent-with-last-signed',
          `tree ${input.size} is not an extension of the signed tree ${last.size}: history was rewritten`,
        );
    }
    const note = signNote(
      formatCheckpointBody({ origin: this.#origin, size: input.size, rootHash: input.rootHash }),
      this.#signer,
    );
    await writeFileDurably(
      this.#stateFile,
      `${JSON.stringify({ origin: this.#origin, rootHash: input.rootHash.toString('base64'), size: input.size })}\n`,
      0o600,
    );
    this.#last = { size: input.size, rootHash: Buffer.from(input.rootHash) };
    return ok(note);
  }
}
