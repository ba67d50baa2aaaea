import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESSION_COOKIE } from '@photogram/api';
import { AuthMessages } from '@photogram/contracts';
import { openDatabase } from '@photogram/db';
import { TRPCClientError } from '@trpc/client';
import { parseSetCookie } from 'set-cookie-parser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, failure, uniqueUsername } from './testing/client';
import { copyMigratedPglite, migratedPostgres } from './testing/database';
import { startTestServer, type TestServer } from './testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

test('sign-up signs the person in, sign-out ends it and sign-in starts it again', async () => {
  const { client } = createTestClient(server.url);
  const username = uniqueUsername('alice');

  const { user } = await client.auth.signUp.mutate({
    username,
    password: 'correct horse battery',
    displayName: 'Alice Liddell',
  });
  expect(user).toMatchObject({ username, displayName: 'Alice Liddell', avatarUrl: null });
  expect(user.createdAt).toBeInstanceOf(Date);
  expect(await client.auth.me.query()).toMatchObject({ id: user.id, username });

  expect(await client.auth.signOut.mutate()).toEqual({ ok: true });
  expect(await client.auth.me.query()).toBeNull();

  const signedIn = await client.auth.signIn.mutate({ username, password: 'correct horse battery' });
  expect(signedIn.user.id).toBe(user.id);
  expect(await client.auth.me.query()).toMatchObject({ id: user.id });
});

