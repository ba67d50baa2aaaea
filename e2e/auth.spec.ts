import {
  expect,
  openStreams,
  personPassword,
  STREAMS_PER_BROWSER,
  test,
  uniqueName,
} from './fixtures';

test('a person signs up, stays signed in across a reload, signs out and signs in again', async ({
  page,
}) => {
  const username = uniqueName('ada');
  await page.goto('/');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await expect(page).toHaveURL(/\/signup$/);

  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name (optional)').fill('Ada Lovelace');
  await page.getByLabel('Password').fill('analytical engine');
  await page.getByRole('button', { name: 'Create account' }).click();

  const me = page.getByRole('link', { name: new RegExp(`Ada Lovelace.*@${username}`) });
  await expect(me).toBeVisible();
  // Signed up without a reload, the page already holds the live connections.
  await expect.poll(() => openStreams(page)).toBe(STREAMS_PER_BROWSER);
  await page.reload();
  await expect(me).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin$/);
  await expect(me).toBeHidden();

  await page.getByLabel('Username').fill(username.toUpperCase());
  await page.getByLabel('Password').fill('analytical engine');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(me).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
});

test('wrong passwords and short passwords get clear messages', async ({ page }) => {
  await page.goto('/signin');
  await page.getByLabel('Username').fill(uniqueName('nobody'));
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');

  await page.goto('/signup');
  let requests = 0;
  page.on('request', (request) => {
    if (request.url().includes('/trpc/auth.signUp')) requests += 1;
  });
  await page.getByLabel('Username').fill('ok_name');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Password must be at least 8 characters.')).toBeVisible();
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
  expect(requests).toBe(0);
});

test('a signed-out visitor to a private page signs in and lands back on it', async ({ signUp }) => {
  const person = await signUp('returning');
  const { page } = person;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin$/);

  await page.goto('/settings');
  await expect(page).toHaveURL(/\/signin$/);
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Password').fill(personPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole('link', { name: new RegExp(`@${person.username}`) })).toBeVisible();
});
