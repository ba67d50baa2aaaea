import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type DatabaseHandle, openDatabase } from './index';

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
  const name = `photogram_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString() });
  return {
    ...handle,
    kind: 'postgres',
    url: url.toString(),
    async close() {
      await handle.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}
