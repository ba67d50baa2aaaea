import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { queryRows } from './index';
import { createTestDatabase } from './testing';

// Killing a backend needs a PostgreSQL server; PGlite has none.
const onPostgres = test.skipIf(!process.env.DATABASE_URL);

// postgres.js's crash is thrown from a setImmediate, outside every promise: only the
// process sees it.
let uncaught: unknown[] = [];
const onUncaught = (error: unknown) => {
  uncaught.push(error);
};
beforeEach(() => {
  uncaught = [];
  process.on('uncaughtException', onUncaught);
});
afterEach(() => {
  process.off('uncaughtException', onUncaught);
});

onPostgres(
  'a transaction whose backend is killed mid-statement fails, and the process carries on',
  async () => {
    const handle = await createTestDatabase();
    const admin = postgres(handle.url ?? '', { max: 2, onnotice: () => {} });
    try {
      const locker = await admin.reserve();
      await locker`begin`;
      await locker`lock table users in exclusive mode`;
      // A statement without parameters: postgres.js then has nothing of its own to write
      // when the error arrives, which is the case that crashed the process every time.
      const transaction = handle.db.transaction(async (tx) => {
        await tx.execute(sql`lock table users in share mode`);
      });
      const pid = await waitForPid(
        admin,
        "wait_event_type = 'Lock' and query = 'lock table users in share mode'",
      );
      await admin`select pg_terminate_backend(${pid})`;
      await expect(transaction).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
      await locker`commit`;
      locker.release();

      // The pool opens a new connection; by the time it answers, a write postgres.js had
      // deferred to the dead one has run (and crashed the process, before the fix).
      const rows = await queryRows(handle.db, sql`select 1 as one`);
      expect(rows).toEqual([{ one: 1 }]);
      expect(uncaught).toEqual([]);
    } finally {
      await admin.end({ timeout: 5 });
      await handle.close();
    }
  },
);

onPostgres(
  'a statement sent after the transaction lost its connection fails, and nothing crashes',
  async () => {
    const handle = await createTestDatabase();
    const admin = postgres(handle.url ?? '', { max: 1, onnotice: () => {} });
    try {
      let proceed = () => {};
      const gate = new Promise<void>((resolve) => {
        proceed = resolve;
      });
      let second: unknown = 'not sent';
      // Between statements the transaction does other work (as an upload writes files),
      // and the backend is killed meanwhile.
      const transaction = handle.db.transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        await gate;
        second = await tx.execute(sql`select 2`).then(
          () => 'answered',
          (error: unknown) => error,
        );
      });
      const pid = await waitForPid(admin, "state = 'idle in transaction'");
      await admin`select pg_terminate_backend(${pid})`;
      // postgres.js rejects the transaction once it has seen the connection close.
      await expect(transaction).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
      proceed();
      await vi.waitFor(() => expect(second).toBeInstanceOf(Error));

      const rows = await queryRows(handle.db, sql`select 1 as one`);
      expect(rows).toEqual([{ one: 1 }]);
      expect(uncaught).toEqual([]);
    } finally {
      await admin.end({ timeout: 5 });
      await handle.close();
    }
  },
);

/** The backend of another session of this database in the given state (polled). */
async function waitForPid(admin: postgres.Sql, condition: string): Promise<number> {
  return vi.waitFor(
    async () => {
      const rows = await admin.unsafe(
        `select pid from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid()
           and application_name <> 'photogram-migrate' and ${condition}`,
      );
      const pid: unknown = rows[0]?.pid;
      if (typeof pid !== 'number') throw new Error(`no backend where ${condition}`);
      return pid;
    },
    { timeout: 10_000, interval: 20 },
  );
}
