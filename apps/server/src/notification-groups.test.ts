import { describeGroup, type NotificationGroup } from '@photogram/contracts';
import { notifications } from '@photogram/db';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Person, signUpPerson } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';

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
const upload = (person: Person, caption = 'a photo') =>
  person.client.posts.upload.mutate(uploadForm(photo, { caption }));

async function groups(person: Person, limit = 50): Promise<NotificationGroup[]> {
  return (await person.client.notifications.groups.query({ limit })).items;
}

/** A row of the inbox as a person reads it. */
function row(group: NotificationGroup) {
  return {
    text: describeGroup(group),
    count: group.count,
    read: group.read,
    post: group.post?.id ?? null,
  };
}

/** Moves a person's notifications of this kind back in time, as if they came hours ago. */
async function age(recipientId: string, type: string, hours: number) {
  await server.database.db
    .update(notifications)
    .set({ createdAt: sql`${notifications.createdAt} - ${`${hours} hours`}::interval` })
    .where(and(eq(notifications.recipientId, recipientId), eq(notifications.type, type)));
}

test('likes and comments group per post, follows together; uploads and mentions stand alone', async () => {
  const owner = await signUp('grpowner');
  const fans = await Promise.all(
    ['ann', 'ben', 'cat', 'dan', 'eve'].map((name) => signUp(`grp${name}`)),
  );
  const [ann, ben, cat, dan, eve] = fans;
  if (!ann || !ben || !cat || !dan || !eve) throw new Error('people missing');
  const first = await upload(owner, 'first');
  const second = await upload(owner, 'second');
  await owner.client.follows.follow.mutate({ userId: eve.user.id });

  for (const fan of [ann, ben, cat, dan, eve])
    await fan.client.posts.like.mutate({ postId: first.id });
  await ann.client.posts.like.mutate({ postId: second.id });
  await ben.client.comments.add.mutate({ postId: first.id, body: 'one' });
  await ben.client.comments.add.mutate({ postId: first.id, body: 'two' });
  await cat.client.comments.add.mutate({ postId: first.id, body: 'three' });
  await dan.client.follows.follow.mutate({ userId: owner.user.id });
  await eve.client.follows.follow.mutate({ userId: owner.user.id });
  await eve.client.comments.add.mutate({
    postId: second.id,
    body: `@${owner.user.username} look`,
  });
  const evePost = await upload(eve, `for @${owner.user.username}`);

  const inbox = await groups(owner);
  const name = (person: Person) => `@${person.user.username}`;
  expect(inbox.map(row)).toEqual([
    // The upload reached the owner (who follows Eve) and so did the caption's mention.
    { text: `${name(eve)} mentioned you`, count: 1, read: false, post: evePost.id },
    { text: `${name(eve)} uploaded a new post`, count: 1, read: false, post: evePost.id },
    // Eve's comment names the post's author: a comment, not a mention too.
    { text: `${name(eve)} commented on your post`, count: 1, read: false, post: second.id },
    { text: `${name(eve)} and ${name(dan)} followed you`, count: 2, read: false, post: null },
    {
      text: `${name(cat)} and ${name(ben)} commented on your post`,
      count: 3,
      read: false,
      post: first.id,
    },
    { text: `${name(ann)} liked your post`, count: 1, read: false, post: second.id },
    {
      text: `${name(eve)}, ${name(dan)} and 3 others liked your post`,
      count: 5,
      read: false,
      post: first.id,
    },
  ]);
  const likes = inbox.at(-1);
  expect(likes?.actorCount).toBe(5);
  expect(likes?.sampleActors.map((actor) => actor.id)).toEqual([
    eve.user.id,
    dan.user.id,
    cat.user.id,
  ]);
  // A comment group shows its newest comment.
  expect(inbox[4]?.comment?.body).toBe('three');
  expect(await owner.client.notifications.unreadCount.query()).toEqual({ count: 7 });

  // Read as a group: the whole row, and the badge counts rows.
  const likeKey = likes?.key ?? '';
  expect(await owner.client.notifications.markGroupRead.mutate({ key: likeKey })).toEqual({
    count: 5,
  });
  expect(await owner.client.notifications.unreadCount.query()).toEqual({ count: 6 });
  // Someone else's key changes nothing of theirs.
  expect(await ann.client.notifications.markGroupRead.mutate({ key: likeKey })).toEqual({
    count: 0,
  });
  const after = await groups(owner);
  expect(after.find((group) => group.key === likeKey)?.read).toBe(true);

  // One more like joins the read group (unread again), it does not start a row of its own.
  const late = await signUp('grplate');
  await late.client.posts.like.mutate({ postId: first.id });
  const regrouped = (await groups(owner)).find((group) => group.key === likeKey);
  expect(regrouped).toMatchObject({ count: 6, actorCount: 6, read: false });
  expect(regrouped?.sampleActors[0]?.id).toBe(late.user.id);

  // Pages of rows, not of notifications.
  const page = await owner.client.notifications.groups.query({ limit: 3 });
  expect(page.items.map((group) => group.key)).toEqual(
    (await groups(owner)).slice(0, 3).map((group) => group.key),
  );
  const rest = await owner.client.notifications.groups.query({
    cursor: page.nextCursor,
    limit: 50,
  });
  expect([...page.items, ...rest.items].map((group) => group.key)).toEqual(
    (await groups(owner)).map((group) => group.key),
  );
  expect(rest.nextCursor).toBeNull();
});

test('a group spans twelve hours from its first notification; the next like starts a new row', async () => {
  const owner = await signUp('spanowner');
  const post = await upload(owner);
  const early = await signUp('spanearly');
  await early.client.posts.like.mutate({ postId: post.id });
  // Eleven hours later a like still joins the group.
  await age(owner.user.id, 'like', 11);
  const within = await signUp('spanwithin');
  await within.client.posts.like.mutate({ postId: post.id });
  expect((await groups(owner)).map((group) => group.count)).toEqual([2]);

  // Thirteen hours after the group's first, the next like begins another row.
  await age(owner.user.id, 'like', 2);
  const later = await signUp('spanlater');
  await later.client.posts.like.mutate({ postId: post.id });
  const rows = await groups(owner);
  expect(rows.map((group) => [group.count, group.sampleActors.map((actor) => actor.id)])).toEqual([
    [1, [later.user.id]],
    [2, [within.user.id, early.user.id]],
  ]);
  expect(new Set(rows.map((group) => group.key)).size).toBe(2);

  // Follows follow the same rule.
  const followers = [await signUp('spanf1'), await signUp('spanf2')];
  const [f1, f2] = followers;
  if (!f1 || !f2) throw new Error('people missing');
  await f1.client.follows.follow.mutate({ userId: owner.user.id });
  await age(owner.user.id, 'follow', 13);
  await f2.client.follows.follow.mutate({ userId: owner.user.id });
  expect(
    (await groups(owner)).filter((group) => group.type === 'follow').map((group) => group.count),
  ).toEqual([1, 1]);
});

test('withdrawing the last notification of a group removes its row', async () => {
  const owner = await signUp('wgowner');
  const fan = await signUp('wgfan');
  const post = await upload(owner);
  await fan.client.posts.like.mutate({ postId: post.id });
  expect(await groups(owner)).toHaveLength(1);
  await fan.client.posts.unlike.mutate({ postId: post.id });
  expect(await groups(owner)).toEqual([]);
  expect(await owner.client.notifications.unreadCount.query()).toEqual({ count: 0 });
});
