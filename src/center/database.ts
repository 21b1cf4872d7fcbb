/**
 * Which store a center opens: SQLite in the data folder (the default), or PostgreSQL when
 * `DATABASE_URL` is set — then every node of the election points at the same database, and
 * `OPENPREP_DATABASE_SCHEMA` may keep one election apart from another in it.
 */
import process from 'node:process';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';
import {
  openPostgresStore,
  POSTGRES_CODE_SCHEMA,
  readPostgresSchema,
} from '../store/postgres/postgres_store.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import type { Store } from '../store/store.ts';

export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string };

/** The environment variables that choose the store (read by every command that opens one; docs/configuration.md). */
export const databaseEnvironmentSchema = z.object({
  DATABASE_URL: z
    .string()
    .optional()
    .describe(
      'postgresql://user@host:5432/db: the PostgreSQL database every node of the election shares (docs/store.md); unset or empty: SQLite in the data folder.',
    ),
  OPENPREP_DATABASE_SCHEMA: z
    .string()
    .optional()
    .describe(
      "A PostgreSQL schema of lowercase letters, digits and _ that keeps an election (or a drill) apart from others in the same database; unset: the URL's search path.",
    ),
  // Read by src/center/secrets_key.ts; listed here with the others every node is given.
  OPENPREP_SECRETS_KEY_FILE: z
    .string()
    .optional()
    .describe(
      "The election's secrets key (seals the operators' TOTP seeds), one file of mode 0600 given to every node; `init` writes a new one there if it is missing. Unset: the systemd credential `openprep-secrets.key`, else the data folder's `keys/secrets.key` (made on first use: one node only). docs/deployment.md, \"The secrets key\".",
    ),
});

export function storeLocation(sqliteFile: string, env: NodeJS.ProcessEnv = process.env): StoreLocation {
  const { DATABASE_URL: url, OPENPREP_DATABASE_SCHEMA: schema } = databaseEnvironmentSchema.parse({
    DATABASE_URL: env['DATABASE_URL'],
    OPENPREP_DATABASE_SCHEMA: env['OPENPREP_DATABASE_SCHEMA'],
  });
  if (url === undefined || url === '') return { kind: 'sqlite', file: sqliteFile };
  return { kind: 'postgres', url, ...(schema !== undefined && schema !== '' ? { schema } : {}) };
}

export function describeLocation(location: StoreLocation): string {
  if (location.kind === 'sqlite') return location.file;
  // Never the password.
  const url = new URL(location.url);
  return `postgresql://${url.host}${url.pathname}${location.schema !== undefined ? ` (schema ${location.schema})` : ''}`;
}

export async function openStore(
  location: StoreLocation,
): Promise<Result<Store, 'database-newer-than-code' | 'database-unreadable'>> {
  if (location.kind === 'sqlite') return openSqliteStore(location.file);
  if (!/^postgres(ql)?:\/\//.test(location.url))
    return err('database-unreadable', 'DATABASE_URL must be a postgres:// or postgresql:// URL');
  return openPostgresStore({
    url: location.url,
    ...(location.schema !== undefined ? { schema: location.schema } : {}),
  });
}

/**
 * What a rolling upgrade checks before it starts (`openprep schema`): this code's schema
 * version and the oldest version whose code runs on it, and the database's, read without
 * migrating. PostgreSQL only: several nodes and two releases at once share one only there.
 */
export async function schemaStatus(env: NodeJS.ProcessEnv = process.env): Promise<
  Result<
    {
      readonly code: { readonly version: number; readonly oldestReader: number };
      readonly database: { readonly version: number; readonly oldestReader: number } | null;
      /** Whether this code may run on the database as it is (migrating it up if older). */
      readonly runs: boolean;
    },
    'not-postgres' | 'database-unreadable'
  >
> {
  const location = storeLocation('', env);
  if (location.kind !== 'postgres')
    return err(
      'not-postgres',
      'DATABASE_URL is not set: a rolling upgrade needs the nodes on one PostgreSQL',
    );
  const database = await readPostgresSchema(location);
  if (!database.ok) return database;
  const code = POSTGRES_CODE_SCHEMA;
  const db = database.value;
  return ok({
    code,
    database: db,
    runs: db === null || db.version <= code.version || db.oldestReader <= code.version,
  });
}
