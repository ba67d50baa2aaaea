import { ALT_TEXT_MAX, PostMessages, TextMessages } from '@photogram/contracts';
import { posts } from '@photogram/db';
import { count } from 'drizzle-orm';
import { expect, test } from 'vitest';
import { createTestClient, failure, signUpPerson } from './testing/client';
import { socialServer } from './testing/social';

const social = socialServer();
const { upload } = social;

test('alt text is kept with the post and returned wherever the post is', async () => {
  const author = await signUpPerson(social.url, 'alt');
  const post = await upload(author, {
    caption: 'Sunset',
    altText: '  A red sun sinking into a calm sea.  ',
  });
  expect(post.altText).toBe('A red sun sinking into a calm sea.');
  const anonymous = createTestClient(social.url);
  expect((await anonymous.client.posts.byId.query({ postId: post.id })).altText).toBe(post.altText);
  const page = await anonymous.client.posts.byUser.query({ userId: author.user.id });
  expect(page.items[0]?.altText).toBe(post.altText);
  // Without any, it is empty (the SPA then says what it can: whose photo it is).
  const plain = await upload(author);
  expect(plain.altText).toBe('');
});

test('alt text over the limit or with a line break is refused with a sentence, storing nothing', async () => {
  const author = await signUpPerson(social.url, 'altbad');
  const [before] = await social.server.database.db.select({ n: count() }).from(posts);
  const tooLong = await failure(upload(author, { altText: 'a'.repeat(ALT_TEXT_MAX + 1) }));
  expect([tooLong.data?.httpStatus, tooLong.message]).toEqual([400, PostMessages.altTextTooLong]);
  const lines = await failure(upload(author, { altText: 'one\ntwo' }));
  expect([lines.data?.httpStatus, lines.message]).toEqual([400, TextMessages.control('Alt text')]);
  const [after] = await social.server.database.db.select({ n: count() }).from(posts);
  expect(after).toEqual(before);
  const longest = await upload(author, { altText: 'a'.repeat(ALT_TEXT_MAX) });
  expect(longest.altText).toHaveLength(ALT_TEXT_MAX);
});
