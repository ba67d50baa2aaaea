import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { users } from '@photogram/db';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { badImages } from './testing/bad-images';
import { createTestClient, failure, type Person, signUpPerson } from './testing/client';
import { jpegWithGpsAndOrientation, solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';

const MAX_UPLOAD_BYTES = 200 * 1024;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ maxUploadBytes: MAX_UPLOAD_BYTES, logger: { level: 'error' } });
});
afterAll(async () => {
  await server?.close();
});

async function storedFiles(): Promise<string[]> {
  const entries = await readdir(server.mediaDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The bytes the server serves at a media URL. */
async function media(url: string): Promise<Buffer> {
  const response = await fetch(new URL(url, server.url));
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

function avatarForm(bytes: Buffer | null, file?: { name: string; type: string }) {
  const form = uploadForm(bytes, file);
  form.delete('caption');
  return form;
}

test('a profile photo is cropped square in two sizes, stripped, and shown wherever the person appears', async () => {
  const person = await signUpPerson(server.url, 'avatar');
  const friend = await signUpPerson(server.url, 'avfriend');
  // A wide photo with GPS in its EXIF: the crop must be square and the GPS gone.
  const profile = await person.client.users.updateAvatar.mutate(
    avatarForm(await jpegWithGpsAndOrientation()),
  );
  expect(profile.avatarUrl).toMatch(/^\/media\/[0-9a-f]{2}\/[0-9a-f]{64}\.webp$/);
  expect(profile.avatarLargeUrl).toMatch(/^\/media\/[0-9a-f]{2}\/[0-9a-f]{64}\.webp$/);
  const small = await sharp(await media(profile.avatarUrl ?? '')).metadata();
  const large = await sharp(await media(profile.avatarLargeUrl ?? '')).metadata();
  expect([small.width, small.height, large.width, large.height]).toEqual([96, 96, 320, 320]);
  expect([small.exif, large.exif]).toEqual([undefined, undefined]);

  // Everywhere a person is shown: their session, a post, a comment, a list, a search.
  expect((await person.client.auth.me.query())?.avatarUrl).toBe(profile.avatarUrl);
  const post = await person.client.posts.upload.mutate(uploadForm(await solidImage(20, 20)));
  expect(post.author.avatarUrl).toBe(profile.avatarUrl);
  const comment = await person.client.comments.add.mutate({ postId: post.id, body: 'me' });
  expect(comment.author.avatarUrl).toBe(profile.avatarUrl);
  await friend.client.follows.follow.mutate({ userId: person.user.id });
  const followed = await person.client.follows.following.query({ userId: friend.user.id });
  expect(followed.items[0]?.avatarUrl).toBe(profile.avatarUrl);
  const found = await friend.client.users.search.query({ query: person.user.username });
  expect(found.items[0]?.avatarUrl).toBe(profile.avatarUrl);
  const feed = await friend.client.feed.list.query({});
  expect(feed.items[0]?.author.avatarUrl).toBe(profile.avatarUrl);
});

test('replacing or removing a profile photo removes the old files, and only those', async () => {
  const person = await signUpPerson(server.url, 'avswap');
  const before = await storedFiles();
  const first = await person.client.users.updateAvatar.mutate(
    avatarForm(await solidImage(200, 100, 'png', '#aa0000')),
  );
  expect(await storedFiles()).toHaveLength(before.length + 2);
  const second = await person.client.users.updateAvatar.mutate(
    avatarForm(await solidImage(100, 200, 'png', '#00aa00')),
  );
  expect(second.avatarUrl).not.toBe(first.avatarUrl);
  expect(await storedFiles()).toHaveLength(before.length + 2);

  const removed = await person.client.users.removeAvatar.mutate();
  expect([removed.avatarUrl, removed.avatarLargeUrl]).toEqual([null, null]);
  expect(await storedFiles()).toEqual(before);
  expect((await person.client.auth.me.query())?.avatarUrl).toBeNull();
  // Removing again is fine.
  expect((await person.client.users.removeAvatar.mutate()).avatarUrl).toBeNull();
});

test('bad profile photos get the same sentences as bad posts and leave nothing behind', async () => {
  const person = await signUpPerson(server.url, 'avbad');
  await person.client.users.updateAvatar.mutate(avatarForm(await solidImage(50, 50)));
  const [row] = await server.database.db
    .select({ avatarKey: users.avatarKey, avatarThumbKey: users.avatarThumbKey })
    .from(users)
    .where(eq(users.id, person.user.id));
  const filesBefore = await storedFiles();
  for (const bad of await badImages(MAX_UPLOAD_BYTES)) {
    const error = await failure(
      person.client.users.updateAvatar.mutate(avatarForm(bad.bytes, bad.file)),
    );
    expect([bad.what, error.data?.httpStatus, error.message]).toEqual([bad.what, 400, bad.message]);
  }
  const huge = await failure(
    person.client.users.updateAvatar.mutate(avatarForm(Buffer.alloc(MAX_UPLOAD_BYTES * 4, 7))),
  );
  expect(huge.data?.httpStatus).toBe(413);
  // The photo it had is still its photo, and no file was added or lost.
  const [after] = await server.database.db
    .select({ avatarKey: users.avatarKey, avatarThumbKey: users.avatarThumbKey })
    .from(users)
    .where(eq(users.id, person.user.id));
  expect(after).toEqual(row);
  expect(await storedFiles()).toEqual(filesBefore);

  const anonymous = createTestClient(server.url);
  const signedOut = await failure(
    anonymous.client.users.updateAvatar.mutate(avatarForm(await solidImage(10, 10))),
  );
  expect(signedOut.data?.code).toBe('UNAUTHORIZED');
});

test('setting the same photo again keeps its files', async () => {
  const person = await signUpPerson(server.url, 'avsame');
  const photo = await solidImage(80, 80, 'png', '#345678');
  const first = await person.client.users.updateAvatar.mutate(avatarForm(photo));
  const files = await storedFiles();
  const again = await person.client.users.updateAvatar.mutate(avatarForm(photo));
  expect([again.avatarUrl, again.avatarLargeUrl]).toEqual([first.avatarUrl, first.avatarLargeUrl]);
  expect(await storedFiles()).toEqual(files);
  await media(again.avatarUrl ?? '');
  await media(again.avatarLargeUrl ?? '');
});

test('two people with the same photo share its files; one removing it leaves the other’s', async () => {
  const photo = await solidImage(64, 64, 'png', '#123456');
  const people: Person[] = [
    await signUpPerson(server.url, 'avtwin'),
    await signUpPerson(server.url, 'avtwin'),
  ];
  const before = await storedFiles();
  const [a, b] = await Promise.all(
    people.map((person) => person.client.users.updateAvatar.mutate(avatarForm(photo))),
  );
  expect(a?.avatarUrl).toMatch(/^\/media\//);
  expect(a?.avatarUrl).toBe(b?.avatarUrl);
  expect(await storedFiles()).toHaveLength(before.length + 2);
  await people[0]?.client.users.removeAvatar.mutate();
  await media(b?.avatarUrl ?? '');
  await media(b?.avatarLargeUrl ?? '');
  // The last one to let go takes the files with it.
  await people[1]?.client.users.removeAvatar.mutate();
  expect(await storedFiles()).toEqual(before);
});
