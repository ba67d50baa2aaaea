import { PostMessages } from '@photogram/contracts';
import { expect, test } from 'vitest';
import { createTestClient, failure, type Person, signUpPerson } from './testing/client';
import { socialServer } from './testing/social';

const social = socialServer();
const { upload, stored } = social;

test('like and unlike are idempotent and the post carries the count and likedByMe', async () => {
  const author = await signUpPerson(social.url, 'likeauthor');
  const fan = await signUpPerson(social.url, 'likefan');
  const post = await upload(author);
  expect(post).toMatchObject({ likeCount: 0, likedByMe: false, commentCount: 0 });

  expect(await fan.client.posts.like.mutate({ postId: post.id })).toEqual({
    liked: true,
    likeCount: 1,
  });
  expect(await fan.client.posts.like.mutate({ postId: post.id })).toEqual({
    liked: true,
    likeCount: 1,
  });
  expect(await fan.client.posts.byId.query({ postId: post.id })).toMatchObject({
    likeCount: 1,
    likedByMe: true,
  });
  // The author sees the count, not the fan's like as their own; so does someone signed out.
  expect(await author.client.posts.byId.query({ postId: post.id })).toMatchObject({
    likeCount: 1,
    likedByMe: false,
  });
  const anonymous = createTestClient(social.url);
  expect(await anonymous.client.posts.byId.query({ postId: post.id })).toMatchObject({
    likeCount: 1,
    likedByMe: false,
  });

  expect(await fan.client.posts.unlike.mutate({ postId: post.id })).toEqual({
    liked: false,
    likeCount: 0,
  });
  expect(await fan.client.posts.unlike.mutate({ postId: post.id })).toEqual({
    liked: false,
    likeCount: 0,
  });
  expect(await stored(post.id)).toMatchObject({ likes: 0, likeCount: 0 });
});

test('ten parallel likes from one person count once; ten people count ten', async () => {
  const author = await signUpPerson(social.url, 'likeauthor');
  const fan = await signUpPerson(social.url, 'likefan');
  const post = await upload(author);

  const results = await Promise.all(
    Array.from({ length: 10 }, () => fan.client.posts.like.mutate({ postId: post.id })),
  );
  for (const result of results) expect(result).toEqual({ liked: true, likeCount: 1 });
  expect(await stored(post.id)).toMatchObject({ likes: 1, likeCount: 1 });

  const crowd = await Promise.all(
    Array.from({ length: 9 }, () => signUpPerson(social.url, 'crowd')),
  );
  const counts = await Promise.all(
    crowd.map((person) => person.client.posts.like.mutate({ postId: post.id })),
  );
  // Each saw the count its own like made: all of 2..10, once each.
  expect(counts.map((result) => result.likeCount).sort((a, b) => a - b)).toEqual([
    2, 3, 4, 5, 6, 7, 8, 9, 10,
  ]);
  expect(await stored(post.id)).toMatchObject({ likes: 10, likeCount: 10 });

  // And parallel unlikes from one person take one like away.
  await Promise.all(
    Array.from({ length: 10 }, () => fan.client.posts.unlike.mutate({ postId: post.id })),
  );
  expect(await stored(post.id)).toMatchObject({ likes: 9, likeCount: 9 });
});

test('likers are listed latest first, a page at a time', async () => {
  const author = await signUpPerson(social.url, 'likeauthor');
  const post = await upload(author);
  const people: Person[] = [];
  for (let i = 0; i < 5; i++) {
    const person = await signUpPerson(social.url, `liker${i}`);
    await person.client.posts.like.mutate({ postId: post.id });
    people.push(person);
  }
  const anonymous = createTestClient(social.url);
  const first = await anonymous.client.posts.likers.query({ postId: post.id, limit: 3 });
  expect(first.items.map((user) => user.id)).toEqual(
    people
      .slice(2)
      .reverse()
      .map((person) => person.user.id),
  );
  expect(first.items[0]).toEqual({
    id: people[4]?.user.id,
    username: people[4]?.user.username,
    displayName: people[4]?.user.displayName,
    avatarUrl: null,
  });
  const second = await anonymous.client.posts.likers.query({
    postId: post.id,
    limit: 3,
    cursor: first.nextCursor,
  });
  expect(second.items.map((user) => user.id)).toEqual(
    people
      .slice(0, 2)
      .reverse()
      .map((person) => person.user.id),
  );
  expect(second.nextCursor).toBeNull();
});

test('likes need a session and a post that exists; the feed carries the counts', async () => {
  const author = await signUpPerson(social.url, 'likeauthor');
  const post = await upload(author);
  const anonymous = createTestClient(social.url);
  const signedOut = await failure(anonymous.client.posts.like.mutate({ postId: post.id }));
  expect(signedOut.data?.code).toBe('UNAUTHORIZED');

  const fan = await signUpPerson(social.url, 'likefan');
  const missing = await failure(fan.client.posts.like.mutate({ postId: '999999999' }));
  expect(missing.data?.code).toBe('NOT_FOUND');
  expect(missing.message).toBe(PostMessages.postNotFound);
  const missingUnlike = await failure(fan.client.posts.unlike.mutate({ postId: '999999999' }));
  expect(missingUnlike.message).toBe(PostMessages.postNotFound);
  const missingLikers = await failure(anonymous.client.posts.likers.query({ postId: '999999999' }));
  expect(missingLikers.message).toBe(PostMessages.postNotFound);

  await fan.client.follows.follow.mutate({ userId: author.user.id });
  await fan.client.posts.like.mutate({ postId: post.id });
  const feed = await fan.client.feed.list.query({ limit: 5 });
  expect(feed.items.find((item) => item.id === post.id)).toMatchObject({
    likeCount: 1,
    likedByMe: true,
  });
  const byUser = await anonymous.client.posts.byUser.query({ userId: author.user.id });
  expect(byUser.items[0]).toMatchObject({ id: post.id, likeCount: 1, likedByMe: false });
});

test('deleting a post deletes its likes', async () => {
  const author = await signUpPerson(social.url, 'likeauthor');
  const fan = await signUpPerson(social.url, 'likefan');
  const post = await upload(author);
  await fan.client.posts.like.mutate({ postId: post.id });
  await author.client.posts.delete.mutate({ postId: post.id });
  expect(await stored(post.id)).toMatchObject({ likes: 0, likeCount: null });
  const gone = await failure(fan.client.posts.unlike.mutate({ postId: post.id }));
  expect(gone.data?.code).toBe('NOT_FOUND');
});
