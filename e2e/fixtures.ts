import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, expect, type Page } from '@playwright/test';

export const photoPath = fileURLToPath(new URL('./fixtures/sunset.jpg', import.meta.url));

/** The password every `signUpPerson` account gets, for specs that sign in again. */
export const personPassword = 'correct horse battery';

let counter = 0;
export function uniqueName(prefix: string) {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}`.slice(0, 30);
}

export interface Person {
  context: BrowserContext;
  page: Page;
  username: string;
  displayName: string;
}

/** A person with their own browser context, signed up through the sign-up page. */
export async function signUpPerson(browser: Browser, prefix: string): Promise<Person> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const username = uniqueName(prefix);
  const displayName = `${prefix[0]?.toUpperCase() ?? ''}${prefix.slice(1)} Tester`;
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name (optional)').fill(displayName);
  await page.getByLabel('Password').fill(personPassword);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('link', { name: new RegExp(`@${username}`) })).toBeVisible();
  return { context, page, username, displayName };
}

/** Uploads the fixture photo with a caption through the upload page; returns the post URL. */
export async function uploadPhoto(person: Person, caption: string): Promise<string> {
  const { page } = person;
  await page.goto('/upload');
  await page.getByLabel('Photo', { exact: true }).setInputFiles(photoPath);
  await expect(page.getByAltText('Preview of your upload')).toBeVisible();
  await page.getByLabel('Caption').fill(caption);
  await page.getByRole('button', { name: 'Share' }).click();
  await page.waitForURL(/\/p\/\d+$/);
  await expect(page.getByText(caption)).toBeVisible();
  return page.url();
}

/** Follows `username` from their profile page. */
export async function follow(person: Person, username: string) {
  await person.page.goto(`/u/${username}`);
  await person.page.getByRole('button', { name: 'Follow', exact: true }).click();
  await expect(person.page.getByRole('button', { name: 'Following' })).toBeVisible();
}

/** The server's count of this person's open upload streams, asked with their cookie. */
export async function openStreams(page: Page): Promise<number> {
  const response = await page.request.get('/trpc/notifications.streamCount');
  expect(response.ok()).toBe(true);
  const body: unknown = await response.json();
  const open =
    body && typeof body === 'object' && 'result' in body
      ? JSON.stringify(body.result).match(/"open":(\d+)/)?.[1]
      : undefined;
  if (open === undefined) throw new Error(`No stream count in ${JSON.stringify(body)}`);
  return Number(open);
}
