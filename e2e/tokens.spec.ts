import { expect, test } from './fixtures';

test('a person creates an API token, sees it once, and revokes it', async ({ signUp }) => {
  const dana = await signUp('dana');
  const { page } = dana;
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await expect(page.getByText('You have no tokens yet.')).toBeVisible();

  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByText('Give the token a name, such as "laptop CLI".')).toBeVisible();

  await page.getByLabel('Token name').fill('laptop CLI');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = page.locator('.token-value');
  await expect(secret).toHaveText(/^pgt_/);
  const token = (await secret.textContent()) ?? '';
  const row = page.getByRole('row', { name: /laptop CLI/ });
  await expect(row).toContainText('never');

  // The token works from outside the browser, without cookies or Origin.
  const me = await page.request.get('/trpc/auth.me', {
    headers: { authorization: `Bearer ${token}`, cookie: '' },
  });
  expect(JSON.stringify(await me.json())).toContain(dana.username);

  await page.reload();
  await expect(page.locator('.token-value')).toHaveCount(0);
  await row.getByRole('button', { name: 'Revoke laptop CLI' }).click();
  await expect(row).toBeHidden();
  await expect(page.getByText('You have no tokens yet.')).toBeVisible();
});
