import superjson from 'superjson';
import { expect, test } from 'vitest';
import { payloadText, type Serialize, SharedPayload } from './shared-payload';

interface Notification {
  id: string;
  eventId: string;
  type: string;
  createdAt: Date;
  actor: { name: string; tags: Set<string> };
  post: { caption: string };
}
type Shared = Omit<Notification, 'id' | 'eventId'>;

function upload(caption: string) {
  return new SharedPayload<Shared>({
    type: 'upload',
    createdAt: new Date('2026-11-25T10:00:00.123Z'),
    actor: { name: 'Alice "A" \u2028', tags: new Set(['a', 'b']) },
    post: { caption },
  });
}

function recipient(payload: SharedPayload<Shared>, id: string, eventId: string): Notification {
  const { shared } = payload;
  return payload.attach<Notification>({
    id,
    eventId,
    type: shared.type,
    createdAt: shared.createdAt,
    actor: shared.actor,
    post: shared.post,
  });
}

/** superjson as the router's transformer writes it, counting its calls. */
function countingSerializer() {
  const counter = {
    calls: 0,
    serialize: (value: unknown): string => {
      counter.calls += 1;
      return JSON.stringify(superjson.serialize(value));
    },
  };
  return counter;
}

const whole = (value: unknown) => JSON.stringify(superjson.serialize(value));

test("each recipient's text is what superjson writes for its whole value", () => {
  const payload = upload('line one\nline "two" 🌅');
  const { serialize } = countingSerializer();
  for (const [id, eventId] of [
    ['41', '1'],
    ['42', '17'],
    ['x"\n\u2028', ''],
  ] as const) {
    const value = recipient(payload, id, eventId);
    expect(payloadText(value, serialize)).toBe(whole(value));
  }
});

test('the shared part is serialized once for all its recipients', () => {
  const payload = upload('once');
  const counter = countingSerializer();
  const texts = Array.from({ length: 100 }, (_, index) =>
    payloadText(recipient(payload, String(index), String(index)), counter.serialize),
  );
  // the template and the check of its first use; none per recipient
  expect(counter.calls).toBe(2);
  expect(texts[99]).toBe(whole(recipient(payload, '99', '99')));
});

test('an attached value is the plain object it was built as, and the shared part is frozen', () => {
  const payload = upload('plain');
  const value = recipient(payload, '1', '2');
  expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  expect(Object.getOwnPropertySymbols(value)).toEqual([]);
  expect(value).toEqual({ ...value });
  expect(Object.isFrozen(payload.shared.post)).toBe(true);
  expect(() => {
    (payload.shared.post as { caption: string }).caption = 'changed';
  }).toThrow(TypeError);
});

test('a value changed after attach is serialized whole, and the next ones still are spliced', () => {
  const payload = upload('changes');
  const counter = countingSerializer();
  const first = recipient(payload, '1', '1');
  expect(payloadText(first, counter.serialize)).toBe(whole(first));

  const replaced = recipient(payload, '2', '2');
  replaced.post = { caption: 'another' };
  const added = Object.assign(recipient(payload, '3', '3'), { extra: true });
  const notAString = recipient(payload, '4', '4') as unknown as Record<string, unknown>;
  notAString.eventId = 4;
  const { eventId: _, ...removed } = recipient(payload, '5', '5');
  const { id, ...rest } = recipient(payload, '6', '6');
  const reordered = payload.attach<Notification>({ ...rest, id });
  for (const value of [replaced, added, notAString, removed, reordered]) {
    expect(payloadText(value, counter.serialize)).toBe(whole(value));
  }

  counter.calls = 0;
  const later = recipient(payload, '7', '7');
  expect(payloadText(later, counter.serialize)).toBe(whole(later));
  expect(counter.calls).toBe(0);
});

test('a transformer that rewrites strings gets every value serialized whole', () => {
  const payload = upload('shout');
  const shouting: Serialize = (value) =>
    JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'string' ? inner.toUpperCase() : inner,
    );
  for (const id of ['a', 'b']) {
    const value = recipient(payload, id, id);
    expect(payloadText(value, shouting)).toBe(shouting(value));
  }
});

test('values that were never attached go through the serializer whole', () => {
  const value = { at: new Date(5), tags: new Set(['a']) };
  expect(payloadText(value, whole)).toBe(whole(value));
  expect(payloadText(null, whole)).toBe('{"json":null}');
  expect(payloadText('text', whole)).toBe('{"json":"text"}');
});

test('attach accepts only the shared fields with own fields that are strings', () => {
  const payload = upload('types');
  const { shared } = payload;
  const fields = { type: shared.type, createdAt: shared.createdAt, actor: shared.actor };
  // @ts-expect-error an own field must be a string
  payload.attach({ ...fields, post: shared.post, id: 1 });
  // @ts-expect-error the shared part's `post` is missing
  payload.attach({ ...fields, id: '1' });
  // @ts-expect-error a shared field of another type
  payload.attach({ ...fields, post: 'caption', id: '1' });
  expect(payload.attach({ ...fields, post: shared.post, id: '1' }).id).toBe('1');
});
