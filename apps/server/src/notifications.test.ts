import type { AppRouter } from '@photogram/api';
import { MemoryBus } from '@photogram/api';
import { notifications } from '@photogram/db';
import { TRPCClientError } from '@trpc/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, uniqueUsername } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { seededRandom } from './testing/random';
import { startTestServer, type TestServer } from './testing/server';
import { readEvents, subscriptionUrl } from './testing/sse';
import { churn, deliveredAndExpected, watchUploads } from './testing/subscriber';

let server: TestServer;
let photo: Buffer;
beforeAll(async () => {
  server = await startTestServer({ logger: { level: 'error' } });
  photo = await solidImage(64, 48);
});
afterAll(async () => {
  await server?.close();
});

async function signUp(prefix: string, url = server.url) {
  const person = createTestClient(url);
  const { user } = await person.client.auth.signUp.mutate({
    username: uniqueUsername(prefix),
    password: 'password123',
  });
  return { ...person, user };
}

function upload(person: Awaited<ReturnType<typeof signUp>>, caption = 'new photo') {
  return person.client.posts.upload.mutate(uploadForm(photo, { caption }));
}

async function idsInDatabase(userId: string): Promise<string[]> {
  const rows = await server.database.db
    .select({ id: notifications.id })
    .from(notifications)
    .where(eq(notifications.recipientId, userId));
  return rows.map((row) => String(row.id)).sort();
}

test('a follower is told of an upload with the right actor and post; a stranger is not', async () => {
  const alice = await signUp('alice');
  const bob = await signUp('bob');
  const carol = await signUp('carol');
  const stranger = await signUp('stranger');
  await bob.client.follows.follow.mutate({ userId: alice.user.id });
  await stranger.client.follows.follow.mutate({ userId: carol.user.id });

  const bobWatch = watchUploads(bob.client);
  const strangerWatch = watchUploads(stranger.client);
  await Promise.all([bobWatch.started(), strangerWatch.started()]);

  const post = await upload(alice, 'Morning light');
  const notification = await bobWatch.forPost(post.id);
  expect(notification).toMatchObject({
    type: 'upload',
    read: false,
    actor: { id: alice.user.id, username: alice.user.username, avatarUrl: null },
    post: { id: post.id, caption: 'Morning light', thumbUrl: post.image.thumbUrl },
  });
  expect(notification.createdAt).toBeInstanceOf(Date);
  expect(await idsInDatabase(bob.user.id)).toEqual([notification.id]);

  // Events reach a subscriber in publish order, so once Carol's arrives, Alice's would have.
  const sentinel = await upload(carol);
  await strangerWatch.forPost(sentinel.id);
  expect([...strangerWatch.byId.values()].map((item) => item.post.id)).toEqual([sentinel.id]);
  bobWatch.stop();
  strangerWatch.stop();
});

test('two open tabs of one person both receive the notification', async () => {
  const author = await signUp('author');
  const fan = await signUp('fan');
  await fan.client.follows.follow.mutate({ userId: author.user.id });
  const tabs = [watchUploads(fan.client), watchUploads(fan.client)];
  await Promise.all(tabs.map((tab) => tab.started()));
  const post = await upload(author);
  const [first, second] = await Promise.all(tabs.map((tab) => tab.forPost(post.id)));
  expect(first?.id).toBe(second?.id);
  for (const tab of tabs) tab.stop();
});

test('reconnecting with the last id delivers exactly what was missed', async () => {
  const author = await signUp('poster');
  const fan = await signUp('away');
  await fan.client.follows.follow.mutate({ userId: author.user.id });
  const watch = watchUploads(fan.client);
  await watch.started();
  const before = await upload(author, 'before');
  await watch.forPost(before.id);
  watch.stop();

  const missed = [await upload(author, 'missed 1'), await upload(author, 'missed 2')];
  const seen = new Set(watch.byId.keys());
  watch.resume();
  await Promise.all(missed.map((post) => watch.forPost(post.id)));
  const fresh = [...watch.byId.values()].filter((item) => !seen.has(item.id));
  expect(fresh.map((item) => item.post.caption)).toEqual(['missed 1', 'missed 2']);
  expect(await idsInDatabase(fan.user.id)).toEqual([...watch.byId.keys()].sort());
  const { received, expected } = await deliveredAndExpected(watch, server.database.db, fan.user.id);
  expect(received).toEqual(expected);
  watch.stop();
});

