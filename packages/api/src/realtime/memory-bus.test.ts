import { expect, test } from 'vitest';
import { type BusItem, CATCH_UP, type UploadEvent } from './bus';
import { MemoryBus } from './memory-bus';

function eventFor(userIds: string[], id: number): UploadEvent {
  return {
    postId: String(id),
    notification: {
      type: 'upload',
      createdAt: new Date(0),
      read: false,
      actor: { id: 'a', username: 'a', displayName: 'A', avatarUrl: null },
      post: { id: String(id), caption: '', thumbUrl: '/media/x' },
    },
    recipients: userIds.map((userId) => ({
      userId,
      notificationId: `${userId}-${id}`,
      eventId: String(id),
    })),
  };
}

async function take(iterator: AsyncIterator<BusItem>) {
  const result = await iterator.next();
  if (result.done) return null;
  return result.value === CATCH_UP ? 'catch-up' : result.value.id;
}

test('every tab of a recipient gets the notification, nobody else does', async () => {
  const bus = new MemoryBus();
  const overflow = () => {};
  const tabs = [
    bus.subscribe('u1', { onOverflow: overflow }),
    bus.subscribe('u1', { onOverflow: overflow }),
  ];
  const other = bus.subscribe('u2', { onOverflow: overflow });
  await bus.publish(eventFor(['u1'], 1));
  const iterators = tabs.map((tab) => tab[Symbol.asyncIterator]());
  expect(await Promise.all(iterators.map(take))).toEqual(['u1-1', 'u1-1']);
  expect(bus.connectedUserIds().sort()).toEqual(['u1', 'u2']);
  other.close();
  expect(bus.connectedUserIds()).toEqual(['u1']);
  await bus.close();
  expect(bus.connectedUserIds()).toEqual([]);
  expect(await Promise.all(iterators.map(take))).toEqual([null, null]);
});

test('a tab that overflows leaves without costing its sibling the event', async () => {
  const bus = new MemoryBus();
  let overflows = 0;
  const stuck = bus.subscribe('u1', { maxQueue: 1, onOverflow: () => (overflows += 1) });
  const reading = bus.subscribe('u1', { maxQueue: 1, onOverflow: () => (overflows += 1) });
  const reader = reading[Symbol.asyncIterator]();
  const first = take(reader);
  await bus.publish(eventFor(['u1'], 1));
  expect(await first).toBe('u1-1');
  const second = take(reader);
  await bus.publish(eventFor(['u1'], 2));
  expect(overflows).toBe(1);
  expect(await second).toBe('u1-2');
  expect(await take(stuck[Symbol.asyncIterator]())).toBe(null);
  await bus.close();
});

test('revoking a credential fails its subscriptions, and only those', async () => {
  const bus = new MemoryBus();
  const revoked = bus.subscribe('u1', { onOverflow: () => {}, credentialId: 's1' });
  const kept = bus.subscribe('u1', { onOverflow: () => {}, credentialId: 's2' });
  const waiting = revoked[Symbol.asyncIterator]().next();
  await bus.revoke('s1');
  await expect(waiting).rejects.toThrow('s1');
  await bus.publish(eventFor(['u1'], 3));
  expect(await take(kept[Symbol.asyncIterator]())).toBe('u1-3');
  await bus.close();
});

test('only subscriptions behind their head are nudged, and a waiting nudge is not repeated', async () => {
  const bus = new MemoryBus();
  const behind = bus.subscribe('u1', { onOverflow: () => {} });
  const current = bus.subscribe('u1', { onOverflow: () => {} });
  const elsewhere = bus.subscribe('u2', { onOverflow: () => {} });
  behind.position = 3;
  current.position = 5;
  elsewhere.position = 0;
  expect(bus.nudgeBehind(new Map([['u1', 5]]))).toBe(1);
  expect(bus.nudgeBehind(new Map([['u1', 5]]))).toBe(1);
  await bus.publish(eventFor(['u1'], 6));
  const reader = behind[Symbol.asyncIterator]();
  expect(await take(reader)).toBe('catch-up');
  expect(await take(reader)).toBe('u1-6');
  const waiting = take(current[Symbol.asyncIterator]());
  expect(await waiting).toBe('u1-6');
  const next = take(elsewhere[Symbol.asyncIterator]());
  bus.nudgeBehind(new Map([['u2', 1]]));
  expect(await next).toBe('catch-up');
  await bus.close();
});

test('activity subscriptions are nudged by publishActivity alone, one nudge standing for many', async () => {
  const bus = new MemoryBus();
  const overflow = () => {};
  const activity = bus.subscribeActivity('u1', { onOverflow: overflow, credentialId: 's1' });
  const uploads = bus.subscribe('u1', { onOverflow: overflow });
  const otherActivity = bus.subscribeActivity('u2', { onOverflow: overflow });
  await bus.publish(eventFor(['u1'], 1));
  await bus.publishActivity(['u1']);
  await bus.publishActivity(['u1']);
  const reader = activity[Symbol.asyncIterator]();
  // Two publishes before a read: one catch-up reads both from the database.
  expect(await take(reader)).toBe('catch-up');
  expect(await take(uploads[Symbol.asyncIterator]())).toBe('u1-1');
  expect(bus.connectedUserIds('activity').sort()).toEqual(['u1', 'u2']);
  expect(bus.connectedUserIds('upload')).toEqual(['u1']);

  // The safety net compares each stream with its own head.
  activity.position = 3;
  otherActivity.position = 0;
  expect(
    bus.nudgeBehind(
      new Map([
        ['u1', 3],
        ['u2', 1],
      ]),
      'activity',
    ),
  ).toBe(1);
  expect(await take(otherActivity[Symbol.asyncIterator]())).toBe('catch-up');

  // Revoking the credential ends its activity stream too.
  bus.revokeHere('s1');
  await expect(reader.next()).rejects.toThrow('s1');
  await bus.close();
  expect(bus.connectedUserIds('activity')).toEqual([]);
});
