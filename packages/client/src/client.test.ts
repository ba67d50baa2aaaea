import { TokenMessages } from '@photogram/contracts';
import { createTestClient, failure, uniqueUsername } from '@photogram/server/testing/client';
import { solidImage } from '@photogram/server/testing/images';
import { capturedLog, startTestServer, type TestServer } from '@photogram/server/testing/server';
import { watchUploads } from '@photogram/server/testing/subscriber';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { createPhotogramClient, TRPCClientError } from './index';

const captured = capturedLog();
const logLines = captured.lines;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ logger: captured.logger });
});
afterAll(async () => {
  await server?.close();
});

/** Someone who signed up in a browser and created an API token there. */
async function personWithToken(prefix: string) {
  const browser = createTestClient(server.url);
  const { user } = await browser.client.auth.signUp.mutate({
    username: uniqueUsername(prefix),
    password: 'password123',
  });
  const created = await browser.client.auth.createToken.mutate({ name: `${prefix} script` });
  return { browser, user, token: created.token, tokenId: created.id };
}

test('a script with only @photogram/client and a token uploads; another client hears of it', async () => {
  const alice = await personWithToken('alicebot');
  const bob = await personWithToken('bobbot');

  const aliceApp = createPhotogramClient({ url: server.url, token: alice.token });
  const bobApp = createPhotogramClient({ url: server.url, token: bob.token });
  expect(await bobApp.auth.me.query()).toMatchObject({ id: bob.user.id });
  // Bearer requests need no Origin: this client sends none.
  expect(await bobApp.follows.follow.mutate({ userId: alice.user.id })).toEqual({
    following: true,
  });

  const received: string[] = [];
  const subscription = bobApp.notifications.onUpload.subscribe(
    { lastEventId: '0' },
    { onData: ({ data }) => received.push(data.post.id) },
  );
  const progress: number[] = [];
  const uploader = createPhotogramClient({
    url: server.url,
    token: alice.token,
    onUploadProgress: (sent) => progress.push(sent),
  });
  const form = new FormData();
  form.set('image', new File([new Uint8Array(await solidImage(120, 90))], 'bot.jpg'));
  form.set('caption', 'posted by a script');
  const post = await uploader.posts.upload.mutate(form);
  expect(post.author.id).toBe(alice.user.id);
  expect(progress.length).toBeGreaterThan(0);

  await vi.waitFor(() => expect(received).toContain(post.id), { timeout: 10_000, interval: 20 });
  subscription.unsubscribe();

  const { items } = await aliceApp.feed.list.query({ limit: 5 });
  expect(items.map((item) => item.id)).toContain(post.id);
});

test('revoking a token ends its open subscription with UNAUTHORIZED and every later request', async () => {
  const carol = await personWithToken('carolbot');
  const app = createPhotogramClient({ url: server.url, token: carol.token });
  const watch = watchUploads(app);
  await watch.started();

  expect(await carol.browser.client.auth.revokeToken.mutate({ tokenId: carol.tokenId })).toEqual({
    ok: true,
  });
  await watch.until(() => watch.error !== null, 'the subscription to end');
  expect(watch.error).toBeInstanceOf(TRPCClientError);
  expect(watch.error?.data?.code).toBe('UNAUTHORIZED');
  expect(watch.error?.message).toBe(TokenMessages.tokenRevoked);
  watch.stop();

  const refused = await failure(app.feed.list.query({}));
  expect(refused.data?.code).toBe('UNAUTHORIZED');
  expect(await app.auth.me.query()).toBeNull();
});

test('tokens are listed by name with their use, minted only from a browser session', async () => {
  const dave = await personWithToken('davebot');
  const app = createPhotogramClient({ url: server.url, token: dave.token });
  await app.auth.me.query();
  const { items } = await dave.browser.client.auth.listTokens.query();
  expect(items).toEqual([
    {
      id: dave.tokenId,
      name: 'davebot script',
      createdAt: expect.any(Date),
      lastUsedAt: expect.any(Date),
    },
  ]);
  expect(JSON.stringify(items)).not.toContain(dave.token);

  const minted = await failure(app.auth.createToken.mutate({ name: 'another' }));
  expect([minted.data?.code, minted.message]).toEqual(['FORBIDDEN', TokenMessages.browserOnly]);

  const eve = await personWithToken('evebot');
  const foreign = await failure(
    eve.browser.client.auth.revokeToken.mutate({ tokenId: dave.tokenId }),
  );
  expect([foreign.data?.code, foreign.message]).toEqual(['NOT_FOUND', TokenMessages.tokenNotFound]);
  const empty = await failure(dave.browser.client.auth.createToken.mutate({ name: '  ' }));
  expect(empty.data?.httpStatus).toBe(400);

  const forged = createPhotogramClient({ url: server.url, token: `${dave.token}x` });
  expect(await forged.auth.me.query()).toBeNull();
});

test('signing out ends the subscriptions opened with that browser session', async () => {
  const person = createTestClient(server.url);
  await person.client.auth.signUp.mutate({
    username: uniqueUsername('leaver'),
    password: 'password123',
  });
  const watch = watchUploads(person.client);
  await watch.started();
  await person.client.auth.signOut.mutate();
  await watch.until(() => watch.error !== null, 'the subscription to end');
  expect(watch.error?.data?.code).toBe('UNAUTHORIZED');
  expect(watch.error?.message).toBe(TokenMessages.sessionEnded);
  watch.stop();
});

test('no token ever appears in a URL or a log line', async () => {
  // Its own tokens, used the ways the other tests use theirs (queries, a mutation, a
  // subscription, a revocation, a forged copy), so it passes or fails on its own.
  const frank = await personWithToken('frankbot');
  const grace = await personWithToken('gracebot');
  const tokens = [frank.token, grace.token];
  const linesBefore = logLines.length;

  const frankApp = createPhotogramClient({ url: server.url, token: frank.token });
  await frankApp.auth.me.query();
  await frankApp.follows.follow.mutate({ userId: grace.user.id });
  const watch = watchUploads(frankApp);
  await watch.started();
  watch.stop();
  await grace.browser.client.auth.revokeToken.mutate({ tokenId: grace.tokenId });
  const revoked = createPhotogramClient({ url: server.url, token: grace.token });
  expect(await revoked.auth.me.query()).toBeNull();
  const forged = createPhotogramClient({ url: server.url, token: `${frank.token}x` });
  expect(await forged.auth.me.query()).toBeNull();

  const lines = logLines.slice(linesBefore);
  expect(lines.length).toBeGreaterThan(10);
  for (const line of lines) {
    for (const token of tokens) expect(line).not.toContain(token);
    for (const token of tokens) expect(line).not.toContain(token.slice(4));
  }
  const urls = lines.flatMap((line) =>
    [...line.matchAll(/"url":"([^"]*)"/g)].map((match) => match[1] ?? ''),
  );
  expect(urls.some((url) => url.includes('notifications.onUpload'))).toBe(true);
  for (const url of urls) expect(url).not.toMatch(/pgt_/);
});
