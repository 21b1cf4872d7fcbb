/**
 * The data folder of a center node on the embedded default: the SQLite store, the election's
 * signing keys and the signer's state, and the published cuts.
 */
import path from 'node:path';
import process from 'node:process';

export interface DataPaths {
  readonly root: string;
  readonly database: string; // openprep.sqlite
  readonly keys: string; // keys/: <name>.key (private, 0600), <name>.pub (note verifier key)
  readonly signerState: string; // keys/signer-state.json: the last checkpoint the log key signed
  readonly secretsKey: string; // keys/secrets.key: seals operators' TOTP seeds (0600)
  readonly cuts: string; // cuts/: what the public sees
}

export function defaultDataDir(): string {
  return process.env['OPENPREP_DATA'] ?? 'data';
}

export function dataPaths(root: string): DataPaths {
  const absolute = path.resolve(root);
  return {
    root: absolute,
    database: path.join(absolute, 'openprep.sqlite'),
    keys: path.join(absolute, 'keys'),
    signerState: path.join(absolute, 'keys', 'signer-state.json'),
    secretsKey: path.join(absolute, 'keys', 'secrets.key'),
    cuts: path.join(absolute, 'cuts'),
  };
}
