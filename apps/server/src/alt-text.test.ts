import { ALT_TEXT_MAX, PostMessages, TextMessages } from '@photogram/contracts';
import { posts } from '@photogram/db';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, failure, signUpPerson } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';

let server: TestServer;
let photo: Buffer;
beforeAll(async () => {
  server = await startTestServer({ logger: { level: 'error' } });
  photo = await solidImage(48, 32);
});
afterAll(async () => {
  await server?.close();
});

function withAltText(altText: string) {
  const form = uploadForm(photo, { caption: 'Sunset' });
  form.set('altText', altText);
  return form;
}

test('alt text is kept with the post and returned wherever the post is', async () => {
  const author = await signUpPerson(server.url, 'alt');
  const post = await author.client.posts.upload.mutate(
    withAltText('  A red sun sinking into a calm sea.  '),
  );
  expect(post.altText).toBe('A red sun sinking into a calm sea.');
  const anonymous = createTestClient(server.url);
  expect((await anonymous.client.posts.byId.query({ postId: post.id })).altText).toBe(post.altText);
  const page = await anonymous.client.posts.byUser.query({ userId: author.user.id });
  expect(page.items[0]?.altText).toBe(post.altText);
  // Without any, it is empty (the SPA then says what it can: whose photo it is).
  const plain = await author.client.posts.upload.mutate(uploadForm(photo));
  expect(plain.altText).toBe('');
});

test('alt text over the limit or with a line break is refused with a sentence, storing nothing', async () => {
  const author = await signUpPerson(server.url, 'altbad');
  const [before] = await server.database.db.select({ n: count() }).from(posts);
  const tooLong = await failure(
    author.client.posts.upload.mutate(withAltText('a'.repeat(ALT_TEXT_MAX + 1))),
  );
  expect([tooLong.data?.httpStatus, tooLong.message]).toEqual([400, PostMessages.altTextTooLong]);
  const lines = await failure(author.client.posts.upload.mutate(withAltText('one\ntwo')));
  expect([lines.data?.httpStatus, lines.message]).toEqual([400, TextMessages.control('Alt text')]);
  const [after] = await server.database.db.select({ n: count() }).from(posts);
  expect(after).toEqual(before);
  const longest = await author.client.posts.upload.mutate(withAltText('a'.repeat(ALT_TEXT_MAX)));
  expect(longest.altText).toHaveLength(ALT_TEXT_MAX);
});
