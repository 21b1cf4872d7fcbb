/**
 * A witness's folder (docs/witness.md): its Ed25519 key (`witness.key`, readable by its owner
 * only), its name, the last checkpoint it cosigned for the log (`log.json`) and its active
 * alarms (`alarms.json`). Every change is written durably (temporary file, fsync, rename,
 * fsync of the folder) before the witness acts on it: a cosignature is published only once the
 * checkpoint it vouches for is on disk, so a crash can never make it forget what it signed.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';
import { formatWitnessKey, type WitnessSigner } from '../journal/cosignature.ts';
import { rawPublicKeyOf } from '../journal/note.ts';
import { pathExists, writeFileDurably } from '../platform/durable_file.ts';

export const KEY_FILE = 'witness.key';
const IDENTITY_FILE = 'witness.json';
const LOG_FILE = 'log.json';
const ALARMS_FILE = 'alarms.json';

export type AlarmKind = 'rollback' | 'fork' | 'inconsistent-proof' | 'split-view';

export interface Alarm {
  readonly kind: AlarmKind;
  /** ISO 8601, the witness machine's clock. */
  readonly at: string;
  readonly message: string;
  /** Where the conflicting checkpoint came from: the center, or a peer's URL. */
  readonly source: string;
  /** The conflicting checkpoint note, kept as evidence (it is signed by the log's key). */
  readonly evidence: string;
}

/** The last checkpoint this witness cosigned for the log, and the note it published. */
export interface CosignedState {
  readonly logKey: string;
  readonly size: number;
  readonly rootHash: string;
  readonly cosignedNote: string;
  readonly cosignedAt: number;
}

const nameSchema = z.string().regex(/^[^\s+]{1,100}$/u, 'a name without spaces or "+", 1 to 100 characters');
const identitySchema = z.strictObject({ format: z.literal('openprep-witness/1'), name: nameSchema });
const cosignedSchema = z.strictObject({
  logKey: z.string().min(1),
  size: z.number().int().min(0),
  rootHash: z.string().length(44),
  cosignedNote: z.string().min(1),
  cosignedAt: z.number().int().min(0),
});
const alarmsSchema = z.array(
  z.strictObject({
    kind: z.enum(['rollback', 'fork', 'inconsistent-proof', 'split-view']),
    at: z.string(),
    message: z.string(),
    source: z.string(),
    evidence: z.string(),
  }),
);

export type StateError = 'not-a-witness' | 'exists' | 'bad-state';

export interface WitnessFolder {
  readonly folder: string;
  readonly signer: WitnessSigner;
  readonly verifierKey: string;
}

export function validWitnessName(name: string): boolean {
  return nameSchema.safeParse(name).success;
}

/** Makes a new witness: a fresh key, kept in `folder` (which must not hold a witness already). */
export async function initWitness(folder: string, name: string): Promise<Result<WitnessFolder, StateError>> {
  if (!validWitnessName(name))
    return err('bad-state', `the witness name ${JSON.stringify(name)} has a space or "+", or is too long`);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  if (await pathExists(path.join(folder, KEY_FILE)))
    return err('exists', `${folder} already holds a witness key; a witness keeps its key for good`);
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  await writeFileDurably(path.join(folder, KEY_FILE), pem, 0o600);
  await writeFileDurably(
    path.join(folder, IDENTITY_FILE),
    `${JSON.stringify({ format: 'openprep-witness/1', name })}\n`,
  );
  const signer = { name, privateKey };
  return ok({ folder, signer, verifierKey: formatWitnessKey(name, rawPublicKeyOf(privateKey)) });
}

async function readJson(file: string): Promise<Result<unknown, 'bad-state'>> {
  try {
    return ok(JSON.parse(await readFile(file, 'utf8')) as unknown);
  } catch (error) {
    return err('bad-state', `${file}: ${(error as Error).message}`);
  }
}

export async function openWitness(folder: string): Promise<Result<WitnessFolder, StateError>> {
  const keyFile = path.join(folder, KEY_FILE);
  if (!(await pathExists(keyFile)))
    return err('not-a-witness', `${folder} holds no witness (run openprep witness init first)`);
  const mode = (await stat(keyFile)).mode & 0o077;
  if (mode !== 0) return err('bad-state', `${keyFile} is readable by others; chmod 600 it`);
  const identity = await readJson(path.join(folder, IDENTITY_FILE));
  if (!identity.ok) return identity;
  const parsed = identitySchema.safeParse(identity.value);
  if (!parsed.success) return err('bad-state', `${IDENTITY_FILE}: ${parsed.error.issues[0]?.message}`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(keyFile, 'utf8'));
  } catch (error) {
    return err('bad-state', `${keyFile}: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') return err('bad-state', `${keyFile} is not an Ed25519 key`);
  const name = parsed.data.name;
  return ok({
    folder,
    signer: { name, privateKey },
    verifierKey: formatWitnessKey(name, rawPublicKeyOf(privateKey)),
  });
}

export async function readCosigned(folder: string): Promise<Result<CosignedState | null, 'bad-state'>> {
  const file = path.join(folder, LOG_FILE);
  if (!(await pathExists(file))) return ok(null);
  const json = await readJson(file);
  if (!json.ok) return json;
  const parsed = cosignedSchema.safeParse(json.value);
  return parsed.success ? ok(parsed.data) : err('bad-state', `${file}: ${parsed.error.issues[0]?.message}`);
}

export async function writeCosigned(folder: string, state: CosignedState): Promise<void> {
  await writeFileDurably(path.join(folder, LOG_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** Forgets the log's last cosigned checkpoint: the next one seen is trusted as the first. */
export async function forgetCosigned(folder: string): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(path.join(folder, LOG_FILE), { force: true });
}

export async function readAlarms(folder: string): Promise<Result<Alarm[], 'bad-state'>> {
  const file = path.join(folder, ALARMS_FILE);
  if (!(await pathExists(file))) return ok([]);
  const json = await readJson(file);
  if (!json.ok) return json;
  const parsed = alarmsSchema.safeParse(json.value);
  return parsed.success ? ok(parsed.data) : err('bad-state', `${file}: ${parsed.error.issues[0]?.message}`);
}

export async function writeAlarms(folder: string, alarms: readonly Alarm[]): Promise<void> {
  await writeFileDurably(path.join(folder, ALARMS_FILE), `${JSON.stringify(alarms, null, 2)}\n`);
}
