import { readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { PostMessages, UserMessages } from '@photogram/contracts';
import { follows, posts, users } from '@photogram/db';
import { count } from 'drizzle-orm';
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { badImages } from './testing/bad-images';
import { createTestClient, failure, uniqueUsername } from './testing/client';
import { jpegWithGpsAndOrientation, solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';

const MAX_UPLOAD_BYTES = 200 * 1024;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ maxUploadBytes: MAX_UPLOAD_BYTES });
});
afterAll(async () => {
  await server?.close();
});

async function signUp(prefix: string) {
  const person = createTestClient(server.url);
  const { user } = await person.client.auth.signUp.mutate({
    username: uniqueUsername(prefix),
    password: 'password123',
  });
  return { ...person, user };
}

async function storedFiles(): Promise<string[]> {
  const entries = await readdir(server.mediaDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

async function postCount(): Promise<number> {
  const [row] = await server.database.db.select({ n: count() }).from(posts);
  return row?.n ?? 0;
}

async function download(path: string) {
  const response = await fetch(`${server.url}${path}`);
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

test('an upload appears in the author profile and a follower feed, not in a stranger feed', async () => {
  const alice = await signUp('alice');
  const follower = await signUp('fan');
  const stranger = await signUp('stranger');
  await follower.client.follows.follow.mutate({ userId: alice.user.id });

  const post = await alice.client.posts.upload.mutate(
    uploadForm(await solidImage(1600, 1200), { caption: '  Sunset over the lake  ' }),
  );
  expect(post).toMatchObject({
    caption: 'Sunset over the lake',
    author: { id: alice.user.id, username: alice.user.username },
    image: { width: 1080, height: 810 },
  });
  expect(post.id).toMatch(/^\d+$/);

  const profile = await stranger.client.posts.byUser.query({ userId: alice.user.id });
  expect(profile.items.map((item) => item.id)).toEqual([post.id]);
  expect((await follower.client.feed.list.query({})).items.map((item) => item.id)).toContain(
    post.id,
  );
  expect((await alice.client.feed.list.query({})).items.map((item) => item.id)).toContain(post.id);
  expect((await stranger.client.feed.list.query({})).items).toEqual([]);
  expect(await stranger.client.posts.byId.query({ postId: post.id })).toEqual(post);

  const display = await download(post.image.url);
  expect(display.response.status).toBe(200);
  expect(display.response.headers.get('content-type')).toBe('image/webp');
  expect(display.response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(display.response.headers.get('x-content-type-options')).toBe('nosniff');
  const thumb = await sharp((await download(post.image.thumbUrl)).bytes).metadata();
  expect([thumb.format, thumb.width, thumb.height]).toEqual(['webp', 320, 240]);
});

test('stored and served images carry no EXIF, no GPS, and are turned upright', async () => {
  const fixture = await jpegWithGpsAndOrientation();
  const before = await sharp(fixture).metadata();
  expect(before.orientation).toBe(6);
  expect(before.exif && exifReader(before.exif).GPSInfo?.GPSLatitude).toEqual([48, 51, 24]);

  const alice = await signUp('gps');
  const post = await alice.client.posts.upload.mutate(uploadForm(fixture));
  expect(post.image).toMatchObject({ width: 20, height: 40 });

  for (const url of [post.image.url, post.image.thumbUrl]) {
    const { bytes } = await download(url);
    const after = await sharp(bytes).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect([after.width, after.height]).toEqual([20, 40]);
    expect(bytes.includes(Buffer.from('PhotogramTestCam'))).toBe(false);
    // Red was on the left; after a quarter turn clockwise it is on top.
    const { data } = await sharp(bytes)
      .extract({ left: 10, top: 5, width: 1, height: 1 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200);
    expect(data[2]).toBeLessThan(60);
  }
  // And what is on disk is exactly what was served.
  const files = await storedFiles();
  for (const file of files) {
    const metadata = await sharp(file).metadata();
    expect(metadata.exif).toBeUndefined();
  }
});

test('following and unfollowing change the feed and the counts, idempotently', async () => {
  const author = await signUp('author');
  const reader = await signUp('reader');
  const post = await author.client.posts.upload.mutate(
    uploadForm(await solidImage(64, 64, 'png'), { name: 'a.png' }),
  );

  expect(await reader.client.follows.follow.mutate({ userId: author.user.id })).toEqual({
    following: true,
  });
  expect(await reader.client.follows.follow.mutate({ userId: author.user.id })).toEqual({
    following: true,
  });
  let profile = await reader.client.users.byUsername.query({ username: author.user.username });
  expect(profile).toMatchObject({
    counts: { posts: 1, followers: 1, following: 0 },
    isFollowing: true,
    isSelf: false,
  });
  expect((await reader.client.feed.list.query({})).items.map((item) => item.id)).toEqual([post.id]);
  expect((await reader.client.follows.following.query({ userId: reader.user.id })).items).toEqual([
    expect.objectContaining({ id: author.user.id }),
  ]);
  expect((await reader.client.follows.followers.query({ userId: author.user.id })).items).toEqual([
    expect.objectContaining({ id: reader.user.id }),
  ]);

  expect(await reader.client.follows.unfollow.mutate({ userId: author.user.id })).toEqual({
    following: false,
  });
  expect(await reader.client.follows.unfollow.mutate({ userId: author.user.id })).toEqual({
    following: false,
  });
  profile = await reader.client.users.byUsername.query({ username: author.user.username });
  expect(profile).toMatchObject({ counts: { followers: 0 }, isFollowing: false });
  expect((await reader.client.feed.list.query({})).items).toEqual([]);

  const self = await author.client.users.byUsername.query({
    username: author.user.username.toUpperCase(),
  });
  expect(self.isSelf).toBe(true);
});

test('you cannot follow yourself or someone who does not exist', async () => {
  const person = await signUp('lonely');
  const self = await failure(person.client.follows.follow.mutate({ userId: person.user.id }));
  expect([self.data?.httpStatus, self.message]).toEqual([400, UserMessages.cannotFollowSelf]);
  const ghost = await failure(person.client.follows.follow.mutate({ userId: 'no-such-user' }));
  expect([ghost.data?.code, ghost.message]).toEqual(['NOT_FOUND', UserMessages.userNotFound]);
  const anonymous = await failure(
    createTestClient(server.url).client.follows.follow.mutate({ userId: person.user.id }),
  );
  expect(anonymous.data?.code).toBe('UNAUTHORIZED');
});

test('deleting a post removes its row and its files; only the author may', async () => {
  const author = await signUp('deleter');
  const other = await signUp('other');
  const filesBefore = await storedFiles();
  const post = await author.client.posts.upload.mutate(
    uploadForm(await solidImage(600, 400, 'webp', '#ab1234')),
  );
  expect((await storedFiles()).length).toBe(filesBefore.length + 2);

  const forbidden = await failure(other.client.posts.delete.mutate({ postId: post.id }));
  expect([forbidden.data?.code, forbidden.message]).toEqual([
    'FORBIDDEN',
    PostMessages.notYourPost,
  ]);

  expect(await author.client.posts.delete.mutate({ postId: post.id })).toEqual({ ok: true });
  expect(await storedFiles()).toEqual(filesBefore);
  expect((await download(post.image.url)).response.status).toBe(404);
  const gone = await failure(author.client.posts.byId.query({ postId: post.id }));
  expect([gone.data?.code, gone.message]).toEqual(['NOT_FOUND', PostMessages.postNotFound]);
  const again = await failure(author.client.posts.delete.mutate({ postId: post.id }));
  expect(again.data?.code).toBe('NOT_FOUND');
});

test('a file shared by two identical uploads survives the deletion of one of them', async () => {
  const author = await signUp('twins');
  const bytes = await solidImage(100, 100, 'jpeg', '#00aa00');
  const first = await author.client.posts.upload.mutate(uploadForm(bytes));
  const second = await author.client.posts.upload.mutate(uploadForm(bytes));
  expect(second.image.url).toBe(first.image.url);
  await author.client.posts.delete.mutate({ postId: first.id });
  expect((await download(second.image.url)).response.status).toBe(200);
  await author.client.posts.delete.mutate({ postId: second.id });
  expect((await download(second.image.url)).response.status).toBe(404);
});

test('pages of the feed and of a profile never repeat or skip a post', async () => {
  const author = await signUp('prolific');
  const reader = await signUp('scroller');
  await reader.client.follows.follow.mutate({ userId: author.user.id });
  const uploaded: string[] = [];
  for (let index = 0; index < 7; index++) {
    const post = await author.client.posts.upload.mutate(
      uploadForm(await solidImage(32, 32, 'png', `#0000${(16 + index * 20).toString(16)}`), {
        name: 'p.png',
      }),
    );
    uploaded.unshift(post.id);
  }

  for (const list of [
    (cursor: string | null) => reader.client.feed.list.query({ cursor, limit: 3 }),
    (cursor: string | null) =>
      reader.client.posts.byUser.query({ userId: author.user.id, cursor, limit: 3 }),
  ]) {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(cursor);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages += 1;
      // A new upload between pages must not shift the pages still to come.
      if (pages === 1)
        await author.client.posts.upload.mutate(
          uploadForm(await solidImage(33, 33, 'png'), { name: 'late.png' }),
        );
    } while (cursor);
    expect(seen).toEqual(uploaded);
    expect(pages).toBe(3);
    uploaded.unshift(
      ...(await author.client.posts.byUser.query({ userId: author.user.id, limit: 1 })).items.map(
        (item) => item.id,
      ),
    );
  }
});

test('a feed following many people pages the same way as one following few', async () => {
  const author = await signUp('popular');
  const reader = await signUp('busy');
  await reader.client.follows.follow.mutate({ userId: author.user.id });
  // 120 more followees, written directly: only their number matters here.
  const others = Array.from({ length: 120 }, (_, index) => ({
    id: `many_${reader.user.id}_${index}`,
    username: `m${index}_${reader.user.username}`.slice(0, 30),
    displayName: 'Someone',
    passwordHash: 'not-a-hash',
  }));
  await server.database.db.insert(users).values(others);
  await server.database.db
    .insert(follows)
    .values(others.map((other) => ({ followerId: reader.user.id, followeeId: other.id })));

  const uploaded: string[] = [];
  for (let index = 0; index < 5; index++) {
    const post = await author.client.posts.upload.mutate(
      uploadForm(await solidImage(20 + index, 20), { name: 'n.png', type: 'image/png' }),
    );
    uploaded.unshift(post.id);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await reader.client.feed.list.query({ cursor, limit: 2 });
    seen.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
  } while (cursor);
  expect(seen).toEqual(uploaded);
});

test('users can be found by username or display name prefix, ignoring case', async () => {
  const person = createTestClient(server.url);
  const username = uniqueUsername('zed');
  await person.client.auth.signUp.mutate({
    username,
    password: 'password123',
    displayName: 'Zoë Quartz',
  });
  const byName = await person.client.users.search.query({
    query: username.slice(0, 6).toUpperCase(),
  });
  expect(byName.items.map((item) => item.username)).toContain(username);
  const byDisplay = await person.client.users.search.query({ query: 'zoë qu' });
  expect(byDisplay.items.map((item) => item.username)).toContain(username);
  expect((await person.client.users.search.query({ query: '%' })).items).toEqual([]);
  expect((await person.client.users.search.query({ query: '' })).items).toEqual([]);

  const updated = await person.client.users.updateProfile.mutate({
    displayName: 'Zoë Q.',
    bio: 'Rocks and light.',
  });
  expect(updated).toMatchObject({ displayName: 'Zoë Q.', bio: 'Rocks and light.', isSelf: true });
  const longName = await failure(
    person.client.users.byUsername.query({ username: 'n'.repeat(65) }),
  );
  expect([longName.data?.httpStatus, longName.message]).toEqual([
    400,
    'No one goes by a name that long here.',
  ]);
  const bigSearch = await failure(person.client.users.search.query({ query: 'z', limit: 500 }));
  expect([bigSearch.data?.httpStatus, bigSearch.message]).toEqual([
    400,
    'Ask for at most 50 people.',
  ]);
  const tooLong = await failure(person.client.users.updateProfile.mutate({ bio: 'b'.repeat(301) }));
  expect([tooLong.data?.httpStatus, tooLong.message]).toEqual([400, UserMessages.bioTooLong]);
});

test('bad uploads get a 4xx with a clear message and leave no row and no file behind', async () => {
  const person = await signUp('badinput');
  const goodJpeg = await solidImage(400, 300, 'jpeg');
  const cases: Array<[string, FormData, number, string]> = [
    ...(await badImages(MAX_UPLOAD_BYTES)).map((bad): [string, FormData, number, string] => [
      bad.what,
      uploadForm(bad.bytes, { ...bad.file, caption: bad.bytes ? '' : 'no photo' }),
      400,
      bad.message,
    ]),
    [
      'a too-long caption',
      uploadForm(goodJpeg, { caption: 'c'.repeat(2201) }),
      400,
      PostMessages.captionTooLong,
    ],
  ];
  const rowsBefore = await postCount();
  const filesBefore = await storedFiles();
  for (const [name, form, status, message] of cases) {
    const error = await failure(person.client.posts.upload.mutate(form));
    expect([name, error.data?.httpStatus, error.message]).toEqual([name, status, message]);
  }
  expect(await postCount()).toBe(rowsBefore);
  expect(await storedFiles()).toEqual(filesBefore);
});

test('a body far over the limit is refused with 413 before it is read whole', async () => {
  const person = await signUp('huge');
  const error = await failure(
    person.client.posts.upload.mutate(uploadForm(Buffer.alloc(MAX_UPLOAD_BYTES * 4, 7))),
  );
  expect(error.data?.httpStatus).toBe(413);
  expect(error.data?.code).toBe('PAYLOAD_TOO_LARGE');
});

test('uploading needs a session', async () => {
  const error = await failure(
    createTestClient(server.url).client.posts.upload.mutate(uploadForm(await solidImage(10, 10))),
  );
  expect(error.data?.code).toBe('UNAUTHORIZED');
});

test('unknown and malformed post ids are a 404 and a 400', async () => {
  const { client } = createTestClient(server.url);
  const unknown = await failure(client.posts.byId.query({ postId: '999999999' }));
  expect([unknown.data?.httpStatus, unknown.message]).toEqual([404, PostMessages.postNotFound]);
  for (const postId of ['abc', '-1', '0', '1e5', '1'.repeat(40), "1' or '1'='1"]) {
    const malformed = await failure(client.posts.byId.query({ postId }));
    expect([malformed.data?.httpStatus, malformed.message]).toEqual([
      400,
      PostMessages.invalidPostId,
    ]);
  }
});

test('a malformed page cursor is a 400 naming the cursor, for a person who exists', async () => {
  // The person exists and has a post, so the cursor is the only thing wrong: an unknown
  // person would be a 404 whether or not the cursor were checked.
  const author = await signUp('paged');
  await author.client.posts.upload.mutate(uploadForm(await solidImage(10, 10)));
  const fine = await author.client.posts.byUser.query({ userId: author.user.id, limit: 1 });
  expect(fine.items).toHaveLength(1);
  for (const cursor of ['nope', '0', '-1', '1e5', '1.5']) {
    const error = await failure(
      author.client.posts.byUser.query({ userId: author.user.id, cursor }),
    );
    expect([cursor, error.data?.httpStatus, error.message]).toEqual([
      cursor,
      400,
      'That page cursor is not valid.',
    ]);
  }
});

test('media keys that try to leave the media folder are refused', async () => {
  const raw = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(server.url);
      const req = httpRequest(
        { host: url.hostname, port: url.port, path, method: 'GET' },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
  for (const path of [
    '/media/../../../../etc/passwd',
    '/media/..%2f..%2f..%2fetc%2fpasswd',
    '/media/%2e%2e/%2e%2e/package.json',
    `/media/ab/${'a'.repeat(64)}.webp`,
    '/media/',
  ]) {
    const status = await raw(path);
    expect([path, status]).toEqual([path, 404]);
  }
});
