import { mkdtemp, rm } from 'node:fs/promises';
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
  const dataDir = await mkdtemp(join(tmpdir(), 'photogram-db-'));
  try {
    const first = await openDatabase({ dataDir });
    await first.db
      .insert(users)
      .values({ id: 'u1', username: 'bob', displayName: 'Bob', passwordHash: 'x' });
    await first.close();

    const second = await openDatabase({ dataDir });
    const rows = await second.db.select({ username: users.username }).from(users);
    // One journal row per committed migration: reopening found them applied and ran none
    // again (a rerun would fail on the existing tables or add rows here).
    const applied = await queryRows(
      second.db,
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    await second.close();
    expect(rows).toEqual([{ username: 'bob' }]);
    expect(applied).toEqual([{ n: journal.entries.length }]);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
