import { AuthMessages, waitInWords } from '@photogram/contracts';
import { openDatabase } from '@photogram/db';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TrustProxySetting } from './proxy-settings';
import { createTestClient, failure, uniqueUsername } from './testing/client';
import { testDatabase } from './testing/database';
import { relaxedRateLimits, startTestServer, type TestServer } from './testing/server';

const FIFTEEN_MINUTES = 15 * 60;

// Behind a proxy on this machine (TRUST_PROXY=loopback), which the tests stand in for:
// each picks its client's address with X-Forwarded-For.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    trustProxy: TrustProxySetting.parse('loopback'),
    rateLimits: {
      signInPerIp: { points: 50, duration: FIFTEEN_MINUTES },
      signInPerUsernameAndIp: { points: 10, duration: FIFTEEN_MINUTES },
      signUpPerIp: { points: 2, duration: 60 * 60 },
    },
  });
});
afterAll(async () => {
  await server?.close();
});

let addresses = 0;
/** An address no other test signs in from (TEST-NET-3). */
function address() {
  addresses += 1;
  return `203.0.113.${addresses}`;
}

/** `auth.signIn` as a browser at `ip` sends it, for the raw response. */
function signInFrom(url: string, ip: string, input: { username: string; password: string }) {
  return fetch(`${url}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url, 'x-forwarded-for': ip },
    body: JSON.stringify({ json: input }),
  });
}

async function messageOf(response: Response): Promise<string> {
  const body = (await response.json()) as { error?: { json?: { message?: string } } };
  return body.error?.json?.message ?? '';
}

async function signUpOwner(url: string) {
  const username = uniqueUsername('owner');
  const owner = createTestClient(url, { headers: { 'x-forwarded-for': address() } });
  await owner.client.auth.signUp.mutate({ username, password: 'owner password' });
  return username;
}

test("ten wrong passwords for someone else's username do not lock the owner out", async () => {
  const username = await signUpOwner(server.url);
  const attacker = address();
  for (let i = 0; i < 10; i++) {
    const response = await signInFrom(server.url, attacker, { username, password: `guess ${i}` });
    expect(response.status).toBe(401);
  }
  // The attacker's address is throttled, even with the right password…
  const refused = await signInFrom(server.url, attacker, { username, password: 'owner password' });
  expect(refused.status).toBe(429);
  // …and told when to come back, in the header and in words, the same wait.
  const retryAfter = Number(refused.headers.get('retry-after'));
  expect(retryAfter).toBe(FIFTEEN_MINUTES);
  const message = await messageOf(refused);
  expect(message).toBe(AuthMessages.tooManySignIns(waitInWords(retryAfter)));
  expect(message).toBe('Too many sign-in attempts. Try again in 15 minutes.');

  // The owner, elsewhere, signs in at once.
  const owner = createTestClient(server.url, { headers: { 'x-forwarded-for': address() } });
  const { user } = await owner.client.auth.signIn.mutate({ username, password: 'owner password' });
  expect(user.username).toBe(username);
});

test('successful sign-ins use up none of the budget, and one resets the failures before it', async () => {
  const username = await signUpOwner(server.url);
  const ip = address();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 9; i++) {
      expect((await signInFrom(server.url, ip, { username, password: 'typo typo' })).status).toBe(
        401,
      );
    }
    expect(
      (await signInFrom(server.url, ip, { username, password: 'owner password' })).status,
    ).toBe(200);
  }
  for (let i = 0; i < 15; i++) {
    expect(
      (await signInFrom(server.url, ip, { username, password: 'owner password' })).status,
    ).toBe(200);
  }
});

test('one address guessing many usernames is throttled as an address', async () => {
  const ip = address();
  for (let i = 0; i < 50; i++) {
    const username = uniqueUsername('nobody');
    expect((await signInFrom(server.url, ip, { username, password: 'guess guess' })).status).toBe(
      401,
    );
  }
  const refused = await signInFrom(server.url, ip, {
    username: uniqueUsername('nobody'),
    password: 'guess guess',
  });
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toBe(String(FIFTEEN_MINUTES));
});

test('sign-ups are limited per address, with Retry-After', async () => {
  const ip = address();
  const signUp = () =>
    fetch(`${server.url}/trpc/auth.signUp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url, 'x-forwarded-for': ip },
      body: JSON.stringify({ json: { username: uniqueUsername('many'), password: 'password123' } }),
    });
  expect((await signUp()).status).toBe(200);
  expect((await signUp()).status).toBe(200);
  const refused = await signUp();
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toBe('3600');
  expect(await messageOf(refused)).toBe(
    'Too many new accounts from your network. Try again in 60 minutes.',
  );
  // Another address is not affected.
  const other = createTestClient(server.url, { headers: { 'x-forwarded-for': address() } });
  await other.client.auth.signUp.mutate({
    username: uniqueUsername('other'),
    password: 'pw123456',
  });
});

test('without TRUST_PROXY, X-Forwarded-For is ignored: a guesser cannot pick a new address', async () => {
  const direct = await startTestServer({
    database: server.database,
    rateLimits: { signInPerUsernameAndIp: { points: 3, duration: FIFTEEN_MINUTES } },
  });
  try {
    const username = await signUpOwner(direct.url);
    for (let i = 0; i < 3; i++) {
      const response = await signInFrom(direct.url, address(), { username, password: 'guess!!' });
      expect(response.status).toBe(401);
    }
    const refused = await signInFrom(direct.url, address(), { username, password: 'guess!!' });
    expect(refused.status).toBe(429);
  } finally {
    await direct.close();
  }
});

test('two servers on one database share the counts', async () => {
  const shared = await testDatabase();
  // Two processes have a connection pool each; on PGlite (one process per database) the
  // two servers share the handle.
  const second = shared.url ? await openDatabase({ url: shared.url }) : shared;
  const rateLimits = {
    ...relaxedRateLimits,
    signInPerUsernameAndIp: { points: 4, duration: FIFTEEN_MINUTES },
  };
  const one = await startTestServer({ database: shared, rateLimits });
  const two = await startTestServer({ database: second, rateLimits });
  try {
    const username = uniqueUsername('shared');
    await createTestClient(one.url).client.auth.signUp.mutate({
      username,
      password: 'right password',
    });
    const guesses = [one, two, one, two].map((target) =>
      failure(createTestClient(target.url).client.auth.signIn.mutate({ username, password: 'x' })),
    );
    for (const error of await Promise.all(guesses)) expect(error.data?.code).toBe('UNAUTHORIZED');
    for (const target of [one, two]) {
      const error = await failure(
        createTestClient(target.url).client.auth.signIn.mutate({
          username,
          password: 'right password',
        }),
      );
      expect(error.data?.code).toBe('TOO_MANY_REQUESTS');
    }
  } finally {
    await one.close();
    await two.close();
    if (second !== shared) await second.close();
    await shared.close();
  }
});
