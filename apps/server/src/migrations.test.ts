import { createEmptyTestDatabase } from '@photogram/db/testing';
import postgres from 'postgres';
import { expect, test } from 'vitest';
import { spawnServer } from './testing/process';

// Several processes on one database need a PostgreSQL server; PGlite is one process per folder.
test.skipIf(!process.env.DATABASE_URL)(
  'three servers started at once on an empty database all become healthy, and the migrations ran once',
  async () => {
    const database = await createEmptyTestDatabase();
    const started = await Promise.allSettled(
      [1, 2, 3].map(() => spawnServer({ DATABASE_URL: database.url }, { startTimeoutMs: 60_000 })),
    );
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      expect(started.map((result) => result.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      const applied = await admin`select hash from drizzle.__drizzle_migrations`;
      expect(new Set(applied.map((row) => row.hash)).size).toBe(applied.length);
      expect(applied.length).toBeGreaterThan(0);
    } finally {
      await admin.end({ timeout: 5 });
      await Promise.all(
        started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : null)),
      );
      await database.drop();
    }
  },
  120_000,
);
