import { notifications } from '@photogram/db';
import { asc, eq } from 'drizzle-orm';
import postgres from 'postgres';
import { expect, test, vi } from 'vitest';
import { signUpPerson } from './testing/client';
import { testDatabase } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer } from './testing/server';

/** Backends of this database waiting for a row lock, asked through another connection. */
async function lockWaiters(sql: postgres.Sql): Promise<number> {
  const [row] = await sql`
    select count(*)::int as waiting from pg_locks
    join pg_stat_activity using (pid)
    where datname = current_database() and not granted`;
  return Number(row?.waiting ?? 0);
}

// Row locks between concurrent transactions need a PostgreSQL server (PGlite has one connection).
test.skipIf(!process.env.DATABASE_URL)(
  'two uploads whose followers and caption mentions cross do not deadlock: heads are locked in one order',
  async () => {
    const database = await testDatabase();
    const server = await startTestServer({ database, logger: { level: 'error' } });
    const url = database.url;
    if (!url) throw new Error('a PostgreSQL test database has a URL');
    const admin = postgres(url, { max: 2, onnotice: () => {} });
    try {
      const [first, second, x, y] = await Promise.all(
        ['lkfirst', 'lksecond', 'lkx', 'lky'].map((prefix) => signUpPerson(server.url, prefix)),
      );
      if (!first || !second || !x || !y) throw new Error('people missing');
      // The first upload's follower is X and its caption names Y; the second's the reverse.
      await x.client.follows.follow.mutate({ userId: first.user.id });
      await y.client.follows.follow.mutate({ userId: second.user.id });
      const photo = await solidImage(40, 30);

      // Y's head held by another transaction: the second upload waits on it first.
      const locker = await admin.reserve();
      await locker`begin`;
      await locker`insert into notification_heads (recipient_id, seq) values (${y.user.id}, 0)
                   on conflict (recipient_id) do update set seq = notification_heads.seq`;
      const secondUpload = second.client.posts.upload.mutate(
        uploadForm(photo, { caption: `for @${x.user.username}` }),
      );
      await vi.waitFor(async () => expect(await lockWaiters(admin)).toBe(1), { timeout: 10_000 });
      // The first upload then queues behind it. Locked follower-first, it would hold X and
      // wait for Y while the second, once it had Y, waited for X: PostgreSQL would kill one.
      const firstUpload = first.client.posts.upload.mutate(
        uploadForm(photo, { caption: `for @${y.user.username}` }),
      );
      await vi.waitFor(async () => expect(await lockWaiters(admin)).toBe(2), { timeout: 10_000 });
      await locker`commit`;
      locker.release();

      const [one, two] = await Promise.all([firstUpload, secondUpload]);
      const told = async (userId: string) =>
        (
          await server.database.db
            .select({ type: notifications.type, postId: notifications.postId })
            .from(notifications)
            .where(eq(notifications.recipientId, userId))
            .orderBy(asc(notifications.id))
        ).map((row) => `${row.type} ${row.postId}`);
      expect((await told(x.user.id)).sort()).toEqual(
        [`mention ${two.id}`, `upload ${one.id}`].sort(),
      );
      expect((await told(y.user.id)).sort()).toEqual(
        [`mention ${one.id}`, `upload ${two.id}`].sort(),
      );
    } finally {
      await admin.end({ timeout: 5 });
      await server.close();
      await database.close();
    }
  },
);
