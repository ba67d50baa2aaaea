import { expect, follow, photoPath, test, uploadPhoto, whoAmI } from './fixtures';

test('two people: the bell, alt text, a double-tap like, a comment with a mention, a toast with a face, a grouped inbox row', async ({
  signUp,
}) => {
  test.setTimeout(120_000);
  const a = await signUp('a');
  const b = await signUp('b');
  const c = await signUp('c');

  // B gets a face first: it is what A's toast will show.
  await b.page.goto('/settings');
  await b.page.getByLabel('Choose a photo').setInputFiles(photoPath);
  await expect(b.page.getByLabel('Change photo')).toBeVisible();
  const bAvatar = (await whoAmI(b.page)).avatarUrl;
  if (!bAvatar) throw new Error('B has no avatar after choosing one');

  // B follows A and turns A's bell off.
  await follow(b, a.username);
  const bellOn = b.page.getByRole('button', { name: 'Notifications on' });
  await bellOn.click();
  const bellOff = b.page.getByRole('button', { name: 'Notifications off' });
  await expect(bellOff).toHaveAttribute('aria-pressed', 'false');
  await b.page.reload();
  await expect(bellOff).toBeVisible();

  const toasts = (page: typeof b.page) => page.getByRole('region', { name: 'Notifications' });
  const badge = b.page.getByTestId('unread-badge');

  // Bell off: A's upload reaches B's feed, not the inbox or the toasts.
  const quiet = `Quiet one ${Date.now()}`;
  await uploadPhoto(a, quiet);
  await b.page.goto('/');
  const feed = b.page.getByRole('article', { name: `Photo by @${a.username}` });
  await expect(feed.filter({ hasText: quiet })).toBeVisible();

  // Bell on again: the next upload toasts. Uploads reach B in order on one stream, so
  // when this one's toast is there, the quiet one would have come first if it were sent.
  await b.page.goto(`/u/${a.username}`);
  await b.page.getByRole('button', { name: 'Notifications off' }).click();
  await expect(b.page.getByRole('button', { name: 'Notifications on' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await b.page.goto('/');
  const caption = `Harbour at dusk ${Date.now()}`;
  const altText = 'Fishing boats moored under an orange sky, lights coming on along the quay';
  const postUrl = await uploadPhoto(a, caption, { altText });
  await expect(
    toasts(b.page).getByRole('button', {
      name: new RegExp(`@${a.username} uploaded a new post`),
    }),
  ).toBeVisible();
  await expect(toasts(b.page).getByText(quiet)).toHaveCount(0);
  await expect(badge).toHaveText('1');

  // The photo's alt is the alt text A wrote.
  await b.page.reload();
  const post = feed.filter({ hasText: caption });
  const photo = post.getByRole('img', { name: altText });
  await expect(photo).toBeVisible();

  // A has a page open while B likes the photo with a double-tap: the heart fills, the
  // count is 1, and A is told by the badge only (B's follow, B's like).
  await a.page.goto('/');
  const aBadge = a.page.getByTestId('unread-badge');
  await expect(aBadge).toHaveText('1');
  await photo.dblclick();
  await expect(post.getByRole('button', { name: 'Unlike' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(post.getByText('1 like', { exact: true })).toBeVisible();
  // The live event that moved the badge would have put up its toast first. Counted once,
  // not awaited: a toast goes by itself after a few seconds.
  await expect(aBadge).toHaveText('2');
  expect(await toasts(a.page).getByRole('status').count()).toBe(0);

  // The quiet upload never reached B's inbox; the other one did.
  await b.page.goto('/notifications');
  await expect(b.page.getByRole('listitem')).toHaveCount(1);
  await expect(b.page.getByRole('listitem')).toContainText(caption);

  // B comments with A's @name: A gets a toast with B's face.
  await b.page.goto(postUrl);
  const comment = `Lovely light, @${a.username}!`;
  await b.page.getByLabel('Add a comment').fill(comment);
  await b.page.getByRole('button', { name: 'Post', exact: true }).click();
  const posted = b.page
    .getByRole('region', { name: 'Comments' })
    .getByRole('listitem')
    .filter({ hasText: comment });
  await expect(posted.getByRole('link', { name: `@${a.username}` })).toHaveAttribute(
    'href',
    `/u/${a.username}`,
  );

  const commentToast = toasts(a.page)
    .getByRole('status')
    .filter({ hasText: `@${b.username} commented on your post` });
  await expect(commentToast).toBeVisible();
  await expect(commentToast.getByText(comment)).toBeVisible();
  await expect(commentToast.locator('img.avatar')).toHaveAttribute('src', bAvatar);
  // The like came first on the same stream and made no toast; the comment's mention of A
  // is folded into the comment one, not a second toast.
  expect(await toasts(a.page).getByRole('status').count()).toBe(1);
  await expect(aBadge).toHaveText('3');

  // C likes it too: one inbox row for both likes.
  await c.page.goto(postUrl);
  await c.page.getByRole('button', { name: 'Like', exact: true }).click();
  await expect(c.page.getByRole('button', { name: 'Unlike' })).toBeVisible();

  await a.page.goto('/notifications');
  const rows = a.page.getByRole('listitem');
  const likes = rows.filter({ hasText: 'liked your post' });
  await expect(likes).toHaveCount(1);
  await expect(likes).toContainText(`@${c.username} and @${b.username} liked your post`);
  await expect(likes.getByRole('link')).toHaveAttribute('href', new URL(postUrl).pathname);
  await expect(rows.filter({ hasText: `@${b.username} commented on your post` })).toContainText(
    comment,
  );
  await expect(rows.filter({ hasText: `@${b.username} followed you` })).toHaveCount(1);
  await expect(rows).toHaveCount(3);
  await expect(aBadge).toHaveText('3');

  // Opening the row marks the whole group read: its dot goes, the badge counts one less.
  await expect(likes.getByText('Unread', { exact: true })).toHaveCount(1);
  await likes.getByRole('link').click();
  await expect(a.page).toHaveURL(postUrl);
  await expect(aBadge).toHaveText('2');
  await a.page.goBack();
  await expect(likes.getByText('Unread', { exact: true })).toHaveCount(0);
  await expect(rows.getByText('Unread', { exact: true })).toHaveCount(2);

  await a.page.getByRole('button', { name: 'Mark all as read' }).click();
  await expect(aBadge).toBeHidden();
  await expect(rows.getByText('Unread', { exact: true })).toHaveCount(0);
});
