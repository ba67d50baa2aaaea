import type { ActivityNotification } from '@photogram/contracts';
import { notificationHeads, notifications } from '@photogram/db';
import { and, asc, eq, ne } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { createTestClient, failure, type Person, signUpPerson } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { readEvents, subscriptionUrl } from './testing/sse';
import { deliveredAndExpected, watchActivity } from './testing/subscriber';

let server: TestServer;
let photo: Buffer;
beforeAll(async () => {
  server = await startTestServer({ logger: { level: 'error' } });
  photo = await solidImage(40, 30);
});
afterAll(async () => {
  await server?.close();
});

const signUp = (prefix: string) => signUpPerson(server.url, prefix);

function upload(person: Person, caption = 'a photo') {
  return person.client.posts.upload.mutate(uploadForm(photo, { caption }));
}

/** The person's activity rows as stored: what every stream and inbox must agree with. */
async function storedActivity(userId: string) {
  return server.database.db
    .select({
      id: notifications.id,
      seq: notifications.seq,
      type: notifications.type,
      actorId: notifications.actorId,
      postId: notifications.postId,
      commentId: notifications.commentId,
    })
    .from(notifications)
    .where(and(eq(notifications.recipientId, userId), ne(notifications.type, 'upload')))
    .orderBy(asc(notifications.seq));
}

/** What a notification says, without its ids and time: for comparing whole streams. */
function gist(notification: ActivityNotification) {
  return {
    type: notification.type,
    actor: notification.actor.username,
    post: 'post' in notification ? notification.post.id : null,
    comment: 'comment' in notification ? (notification.comment?.body ?? null) : null,
  };
}

test('follows, likes, comments and mentions reach onActivity, each once in order, and the inbox', async () => {
  const alice = await signUp('actalice');
  const bob = await signUp('actbob');
  const carol = await signUp('actcarol');
  const watch = watchActivity(alice.client);
  await watch.started();

  await bob.client.follows.follow.mutate({ userId: alice.user.id });
  const post = await upload(alice, 'Harbour at dawn');
  await bob.client.posts.like.mutate({ postId: post.id });
  const comment = await bob.client.comments.add.mutate({
    postId: post.id,
    body: `Lovely, @${carol.user.username} look`,
  });
  const bobs = await upload(bob, `With @${alice.user.username} today`);
  await carol.client.comments.add.mutate({
    postId: bobs.id,
    body: `@${alice.user.username} @${bob.user.username} nice`,
  });

  const stored = await storedActivity(alice.user.id);
  expect(stored.map((row) => row.type)).toEqual([
    'follow',
    'like',
    'comment',
    'mention',
    'mention',
  ]);
  const { received, expected } = await deliveredAndExpected(
    watch,
    server.database.db,
    alice.user.id,
    { stream: 'activity' },
  );
  expect(expected).toEqual(['1', '2', '3', '4', '5']);
  expect(received).toEqual(expected);
  const delivered = [...watch.byId.values()];
  expect(delivered.map((item) => item.id)).toEqual(stored.map((row) => String(row.id)));
  expect(delivered.map(gist)).toEqual([
    { type: 'follow', actor: bob.user.username, post: null, comment: null },
    { type: 'like', actor: bob.user.username, post: post.id, comment: null },
    {
      type: 'comment',
      actor: bob.user.username,
      post: post.id,
      comment: `Lovely, @${carol.user.username} look`,
    },
    // In a caption: no comment.
    { type: 'mention', actor: bob.user.username, post: bobs.id, comment: null },
    {
      type: 'mention',
      actor: carol.user.username,
      post: bobs.id,
      comment: `@${alice.user.username} @${bob.user.username} nice`,
    },
  ]);
  const commented = delivered[2];
  expect(commented?.type === 'comment' && commented.comment.id).toBe(comment.id);
  expect(commented && 'post' in commented && commented.post).toEqual({
    id: post.id,
    caption: 'Harbour at dawn',
    thumbUrl: post.image.thumbUrl,
  });

  // Carol was mentioned in Bob's comment; Bob wrote @bob on his own post: Carol's comment
  // tells him of the comment only, not of the mention too.
  expect((await storedActivity(carol.user.id)).map((row) => row.type)).toEqual(['mention']);
  expect((await storedActivity(bob.user.id)).map((row) => row.type)).toEqual(['comment']);

  // The inbox holds the union, newest first, and the live ones are the same objects.
  const inbox = await alice.client.notifications.list.query({ limit: 20 });
  expect(inbox.items.map((item) => item.type)).toEqual([
    'mention',
    'mention',
    'comment',
    'like',
    'follow',
  ]);
  expect(inbox.items.slice().reverse()).toEqual(delivered);
  watch.stop();
});

