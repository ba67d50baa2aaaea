import { MemoryBus, PostgresBus, type RouterOutputs, type UploadEvent } from '@photogram/api';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, type Person, signUpPerson } from './testing/client';
import { type TestDatabase, testDatabase } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { deliveredAndExpected, watchUploads } from './testing/subscriber';

// Delivery when the bus does not say what happened, in one process on both engines:
// `server` hears through a postgres bus (LISTEN/NOTIFY, which PGlite has in-process) with
// a fast safety net; `silent` shares the database but publishes to a bus nobody reads,
// as a process that died between its commit and its NOTIFY would.
const HEAD_CHECK_MS = 200;
let database: TestDatabase;
let bus: PostgresBus;
let server: TestServer;
let silent: TestServer;
const busErrors: unknown[] = [];
beforeAll(async () => {
  database = await testDatabase();
  bus = await PostgresBus.start({
    db: database.db,
    listen: database.listen,
    notify: database.notify,
    onError: (error) => busErrors.push(error),
    headCheckIntervalMs: HEAD_CHECK_MS,
  });
  server = await startTestServer({ database, bus });
  silent = await startTestServer({ database, bus: new MemoryBus() });
});
afterAll(async () => {
  await silent?.close();
  await server?.close();
  await bus?.close();
  await database?.close();
});

const signUp = (prefix: string, url = server.url) => signUpPerson(url, prefix);

const photo = () => solidImage(24, 24);

test('an upload whose NOTIFY was never sent reaches the subscribers through the safety net, once', async () => {
  const author = await signUp('unannounced', silent.url);
  const fans = await Promise.all([signUp('netfan'), signUp('netfan')]);
  for (const fan of fans) await fan.client.follows.follow.mutate({ userId: author.user.id });
  const watches = fans.map((fan) => watchUploads(fan.client));
  await Promise.all(watches.map((watch) => watch.started()));

  for (const caption of ['one', 'two', 'three']) {
    await author.client.posts.upload.mutate(uploadForm(await photo(), { caption }));
  }
  for (const [index, fan] of fans.entries()) {
    const watch = watches[index];
    if (!watch) throw new Error('unreachable');
    const { received, expected } = await deliveredAndExpected(watch, database.db, fan.user.id);
    expect(expected).toEqual(['1', '2', '3']);
    expect(received).toEqual(expected);
    // Caught up live: the stream never had to reconnect for it.
    expect(watch.states.filter((state) => state === 'pending')).toHaveLength(1);
    watch.stop();
  }
  expect(busErrors).toEqual([]);
});

test('a live notification that arrives ahead of an earlier one fills the hole from the database, then drops the late one', async () => {
  const author = await signUp('outoforder', silent.url);
  const fan = await signUp('holefan');
  await fan.client.follows.follow.mutate({ userId: author.user.id });
  // The safety net would fill the hole too; a stream that catches up at a hole does it at once.
  const quiet = new MemoryBus();
  const direct = await startTestServer({ database, bus: quiet });
  try {
    const watch = watchUploads(createTestClientFor(direct.url, fan).client);
    await watch.started();
    for (const caption of ['first', 'second']) {
      await author.client.posts.upload.mutate(uploadForm(await photo(), { caption }));
    }
    const { items } = await fan.client.notifications.list.query({ limit: 10 });
    const [second, first] = items;
    if (!first || !second) throw new Error('expected two notifications');
    expect([first.eventId, second.eventId]).toEqual(['1', '2']);
    // Publishes in the wrong order: the second upload's first.
    await quiet.publish(eventOf(fan.user.id, second));
    await watch.until(() => watch.deliveries.length === 2, 'the hole to be filled');
    await quiet.publish(eventOf(fan.user.id, first));
    // A third, in order, shows the late first one was dropped rather than queued.
    await author.client.posts.upload.mutate(uploadForm(await photo(), { caption: 'third' }));
    const [third] = (await fan.client.notifications.list.query({ limit: 1 })).items;
    if (!third) throw new Error('expected a third notification');
    await quiet.publish(eventOf(fan.user.id, third));
    const { received, expected } = await deliveredAndExpected(watch, database.db, fan.user.id);
    expect(expected).toEqual(['1', '2', '3']);
    expect(received).toEqual(expected);
    watch.stop();
  } finally {
    await direct.close();
  }
});

test('a stream resumed from an id that was never this person’s carries on from the next live one', async () => {
  const author = await signUp('oldids');
  const fan = await signUp('oldidfan');
  await fan.client.follows.follow.mutate({ userId: author.user.id });
  await author.client.posts.upload.mutate(uploadForm(await photo(), { caption: 'before' }));
  // A global notification id kept from before per-recipient numbering: far past the head.
  const watch = watchUploads(fan.client, { lastEventId: '987654' });
  await watch.started();
  await author.client.posts.upload.mutate(uploadForm(await photo(), { caption: 'after' }));
  await watch.until(() => watch.deliveries.length === 1, 'the live notification');
  expect(watch.deliveries).toEqual(['2']);
  watch.stop();
});

/** The same person on another server: the cookie jar carried over. */
function createTestClientFor(url: string, person: Person) {
  const copy = createTestClient(url);
  copy.setCookies(person.cookieHeader());
  return copy;
}

type ListedNotification = RouterOutputs['notifications']['list']['items'][number];

/** The bus event an upload's publish would carry for this one recipient. */
function eventOf(userId: string, item: ListedNotification): UploadEvent {
  if (item.type !== 'upload') throw new Error(`expected an upload notification, not ${item.type}`);
  return {
    postId: item.post.id,
    notification: {
      type: 'upload',
      createdAt: item.createdAt,
      read: false,
      actor: item.actor,
      post: item.post,
    },
    recipients: [{ userId, notificationId: item.id, eventId: item.eventId }],
  };
}
