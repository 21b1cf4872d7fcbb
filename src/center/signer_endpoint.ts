/**
 * Where a node finds the signer service (signer_service.ts), read from its environment by every
 * command that opens the center: a Unix socket on the same machine (`OPENPREP_SIGNER_SOCKET`),
 * or an HTTPS address on another (`OPENPREP_SIGNER_URL`) with mutual authentication — the one
 * CA this node trusts for the signer (pinned: not the system's list), and this node's own
 * certificate and key, which the signer checks against the CA it trusts for its nodes.
 * Neither: the election's key is in this process (the embedded default).
 */
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';

export const signerEnvironmentSchema = z.object({
  OPENPREP_SIGNER_SOCKET: z
    .string()
    .optional()
    .describe(
      "The signer service's Unix socket, on this machine (`openprep signer --socket`); unset or empty, and no `OPENPREP_SIGNER_URL`: the election's key is in the data folder (the embedded default).",
    ),
  OPENPREP_SIGNER_URL: z
    .string()
    .optional()
    .describe(
      'https://host:port of a signer service on another machine (`openprep signer --listen`), reached with mutual TLS; exclusive with `OPENPREP_SIGNER_SOCKET`. Needs the three below.',
    ),
  OPENPREP_SIGNER_CA: z
    .string()
    .optional()
    .describe(
      "PEM file of the CA the signer's certificate must come from: the only one trusted for it (the system's CAs are not).",
    ),
  OPENPREP_SIGNER_CLIENT_CERT: z
    .string()
    .optional()
    .describe(
      "PEM file of this node's client certificate (its CN names the node in the signer's log), from the CA the signer trusts for nodes.",
    ),
  OPENPREP_SIGNER_CLIENT_KEY: z
    .string()
    .optional()
    .describe("PEM file of that certificate's private key: mode 0600, readable by the node's user only."),
});

export interface TlsMaterial {
  /** The CA certificate(s), PEM. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export type SignerEndpoint =
  | { readonly kind: 'socket'; readonly socket: string }
  | { readonly kind: 'https'; readonly url: URL; readonly tls: TlsMaterial };

const given = (value: string | undefined): string | null =>
  value === undefined || value === '' ? null : value;

/**
 * The signer the environment names, its TLS files read: null when none is named (the key is in
 * this process). A half-given configuration, or a file that cannot be read, is an error: a node
 * meant to use a signer must not quietly sign with a key of its own.
 */
export async function signerEndpoint(
  env: NodeJS.ProcessEnv,
): Promise<Result<SignerEndpoint | null, 'bad-signer-config'>> {
  const socket = given(env['OPENPREP_SIGNER_SOCKET']);
  const url = given(env['OPENPREP_SIGNER_URL']);
  const files = {
    OPENPREP_SIGNER_CA: given(env['OPENPREP_SIGNER_CA']),
    OPENPREP_SIGNER_CLIENT_CERT: given(env['OPENPREP_SIGNER_CLIENT_CERT']),
    OPENPREP_SIGNER_CLIENT_KEY: given(env['OPENPREP_SIGNER_CLIENT_KEY']),
  };
  if (socket !== null && url !== null)
    return err('bad-signer-config', 'OPENPREP_SIGNER_SOCKET and OPENPREP_SIGNER_URL are both set: give one');
  if (socket !== null) return ok({ kind: 'socket', socket });
  if (url === null) {
    const stray = Object.entries(files).find(([, value]) => value !== null);
    if (stray !== undefined)
      return err('bad-signer-config', `${stray[0]} is set but OPENPREP_SIGNER_URL is not`);
    return ok(null);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return err('bad-signer-config', `OPENPREP_SIGNER_URL=${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'https:' || parsed.port === '' || parsed.pathname !== '/' || parsed.search !== '')
    return err(
      'bad-signer-config',
      `OPENPREP_SIGNER_URL=${url}: an https://host:port address and nothing more`,
    );
  const read: Partial<Record<keyof typeof files, string>> = {};
  for (const [name, file] of Object.entries(files) as [keyof typeof files, string | null][]) {
    if (file === null) return err('bad-signer-config', `OPENPREP_SIGNER_URL needs ${name} (a PEM file)`);
    const text = await readTlsFile(file, name === 'OPENPREP_SIGNER_CLIENT_KEY');
    if (!text.ok) return err('bad-signer-config', `${name}: ${text.message}`);
    read[name] = text.value;
  }
  return ok({
    kind: 'https',
    url: parsed,
    tls: {
      ca: read.OPENPREP_SIGNER_CA!,
      cert: read.OPENPREP_SIGNER_CLIENT_CERT!,
      key: read.OPENPREP_SIGNER_CLIENT_KEY!,
    },
  });
}

/**
 * A PEM file, read; a private key (`secret`) that others than its owner may read or write is
 * refused, as the signer's own key file is (src/journal/key_backend.ts).
 */
export async function readTlsFile(file: string, secret: boolean): Promise<Result<string, 'unreadable'>> {
  try {
    const info = await stat(file);
    if (secret && (info.mode & 0o077) !== 0)
      return err(
        'unreadable',
        `${file} may be read by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    const text = await readFile(file, 'utf8');
    if (!text.includes('-----BEGIN ')) return err('unreadable', `${file} is not a PEM file`);
    return ok(text);
  } catch (error) {
    return err('unreadable', `cannot read ${file}: ${(error as Error).message}`);
  }
}
