import { UserMessages } from '@photogram/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { failure, type Person, signUpPerson } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { watchUploads } from './testing/subscriber';

let server: TestServer;
let photo: Buffer;
beforeAll(async () => {
  server = await startTestServer({ logger: { level: 'error' } });
  photo = await solidImage(48, 32);
});
afterAll(async () => {
  await server?.close();
});

function upload(person: Person, caption: string) {
  return person.client.posts.upload.mutate(uploadForm(photo, { caption }));
}

test('with the bell off, a followed person’s uploads reach the feed but not the inbox or the stream', async () => {
  const author = await signUpPerson(server.url, 'bellauthor');
  const follower = await signUpPerson(server.url, 'bellfan');
  await follower.client.follows.follow.mutate({ userId: author.user.id });
  // On by default for a new follow.
  expect(
    await follower.client.users.byUsername.query({ username: author.user.username }),
  ).toMatchObject({ isFollowing: true, notify: true });

  const watch = watchUploads(follower.client, { lastEventId: '0' });
  try {
    await watch.started();
    const loud = await upload(author, 'loud');
    await watch.forPost(loud.id);

    expect(
      await follower.client.follows.setNotify.mutate({ userId: author.user.id, notify: false }),
    ).toEqual({ notify: false });
    expect(
      await follower.client.users.byUsername.query({ username: author.user.username }),
    ).toMatchObject({ isFollowing: true, notify: false });
    const quiet = await upload(author, 'quiet');

    expect(
      await follower.client.follows.setNotify.mutate({ userId: author.user.id, notify: true }),
    ).toEqual({ notify: true });
    const loudAgain = await upload(author, 'loud again');
    await watch.forPost(loudAgain.id);

    // One stream in commit order: had the quiet one been sent, it would have come before.
    expect([...watch.byId.values()].map((item) => item.post.id)).toEqual([loud.id, loudAgain.id]);
    expect(watch.deliveries).toHaveLength(2);
    const inbox = await follower.client.notifications.list.query({});
    expect(inbox.items.map((item) => item.post.id)).toEqual([loudAgain.id, loud.id]);
    // The quiet one is in the feed all the same.
    const feed = await follower.client.feed.list.query({});
    expect(feed.items.map((post) => post.id)).toEqual([loudAgain.id, quiet.id, loud.id]);
  } finally {
    watch.stop();
  }
});

test('the bell is for people you follow, and not for yourself', async () => {
  const author = await signUpPerson(server.url, 'bellauthor');
  const stranger = await signUpPerson(server.url, 'bellstranger');
  const notFollowing = await failure(
    stranger.client.follows.setNotify.mutate({ userId: author.user.id, notify: false }),
  );
  expect(notFollowing.data?.code).toBe('BAD_REQUEST');
  expect(notFollowing.message).toBe(UserMessages.notifyNeedsFollow);
  const self = await failure(
    author.client.follows.setNotify.mutate({ userId: author.user.id, notify: false }),
  );
  expect(self.data?.code).toBe('BAD_REQUEST');
  const nobody = await failure(
    author.client.follows.setNotify.mutate({ userId: 'nobody_at_all', notify: false }),
  );
  expect(nobody.message).toBe(UserMessages.userNotFound);
  expect(
    await stranger.client.users.byUsername.query({ username: author.user.username }),
  ).toMatchObject({ isFollowing: false, notify: false });
});
