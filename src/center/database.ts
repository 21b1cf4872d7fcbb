/**
 * Which store a center opens: SQLite in the data folder (the default), or PostgreSQL when
 * `DATABASE_URL` is set — then every node of the election points at the same database, and
 * `OPENPREP_DATABASE_SCHEMA` may keep one election apart from another in it.
 */
import process from 'node:process';
import { err, type Result } from '../domain/result.ts';
import { openPostgresStore } from '../store/postgres/postgres_store.ts';
import { openSqliteStore } from '../store/sqlite/sqlite_store.ts';
import type { Store } from '../store/store.ts';

export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string };

export function storeLocation(sqliteFile: string, env: NodeJS.ProcessEnv = process.env): StoreLocation {
  const url = env['DATABASE_URL'];
  if (url === undefined || url === '') return { kind: 'sqlite', file: sqliteFile };
  const schema = env['OPENPREP_DATABASE_SCHEMA'];
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
