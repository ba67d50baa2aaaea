import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type DatabaseHandle, openDatabase } from './index';

/** A PostgreSQL database of a test's own, with nothing in it yet. */
export interface EmptyTestDatabase {
  url: string;
  /** Drops the database, whoever is still connected to it. */
  drop(): Promise<void>;
}

/**
 * A new, empty PostgreSQL database on the server of `databaseUrl` (`DATABASE_URL` by
 * default): not migrated, for tests of what happens on a first start.
 */
export async function createEmptyTestDatabase(
  databaseUrl: string | undefined = process.env.DATABASE_URL,
): Promise<EmptyTestDatabase> {
  if (!databaseUrl) throw new Error('createEmptyTestDatabase needs a PostgreSQL URL');
  const name = `photogram_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/**
 * A fresh, migrated database for one test file: a new PostgreSQL database when
 * `DATABASE_URL` is set (dropped again on close), in-memory PGlite otherwise.
 */
export async function createTestDatabase(
  databaseUrl: string | undefined = process.env.DATABASE_URL,
): Promise<DatabaseHandle & { url: string | undefined }> {
  if (!databaseUrl) {
    return { ...(await openDatabase()), url: undefined };
  }
  const empty = await createEmptyTestDatabase(databaseUrl);
  const handle = await openDatabase({ url: empty.url }).catch(async (error: unknown) => {
    await empty.drop();
    throw error;
  });
  return {
    ...handle,
    kind: 'postgres',
    url: empty.url,
    async close() {
      await handle.close();
      await empty.drop();
    },
  };
}
