import { PostgresBus } from '@photogram/api';
import { TokenMessages } from '@photogram/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, uniqueUsername } from './testing/client';
import { type TestDatabase, testDatabase } from './testing/database';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { watchUploads } from './testing/subscriber';

// The postgres bus in one process: LISTEN/NOTIFY through the database (PGlite supports
// both in-process), so every step of it runs on both engines.
let database: TestDatabase;
let bus: PostgresBus;
let server: TestServer;
const busErrors: unknown[] = [];
beforeAll(async () => {
  database = await testDatabase();
  bus = await PostgresBus.start({
    db: database.db,
    listen: database.listen,
    notify: database.notify,
    onError: (error) => busErrors.push(error),
  });
  server = await startTestServer({ database, bus });
});
afterAll(async () => {
  await server?.close();
  await bus?.close();
  await database?.close();
});

test('through LISTEN/NOTIFY a follower hears of an upload, and a revoked token ends its stream', async () => {
  const author = createTestClient(server.url);
  const { user: alice } = await author.client.auth.signUp.mutate({
    username: uniqueUsername('pgbus'),
    password: 'password123',
  });
  const reader = createTestClient(server.url);
  await reader.client.auth.signUp.mutate({
    username: uniqueUsername('pgreader'),
    password: 'password123',
  });
  await reader.client.follows.follow.mutate({ userId: alice.id });
  const { token, id: tokenId } = await reader.client.auth.createToken.mutate({ name: 'bus test' });

  const tokenClient = createTestClient(server.url, { origin: null, token });
  const watch = watchUploads(tokenClient.client);
  await watch.started();
  const post = await author.client.posts.upload.mutate(
    uploadForm(await solidImage(30, 30), { caption: 'via notify' }),
  );
  expect(await watch.forPost(post.id)).toMatchObject({
    actor: { id: alice.id },
    post: { caption: 'via notify' },
  });

  await reader.client.auth.revokeToken.mutate({ tokenId });
  await watch.until(() => watch.error !== null, 'the revoked stream to end');
  expect([watch.error?.data?.code, watch.error?.message]).toEqual([
    'UNAUTHORIZED',
    TokenMessages.tokenRevoked,
  ]);
  watch.stop();
  expect(busErrors).toEqual([]);
});
