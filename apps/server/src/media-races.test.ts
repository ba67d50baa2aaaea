import { access } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { failure, type Person, signUpPerson } from './testing/client';
import { type TestDatabase, testDatabase } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';

// Posts with identical bytes share their content-addressed files. The races need a second
// connection to hold an upload open mid-transaction, which PGlite (one connection) cannot
// give: those run on PostgreSQL only.
const enabled = Boolean(process.env.DATABASE_URL);

let database: TestDatabase;
let server: TestServer;
let admin: postgres.Sql;
beforeAll(async () => {
  database = await testDatabase();
  server = await startTestServer({ database, logger: { level: 'fatal' } });
  if (database.url) admin = postgres(database.url, { max: 3, onnotice: () => {} });
});
afterAll(async () => {
  await admin?.end({ timeout: 1 });
  await server?.close();
  await database?.close();
});

const signUp = (prefix: string) => signUpPerson(server.url, prefix);

/** An author with one follower who has had a notification, so the follower has a head row. */
async function authorWithFollower(prefix: string) {
  const author = await signUp(prefix);
  const fan = await signUp(`${prefix}fan`);
  await fan.client.follows.follow.mutate({ userId: author.user.id });
  await author.client.posts.upload.mutate(
    uploadForm(await solidImage(8, 8, 'png', '#101010'), { caption: 'first' }),
  );
  return { author, fan };
}

/**
 * Holds the follower's notification head, so an upload by someone they follow stops inside
 * its transaction (files written, post inserted, waiting on the fan-out). Resolves once
 * that upload's backend is waiting on the lock.
 */
async function holdHead(fan: Person) {
  const held = await admin.reserve();
  await held`begin`;
  await held`select seq from notification_heads where recipient_id = ${fan.user.id} for update`;
  return {
    async waiter() {
      return vi.waitFor(
        async () => {
          const [row] = await admin<{ pid: number }[]>`
            select pid from pg_stat_activity
            where wait_event_type = 'Lock' and wait_event <> 'advisory' and query ilike '%notification_heads%'`;
          expect(row).toBeDefined();
          return row?.pid ?? 0;
        },
        { timeout: 10_000 },
      );
    },
    async release() {
      await held`commit`;
      held.release();
    },
  };
}

async function fileExists(url: string) {
  const key = url.replace(/^\/media\//, '');
  return access(join(server.mediaDir, key)).then(
    () => true,
    () => false,
  );
}

test.skipIf(!enabled)(
  'an upload that fails late does not take the file of a committed post with the same bytes',
  async () => {
    const { author, fan } = await authorWithFollower('latefail');
    const other = await signUp('samebytes');
    const bytes = await solidImage(40, 30, 'png', '#22aa66');
    const head = await holdHead(fan);
    const failing = failure(author.client.posts.upload.mutate(uploadForm(bytes)));
    const pid = await head.waiter();
    // Same bytes, committed while the first upload is still open.
    const committed = await other.client.posts.upload.mutate(uploadForm(bytes));
    // The first upload fails at its last step.
    await admin`select pg_cancel_backend(${pid})`;
    await head.release();
    expect((await failing).data?.httpStatus).toBeGreaterThanOrEqual(500);
    expect(await fileExists(committed.image.url)).toBe(true);
    expect(await fileExists(committed.image.thumbUrl)).toBe(true);
    expect((await fetch(`${server.url}${committed.image.url}`)).status).toBe(200);
    // And once no post uses them, they go.
    await other.client.posts.delete.mutate({ postId: committed.id });
    expect(await fileExists(committed.image.url)).toBe(false);
  },
);

test.skipIf(!enabled)(
  'deleting a post while an upload of the same bytes is committing keeps the files',
  async () => {
    const { author, fan } = await authorWithFollower('deleterace');
    const owner = await signUp('firstowner');
    const bytes = await solidImage(36, 28, 'png', '#aa2266');
    const original = await owner.client.posts.upload.mutate(uploadForm(bytes));
    const head = await holdHead(fan);
    const uploading = author.client.posts.upload.mutate(uploadForm(bytes));
    await head.waiter();
    // The delete commits, then waits to remove the files: the upload holds them.
    const deleting = owner.client.posts.delete.mutate({ postId: original.id });
    await vi.waitFor(
      async () => {
        const rows = await admin`
          select 1 from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory'`;
        expect(rows).toHaveLength(1);
      },
      { timeout: 10_000 },
    );
    await head.release();
    const [uploaded] = await Promise.all([uploading, deleting]);
    expect(uploaded.image.url).toBe(original.image.url);
    expect(await fileExists(uploaded.image.url)).toBe(true);
    expect((await fetch(`${server.url}${uploaded.image.url}`)).status).toBe(200);
  },
);

test('an upload after a delete of the same bytes writes the files again', async () => {
  const owner = await signUp('again');
  const bytes = await solidImage(30, 30, 'png', '#6622aa');
  const first = await owner.client.posts.upload.mutate(uploadForm(bytes));
  await owner.client.posts.delete.mutate({ postId: first.id });
  expect(await fileExists(first.image.url)).toBe(false);
  const second = await owner.client.posts.upload.mutate(uploadForm(bytes));
  expect(second.image.url).toBe(first.image.url);
  expect((await fetch(`${server.url}${second.image.url}`)).status).toBe(200);
});