test('nobody is told of their own like, comment or mention', async () => {
  const dana = await signUp('selfdana');
  const watch = watchActivity(dana.client);
  await watch.started();
  const post = await upload(dana, `Me, @${dana.user.username}`);
  await dana.client.posts.like.mutate({ postId: post.id });
  await dana.client.comments.add.mutate({ postId: post.id, body: `@${dana.user.username} again` });
  expect(await storedActivity(dana.user.id)).toEqual([]);
  const [head] = await server.database.db
    .select({ activitySeq: notificationHeads.activitySeq })
    .from(notificationHeads)
    .where(eq(notificationHeads.recipientId, dana.user.id));
  expect(head?.activitySeq ?? 0).toBe(0);
  expect(await dana.client.notifications.unreadCount.query()).toEqual({ count: 0, capped: false });
  expect(watch.deliveries).toEqual([]);
  watch.stop();
});

test('unlike and unfollow withdraw an unread notification; a read one stays; toggling tells once', async () => {
  const erin = await signUp('wderin');
  const finn = await signUp('wdfinn');
  const post = await upload(erin);

  await finn.client.posts.like.mutate({ postId: post.id });
  await finn.client.follows.follow.mutate({ userId: erin.user.id });
  expect((await storedActivity(erin.user.id)).map((row) => row.type)).toEqual(['like', 'follow']);
  expect(await erin.client.notifications.unreadCount.query()).toEqual({ count: 2, capped: false });

  await finn.client.posts.unlike.mutate({ postId: post.id });
  await finn.client.follows.unfollow.mutate({ userId: erin.user.id });
  expect(await storedActivity(erin.user.id)).toEqual([]);
  expect(await erin.client.notifications.unreadCount.query()).toEqual({ count: 0, capped: false });

  // Liked again, read, unliked, liked again: one notification, the read one.
  await finn.client.posts.like.mutate({ postId: post.id });
  await erin.client.notifications.markAllRead.mutate();
  await finn.client.posts.unlike.mutate({ postId: post.id });
  await finn.client.posts.like.mutate({ postId: post.id });
  const stored = await storedActivity(erin.user.id);
  expect(stored.map((row) => [row.type, row.seq])).toEqual([['like', 3]]);
  expect(await erin.client.notifications.unreadCount.query()).toEqual({ count: 0, capped: false });

  // Ten parallel likes after an unlike still tell at most once.
  await finn.client.posts.unlike.mutate({ postId: post.id });
  const second = await upload(erin);
  await Promise.all(
    Array.from({ length: 10 }, () => finn.client.posts.like.mutate({ postId: second.id })),
  );
  expect(
    (await storedActivity(erin.user.id)).filter((row) => row.postId === Number(second.id)),
  ).toHaveLength(1);
});

