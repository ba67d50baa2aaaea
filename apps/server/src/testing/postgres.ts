import type postgres from 'postgres';
import { vi } from 'vitest';

/**
 * The pid of the backend whose INSERT into posts waits for a lock, asked through `sql`
 * (another connection to the same database); polled, since waiting is all it does.
 */
export async function waitForBlockedInsert(sql: postgres.Sql): Promise<number> {
  return vi.waitFor(
    async () => {
      const rows = await sql`
        select pid from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()
          and wait_event_type = 'Lock' and query ilike 'insert into "posts"%'`;
      const pid: unknown = rows[0]?.pid;
      if (typeof pid !== 'number') throw new Error('the upload is not waiting for the lock yet');
      return pid;
    },
    { timeout: 10_000, interval: 20 },
  );
}
