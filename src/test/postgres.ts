/**
 * Test helpers for PostgreSQL: the server the tests use (the machine's, on loopback, or
 * OPENPREP_TEST_DATABASE_URL), whether it answers, and dropping a test's schema. Where
 * OPENPREP_REQUIRE_POSTGRES=1 (CI), a missing server fails the tests instead of skipping them.
 */
import process from 'node:process';
import pg from 'pg';

export const TEST_DATABASE_URL =
  process.env['OPENPREP_TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** Null when the server answers; otherwise why the tests that need it are skipped. */
export async function postgresUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 });
  let problem: string | null = null;
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    problem = `no PostgreSQL at ${TEST_DATABASE_URL}: ${(error as Error).message}`;
  }
  if (problem !== null && process.env['OPENPREP_REQUIRE_POSTGRES'] === '1') throw new Error(problem);
  return problem;
}

export async function dropSchemas(schemas: readonly string[], url = TEST_DATABASE_URL): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const schema of schemas)
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
