/**
 * The secrets key of a node (src/auth/secret_box.ts seals the operators' TOTP seeds with it).
 * Every node of an election must hold the same one: a seed sealed by one node is opened by
 * whichever node the next sign-in reaches. Where it comes from, first found:
 *
 * 1. `OPENPREP_SECRETS_KEY_FILE`: a file the deployment gives each node (mode 0600), like a
 *    database password;
 * 2. `$CREDENTIALS_DIRECTORY/openprep-secrets.key`: the same, as a systemd credential
 *    (`LoadCredential=openprep-secrets.key:/etc/openprep/secrets.key`);
 * 3. the data folder's `keys/secrets.key`, made on first use: the embedded default, one node.
 *
 * The store keeps a check value sealed under the key of the first node that opened it: a node
 * whose key does not open it (or does not open the seeds already sealed, on a store from
 * before the check) is refused at start, naming the file — rather than letting the operators'
 * second factor fail on some nodes and not others.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SecretBox } from '../auth/secret_box.ts';
import type { Operators } from '../auth/operators_port.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { ActaRecordsTx } from '../capture/records_port.ts';
import type { DataPaths } from './data_dir.ts';

export type SecretsKeyError = 'secrets-key-unreadable' | 'secrets-key-mismatch';

/** The credential's name under systemd's `$CREDENTIALS_DIRECTORY`. */
export const SECRETS_CREDENTIAL = 'openprep-secrets.key';
/** The store's meta key holding the check value. */
const CHECK_META = 'secrets-key-check';
const CHECK_OWNER = 'openprep:secrets-key-check';
const CHECK_TEXT = 'the secrets key of this election';

export interface SecretsKeySource {
  readonly file: string;
  /** Given by the deployment (must exist), rather than the data folder's own (made on first use). */
  readonly given: boolean;
}

export function secretsKeySource(paths: DataPaths, env: NodeJS.ProcessEnv): SecretsKeySource {
  const file = env['OPENPREP_SECRETS_KEY_FILE'];
  if (file !== undefined && file !== '') return { file: path.resolve(file), given: true };
  const credentials = env['CREDENTIALS_DIRECTORY'];
  if (credentials !== undefined && credentials !== '') {
    const credential = path.join(credentials, SECRETS_CREDENTIAL);
    if (existsSync(credential)) return { file: credential, given: true };
  }
  return { file: paths.secretsKey, given: false };
}

/** The key's box, checked against the store: what every command that seals or opens seeds uses. */
export async function openSecretBox(options: {
  readonly source: SecretsKeySource;
  readonly operators: Operators;
  readonly transaction: <T>(
    work: (tx: Pick<ActaRecordsTx, 'getMeta' | 'setMeta'>) => Promise<T>,
  ) => Promise<T>;
}): Promise<Result<SecretBox, SecretsKeyError>> {
  const { source } = options;
  let box: SecretBox;
  if (source.given) {
    const loaded = await SecretBox.load(source.file);
    if (!loaded.ok) return loaded;
    box = loaded.value;
  } else {
    await mkdir(path.dirname(source.file), { recursive: true, mode: 0o700 });
    box = await SecretBox.open(source.file);
  }
  const mismatch = (why: string) =>
    err(
      'secrets-key-mismatch',
      `the secrets key ${source.file} ${why}: every node of an election must be given the same secrets key (OPENPREP_SECRETS_KEY_FILE, docs/deployment.md)`,
    );
  // Seeds sealed before the check existed must open too, or the check would adopt a wrong key.
  // (Empty is absent: meta values cannot be deleted.)
  const existing = await options.transaction((tx) => tx.getMeta(CHECK_META));
  if (existing === null || existing === '') {
    const sealed = (await options.operators.operators()).filter((o) => o.totpSealed !== null);
    const wrong = sealed.filter((o) => box.open(o.totpSealed!, o.id) === null).length;
    if (wrong > 0)
      return mismatch(`does not open ${wrong} of the ${sealed.length} sealed TOTP seeds in the store`);
  }
  // The first node to get here records its key's check value; every other compares with it.
  const check = await options.transaction(async (tx) => {
    const stored = await tx.getMeta(CHECK_META);
    if (stored !== null && stored !== '') return stored;
    const mine = box.seal(Buffer.from(CHECK_TEXT), CHECK_OWNER);
    await tx.setMeta(CHECK_META, mine);
    return mine;
  });
  if (box.open(check, CHECK_OWNER)?.toString() !== CHECK_TEXT)
    return mismatch(
      'is not the key the other nodes of this election use (the store was sealed under another)',
    );
  return ok(box);
}

/** Writes a new key file for distribution (mode 0600); refuses to replace one. */
export async function writeNewSecretsKey(file: string): Promise<void> {
  const { open } = await import('node:fs/promises');
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(SecretBox.newKeyText());
    await handle.sync();
  } finally {
    await handle.close();
  }
}