test('a withdrawn notification leaves a gap that a resuming stream steps over', async () => {
  const gail = await signUp('gapgail');
  const hal = await signUp('gaphal');
  const post = await upload(gail);
  await hal.client.follows.follow.mutate({ userId: gail.user.id }); // 1
  await hal.client.posts.like.mutate({ postId: post.id }); // 2
  await hal.client.posts.unlike.mutate({ postId: post.id }); // 2 withdrawn
  await hal.client.comments.add.mutate({ postId: post.id, body: 'first!' }); // 3

  const response = await gail.fetch(
    subscriptionUrl(server.url, 'notifications.onActivity', { lastEventId: '0' }),
  );
  const stream = readEvents(response);
  const ids = () => stream.events.flatMap((event) => (event.id ? [event.id] : []));
  await vi.waitFor(() => expect(ids().length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
  expect(ids()).toEqual(['1', '3']);
  await stream.close();

  // Resumed after the gap's far side, nothing comes again; the next one is live.
  const resumed = watchActivity(gail.client, { lastEventId: '3' });
  await resumed.started();
  // Its first like was withdrawn unseen, so liking again tells again.
  await hal.client.posts.like.mutate({ postId: post.id }); // 4
  await hal.client.comments.add.mutate({ postId: post.id, body: 'second' }); // 5
  const { received, expected } = await deliveredAndExpected(
    resumed,
    server.database.db,
    gail.user.id,
    { lastEventId: 3, stream: 'activity' },
  );
  expect(expected).toEqual(['4', '5']);
  expect(received).toEqual(expected);
  resumed.stop();
});

test('a comment deleted takes its comment and mention notifications with it; a post deleted takes all', async () => {
  const ivy = await signUp('delivy');
  const jon = await signUp('deljon');
  const kim = await signUp('delkim');
  const post = await upload(ivy);
  const comment = await jon.client.comments.add.mutate({
    postId: post.id,
    body: `@${kim.user.username} see this`,
  });
  expect((await storedActivity(ivy.user.id)).map((row) => row.type)).toEqual(['comment']);
  expect((await storedActivity(kim.user.id)).map((row) => row.type)).toEqual(['mention']);
  // Read or not: a notification of a comment that is gone has nothing to show.
  await kim.client.notifications.markAllRead.mutate();
  await ivy.client.comments.delete.mutate({ commentId: comment.id });
  expect(await storedActivity(ivy.user.id)).toEqual([]);
  expect(await storedActivity(kim.user.id)).toEqual([]);

  await jon.client.posts.like.mutate({ postId: post.id });
  await jon.client.comments.add.mutate({ postId: post.id, body: 'again' });
  expect(await storedActivity(ivy.user.id)).toHaveLength(2);
  await ivy.client.posts.delete.mutate({ postId: post.id });
  expect(await storedActivity(ivy.user.id)).toEqual([]);
});

test('mentions: unknown names, e-mail addresses and URLs are not mentions; at most ten people are told', async () => {
  const lea = await signUp('menlea');
  const people = await Promise.all(Array.from({ length: 12 }, (_, index) => signUp(`men${index}`)));
  const post = await upload(lea);
  const names = people.map((person) => `@${person.user.username}`).join(' ');
  await lea.client.comments.add.mutate({ postId: post.id, body: names });
  const told = await Promise.all(
    people.map(async (person) => (await storedActivity(person.user.id)).length),
  );
  expect(told).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);

  const [first] = people;
  if (!first) throw new Error('no people');
  const name = first.user.username;
  await lea.client.comments.add.mutate({
    postId: post.id,
    body: `mail ${name}@example.com, see https://example.com/@${name} and @nobody_here_at_all`,
  });
  expect(await storedActivity(first.user.id)).toHaveLength(1);
});

test('onActivity needs a session and checks its input like onUpload', async () => {
  const anonymous = watchActivity(createTestClient(server.url).client);
  await anonymous.started();
  expect(anonymous.error?.data?.code).toBe('UNAUTHORIZED');
  anonymous.stop();
  const mia = await signUp('inmia');
  const bad = await failure(mia.client.notifications.markGroupRead.mutate({ key: 'DROP TABLE;' }));
  expect(bad.message).toBe('That notification group is not valid.');
});

test('comments, likes and follows have a rate per person: past it a 429 sentence and nothing written', async () => {
  const limited = await startTestServer({
    logger: { level: 'error' },
    rateLimits: {
      commentPerUser: { points: 2, duration: 3600 },
      reactPerUser: { points: 2, duration: 3600 },
    },
  });
  try {
    const owner = await signUpPerson(limited.url, 'rateowner');
    const fan = await signUpPerson(limited.url, 'ratefan');
    const post = await owner.client.posts.upload.mutate(uploadForm(photo, { caption: 'x' }));
    const other = await owner.client.posts.upload.mutate(uploadForm(photo, { caption: 'y' }));
    for (const body of ['one', 'two'])
      await fan.client.comments.add.mutate({ postId: post.id, body });
    const comment = await failure(
      fan.client.comments.add.mutate({ postId: post.id, body: 'three' }),
    );
    expect(comment.data?.httpStatus).toBe(429);
    expect(comment.message).toMatch(/^You are commenting too fast\. Try again in .+\.$/);
    expect(
      (await fan.client.comments.list.query({ postId: post.id })).items.map((item) => item.body),
    ).toEqual(['one', 'two']);

    await fan.client.posts.like.mutate({ postId: post.id });
    await fan.client.follows.follow.mutate({ userId: owner.user.id });
    const like = await failure(fan.client.posts.like.mutate({ postId: other.id }));
    expect(like.data?.httpStatus).toBe(429);
    expect(like.message).toMatch(/^You are liking and following too fast\. Try again in .+\.$/);
    expect((await fan.client.posts.byId.query({ postId: other.id })).likeCount).toBe(0);
    // Someone else's rate is their own.
    await owner.client.posts.like.mutate({ postId: other.id });
  } finally {
    await limited.close();
  }
});
