import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSSEHandler } from '@photogram/trpc-sse';
import { initTRPC, tracked } from '@trpc/server';
import superjson from 'superjson';
import { expect, test } from 'vitest';
import type { UploadEvent } from './bus';
import { notificationFor, uploadPayload } from './payloads';

function uploadEvent(caption: string): UploadEvent {
  return {
    postId: '7',
    notification: {
      type: 'upload',
      createdAt: new Date('2026-11-25T10:00:00.123Z'),
      read: false,
      actor: { id: 'u1', username: 'alice', displayName: 'Alice "A" \u2028', avatarUrl: null },
      post: { id: '7', caption, thumbUrl: '/media/ab/cd.webp' },
    },
    recipients: [
      { userId: 'u2', notificationId: '41', eventId: '1' },
      { userId: 'u3', notificationId: '42', eventId: '17' },
    ],
  };
}

test("a recipient's notification is a plain UploadNotification with its own ids", () => {
  const event = uploadEvent('plain');
  const payload = uploadPayload(event);
  const [first, second] = event.recipients.map((recipient) => notificationFor(payload, recipient));
  const expected = { ...event.notification, id: '41', eventId: '1' };
  expect(first).toEqual(expected);
  expect(Object.keys(first ?? {})).toEqual([
    'id',
    'eventId',
    'type',
    'createdAt',
    'read',
    'actor',
    'post',
  ]);
  expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
  expect(superjson.parse(superjson.stringify(second))).toEqual({
    ...expected,
    id: '42',
    eventId: '17',
  });
});

test('the shared part of an upload is frozen once its payload exists', () => {
  const event = uploadEvent('first');
  const notification = notificationFor(uploadPayload(event), {
    userId: 'u2',
    notificationId: '1',
    eventId: '1',
  });
  expect(notification.post).toBe(event.notification.post);
  expect(Object.isFrozen(event.notification.post)).toBe(true);
  expect(() => {
    (event.notification.post as { caption: string }).caption = 'changed';
  }).toThrow(TypeError);
});

test("the SSE transport writes every recipient's notification from one serialization of the upload", async () => {
  let serialized = 0;
  const t = initTRPC.create({
    transformer: {
      input: superjson,
      output: {
        serialize: (value: unknown) => {
          serialized += 1;
          return superjson.serialize(value);
        },
        deserialize: superjson.deserialize,
      },
    },
  });
  const event = uploadEvent('line one\nline "two" 🌅');
  const payload = uploadPayload(event);
  const recipients = Array.from({ length: 50 }, (_, index) => ({
    userId: `u${index}`,
    notificationId: String(100 + index),
    eventId: String(index + 1),
  }));
  const router = t.router({
    onUpload: t.procedure.subscription(async function* () {
      for (const recipient of recipients) {
        yield tracked(recipient.eventId, notificationFor(payload, recipient));
      }
    }),
  });
  const sse = createSSEHandler({ router });
  const server = createServer((req, res) => {
    void sse.handle(req, res, 'onUpload');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const body = await (await fetch(`http://127.0.0.1:${port}/trpc/onUpload`)).text();
    // Split on \n only, as EventSource does: the display name holds a raw U+2028.
    const data = body
      .split('\n')
      .filter((line) => line.startsWith('data: {"json"'))
      .map((line) => line.slice('data: '.length));
    expect(data).toEqual(
      recipients.map((recipient) =>
        JSON.stringify(
          superjson.serialize({
            id: recipient.notificationId,
            eventId: recipient.eventId,
            ...event.notification,
          }),
        ),
      ),
    );
    // the upload's template and its check on the first recipient; none for the other 49
    expect(serialized).toBe(2);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
