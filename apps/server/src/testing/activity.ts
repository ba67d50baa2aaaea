import { type Database, notifications } from '@photogram/db';
import { and, asc, eq, gt, ne } from 'drizzle-orm';
import type postgres from 'postgres';
import { vi } from 'vitest';
import { z } from 'zod';
import { readEvents, subscriptionUrl } from './sse';
import { receivedOnceExpected, type watchActivity, type watchUploads } from './subscriber';

type Watch = ReturnType<typeof watchActivity> | ReturnType<typeof watchUploads>;
type Stream = 'upload' | 'activity';

/** A notification as the database holds it, or as it came off the wire. */
export interface Delivered {
  eventId: string;
  id: string;
  type: string;
}

/**
 * The recipient's notifications of one stream after `lastEventId`, in `seq` order: what a
 * subscriber that resumed there must receive, event id and notification id alike.
 */
export async function rowsInDatabase(
  db: Database,
  userId: string,
  options: { lastEventId?: number; stream?: Stream } = {},
): Promise<Delivered[]> {
  const stream = options.stream ?? 'activity';
  const rows = await db
    .select({ seq: notifications.seq, id: notifications.id, type: notifications.type })
    .from(notifications)
    .where(
      and(
        eq(notifications.recipientId, userId),
        stream === 'upload' ? eq(notifications.type, 'upload') : ne(notifications.type, 'upload'),
        gt(notifications.seq, options.lastEventId ?? 0),
      ),
    )
    .orderBy(asc(notifications.seq));
  return rows.map((row) => ({ eventId: String(row.seq), id: String(row.id), type: row.type }));
}

/**
 * Waits until the watch has as many deliveries as the database holds rows for the
 * recipient's stream, then returns both sides for `expect(received).toEqual(expected)`:
 * `eventIds` is every event id as it came off the wire (duplicates included), and
 * `notifications` the notifications in the order they first arrived, so together they
 * show each notification once, in `seq` order, with the id the database gave it.
 */
export async function wireAndDatabase(
  watch: Watch,
  db: Database,
  userId: string,
  options: { lastEventId?: number; stream?: Stream; timeoutMs?: number } = {},
) {
  const rows = await rowsInDatabase(db, userId, options);
  const eventIds = await receivedOnceExpected(
    watch,
    rows.map((row) => row.eventId),
    options.timeoutMs,
  );
  const notifications = [...watch.byId.values()].map(
    (item): Delivered => ({ eventId: item.eventId, id: item.id, type: item.type }),
  );
  return {
    received: { eventIds, notifications },
    expected: { eventIds: rows.map((row) => row.eventId), notifications: rows },
  };
}

/** What of a notification event these tests read (superjson's `json`). */
const TrackedNotification = z.object({
  json: z.object({ id: z.string(), eventId: z.string(), type: z.string() }),
});

/**
 * `notifications.onActivity` read straight off the wire as a browser's EventSource
 * would open it: no input, the position in a `Last-Event-ID` header. `delivered()` is
 * every notification event so far, in order, pings and `connected` left out.
 */
export async function rawActivityStream(
  baseUrl: string,
  fetchAs: typeof fetch,
  lastEventId: string | null,
) {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (lastEventId !== null) headers['last-event-id'] = lastEventId;
  const response = await fetchAs(subscriptionUrl(baseUrl, 'notifications.onActivity'), {
    headers,
  });
  if (response.status !== 200) throw new Error(`onActivity answered ${response.status}`);
  const stream = readEvents(response);
  const delivered = (): Delivered[] =>
    stream.events
      .filter((event) => event.id !== undefined && event.event !== 'connected')
      .map((event) => {
        const { json } = TrackedNotification.parse(JSON.parse(event.data));
        // The SSE id is the one a reconnecting EventSource sends back: it must be the eventId.
        if (event.id !== json.eventId)
          throw new Error(`event id ${event.id} carries notification ${json.eventId}`);
        return { eventId: json.eventId, id: json.id, type: json.type };
      });
  return { stream, delivered };
}

/**
 * The pids of backends of this database waiting for a row lock in a statement on
 * `notification_heads` (an action about to number its notifications), once `count` are.
 */
export async function waitForHeadWaiters(sql: postgres.Sql, count: number): Promise<number[]> {
  return vi.waitFor(
    async () => {
      const rows = await sql<{ pid: number }[]>`
        select pid from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()
          and wait_event_type = 'Lock' and query ilike '%notification_heads%'
        order by pid`;
      if (rows.length !== count)
        throw new Error(`${rows.length} of ${count} statements wait on a head so far`);
      return rows.map((row) => row.pid);
    },
    { timeout: 10_000, interval: 20 },
  );
}
