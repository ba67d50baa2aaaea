import type { Notification } from '@photogram/contracts';
import { expect, test } from 'vitest';
import { type InboxPage, resumeIds, seedResume, shouldToast } from './streams';

type Item = Pick<Notification, 'type' | 'eventId'>;

/** An inbox of `items` (newest first) served in pages of `size`, counting the reads. */
function inbox(items: Item[], size: number) {
  const reads: Array<string | null> = [];
  const fetchPage = async (cursor: string | null): Promise<InboxPage> => {
    reads.push(cursor);
    const from = cursor === null ? 0 : Number(cursor);
    const to = from + size;
    return { items: items.slice(from, to), nextCursor: to < items.length ? String(to) : null };
  };
  return { fetchPage, reads };
}

const likes = (from: number, count: number): Item[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'like', eventId: String(from - i) }));

test('each stream starts from its own newest id in the inbox', async () => {
  const { fetchPage, reads } = inbox(
    [
      { type: 'comment', eventId: '12' },
      { type: 'upload', eventId: '9' },
      { type: 'like', eventId: '11' },
      { type: 'upload', eventId: '8' },
    ],
    20,
  );
  const seed = await seedResume(fetchPage);
  expect(seed.start).toEqual({ upload: '9', activity: '12' });
  expect(seed.loaded).toEqual({ upload: ['9', '8'], activity: ['12', '11'] });
  expect(reads).toEqual([null]);
});

test('ids compare as numbers: 10 is newer than 9', async () => {
  const { fetchPage } = inbox(
    [
      { type: 'upload', eventId: '9' },
      { type: 'upload', eventId: '10' },
    ],
    20,
  );
  expect((await seedResume(fetchPage)).start.upload).toBe('10');
});

test('a stream the whole inbox has nothing of starts from the beginning', async () => {
  const { fetchPage } = inbox(likes(30, 30), 20);
  const seed = await seedResume(fetchPage);
  expect(seed.start).toEqual({ upload: '0', activity: '30' });
  const empty = await seedResume(inbox([], 20).fetchPage);
  expect(empty.start).toEqual({ upload: '0', activity: '0' });
});

test('a burst of likes over the last upload: the inbox is read on until the upload', async () => {
  const { fetchPage, reads } = inbox([...likes(250, 250), { type: 'upload', eventId: '4' }], 100);
  const seed = await seedResume(fetchPage);
  expect(seed.start).toEqual({ upload: '4', activity: '250' });
  expect(reads).toEqual([null, '100', '200']);
});

test('past the pages it may read, a stream it found nothing of goes live only, never replays all', async () => {
  const { fetchPage, reads } = inbox([...likes(900, 900), { type: 'upload', eventId: '4' }], 100);
  const seed = await seedResume(fetchPage, 3);
  expect(seed.start).toEqual({ upload: null, activity: '900' });
  expect(reads).toHaveLength(3);
});

test('what the tabs relayed beats the inbox; without either the streams wait', () => {
  const seed = { loaded: { upload: [], activity: [] }, start: { upload: '3', activity: null } };
  const none = () => null;
  expect(resumeIds(none, undefined)).toBeNull();
  expect(resumeIds(none, seed)).toEqual({ upload: '3', activity: null });
  expect(resumeIds((stream) => (stream === 'activity' ? '15' : null), seed)).toEqual({
    upload: '3',
    activity: '15',
  });
  // Both known from relayed events: no need to wait for the inbox.
  expect(resumeIds((stream) => (stream === 'upload' ? '5' : '6'), undefined)).toEqual({
    upload: '5',
    activity: '6',
  });
});

test('uploads, comments, mentions and follows toast; likes do not', () => {
  expect(shouldToast({ type: 'upload' })).toBe(true);
  expect(shouldToast({ type: 'comment' })).toBe(true);
  expect(shouldToast({ type: 'mention' })).toBe(true);
  expect(shouldToast({ type: 'follow' })).toBe(true);
  expect(shouldToast({ type: 'like' })).toBe(false);
});
