import { expect, follow, openStreams, test, uploadPhoto } from './fixtures';

test('a follower sees the upload live, opens it, and catches up after going offline', async ({
  signUp,
}) => {
  const alice = await signUp('alice');
  const bob = await signUp('bob');
  await follow(bob, alice.username);
  await bob.page.goto('/');
  const badge = bob.page.getByTestId('unread-badge');
  await expect(badge).toBeHidden();

  const first = `First light ${Date.now()}`;
  const firstUrl = await uploadPhoto(alice, first);

  // Bob did not reload: the toast and the badge arrive over the live connection.
  const toasts = bob.page.getByRole('region', { name: 'Notifications' });
  const toast = toasts.getByRole('button', {
    name: new RegExp(`@${alice.username} uploaded a new post`),
  });
  await expect(toast).toBeVisible({ timeout: 5_000 });
  await expect(badge).toHaveText('1');
  await toast.click();
  await expect(bob.page).toHaveURL(firstUrl);
  await expect(bob.page.getByText(first)).toBeVisible();

  // Offline, two uploads happen; back online, Bob gets both, once each.
  await bob.context.setOffline(true);
  await expect(bob.page.getByRole('status').filter({ hasText: 'reconnecting…' })).toBeVisible();
  // Once the server has seen Bob's stream close (page.request is not held offline), no
  // upload can reach him until he reconnects: no second spent hoping that it closed.
  await expect.poll(() => openStreams(bob.page)).toBe(0);
  const missed = [`Missed one ${Date.now()}`, `Missed two ${Date.now()}`];
  for (const caption of missed) await uploadPhoto(alice, caption);
  // Nothing arrived while offline…
  await expect(badge).toHaveText('1');
  await bob.context.setOffline(false);
  await expect(bob.page.getByRole('status').filter({ hasText: 'reconnecting…' })).toBeHidden({
    timeout: 15_000,
  });

  // …and back online both arrive, once each.
  await expect(badge).toHaveText('3', { timeout: 20_000 });
  for (const caption of missed) {
    await expect(toasts.getByText(caption)).toHaveCount(1);
  }
  await bob.page.goto('/notifications');
  const items = bob.page.getByRole('listitem');
  await expect(items).toHaveCount(3);
  for (const caption of [first, ...missed]) {
    await expect(bob.page.getByRole('listitem').filter({ hasText: caption })).toHaveCount(1);
  }
});

test('reading notifications in one tab clears the badge in the other tabs', async ({ signUp }) => {
  const alice = await signUp('alice');
  const bob = await signUp('bob');
  await follow(bob, alice.username);
  await uploadPhoto(alice, `For both tabs ${Date.now()}`);

  const otherTab = await bob.context.newPage();
  await otherTab.goto('/');
  await expect(otherTab.getByTestId('unread-badge')).toHaveText('1');

  await bob.page.goto('/notifications');
  await expect(bob.page.getByTestId('unread-badge')).toHaveText('1');
  await bob.page.getByRole('button', { name: 'Mark all as read' }).click();
  await expect(bob.page.getByTestId('unread-badge')).toBeHidden();
  // The other tab hears it through BroadcastChannel, without a reload.
  await expect(otherTab.getByTestId('unread-badge')).toBeHidden({ timeout: 5_000 });
});
