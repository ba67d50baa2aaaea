import { UserMessages } from '@photogram/contracts';
import { expect, test } from 'vitest';
import { failure, signUpPerson } from './testing/client';
import { socialServer } from './testing/social';
import { watchUploads } from './testing/subscriber';

const social = socialServer();
const { upload } = social;

test('with the bell off, a followed person’s uploads reach the feed but not the inbox or the stream', async () => {
  const author = await signUpPerson(social.url, 'bellauthor');
  const follower = await signUpPerson(social.url, 'bellfan');
  await follower.client.follows.follow.mutate({ userId: author.user.id });
  // On by default for a new follow.
  expect(
    await follower.client.users.byUsername.query({ username: author.user.username }),
  ).toMatchObject({ isFollowing: true, notify: true });

  const watch = watchUploads(follower.client, { lastEventId: '0' });
  try {
    await watch.started();
    const loud = await upload(author, { caption: 'loud' });
    await watch.forPost(loud.id);

    expect(
      await follower.client.follows.setNotify.mutate({ userId: author.user.id, notify: false }),
    ).toEqual({ notify: false });
    expect(
      await follower.client.users.byUsername.query({ username: author.user.username }),
    ).toMatchObject({ isFollowing: true, notify: false });
    const quiet = await upload(author, { caption: 'quiet' });

    expect(
      await follower.client.follows.setNotify.mutate({ userId: author.user.id, notify: true }),
    ).toEqual({ notify: true });
    const loudAgain = await upload(author, { caption: 'loud again' });
    await watch.forPost(loudAgain.id);

    // One stream in commit order: had the quiet one been sent, it would have come before.
    expect([...watch.byId.values()].map((item) => item.post.id)).toEqual([loud.id, loudAgain.id]);
    expect(watch.deliveries).toHaveLength(2);
    const inbox = await follower.client.notifications.list.query({});
    expect(
      inbox.items.map((item) => ({
        type: item.type,
        postId: 'post' in item ? item.post.id : null,
      })),
    ).toEqual([
      { type: 'upload', postId: loudAgain.id },
      { type: 'upload', postId: loud.id },
    ]);
    // The quiet one is in the feed all the same.
    const feed = await follower.client.feed.list.query({});
    expect(feed.items.map((post) => post.id)).toEqual([loudAgain.id, quiet.id, loud.id]);
  } finally {
    watch.stop();
  }
});

test('the bell is for people you follow, and not for yourself', async () => {
  const author = await signUpPerson(social.url, 'bellauthor');
  const stranger = await signUpPerson(social.url, 'bellstranger');
  const notFollowing = await failure(
    stranger.client.follows.setNotify.mutate({ userId: author.user.id, notify: false }),
  );
  expect(notFollowing.data?.code).toBe('BAD_REQUEST');
  expect(notFollowing.message).toBe(UserMessages.notifyNeedsFollow);
  const self = await failure(
    author.client.follows.setNotify.mutate({ userId: author.user.id, notify: false }),
  );
  expect(self.data?.code).toBe('BAD_REQUEST');
  expect(self.message).toBe(UserMessages.cannotFollowSelf);
  const nobody = await failure(
    author.client.follows.setNotify.mutate({ userId: 'nobody_at_all', notify: false }),
  );
  expect(nobody.message).toBe(UserMessages.userNotFound);
  expect(
    await stranger.client.users.byUsername.query({ username: author.user.username }),
  ).toMatchObject({ isFollowing: false, notify: false });
});
