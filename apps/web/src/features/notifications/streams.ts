import { type Notification, notificationStream } from '@photogram/contracts';
import { isNewer } from './tab-leader';

/**
 * The two live streams the leader tab holds: `notifications.onUpload` and
 * `notifications.onActivity`. Each numbers its events in a sequence of its own, so each
 * resumes from its own last id.
 */
export type StreamName = ReturnType<typeof notificationStream>;
export const STREAMS: readonly StreamName[] = ['upload', 'activity'];

export type ResumeIds = Record<StreamName, string | null>;

/** Where the streams start when no tab has heard of an event yet: read from the inbox. */
export interface ResumeSeed {
  /** Event ids already in the inbox, per stream: never toasted again. */
  loaded: Record<StreamName, string[]>;
  /**
   * Each stream's start: its newest event id in the inbox; "0" (from the beginning) when
   * the whole inbox holds none of it; null (live only) when the pages read held none but
   * there are more.
   */
  start: ResumeIds;
}

export interface InboxPage {
  items: ReadonlyArray<Pick<Notification, 'type' | 'eventId'>>;
  nextCursor: string | null;
}

/** Pages of `notifications.list` read at most to find both streams' newest ids. */
export const RESUME_SCAN_PAGES = 5;
export const RESUME_PAGE_SIZE = 100;

/**
 * Reads the inbox (newest first, uploads and activity mixed) until it has seen the newest
 * event of both streams, or the end, or `maxPages`. Twenty likes on top of the last upload
 * must not make the upload stream start from the beginning and replay every upload.
 */
export async function seedResume(
  fetchPage: (cursor: string | null) => Promise<InboxPage>,
  maxPages = RESUME_SCAN_PAGES,
): Promise<ResumeSeed> {
  const loaded: Record<StreamName, string[]> = { upload: [], activity: [] };
  let cursor: string | null = null;
  let ended = false;
  for (let page = 0; page < maxPages; page += 1) {
    const { items, nextCursor } = await fetchPage(cursor);
    for (const item of items) loaded[notificationStream(item)].push(item.eventId);
    if (nextCursor === null) {
      ended = true;
      break;
    }
    if (STREAMS.every((stream) => loaded[stream].length > 0)) break;
    cursor = nextCursor;
  }
  const start = (stream: StreamName): string | null => {
    let newest: string | null = null;
    for (const id of loaded[stream]) if (isNewer(id, newest)) newest = id;
    return newest ?? (ended ? '0' : null);
  };
  return { loaded, start: { upload: start('upload'), activity: start('activity') } };
}

/**
 * Where each stream starts when this tab takes it: the newest id any tab relayed (every
 * tab hears every event), else the inbox's. Null until the inbox is read, unless the
 * tabs already know both.
 */
export function resumeIds(
  known: (stream: StreamName) => string | null,
  seed: ResumeSeed | undefined,
): ResumeIds | null {
  const upload = known('upload');
  const activity = known('activity');
  if (upload !== null && activity !== null) return { upload, activity };
  if (!seed) return null;
  return { upload: upload ?? seed.start.upload, activity: activity ?? seed.start.activity };
}

/** Likes come in bursts: they update the badge and the inbox but never toast. */
export function shouldToast(notification: Pick<Notification, 'type'>): boolean {
  return notification.type !== 'like';
}
