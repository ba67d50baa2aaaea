import { fileURLToPath } from 'node:url';
import { type BrowserContext, test as base, expect, type Page } from '@playwright/test';

export { expect } from '@playwright/test';

export const photoPath = fileURLToPath(new URL('./fixtures/sunset.jpg', import.meta.url));

/** The password every person of the `signUp` fixture gets, for specs that sign in again. */
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

export interface Fixtures {
  /**
   * Signs a new person up through the API, in a browser context of their own (closed when
   * the test ends) whose first page shows them signed in. Only auth.spec signs up through
   * the sign-up page; every other journey starts here, a request instead of a form.
   */
  signUp: (prefix: string) => Promise<Person>;
}

export const test = base.extend<Fixtures>({
  signUp: async ({ browser, baseURL }, use) => {
    if (!baseURL) throw new Error('playwright.config.ts sets no baseURL');
    const contexts: BrowserContext[] = [];
    await use(async (prefix) => {
      const context = await browser.newContext();
      contexts.push(context);
      const username = uniqueName(prefix);
      const displayName = `${prefix[0]?.toUpperCase() ?? ''}${prefix.slice(1)} Tester`;
      // The context's own request client: the session cookie the server sets lands in the
      // context's cookie jar, so its pages are signed in. The Origin is the one the SPA's
      // fetch would send (decision 002); the body is tRPC's superjson envelope.
      const response = await context.request.post('/trpc/auth.signUp', {
        headers: { origin: baseURL },
        data: { json: { username, password: personPassword, displayName } },
      });
      expect(response.status(), await response.text()).toBe(200);
      const page = await context.newPage();
      await page.goto('/');
      await expect(page.getByRole('link', { name: new RegExp(`@${username}`) })).toBeVisible();
      return { context, page, username, displayName };
    });
    await Promise.all(contexts.map((context) => context.close()));
  },
});

/**
 * Uploads the fixture photo with a caption (and alt text, if given) through the upload
 * page; returns the post URL.
 */
export async function uploadPhoto(
  person: Person,
  caption: string,
  options: { altText?: string } = {},
): Promise<string> {
  const { page } = person;
  await page.goto('/upload');
  await page.getByLabel('Photo', { exact: true }).setInputFiles(photoPath);
  await expect(page.getByAltText('Preview of your upload')).toBeVisible();
  await page.getByLabel('Caption').fill(caption);
  if (options.altText !== undefined) await page.getByLabel('Alt text').fill(options.altText);
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

/**
 * The live streams one signed-in browser holds, whatever its number of tabs: uploads
 * (`notifications.onUpload`) and everything else (`notifications.onActivity`).
 */
export const STREAMS_PER_BROWSER = 2;

/**
 * The server's count of this person's open streams (both kinds), asked with their cookie.
 */
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

/** What the server says of the signed-in person (`auth.me`), asked with their cookie. */
export async function whoAmI(page: Page): Promise<{ username: string; avatarUrl: string | null }> {
  const response = await page.request.get('/trpc/auth.me');
  expect(response.ok()).toBe(true);
  const body: unknown = await response.json();
  const me =
    body && typeof body === 'object' && 'result' in body ? JSON.stringify(body.result) : '';
  const username = me.match(/"username":"([^"]+)"/)?.[1];
  if (username === undefined) throw new Error(`Nobody signed in: ${me}`);
  const avatarUrl = me.match(/"avatarUrl":"([^"]+)"/)?.[1] ?? null;
  return { username, avatarUrl };
}
