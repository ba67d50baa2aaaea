import { describeGroup, type NotificationGroup } from '@photogram/contracts';
import { notifications, queryRows } from '@photogram/db';
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

/**
 * Moves a person's notifications of this kind back in time, as if they came hours ago,
 * and the start of their groups with them (`notification_groups` is kept on inserts and
 * deletes; nothing else ever changes when a notification came).
 */
async function age(recipientId: string, type: string, hours: number) {
  const back = `${hours} hours`;
  await server.database.db
    .update(notifications)
    .set({ createdAt: sql`${notifications.createdAt} - ${back}::interval` })
    .where(and(eq(notifications.recipientId, recipientId), eq(notifications.type, type)));
  await server.database.db.execute(sql`
    update notification_groups set started_at = started_at - ${back}::interval
    where recipient_id = ${recipientId} and group_key like ${`${type}:%`}`);
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
  expect(await owner.client.notifications.unreadCount.query()).toEqual({ count: 7, capped: false });

  // Read as a group: the whole row, and the badge counts rows.
  const likeKey = likes?.key ?? '';
  expect(await owner.client.notifications.markGroupRead.mutate({ key: likeKey })).toEqual({
    count: 5,
  });
  expect(await owner.client.notifications.unreadCount.query()).toEqual({ count: 6, capped: false });
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
  expect(await owner.client.notifications.unreadCount.query()).toEqual({ count: 0, capped: false });
});

/** The inbox's rows as the database holds them: an oracle for the paged reads. */
async function rowsInDatabase(recipientId: string) {
  const rows = await queryRows(
    server.database.db,
    sql`select coalesce(group_key, 'n:' || id) as key, count(*)::int as count
        from notifications where recipient_id = ${recipientId}
        group by 1 order by max(id) desc`,
  );
  return rows.map((row) => ({ key: String(row.key), count: Number(row.count) }));
}