test('a subscriber whose app starts from its newest id has no gap on the first connect', async () => {
  const author = await signUp('early');
  const fan = await signUp('late');
  await fan.client.follows.follow.mutate({ userId: author.user.id });
  await upload(author, 'loaded with the page');
  const page = await fan.client.notifications.list.query({ limit: 1 });
  const newest = page.items[0]?.eventId ?? '0';
  const between = await upload(author, 'between page load and subscribe');
  const watch = watchUploads(fan.client, { lastEventId: newest });
  await watch.forPost(between.id);
  watch.stop();
});

test('no subscription without a session, and the client does not retry', async () => {
  const anonymous = createTestClient(server.url);
  const watch = watchUploads(anonymous.client);
  await watch.until(() => watch.error !== null, 'an error');
  expect(watch.error).toBeInstanceOf(TRPCClientError);
  expect((watch.error as TRPCClientError<AppRouter> | null)?.data?.code).toBe('UNAUTHORIZED');
  // onError is the link giving up: a refusal it would retry (a 5xx code) calls no onError
  // and moves its state back to connecting instead; giving up closes the EventSource,
  // reconnect timer and all. So no waiting to see that nothing more happens.
  expect(watch.states).toEqual(['connecting', 'pending']);
  watch.stop();
});

test('the inbox lists, counts and marks notifications read, only the owner', async () => {
  const author = await signUp('inboxauthor');
  const reader = await signUp('inboxreader');
  const other = await signUp('inboxother');
  await reader.client.follows.follow.mutate({ userId: author.user.id });
  const posts = [
    await upload(author, 'one'),
    await upload(author, 'two'),
    await upload(author, 'three'),
  ];

  const postOf = (item: { type: string; post?: { id: string } }) => item.post?.id ?? item.type;
  const page = await reader.client.notifications.list.query({ limit: 2 });
  expect(page.items.map(postOf)).toEqual([posts[2]?.id, posts[1]?.id]);
  expect(page.nextCursor).not.toBeNull();
  const rest = await reader.client.notifications.list.query({ cursor: page.nextCursor, limit: 2 });
  expect(rest.items.map(postOf)).toEqual([posts[0]?.id]);
  expect(rest.nextCursor).toBeNull();
  expect(await reader.client.notifications.unreadCount.query()).toEqual({
    count: 3,
    capped: false,
  });

  const firstId = page.items[0]?.id ?? '';
  // Someone else's ids change nothing.
  expect(await other.client.notifications.markRead.mutate({ ids: [firstId] })).toEqual({
    count: 0,
  });
  expect(await reader.client.notifications.markRead.mutate({ ids: [firstId] })).toEqual({
    count: 1,
  });
  expect(await reader.client.notifications.markRead.mutate({ ids: [firstId] })).toEqual({
    count: 0,
  });
  expect(await reader.client.notifications.unreadCount.query()).toEqual({
    count: 2,
    capped: false,
  });
  const [marked] = (await reader.client.notifications.list.query({ limit: 1 })).items;
  expect(marked?.read).toBe(true);
  expect(await reader.client.notifications.markAllRead.mutate()).toEqual({ count: 2 });
  expect(await reader.client.notifications.unreadCount.query()).toEqual({
    count: 0,
    capped: false,
  });

  const bad = await reader.client.notifications.markRead
    .mutate({ ids: ['x'] })
    .catch((error: unknown) => error);
  expect(bad instanceof TRPCClientError && bad.data?.httpStatus).toBe(400);
});

test('deleting a post deletes its notifications', async () => {
  const author = await signUp('gone');
  const reader = await signUp('seen');
  await reader.client.follows.follow.mutate({ userId: author.user.id });
  const post = await upload(author);
  expect(await idsInDatabase(reader.user.id)).toHaveLength(1);
  await author.client.posts.delete.mutate({ postId: post.id });
  expect(await idsInDatabase(reader.user.id)).toEqual([]);
  expect(await reader.client.notifications.unreadCount.query()).toEqual({
    count: 0,
    capped: false,
  });
});

