import { expect, follow, test, uploadPhoto } from './fixtures';

test('one person uploads a photo; a follower sees it in their feed', async ({ signUp }) => {
  const alice = await signUp('alice');
  const caption = `Golden hour at the pier ${Date.now()}`;
  await uploadPhoto(alice, caption);

  await alice.page.goto(`/u/${alice.username}`);
  await expect(alice.page.getByText('1 post')).toBeVisible();
  await expect(alice.page.getByRole('list', { name: 'Photos' }).getByRole('img')).toHaveCount(1);

  const bob = await signUp('bob');
  await expect(bob.page.getByRole('heading', { name: 'Your feed is empty' })).toBeVisible();
  await follow(bob, alice.username);
  await expect(bob.page.getByText('1 follower', { exact: true })).toBeVisible();

  await bob.page.goto('/');
  const post = bob.page.getByRole('article', { name: `Photo by @${alice.username}` });
  await expect(post).toBeVisible();
  await expect(post.getByText(caption)).toBeVisible();
  const image = post.getByRole('img', { name: caption });
  await expect(image).toHaveAttribute('width', '800');
  await expect(image).toHaveAttribute('height', '600');
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(800);
});

test('the upload screen refuses a file that is not a photo before sending it', async ({
  signUp,
}) => {
  const carol = await signUp('carol');
  await carol.page.goto('/upload');
  await carol.page.getByLabel('Photo', { exact: true }).setInputFiles({
    name: 'empty.jpg',
    mimeType: 'image/jpeg',
    buffer: Buffer.alloc(0),
  });
  await expect(carol.page.getByText('That file is empty. Choose a photo.')).toBeVisible();
});