test('groups interleaved with other rows, read a page of one, two or three at a time: every row once, whole, in order', async () => {
  const owner = await signUp('pgowner');
  const [poster, ann, ben, cat] = await Promise.all(
    ['pgposter', 'pgann', 'pgben', 'pgcat'].map((prefix) => signUp(prefix)),
  );
  if (!poster || !ann || !ben || !cat) throw new Error('people missing');
  await owner.client.follows.follow.mutate({ userId: poster.user.id });
  const liked = await upload(owner, 'liked');
  const discussed = await upload(owner, 'discussed');
  // The like group's first notifications are older than rows shown before it: a page
  // that ends at the group's row must not show its older likes again on the next.
  await ann.client.posts.like.mutate({ postId: liked.id });
  await upload(poster, 'one');
  await ben.client.comments.add.mutate({ postId: discussed.id, body: 'first' });
  await ben.client.posts.like.mutate({ postId: liked.id });
  await upload(poster, 'two');
  await cat.client.comments.add.mutate({ postId: discussed.id, body: 'second' });
  await ann.client.follows.follow.mutate({ userId: owner.user.id });
  await cat.client.posts.like.mutate({ postId: liked.id });
  await upload(poster, 'three');
  await ben.client.follows.follow.mutate({ userId: owner.user.id });

  const expected = await rowsInDatabase(owner.user.id);
  expect(expected.map((r) => r.count)).toEqual([2, 1, 3, 2, 1, 1]);
  for (const limit of [1, 2, 3]) {
    const read: Array<{ key: string; count: number }> = [];
    let cursor: string | null = null;
    do {
      const page: { items: NotificationGroup[]; nextCursor: string | null } =
        await owner.client.notifications.groups.query({ limit, cursor });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      read.push(...page.items.map((group) => ({ key: group.key, count: group.count })));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(read, `pages of ${limit}`).toEqual(expected);
  }

  // Read as a group, by its key, through the index: only that row changes.
  const likeRow = (await groups(owner)).find((group) => group.type === 'like');
  const upload3 = (await groups(owner)).find((group) => group.type === 'upload');
  if (!likeRow || !upload3) throw new Error('rows missing');
  expect(await owner.client.notifications.markGroupRead.mutate({ key: likeRow.key })).toEqual({
    count: 3,
  });
  expect(await owner.client.notifications.markGroupRead.mutate({ key: upload3.key })).toEqual({
    count: 1,
  });
  expect((await groups(owner)).filter((group) => group.read).map((group) => group.key)).toEqual([
    upload3.key,
    likeRow.key,
  ]);
  expect(await owner.client.notifications.unreadCount.query()).toEqual({ count: 4, capped: false });
});

test('the badge counts the rows of the newest 10,000 unread notifications and says when there are more', async () => {
  const owner = await signUp('capowner');
  const fan = await signUp('capfan');
  const post = await upload(owner);
  // 10,001 unread likes, each a row of its own (no group key), written straight in: the
  // count, not the way they came, is what this is about.
  await server.database.db.execute(sql`
    insert into notifications (recipient_id, actor_id, post_id, type, seq)
    select ${owner.user.id}, ${fan.user.id}, ${post.id}::bigint, 'like', i
    from generate_series(1, 10001) as i`);
  expect(await owner.client.notifications.unreadCount.query()).toEqual({
    count: 10_000,
    capped: true,
  });
  const [oldest] = await queryRows(
    server.database.db,
    sql`select min(id)::text as id from notifications where recipient_id = ${owner.user.id}`,
  );
  if (!oldest) throw new Error('no notifications');
  await owner.client.notifications.markRead.mutate({ ids: [String(oldest.id)] });
  expect(await owner.client.notifications.unreadCount.query()).toEqual({
    count: 10_000,
    capped: false,
  });
  await owner.client.notifications.markAllRead.mutate();
  expect(await owner.client.notifications.unreadCount.query()).toEqual({ count: 0, capped: false });
});

/** `notification_groups` beside what it summarizes, for one person: they must agree. */
async function groupTableAgrees(recipientId: string) {
  const kept = await queryRows(
    server.database.db,
    sql`select group_key, latest_id::text as latest_id, count from notification_groups
        where recipient_id = ${recipientId} order by group_key`,
  );
  const counted = await queryRows(
    server.database.db,
    sql`select group_key, max(id)::text as latest_id, count(*)::int as count from notifications
        where recipient_id = ${recipientId} and group_key is not null
        group by group_key order by group_key`,
  );
  expect(kept).toEqual(counted);
  return kept.length;
}

test('the groups table follows its notifications through likes in parallel, withdrawals, and comments and posts deleted', async () => {
  const owner = await signUp('gtowner');
  const fans = await Promise.all(Array.from({ length: 10 }, (_, i) => signUp(`gtfan${i}`)));
  const [kept, gone] = [await upload(owner, 'kept'), await upload(owner, 'gone')];
  await Promise.all(fans.map((fan) => fan.client.posts.like.mutate({ postId: kept.id })));
  await Promise.all(fans.map((fan) => fan.client.posts.like.mutate({ postId: gone.id })));
  await Promise.all(fans.map((fan) => fan.client.follows.follow.mutate({ userId: owner.user.id })));
  expect(await groupTableAgrees(owner.user.id)).toBe(3);

  const [first, second, third] = fans;
  if (!first || !second || !third) throw new Error('people missing');
  const comment = await first.client.comments.add.mutate({ postId: kept.id, body: 'one' });
  await second.client.comments.add.mutate({ postId: kept.id, body: 'two' });
  expect(await groupTableAgrees(owner.user.id)).toBe(4);

  // Withdrawn (the newest like of its group, so the group's newest changes), deleted by
  // cascade (a comment, then a post with a group of likes), and one member left alone.
  const lastLiker = fans.at(-1);
  await lastLiker?.client.posts.unlike.mutate({ postId: kept.id });
  await third.client.follows.unfollow.mutate({ userId: owner.user.id });
  await first.client.comments.delete.mutate({ commentId: comment.id });
  expect(await groupTableAgrees(owner.user.id)).toBe(4);
  await owner.client.posts.delete.mutate({ postId: gone.id });
  expect(await groupTableAgrees(owner.user.id)).toBe(3);
  const rows = await groups(owner);
  expect(rows.map((group) => [group.type, group.count, group.actorCount])).toEqual([
    ['comment', 1, 1],
    ['follow', 9, 9],
    ['like', 9, 9],
  ]);
  expect(rows.map((group) => group.sampleActors.length)).toEqual([1, 3, 3]);
});
