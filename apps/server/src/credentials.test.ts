import { hashSessionId, SESSION_COOKIE } from '@photogram/api';
import { AuthMessages, TokenMessages } from '@photogram/contracts';
import { sessions } from '@photogram/db';
import { eq, sql } from 'drizzle-orm';
import { parseSetCookie } from 'set-cookie-parser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, failure, signUpPerson, uniqueUsername } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { watchUploads } from './testing/subscriber';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

test('signing in again in the same browser ends the replaced session’s live stream; other devices keep theirs', async () => {
  const author = await signUpPerson(server.url, 'author');
  const username = uniqueUsername('reader');
  const tab = createTestClient(server.url);
  await tab.client.auth.signUp.mutate({ username, password: 'password123' });
  await tab.client.follows.follow.mutate({ userId: author.user.id });
  const phone = createTestClient(server.url);
  await phone.client.auth.signIn.mutate({ username, password: 'password123' });

  const replaced = watchUploads(tab.client);
  const otherDevice = watchUploads(phone.client);
  await Promise.all([replaced.started(), otherDevice.started()]);

  await tab.client.auth.signIn.mutate({ username, password: 'password123' });
  await replaced.until(() => replaced.error !== null, 'the replaced session’s stream to end');
  expect(replaced.error?.data?.code).toBe('UNAUTHORIZED');
  expect(replaced.error?.message).toBe(TokenMessages.sessionEnded);

  const post = await author.client.posts.upload.mutate(
    uploadForm(await solidImage(20, 20), { caption: 'after the new sign-in' }),
  );
  // The phone's session was not the one replaced: its stream hears of the upload…
  expect(await otherDevice.forPost(post.id)).toMatchObject({ post: { id: post.id } });
  // …and by then the ended stream has received nothing at all.
  expect(replaced.deliveries).toEqual([]);
  replaced.stop();
  otherDevice.stop();

  // The browser's new session works, stream included.
  const fresh = watchUploads(tab.client);
  await fresh.started();
  expect(await fresh.forPost(post.id)).toMatchObject({ post: { id: post.id } });
  expect(fresh.error).toBeNull();
  fresh.stop();
});

test('the sessions table holds the hash of each session id, never the cookie value', async () => {
  const person = createTestClient(server.url);
  const { user } = await person.client.auth.signUp.mutate({
    username: uniqueUsername('hashed'),
    password: 'password123',
  });
  const cookie = person.session();
  const rows = await server.database.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(eq(sessions.userId, user.id));
  expect(rows).toEqual([{ id: hashSessionId(cookie) }]);
  const [exposed] = await server.database.db
    .select({ count: sql<number>`count(*)::integer` })
    .from(sessions)
    .where(eq(sessions.id, cookie));
  expect(exposed?.count).toBe(0);

  // The cookie works; a copy of the stored id does not.
  expect(await person.client.auth.me.query()).toMatchObject({ id: user.id });
  const fromDump = createTestClient(server.url);
  fromDump.setCookies(`${SESSION_COOKIE}=${hashSessionId(cookie)}`);
  expect(await fromDump.client.auth.me.query()).toBeNull();

  // Sign-out deletes the hashed row.
  await person.client.auth.signOut.mutate();
  expect(
    await server.database.db.select().from(sessions).where(eq(sessions.userId, user.id)),
  ).toEqual([]);
});

/** The rows of `execute`, which postgres.js returns as an array and PGlite as `{ rows }`. */
function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  if (typeof result === 'object' && result !== null && 'rows' in result) {
    return Array.isArray(result.rows) ? result.rows : [];
  }
  return [];
}

test('migration 0006 hashes stored ids the way the server does', async () => {
  // The migration ran on an empty table; its expression must agree with hashSessionId for
  // the sessions an upgraded server finds.
  const id = 'abcdefghijklmnopqrstuvwxyz234567';
  const result: unknown = await server.database.db.execute(
    sql`select encode(sha256(convert_to(${id}::text, 'UTF8')), 'hex') as hash`,
  );
  expect(rowsOf(result)).toEqual([{ hash: hashSessionId(id) }]);
});

test('a session past half its life is renewed: new expiry stored by hash, the same cookie sent again', async () => {
  const person = createTestClient(server.url);
  const { user } = await person.client.auth.signUp.mutate({
    username: uniqueUsername('renew'),
    password: 'password123',
  });
  const cookie = person.session();
  const inTenDays = new Date(Date.now() + 10 * 24 * 60 * 60 * 1000);
  await server.database.db
    .update(sessions)
    .set({ expiresAt: inTenDays })
    .where(eq(sessions.id, hashSessionId(cookie)));

  const response = await fetch(`${server.url}/trpc/auth.me`, {
    headers: { cookie: person.cookieHeader() },
  });
  expect(response.status).toBe(200);
  expect(parseSetCookie(response)).toMatchObject([{ name: SESSION_COOKIE, value: cookie }]);
  const [row] = await server.database.db
    .select({ expiresAt: sessions.expiresAt })
    .from(sessions)
    .where(eq(sessions.userId, user.id));
  expect(row?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 60 * 60 * 1000);
});

test('the Authorization scheme is case-insensitive', async () => {
  const person = await signUpPerson(server.url, 'scheme');
  const { token } = await person.client.auth.createToken.mutate({ name: 'any case' });
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    const response = await fetch(`${server.url}/trpc/auth.me`, {
      headers: { authorization: `${scheme} ${token}` },
    });
    expect(response.status, scheme).toBe(200);
    const body = (await response.json()) as { result: { data: { json: { id: string } } } };
    expect(body.result.data.json.id, scheme).toBe(person.user.id);
  }
});

test('an Authorization header we cannot read is a 401 that says so, not a silent sign-out', async () => {
  for (const header of [
    'Bearer not-one-of-our-tokens',
    'Bearer',
    'Bearer pgt_abc extra',
    'Token pgt_abc',
    'Digest username="x"',
  ]) {
    const response = await fetch(`${server.url}/trpc/auth.me`, {
      headers: { authorization: header },
    });
    expect(response.status, header).toBe(401);
    const body = (await response.json()) as { error: { json: { message: string } } };
    expect(body.error.json.message, header).toBe(AuthMessages.invalidToken);
  }
  // The same through the client, for a call and a stream.
  const mangled = createTestClient(server.url, { origin: null, token: 'not-a-token' });
  const error = await failure(mangled.client.auth.me.query());
  expect([error.data?.httpStatus, error.message]).toEqual([401, AuthMessages.invalidToken]);
  const watch = watchUploads(mangled.client);
  await watch.until(() => watch.error !== null, 'the stream to be refused');
  expect([watch.error?.data?.code, watch.error?.message]).toEqual([
    'UNAUTHORIZED',
    AuthMessages.invalidToken,
  ]);
  watch.stop();

  // A proxy's Basic credential in front of us is not ours to judge: the cookie still counts.
  const person = await signUpPerson(server.url, 'basic');
  const response = await fetch(`${server.url}/trpc/auth.me`, {
    headers: { authorization: 'Basic dXNlcjpwYXNz', cookie: person.cookieHeader() },
  });
  expect(response.status).toBe(200);
  expect(JSON.stringify(await response.json())).toContain(person.user.id);
});
