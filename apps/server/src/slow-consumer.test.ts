import { connect } from 'node:net';
import { MemoryBus } from '@photogram/api';
import { notifications } from '@photogram/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestClient, uniqueUsername } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { watchUploads } from './testing/subscriber';

const QUEUE_LIMIT = 8;
const bus = new MemoryBus();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ bus, subscriberQueueLimit: QUEUE_LIMIT });
});
afterAll(async () => {
  await server?.close();
  await bus.close();
});

/** An SSE request on a bare socket that is never read from: a client that stopped reading. */
function stalledSubscription(cookie: string) {
  const url = new URL(server.url);
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  socket.pause();
  const input = encodeURIComponent(JSON.stringify({ json: { lastEventId: null } }));
  socket.write(
    `GET /trpc/notifications.onUpload?input=${input} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      `Accept: text/event-stream\r\nCookie: ${cookie}\r\n\r\n`,
  );
  return {
    /** Reads everything the server sent until it closed the connection. */
    drain: () =>
      new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        socket.on('close', () => resolve(text));
        socket.resume();
      }),
  };
}

test('a subscriber that never reads is dropped at its bound and catches up on reconnect', async () => {
  const author = createTestClient(server.url);
  await author.client.auth.signUp.mutate({
    username: uniqueUsername('loud'),
    password: 'password123',
  });
  const reader = createTestClient(server.url);
  const { user } = await reader.client.auth.signUp.mutate({
    username: uniqueUsername('stalled'),
    password: 'password123',
  });
  const me = await author.client.auth.me.query();
  await reader.client.follows.follow.mutate({ userId: me?.id ?? '' });

  const stalled = stalledSubscription(reader.cookieHeader());
  const until = async (predicate: () => boolean) => {
    for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  await until(() => bus.connectedUserIds().includes(user.id));
  expect(bus.connectedUserIds()).toContain(user.id);

  // Long captions fill the socket buffers quickly; then the bounded queue overflows.
  const photo = await solidImage(16, 16);
  let uploads = 0;
  while (bus.connectedUserIds().includes(user.id)) {
    await Promise.all(
      Array.from({ length: 4 }, () =>
        author.client.posts.upload.mutate(
          uploadForm(photo, { caption: `${uploads++} ${'x'.repeat(2_000)}` }),
        ),
      ),
    );
    if (uploads > 4_000) throw new Error('the stalled subscriber was never dropped');
  }
  // Dropped: nothing of it is left on the server to grow.
  expect(bus.connectedUserIds()).not.toContain(user.id);

  const sent = await stalled.drain();
  const delivered = [...sent.matchAll(/^id: ?(\d+)$/gm)].map((match) => match[1] ?? '');
  expect(delivered.length).toBeLessThan(uploads);
  expect(sent).not.toContain('event: return');

  // Reconnecting from the last id it did get brings everything it missed.
  const watch = watchUploads(reader.client, { lastEventId: delivered.at(-1) ?? '0' });
  const rows = await server.database.db
    .select({ id: notifications.id })
    .from(notifications)
    .where(eq(notifications.recipientId, user.id));
  const expected = rows.map((row) => String(row.id)).sort();
  expect(expected).toHaveLength(uploads);
  const missed = expected.filter((id) => !delivered.includes(id));
  await watch.until(
    () => missed.every((id) => watch.byId.has(id)),
    'the missed notifications',
    20_000,
  );
  expect([...new Set([...delivered, ...watch.byId.keys()])].sort()).toEqual(expected);
  watch.stop();
});
