/**
 * What the pure core is given instead of reaching for a platform: cryptography bound to the
 * election's verifier key (node:crypto in the CLI, src/verify/node_crypto.ts; WebCrypto in the
 * browser, src/site/verify_cut.ts) and a way to read the cut's files.
 */

/** The body of a signed note, or why it is not one signed by the election's key. */
export type OpenedNote =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly message: string };

export interface VerifierCrypto {
  /** The verifier key's name, e.g. `openprep.PEF2024.simulacro`. */
  readonly keyName: string;
  /** SHA-256 of the bytes, as 64 lowercase hex digits. */
  sha256Hex(bytes: Uint8Array): Promise<string>;
  /** Opens a C2SP signed note with the election's key. */
  openNote(text: string): Promise<OpenedNote>;
}

/** A cut's file by its path relative to the cut folder, or null when it is not there. */
export type ReadFile = (relative: string) => Promise<Uint8Array | null>;

export const utf8 = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
