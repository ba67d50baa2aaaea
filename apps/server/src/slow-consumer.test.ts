import { get, type IncomingMessage } from 'node:http';
import { MemoryBus } from '@photogram/api';
import { notifications } from '@photogram/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { z } from 'zod';
import { createTestClient, uniqueUsername } from './testing/client';
import { solidImage, uploadForm } from './testing/images';
import { startTestServer, type TestServer } from './testing/server';
import { parseEvents, subscriptionUrl } from './testing/sse';
import { deliveredAndExpected, watchUploads } from './testing/subscriber';

const QUEUE_LIMIT = 8;
/** A notification too big to pass as a real one: it fills socket buffers in a few events. */
const FILLER_CAPTION = 'x'.repeat(200_000);
/** What of a notification event this test reads (superjson's `json`). */
const TrackedUpload = z.object({
  json: z.object({ id: z.string(), eventId: z.string(), post: z.object({ id: z.string() }) }),
});

describe.each(['trpc-sse', 'stock'] as const)('on the %s transport', (sseTransport) => {
  const bus = new MemoryBus();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ bus, subscriberQueueLimit: QUEUE_LIMIT, sseTransport });
  });
  afterAll(async () => {
    await server?.close();
    await bus.close();
  });

  /**
   * An SSE request whose response is never read from (paused as it arrives): a client that
   * stopped reading, whose socket buffers fill once Node's own small buffer has.
   */
  function stalledSubscription(cookie: string) {
    const request = get(
      subscriptionUrl(server.url, 'notifications.onUpload', { lastEventId: null }),
      { headers: { accept: 'text/event-stream', cookie } },
    );
    const response = new Promise<IncomingMessage>((resolve) => {
      request.once('response', (answer) => {
        answer.pause();
        resolve(answer);
      });
    });
    // The server drops the connection: that is the point, not a failure.
    request.on('error', () => {});
    return {
      /** Reads everything the server sent until it closed the connection, as events. */
      async drain() {
        const answer = await response;
        answer.setEncoding('utf8');
        let text = '';
        answer.on('data', (chunk: string) => {
          text += chunk;
        });
        answer.on('error', () => {});
        const closed = new Promise((resolve) => answer.once('close', resolve));
        answer.resume();
        await closed;
        return parseEvents(text);
      },
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
    const photo = await solidImage(16, 16);
    const upload = (caption: string) =>
      author.client.posts.upload.mutate(uploadForm(photo, { caption }));

    const stalled = stalledSubscription(reader.cookieHeader());
    await vi.waitFor(() => expect(bus.connectedUserIds()).toContain(user.id), {
      timeout: 5_000,
      interval: 10,
    });

    // Real uploads go down the pipe first...
    for (const caption of ['one', 'two', 'three']) await upload(caption);
    // ...then big events through the same bus fill the socket buffers, the server stops
    // writing to a socket that does not drain, and the bounded queue behind it overflows.
    let fillers = 0;
    while (bus.connectedUserIds().includes(user.id)) {
      fillers += 1;
      await bus.publish({
        postId: '0',
        notification: {
          type: 'upload',
          createdAt: new Date(),
          read: false,
          actor: { id: me?.id ?? '', username: 'filler', displayName: 'Filler', avatarUrl: null },
          post: { id: '0', caption: FILLER_CAPTION, thumbUrl: '/media/none' },
        },
        // Right after the three real ones, so the stream passes them on as live.
        recipients: [
          { userId: user.id, notificationId: String(9e15 + fillers), eventId: String(3 + fillers) },
        ],
      });
      await new Promise((resolve) => setImmediate(resolve));
      if (fillers > 1_000) throw new Error('the stalled subscriber was never dropped');
    }
    // Dropped: nothing of it is left on the server to grow.
    expect(bus.connectedUserIds()).not.toContain(user.id);
    // What it missed while away arrives on reconnect.
    for (const caption of ['four', 'five']) await upload(caption);

    const sent = await stalled.drain();
    expect(sent.map((event) => event.event)).not.toContain('return');
    const rows = await server.database.db
      .select({ id: notifications.id })
      .from(notifications)
      .where(eq(notifications.recipientId, user.id));
    const expected = rows.map((row) => String(row.id)).sort();
    expect(expected).toHaveLength(5);
    // Notification ids of the real events that reached the socket (fillers are post 0).
    const delivered = sent
      .filter((event) => event.id !== undefined)
      .map((event) => TrackedUpload.parse(JSON.parse(event.data)).json)
      .filter((item) => item.post.id !== '0')
      .map((item) => ({ id: item.id, eventId: item.eventId }));
    // Whatever of them got through came in order, from the first.
    expect(['1', '2', '3'].slice(0, delivered.length)).toEqual(
      delivered.map((item) => item.eventId),
    );

    // Reconnecting from the last real id it did get brings everything it missed, once.
    const watch = watchUploads(reader.client, { lastEventId: delivered.at(-1)?.eventId ?? '0' });
    const { received, expected: missed } = await deliveredAndExpected(
      watch,
      server.database.db,
      user.id,
      { lastEventId: delivered.length },
    );
    expect(received).toEqual(missed);
    expect(missed.at(-1)).toBe('5');
    expect([...delivered.map((item) => item.id), ...watch.byId.keys()].sort()).toEqual(expected);
    watch.stop();
  });
});
