import postgres from 'postgres';
import { expect, test } from 'vitest';
import { createTestClient, failure, uniqueUsername } from './testing/client';
import { migratedPostgres } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { waitForBlockedInsert } from './testing/postgres';
import { spawnServer } from './testing/process';

// pg_terminate_backend needs a PostgreSQL server; PGlite has no backends to kill.
test.skipIf(!process.env.DATABASE_URL)(
  'killing the backend of an open upload transaction fails that upload with a 500, and the server process keeps serving',
  async () => {
    const database = await migratedPostgres();
    const url = database.url;
    const server = await spawnServer({ DATABASE_URL: url });
    // Connections of the test's own: one holds the lock, one finds and kills the backend.
    const admin = postgres(url, { max: 2, onnotice: () => {} });
    try {
      const author = createTestClient(server.url);
      const { user } = await author.client.auth.signUp.mutate({
        username: uniqueUsername('victim'),
        password: 'password123',
      });
      const fan = createTestClient(server.url);
      await fan.client.auth.signUp.mutate({
        username: uniqueUsername('fan'),
        password: 'password123',
      });
      await fan.client.follows.follow.mutate({ userId: user.id });

      // The upload's transaction inserts its post; an EXCLUSIVE lock on `posts` (reads
      // still pass) makes that insert wait, inside the open transaction, until the test
      // has killed its backend.
      const locker = await admin.reserve();
      await locker`begin`;
      await locker`lock table posts in exclusive mode`;
      const upload = failure(
        author.client.posts.upload.mutate(uploadForm(await solidImage(40, 30), { caption: 'x' })),
      );
      const pid = await waitForBlockedInsert(admin);
      const [terminated] = await admin`select pg_terminate_backend(${pid}) as ok`;
      expect(terminated?.ok).toBe(true);
      await locker`commit`;
      locker.release();

      const error = await upload;
      expect(error.data?.httpStatus).toBe(500);
      expect(error.message).toBe('Something went wrong on our side. Please try again.');
      expect(error.data).not.toHaveProperty('stack');
      expect(server.alive).toBe(true);

      // The pool reconnects: the next upload goes through, and only it left rows.
      const post = await author.client.posts.upload.mutate(
        uploadForm(await solidImage(30, 40), { caption: 'after the fault' }),
      );
      const page = await author.client.posts.byUser.query({ userId: user.id });
      expect(page.items.map((item) => item.id)).toEqual([post.id]);
      const [rows] = await admin`
        select (select count(*)::int from posts where author_id = ${user.id}) as posts,
               (select count(*)::int from notifications where actor_id = ${user.id}) as notifications`;
      expect(rows).toEqual({ posts: 1, notifications: 1 });
      expect(server.alive).toBe(true);
    } finally {
      await admin.end({ timeout: 5 });
      await server.stop();
      await database.drop();
    }
  },
  60_000,
);
