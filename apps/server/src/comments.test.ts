import { COMMENT_MAX, CommentMessages, PostMessages, TextMessages } from '@photogram/contracts';
import { expect, test } from 'vitest';
import { createTestClient, failure, signUpPerson } from './testing/client';
import { socialServer } from './testing/social';

const social = socialServer();
const { upload, stored } = social;

test('comments are added, listed oldest first a page at a time, and counted on the post', async () => {
  const author = await signUpPerson(social.url, 'cauthor');
  const friend = await signUpPerson(social.url, 'cfriend');
  const post = await upload(author);

  const first = await friend.client.comments.add.mutate({ postId: post.id, body: '  Lovely!  ' });
  expect(first).toEqual({
    id: expect.any(String),
    postId: post.id,
    author: {
      id: friend.user.id,
      username: friend.user.username,
      displayName: friend.user.displayName,
      avatarUrl: null,
    },
    // The text rule: trimmed, and line breaks kept in a multi-line field.
    body: 'Lovely!',
    createdAt: expect.any(Date),
  });
  const bodies = ['second', 'third\nwith a line', 'fourth'];
  for (const body of bodies) await author.client.comments.add.mutate({ postId: post.id, body });

  const anonymous = createTestClient(social.url);
  const page1 = await anonymous.client.comments.list.query({ postId: post.id, limit: 2 });
  expect(page1.items.map((comment) => comment.body)).toEqual(['Lovely!', 'second']);
  const page2 = await anonymous.client.comments.list.query({
    postId: post.id,
    limit: 2,
    cursor: page1.nextCursor,
  });
  expect(page2.items.map((comment) => comment.body)).toEqual(['third\nwith a line', 'fourth']);
  expect(page2.nextCursor).toBeNull();
  expect(await anonymous.client.posts.byId.query({ postId: post.id })).toMatchObject({
    commentCount: 4,
  });
  expect(await stored(post.id)).toMatchObject({ comments: 4, commentCount: 4 });
});

test('a comment can be deleted by its author or the post’s author, by no one else', async () => {
  const author = await signUpPerson(social.url, 'cauthor');
  const friend = await signUpPerson(social.url, 'cfriend');
  const stranger = await signUpPerson(social.url, 'cstranger');
  const post = await upload(author);
  const byFriend = await friend.client.comments.add.mutate({ postId: post.id, body: 'mine' });
  const byAuthor = await author.client.comments.add.mutate({ postId: post.id, body: 'reply' });

  for (const commentId of [byFriend.id, byAuthor.id]) {
    const refused = await failure(stranger.client.comments.delete.mutate({ commentId }));
    expect(refused.data?.code).toBe('FORBIDDEN');
    expect(refused.message).toBe(CommentMessages.notYours);
  }
  // The commenter cannot delete the post author's reply either: it is not theirs.
  const notTheirs = await failure(friend.client.comments.delete.mutate({ commentId: byAuthor.id }));
  expect(notTheirs.data?.code).toBe('FORBIDDEN');
  expect(await stored(post.id)).toMatchObject({ comments: 2, commentCount: 2 });

  expect(await friend.client.comments.delete.mutate({ commentId: byFriend.id })).toEqual({
    ok: true,
  });
  const again = await failure(friend.client.comments.delete.mutate({ commentId: byFriend.id }));
  expect(again.data?.code).toBe('NOT_FOUND');
  expect(again.message).toBe(CommentMessages.commentNotFound);

  // The post's author may remove anyone's comment on their post.
  const another = await friend.client.comments.add.mutate({ postId: post.id, body: 'again' });
  expect(await author.client.comments.delete.mutate({ commentId: another.id })).toEqual({
    ok: true,
  });
  expect(await author.client.comments.delete.mutate({ commentId: byAuthor.id })).toEqual({
    ok: true,
  });
  expect(await stored(post.id)).toMatchObject({ comments: 0, commentCount: 0 });
});

test('bad comments get a sentence and leave nothing behind', async () => {
  const author = await signUpPerson(social.url, 'cauthor');
  const post = await upload(author);
  const cases: Array<[string, string, string]> = [
    ['empty', '', CommentMessages.bodyRequired],
    ['only spaces', '   \n ', CommentMessages.bodyRequired],
    ['too long', 'x'.repeat(COMMENT_MAX + 1), CommentMessages.bodyTooLong],
    ['a NUL', 'a\u0000b', TextMessages.control('Comments', true)],
    ['a bidi override', 'a\u202eb', TextMessages.bidi('Comments')],
  ];
  for (const [what, body, message] of cases) {
    const refused = await failure(author.client.comments.add.mutate({ postId: post.id, body }));
    expect(refused.data?.code, what).toBe('BAD_REQUEST');
    expect(refused.message, what).toBe(message);
  }
  expect(
    (await author.client.comments.add.mutate({ postId: post.id, body: 'x'.repeat(COMMENT_MAX) }))
      .body,
  ).toHaveLength(COMMENT_MAX);

  const missing = await failure(
    author.client.comments.add.mutate({ postId: '999999999', body: 'hi' }),
  );
  expect(missing.message).toBe(PostMessages.postNotFound);
  const badId = await failure(author.client.comments.delete.mutate({ commentId: 'abc' }));
  expect(badId.message).toBe(CommentMessages.invalidCommentId);
  const anonymous = createTestClient(social.url);
  const signedOut = await failure(
    anonymous.client.comments.add.mutate({ postId: post.id, body: 'hi' }),
  );
  expect(signedOut.data?.code).toBe('UNAUTHORIZED');
  expect(await stored(post.id)).toMatchObject({ comments: 1, commentCount: 1 });
});

test('deleting a post deletes its comments', async () => {
  const author = await signUpPerson(social.url, 'cauthor');
  const friend = await signUpPerson(social.url, 'cfriend');
  const post = await upload(author);
  const comment = await friend.client.comments.add.mutate({ postId: post.id, body: 'bye' });
  await author.client.posts.delete.mutate({ postId: post.id });
  expect(await stored(post.id)).toMatchObject({ comments: 0, commentCount: null });
  const gone = await failure(friend.client.comments.delete.mutate({ commentId: comment.id }));
  expect(gone.data?.code).toBe('NOT_FOUND');
  const list = await failure(friend.client.comments.list.query({ postId: post.id }));
  expect(list.data?.code).toBe('NOT_FOUND');
});