test('parallel uploads racing reconnects: every subscriber receives each of its rows once, in order', async () => {
  const random = seededRandom(20261201);
  const authors = await Promise.all([signUp('racea'), signUp('raceb'), signUp('racec')]);
  const readers = await Promise.all([signUp('r1'), signUp('r2'), signUp('r3'), signUp('r4')]);
  for (const reader of readers) {
    for (const author of authors) {
      // Not everyone follows everyone: reader i skips author i % 3.
      if (authors.indexOf(author) === readers.indexOf(reader) % 3 && readers.indexOf(reader) > 0)
        continue;
      await reader.client.follows.follow.mutate({ userId: author.user.id });
    }
  }
  const watches = readers.map((reader) => watchUploads(reader.client));
  await Promise.all(watches.map((watch) => watch.started()));

  const churning = churn(watches, random, { maxGapMs: 40, maxPauseMs: 30 });
  const uploads = authors.flatMap((author) =>
    Array.from({ length: 8 }, (_, index) => upload(author, `race ${index}`)),
  );
  await Promise.all(uploads);
  await churning.stop();
  for (const watch of watches) watch.resume();

  for (const [index, reader] of readers.entries()) {
    const watch = watches[index];
    if (!watch) throw new Error('unreachable');
    const { received, expected } = await deliveredAndExpected(
      watch,
      server.database.db,
      reader.user.id,
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(received, `reader ${index}, on the wire`).toEqual(expected);
    watch.stop();
  }
});

test('after a server restart the subscription resumes by itself and loses nothing', async () => {
  const first = await startTestServer({ database: server.database });
  const port = new URL(first.url).port;
  const author = await signUp('restartauthor', first.url);
  const fan = await signUp('restartfan', first.url);
  await fan.client.follows.follow.mutate({ userId: author.user.id });
  const watch = watchUploads(fan.client);
  await watch.started();
  const before = await upload(author, 'before restart');
  await watch.forPost(before.id);

  await first.close();
  const second = await startTestServer({ database: server.database, port: Number(port) });
  try {
    expect(second.url).toBe(first.url);
    const after = await upload(author, 'after restart');
    // The EventSource notices the dropped stream, reconnects with its last id and replays.
    await watch.forPost(after.id, 15_000);
    expect([...watch.byId.keys()].sort()).toEqual(await idsInDatabase(fan.user.id));
    const { received, expected } = await deliveredAndExpected(
      watch,
      server.database.db,
      fan.user.id,
    );
    expect(received).toEqual(expected);
  } finally {
    watch.stop();
    await second.close();
  }
});

test('the fast and the stock transport send the same events, data text for data text, for the same notifications', async () => {
  const bus = new MemoryBus();
  const servers = await Promise.all(
    (['trpc-sse', 'stock'] as const).map((sseTransport) =>
      startTestServer({ database: server.database, bus, sseTransport }),
    ),
  );
  try {
    const [fast = '', stock = ''] = servers.map((each) => each.url);
    const author = await signUp('wireauthor', fast);
    const fan = await signUp('wirefan', fast);
    await fan.client.follows.follow.mutate({ userId: author.user.id });
    // One notification replayed on connect, then a live one that both servers' bus delivers.
    await upload(author, 'replayed "quoted"\nline');
    const streams = await Promise.all(
      [fast, stock].map(async (url) =>
        readEvents(
          await fan.fetch(subscriptionUrl(url, 'notifications.onUpload', { lastEventId: '0' }), {
            headers: { accept: 'text/event-stream' },
          }),
        ),
      ),
    );
    await Promise.all(streams.map((stream) => stream.take(2)));
    await bus.publish({
      postId: '1',
      notification: {
        type: 'upload',
        createdAt: new Date('2026-11-25T12:00:00.000Z'),
        read: false,
        actor: { id: author.user.id, username: 'wire', displayName: 'Wire ✓', avatarUrl: null },
        post: { id: '1', caption: 'live', thumbUrl: '/media/ab/cd.webp' },
      },
      // The fan's second notification: its first was replayed.
      recipients: [{ userId: fan.user.id, notificationId: '999999', eventId: '2' }],
    });
    const [fastEvents, stockEvents] = await Promise.all(streams.map((stream) => stream.take(3)));
    // The fast path alone tells each client when to reconnect, spread over 1–5 s.
    const [fastStream, stockStream] = streams;
    expect(fastStream?.retry).toBeGreaterThanOrEqual(1_000);
    expect(fastStream?.retry).toBeLessThanOrEqual(5_000);
    expect(stockStream?.retry).toBeUndefined();
    // The same events, each data line the same text.
    expect(fastEvents).toEqual(stockEvents);
    expect(fastEvents?.[0]).toMatchObject({ event: 'connected' });
    expect(fastEvents?.[0]?.data).toMatch(/^\{"reconnectAfterInactivityMs/);
    expect(fastEvents?.[2]?.id).toBe('2');
    expect(fastEvents?.[2]?.data).toMatch(/^\{"json":\{"id":"999999","eventId":"2",/);
    for (const stream of streams) {
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
      await stream.close();
    }
  } finally {
    await Promise.all(servers.map((each) => each.close()));
    await bus.close();
  }
});
