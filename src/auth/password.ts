/**
 * Operator passwords: NIST SP 800-63B-4 rules (a minimum length, a generous maximum, a
 * blocklist of common and context words, no composition rules, Unicode normalised to NFKC),
 * stored as Argon2id (node:crypto) in the PHC string format.
 */
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../domain/result.ts';

/** OpenPREP requires a second factor always, so 800-63B-4 allows 8; we ask for 12. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

/** OWASP's Argon2id minimum: 19 MiB, 2 passes, 1 lane (~40 ms here). */
const PARAMS = { memory: 19_456, passes: 2, parallelism: 1, tagLength: 32 } as const;

/**
 * Passwords seen most in breach corpora, in English and Spanish, plus what people type at an
 * electoral institute. Compared after NFKC and lower-casing, with digits and symbols at the ends removed.
 */
const COMMON = new Set(
  `password passw0rd contraseña contrasena 123456 12345678 123456789 1234567890 qwerty qwertyuiop
  abc123 111111 000000 iloveyou admin administrator administrador welcome bienvenido letmein
  monkey dragon football futbol mexico méxico guadalajara monterrey america chivas cruzazul
  pumas tigres teamo tequiero amor corazon princesa estrella soleado secret secreto changeme
  cambiame sistemas usuario default master superman batman trustno1 zaq12wsx 1q2w3e4r
  elecciones eleccion electoral votacion votaciones democracia prep ine iee consejo casilla
  capturista verificador coordinador acopio catd`
    .split(/\s+/)
    .filter((word) => word.length > 0),
);

export type PasswordPolicyError = 'too-short' | 'too-long' | 'common' | 'context';

function normalise(password: string): string {
  return password.normalize('NFKC');
}

export function checkPasswordPolicy(
  password: string,
  context: readonly string[],
): Result<void, PasswordPolicyError> {
  const text = normalise(password);
  const length = [...text].length;
  if (length < MIN_PASSWORD_LENGTH)
    return err('too-short', `a password has at least ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH)
    return err('too-long', `a password has at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = text.toLowerCase();
  const core = lower.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  if (
    COMMON.has(lower) ||
    COMMON.has(core) ||
    /^(.)\1+$/u.test(lower) ||
    /^(0123456789|1234567890|abcdefghijkl)/.test(lower)
  )
    return err('common', 'this password is too common: choose a longer phrase of your own');
  for (const word of context) {
    const w = normalise(word).toLowerCase();
    if (w.length >= 4 && lower.includes(w)) return err('context', `a password must not contain "${word}"`);
  }
  return ok(undefined);
}

interface ArgonParams {
  readonly memory: number;
  readonly passes: number;
  readonly parallelism: number;
  readonly tagLength: number;
}

/** How long a hashing takes here, a moving average of the real ones (what a decoy waits). */
let typicalHashingMs = 40;
let hashings = 0;

/** Argon2id hashings run by this process (for tests: a decoy runs none). */
export function hashingsRun(): number {
  return hashings;
}

function argon(message: string, salt: Buffer, params: ArgonParams): Promise<Buffer> {
  const started = performance.now();
  hashings++;
  return new Promise((resolve, reject) =>
    argon2('argon2id', { message: normalise(message), nonce: salt, ...params }, (error, key) => {
      if (error) return reject(error);
      typicalHashingMs = 0.9 * typicalHashingMs + 0.1 * (performance.now() - started);
      resolve(Buffer.from(key));
    }),
  );
}

/**
 * What a sign-in for a name that does not exist does instead of Argon2id: it waits about as long
 * as a real hashing takes here, on a timer, and fails. The answer takes as long either way, and
 * a flood of made-up names costs the center no CPU (each would otherwise be a 19 MiB hashing).
 */
export async function decoyVerification(): Promise<false> {
  const jitter = 0.85 + Math.random() * 0.3;
  await new Promise((resolve) => setTimeout(resolve, typicalHashingMs * jitter));
  return false;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const tag = await argon(password, salt, PARAMS);
  return `$argon2id$v=19$m=${PARAMS.memory},t=${PARAMS.passes},p=${PARAMS.parallelism}$${salt.toString('base64url')}$${tag.toString('base64url')}`;
}

const PHC = /^\$argon2id\$v=19\$m=([0-9]+),t=([0-9]+),p=([0-9]+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const m = PHC.exec(phc);
  if (m === null) throw new Error('a stored password hash is not an Argon2id PHC string');
  const expected = Buffer.from(m[5]!, 'base64url');
  const tag = await argon(password, Buffer.from(m[4]!, 'base64url'), {
    memory: Number(m[1]),
    passes: Number(m[2]),
    parallelism: Number(m[3]),
    tagLength: expected.length,
  });
  return tag.length === expected.length && timingSafeEqual(tag, expected);
}

/**
 * Password hashings running at once, at most. Argon2id (node:crypto's callback form) runs on
 * libuv's thread pool — 4 threads, shared with every file write and fsync of intake and the
 * store: a flood of sign-ins hashing on all four would hold receipts behind it.
 */
export const CONCURRENT_HASHINGS = 2;
/** Sign-ins waiting for a hashing slot, at most (~40 ms each); beyond, the answer is "busy" at once. */
export const HASHINGS_WAITING = 8;

let hashing = 0;
const waiting: (() => void)[] = [];

/**
 * Runs `work` in a hashing slot, or answers 'busy' when too many already wait for one. A
 * trusted browser's sign-in (see accounts.ts) is never busy and goes first of those waiting:
 * a flood of strangers must not keep the operators out.
 */
export async function inHashingSlot<T>(
  work: () => Promise<T>,
  options: { readonly trusted?: boolean } = {},
): Promise<T | 'busy'> {
  if (hashing >= CONCURRENT_HASHINGS) {
    if (options.trusted !== true && waiting.length >= HASHINGS_WAITING) return 'busy';
    // The slot is handed over by the one that ends (below): `hashing` stays as it is.
    await new Promise<void>((resolve) =>
      options.trusted === true ? waiting.unshift(resolve) : waiting.push(resolve),
    );
  } else hashing++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next !== undefined) next();
    else hashing--;
  }
}
