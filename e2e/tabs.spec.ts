import type { BrowserContext, Page, Request } from '@playwright/test';
import { expect, follow, openStreams, STREAMS_PER_BROWSER, test, uploadPhoto } from './fixtures';

declare global {
  interface Window {
    /** Set by this spec's init script: makes the page report itself hidden or visible. */
    photogramSetHidden?: (hidden: boolean) => void;
  }
}

const IDLE_MS = 2_000;

/**
 * Debian's headless Chromium reports every page `visible` whatever is done to it
 * (minimised windows, background tabs, `Page.setWebLifecycleState`, focus emulation off;
 * see docs/decisions/008), so the page's own `document.visibilityState` is switched here
 * and `visibilitychange` fired as the browser would. The app code runs unchanged.
 */
async function emulateVisibility(context: BrowserContext) {
  await context.addInitScript((idleMs) => {
    localStorage.setItem('photogram:idle-release-ms', String(idleMs));
    let hidden = false;
    Object.defineProperty(Document.prototype, 'visibilityState', {
      configurable: true,
      get: () => (hidden ? 'hidden' : 'visible'),
    });
    Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
    window.photogramSetHidden = (next) => {
      hidden = next;
      document.dispatchEvent(new Event('visibilitychange'));
    };
  }, IDLE_MS);
}

async function setHidden(page: Page, hidden: boolean) {
  await page.evaluate((next) => window.photogramSetHidden?.(next), hidden);
}

/** The upload streams a page holds open, as the browser's network sees them. */
function watchStreams(page: Page): Set<Request> {
  const open = new Set<Request>();
  page.on('request', (request) => {
    if (request.url().includes('notifications.onUpload')) open.add(request);
  });
  page.on('requestfinished', (request) => open.delete(request));
  page.on('requestfailed', (request) => open.delete(request));
  return open;
}

test('ten tabs share one pair of live streams: one toast, handover without loss, idle let-go', async ({
  signUp,
}) => {
  test.setTimeout(120_000);
  const alice = await signUp('alice');
  const bob = await signUp('bob');
  // A signed-in page holds the live connections, uploads and activity (auth.spec: also
  // right after signing up).
  await expect.poll(() => openStreams(bob.page)).toBe(STREAMS_PER_BROWSER);
  await follow(bob, alice.username);
  await emulateVisibility(bob.context);

  // Ten tabs, each rendering within a few seconds (one stream per tab froze the 7th).
  const streams = new Map<Page, Set<Request>>();
  const tabs: Page[] = [bob.page];
  for (let i = 1; i < 10; i += 1) tabs.push(await bob.context.newPage());
  for (const tab of tabs) {
    streams.set(tab, watchStreams(tab));
    await tab.goto('/');
    await expect(tab.getByRole('link', { name: new RegExp(`@${bob.username}`) })).toBeVisible({
      timeout: 5_000,
    });
  }
  await expect.poll(() => openStreams(bob.page)).toBe(STREAMS_PER_BROWSER);

  const toastsFor = (tab: Page, caption: string) =>
    tab.getByRole('region', { name: 'Notifications' }).getByRole('status').filter({
      hasText: caption,
    });
  const countToasts = async (pages: Page[], caption: string) => {
    let total = 0;
    for (const tab of pages) total += await toastsFor(tab, caption).count();
    return total;
  };

  // An upload: the badge in every tab, the toast in exactly one.
  const first = `Ten tabs ${Date.now()}`;
  await uploadPhoto(alice, first);
  for (const tab of tabs) await expect(tab.getByTestId('unread-badge')).toHaveText('1');
  expect(await countToasts(tabs, first)).toBe(1);

  // The leader goes, and an upload lands during the handover: every other tab gets it, once.
  const leader = tabs.find((tab) => (streams.get(tab)?.size ?? 0) > 0);
  if (!leader) throw new Error('No tab holds the upload stream');
  await leader.close();
  const rest = tabs.filter((tab) => tab !== leader);
  const second = `Handover ${Date.now()}`;
  await uploadPhoto(alice, second);
  for (const tab of rest) await expect(tab.getByTestId('unread-badge')).toHaveText('2');
  await expect.poll(() => countToasts(rest, second)).toBe(1);
  await expect.poll(() => openStreams(rest[0] ?? bob.page)).toBe(STREAMS_PER_BROWSER);

  // Every tab hidden past the idle time: the browser lets go of the stream.
  for (const tab of rest) await setHidden(tab, true);
  await expect.poll(() => openStreams(rest[0] ?? bob.page), { timeout: 15_000 }).toBe(0);
  const missed = `While away ${Date.now()}`;
  await uploadPhoto(alice, missed);

  // One tab comes back: the stream resumes and what was missed shows at once.
  const back = rest[rest.length - 1];
  if (!back) throw new Error('No tab left');
  await setHidden(back, false);
  await expect.poll(() => openStreams(back)).toBe(STREAMS_PER_BROWSER);
  await expect(back.getByTestId('unread-badge')).toHaveText('3');
  await expect(toastsFor(back, missed)).toHaveCount(1);
  for (const tab of rest) await expect(tab.getByTestId('unread-badge')).toHaveText('3');
  expect(await countToasts(rest, missed)).toBe(1);

  // The inbox holds each upload once.
  await back.goto('/notifications');
  await expect(back.getByRole('listitem')).toHaveCount(3);
  for (const caption of [first, second, missed]) {
    await expect(back.getByRole('listitem').filter({ hasText: caption })).toHaveCount(1);
  }
});
