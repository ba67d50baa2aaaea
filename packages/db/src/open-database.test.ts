import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { expect, test } from 'vitest';
import journal from '../migrations/meta/_journal.json' with { type: 'json' };
import { openDatabase, queryRows, sqlState, UNIQUE_VIOLATION, users } from './index';
import { createTestDatabase } from './testing';

test('a test database is migrated and refuses a username that differs only in case', async () => {
  const handle = await createTestDatabase();
  try {
    await handle.db
      .insert(users)
      .values({ id: 'u1', username: 'alice', displayName: 'Alice', passwordHash: 'x' });
    const duplicate = await handle.db
      .insert(users)
      .values({ id: 'u2', username: 'ALICE', displayName: 'Alice', passwordHash: 'x' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(sqlState(duplicate)).toBe(UNIQUE_VIOLATION);
  } finally {
    await handle.close();
  }
});

test('embedded PGlite keeps its data in the data folder across reopenings', async () => {
  const root = await mkdtemp(join(tmpdir(), 'photogram-db-'));
  const dataDir = join(root, 'pglite');
  try {
    const first = await openDatabase({ dataDir });
    // Made beside and renamed into place: nothing else is left next to it.
    expect(await readdir(root)).toEqual(['pglite']);
    await first.db
      .insert(users)
      .values({ id: 'u1', username: 'bob', displayName: 'Bob', passwordHash: 'x' });
    await first.close();

    const second = await openDatabase({ dataDir });
    const rows = await second.db.select({ username: users.username }).from(users);
    // The small shared memory that keeps an idle server light (pglite.ts), on a reopening too.
    const buffers = await queryRows(second.db, sql`show shared_buffers`);
    // One journal row per committed migration: reopening found them applied and ran none
    // again (a rerun would fail on the existing tables or add rows here).
    const applied = await queryRows(
      second.db,
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    await second.close();
    expect(rows).toEqual([{ username: 'bob' }]);
    expect(applied).toEqual([{ n: journal.entries.length }]);
    expect(buffers).toEqual([{ shared_buffers: '16MB' }]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a data folder with files but no database in it is refused and left as it was', async () => {
  const root = await mkdtemp(join(tmpdir(), 'photogram-db-'));
  const dataDir = join(root, 'pglite');
  try {
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'notes.txt'), 'mine');
    await expect(openDatabase({ dataDir })).rejects.toThrow(
      `${dataDir} has files but no PostgreSQL database (no PG_VERSION); move it away or empty it`,
    );
    expect(await readdir(root)).toEqual(['pglite']);
    expect(await readdir(dataDir)).toEqual(['notes.txt']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
