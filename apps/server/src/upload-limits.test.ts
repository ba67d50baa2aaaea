import {
  ACCEPTED_IMAGE_TYPES,
  CAPTION_MAX,
  MAX_UPLOAD_BYTES_DEFAULT,
  PostMessages,
} from '@photogram/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, failure, uniqueUsername } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';

// Not the default, so a form that checked against the default would be caught.
const MAX_UPLOAD_BYTES = 3 * 1024 * 1024;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ maxUploadBytes: MAX_UPLOAD_BYTES });
});
afterAll(async () => {
  await server?.close();
});

test('posts.limits tells anyone this server’s configured limits, the ones upload applies', async () => {
  expect(MAX_UPLOAD_BYTES).not.toBe(MAX_UPLOAD_BYTES_DEFAULT);
  const anonymous = createTestClient(server.url);
  const limits = await anonymous.client.posts.limits.query();
  expect(limits).toEqual({
    maxUploadBytes: MAX_UPLOAD_BYTES,
    maxCaptionLength: CAPTION_MAX,
    acceptedImageTypes: [...ACCEPTED_IMAGE_TYPES],
  });

  // One byte over what it said is refused with the limit it said.
  const person = createTestClient(server.url);
  await person.client.auth.signUp.mutate({
    username: uniqueUsername('limits'),
    password: 'password123',
  });
  const over = await failure(
    person.client.posts.upload.mutate(uploadForm(Buffer.alloc(limits.maxUploadBytes + 1, 1))),
  );
  expect(over.message).toBe(PostMessages.imageTooLarge(limits.maxUploadBytes));
  expect(over.data?.httpStatus).toBe(400);
  // And a photo within it is taken.
  const photo = await solidImage(64, 64);
  const post = await person.client.posts.upload.mutate(uploadForm(photo, { caption: 'fits' }));
  expect(post.caption).toBe('fits');
});
