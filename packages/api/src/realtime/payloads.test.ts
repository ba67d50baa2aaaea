import superjson from 'superjson';
import { expect, test } from 'vitest';
import type { UploadEvent } from './bus';
import { notificationFor, serializeSubscriptionData } from './payloads';

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

test('a recipient notification serializes to what superjson writes for the whole object', () => {
  const event = uploadEvent('line one\nline "two" 🌅');
  for (const recipient of event.recipients) {
    const notification = notificationFor(event, recipient);
    const text = serializeSubscriptionData(notification);
    expect(superjson.deserialize(JSON.parse(text))).toEqual(notification);
    expect(JSON.parse(text)).toEqual(
      JSON.parse(JSON.stringify(superjson.serialize({ ...notification }))),
    );
  }
});

test('the shared part of an upload is frozen, so its cached JSON cannot go stale', () => {
  const event = uploadEvent('first');
  const notification = notificationFor(event, { userId: 'u2', notificationId: '1', eventId: '1' });
  expect(notification.post).toBe(event.notification.post);
  expect(Object.isFrozen(event.notification.post)).toBe(true);
  expect(() => {
    (event.notification.post as { caption: string }).caption = 'changed';
  }).toThrow(TypeError);
});

test('values that are not upload notifications go through superjson whole', () => {
  const value = { at: new Date(5), tags: new Set(['a']) };
  const text = serializeSubscriptionData(value);
  expect(superjson.deserialize(JSON.parse(text))).toEqual(value);
  expect(serializeSubscriptionData(null)).toBe(JSON.stringify(superjson.serialize(null)));
});