test('the session cookie is HttpOnly, SameSite=Lax and not Secure on plain http', async () => {
  const response = await fetch(`${server.url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ json: { username: uniqueUsername('cookie'), password: 'password123' } }),
  });
  expect(response.status).toBe(200);
  expect(parseSetCookie(response)).toEqual([
    {
      name: SESSION_COOKIE,
      value: expect.stringMatching(/^\w+$/),
      path: '/',
      maxAge: expect.any(Number),
      httpOnly: true,
      sameSite: 'Lax',
    },
  ]);
});

test('a username typed in capitals is stored in lower case', async () => {
  const { client } = createTestClient(server.url);
  const username = uniqueUsername('mixed');
  const { user } = await client.auth.signUp.mutate({
    username: username.toUpperCase(),
    password: 'password123',
  });
  expect(user.username).toBe(username);
  expect(user.displayName).toBe(username);
});

test('a username that is taken in any letter case is refused with a clear message', async () => {
  const username = uniqueUsername('taken');
  await createTestClient(server.url).client.auth.signUp.mutate({
    username,
    password: 'password123',
  });

  const { client } = createTestClient(server.url);
  const error = await failure(
    client.auth.signUp.mutate({ username: username.toUpperCase(), password: 'password456' }),
  );
  expect(error.data?.code).toBe('CONFLICT');
  expect(error.data?.httpStatus).toBe(409);
  expect(error.message).toBe(AuthMessages.usernameTaken);
  expect(await client.auth.me.query()).toBeNull();
});

test('two sign-ups racing for one username: one wins, the other is told it is taken', async () => {
  const username = uniqueUsername('race');
  const results = await Promise.allSettled(
    ['password123', 'password456'].map((password) =>
      createTestClient(server.url).client.auth.signUp.mutate({ username, password }),
    ),
  );
  expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  const reasons = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason] : [],
  );
  expect(reasons).toHaveLength(1);
  const [reason] = reasons;
  expect(reason instanceof TRPCClientError && reason.data?.code).toBe('CONFLICT');
});

test('a wrong password and an unknown username get the same answer', async () => {
  const username = uniqueUsername('bob');
  await createTestClient(server.url).client.auth.signUp.mutate({
    username,
    password: 'password123',
  });

  const { client } = createTestClient(server.url);
  const wrongPassword = await failure(
    client.auth.signIn.mutate({ username, password: 'nope-nope' }),
  );
  const unknownUser = await failure(
    client.auth.signIn.mutate({ username: uniqueUsername('ghost'), password: 'password123' }),
  );
  for (const error of [wrongPassword, unknownUser]) {
    expect(error.data?.code).toBe('UNAUTHORIZED');
    expect(error.data?.httpStatus).toBe(401);
    expect(error.message).toBe(AuthMessages.badCredentials);
  }
  expect(await client.auth.me.query()).toBeNull();
});

test('sign-out invalidates the session on the server, not only the cookie', async () => {
  const person = createTestClient(server.url);
  await person.client.auth.signUp.mutate({
    username: uniqueUsername('out'),
    password: 'password123',
  });
  const stolen = person.cookieHeader();
  await person.client.auth.signOut.mutate();

  const thief = createTestClient(server.url);
  thief.setCookies(stolen);
  expect(await thief.client.auth.me.query()).toBeNull();
});

test('signing in issues a new session and ends the one the browser had', async () => {
  const username = uniqueUsername('fixate');
  const person = createTestClient(server.url);
  await person.client.auth.signUp.mutate({ username, password: 'password123' });
  const before = person.cookieHeader();
  await person.client.auth.signIn.mutate({ username, password: 'password123' });
  expect(person.cookieHeader()).not.toBe(before);

  const old = createTestClient(server.url);
  old.setCookies(before);
  expect(await old.client.auth.me.query()).toBeNull();
  expect(await person.client.auth.me.query()).toMatchObject({ username });
});

test('a cookie-authenticated mutation from a foreign Origin is refused with 403', async () => {
  const person = createTestClient(server.url);
  await person.client.auth.signUp.mutate({
    username: uniqueUsername('csrf'),
    password: 'password123',
  });

  const attacker = createTestClient(server.url, { origin: 'https://evil.example' });
  attacker.setCookies(person.cookieHeader());
  const error = await failure(attacker.client.auth.signOut.mutate());
  expect(error.data?.code).toBe('FORBIDDEN');
  expect(error.data?.httpStatus).toBe(403);
  expect(error.message).toBe(AuthMessages.foreignOrigin);

  const noOrigin = createTestClient(server.url, { origin: null });
  noOrigin.setCookies(person.cookieHeader());
  expect((await failure(noOrigin.client.auth.signOut.mutate())).data?.httpStatus).toBe(403);

  // The session was not touched.
  expect(await person.client.auth.me.query()).not.toBeNull();
});

test('a cross-site HTML form post changes nothing', async () => {
  const person = createTestClient(server.url);
  await person.client.auth.signUp.mutate({
    username: uniqueUsername('form'),
    password: 'password123',
  });
  for (const contentType of [
    'application/x-www-form-urlencoded',
    'text/plain',
    'multipart/form-data; boundary=x',
  ]) {
    const response = await fetch(`${server.url}/trpc/auth.signOut`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        origin: 'https://evil.example',
        cookie: person.cookieHeader(),
      },
      body: contentType.startsWith('multipart') ? '--x--\r\n' : 'a=b',
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  }
  expect(await person.client.auth.me.query()).not.toBeNull();
});

test('a mutation from a client that sends no Origin and no cookie is allowed', async () => {
  const { client } = createTestClient(server.url, { origin: null });
  const { user } = await client.auth.signUp.mutate({
    username: uniqueUsername('node'),
    password: 'password123',
  });
  expect(user.username).toMatch(/^node_/);
});

test('bad input gets a 400 naming the field, never a 500', async () => {
  const { client } = createTestClient(server.url);
  const cases: Array<[unknown, string, string]> = [
    [{ password: 'password123' }, 'username', 'Username is required.'],
    [{ username: 'ok_name' }, 'password', 'Password is required.'],
    [
      { username: 'ab', password: 'password123' },
      'username',
      'Username must be at least 3 characters.',
    ],
    [
      { username: 'x'.repeat(5000), password: 'password123' },
      'username',
      'Username can be at most 30 characters.',
    ],
    [
      { username: 'bad name!', password: 'password123' },
      'username',
      'Username can only use letters, numbers, underscores (_) and dots (.).',
    ],
    [
      { username: 'fine_name', password: 'short' },
      'password',
      'Password must be at least 8 characters.',
    ],
    [
      { username: 'fine_name', password: 'p'.repeat(257) },
      'password',
      'Password can be at most 256 characters.',
    ],
    [
      { username: 'fine_name', password: 'password123', displayName: 'd'.repeat(51) },
      'displayName',
      'Display name can be at most 50 characters.',
    ],
    [{ username: 42, password: 'password123' }, 'username', 'Username must be text.'],
  ];
  for (const [input, field, message] of cases) {
    // @ts-expect-error deliberately malformed input, as a hostile client would send
    const error = await failure(client.auth.signUp.mutate(input));
    expect(error.data?.code, JSON.stringify(input).slice(0, 60)).toBe('BAD_REQUEST');
    expect(error.data?.httpStatus).toBe(400);
    expect(error.message).toBe(message);
    expect(error.data?.zodError?.fieldErrors).toHaveProperty(field, [message]);
    expect(error.data).not.toHaveProperty('stack');
  }
});

test('malformed JSON and an oversized body get a 4xx with a readable message', async () => {
  const malformed = await fetch(`${server.url}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: '{"json": {"username": ',
  });
  expect(malformed.status).toBe(400);
  const body: unknown = await malformed.json();
  expect(JSON.stringify(body)).toContain('The request could not be read. Send valid JSON.');
  expect(JSON.stringify(body)).not.toContain('    at ');

  const huge = await fetch(`${server.url}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ json: { username: 'a', password: 'p'.repeat(2 * 1024 * 1024) } }),
  });
  expect(huge.status).toBe(413);
});

test('an unknown procedure is a 404, not a 500', async () => {
  const response = await fetch(`${server.url}/trpc/auth.nothingHere`);
  expect(response.status).toBe(404);
});

test('a session survives a server restart', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'photogram-restart-'));
  // The same database seen by two server lifetimes: a file-backed PGlite, or PostgreSQL.
  const shared = process.env.DATABASE_URL ? await migratedPostgres() : undefined;
  if (!shared) await copyMigratedPglite(join(dataDir, 'pglite'));
  const open = () =>
    shared?.url
      ? openDatabase({ url: shared.url })
      : openDatabase({ dataDir: join(dataDir, 'pglite') });
  try {
    const firstDb = await open();
    const first = await startTestServer({ database: firstDb });
    const person = createTestClient(first.url);
    const username = uniqueUsername('restart');
    await person.client.auth.signUp.mutate({ username, password: 'password123' });
    const cookie = person.cookieHeader();
    await first.close();
    await firstDb.close();

    const secondDb = await open();
    const second = await startTestServer({ database: secondDb });
    const returning = createTestClient(second.url);
    returning.setCookies(cookie);
    expect(await returning.client.auth.me.query()).toMatchObject({ username });
    await second.close();
    await secondDb.close();
  } finally {
    await shared?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
