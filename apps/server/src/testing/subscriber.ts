import type { AppRouter } from '@photogram/api';
import type { ActivityNotification, UploadNotification } from '@photogram/contracts';
import { type Database, notifications } from '@photogram/db';
import type { TRPCClientErrorLike } from '@trpc/client';
import { and, asc, eq, gt, ne } from 'drizzle-orm';
import { vi } from 'vitest';
import type { createTestClient } from './client';

type Client = ReturnType<typeof createTestClient>['client'];
type Watch = ReturnType<typeof watchStream>;

interface StreamHandlers<Item> {
  onStarted(): void;
  onData(event: { id: string; data: Item }): void;
  onError(cause: TRPCClientErrorLike<AppRouter>): void;
  onConnectionStateChange(state: { state: string }): void;
}
type Subscribe<Item> = (
  input: { lastEventId: string },
  handlers: StreamHandlers<Item>,
) => { unsubscribe(): void };

/**
 * Listens to a notification stream the way an app would: it remembers the last event
 * id (to resume from) and records connection states. `deliveries` is every event id as
 * it came off the wire, duplicates included, across reconnects; `byId` holds the
 * notifications by notification id.
 */
function watchStream<Item extends { id: string }>(
  subscribe: Subscribe<Item>,
  options: { lastEventId?: string },
) {
  const byId = new Map<string, Item>();
  const deliveries: string[] = [];
  const states: string[] = [];
  // A new subscriber holds nothing yet: "0" asks for everything, so a connection that
  // drops before its first event still catches up (null would mean "live only").
  let lastEventId = options.lastEventId ?? '0';
  let error: TRPCClientErrorLike<AppRouter> | null = null;
  let started = false;

  let subscription = open();

  function open() {
    return subscribe(
      { lastEventId },
      {
        onStarted: () => {
          started = true;
        },
        onData: ({ id, data }) => {
          deliveries.push(id);
          lastEventId = id;
          if (!byId.has(data.id)) byId.set(data.id, data);
        },
        onError: (cause) => {
          error = cause;
        },
        onConnectionStateChange: (state) => {
          states.push(state.state);
        },
      },
    );
  }

  /** Waits until `predicate` holds, failing the test with `what` and what did arrive. */
  async function until(predicate: () => boolean, what: string, timeoutMs = 10_000) {
    await vi.waitFor(
      () => {
        if (!predicate()) {
          throw new Error(
            `timed out waiting for ${what}; have ${[...byId.keys()].join(', ') || 'nothing'}`,
          );
        }
      },
      { timeout: timeoutMs, interval: 20 },
    );
  }

  return {
    /** Unique notifications received, by id. */
    byId,
    /** Every id as it arrived, duplicates included. */
    deliveries,
    states,
    get error() {
      return error;
    },
    get lastEventId() {
      return lastEventId;
    },
    /** Resolves once the server has accepted the subscription. */
    started: () => until(() => started || error !== null, 'the subscription to start'),
    until,
    /** Closes the connection, as a tab going offline would. */
    stop() {
      subscription.unsubscribe();
    },
    /** Opens a new connection resuming from the last id received. */
    resume() {
      started = false;
      error = null;
      subscription.unsubscribe();
      subscription = open();
    },
  };
}

/** `notifications.onUpload`, watched as an app would (see `watchStream`). */
export function watchUploads(client: Client, options: { lastEventId?: string } = {}) {
  const watch = watchStream<UploadNotification>(
    (input, handlers) => client.notifications.onUpload.subscribe(input, handlers),
    options,
  );
  return {
    ...watch,
    // Getters do not survive a spread.
    get error() {
      return watch.error;
    },
    get lastEventId() {
      return watch.lastEventId;
    },
    /** Waits until a notification for `postId` has arrived and returns it. */
    async forPost(postId: string, timeoutMs?: number) {
      const find = () => [...watch.byId.values()].find((item) => item.post.id === postId);
      await watch.until(() => find() !== undefined, `a notification for post ${postId}`, timeoutMs);
      const found = find();
      if (!found) throw new Error('unreachable');
      return found;
    },
  };
}

/** `notifications.onActivity` (follows, likes, comments, mentions), watched as an app would. */
export function watchActivity(client: Client, options: { lastEventId?: string } = {}) {
  const watch = watchStream<ActivityNotification>(
    (input, handlers) => client.notifications.onActivity.subscribe(input, handlers),
    options,
  );
  return {
    ...watch,
    get error() {
      return watch.error;
    },
    get lastEventId() {
      return watch.lastEventId;
    },
  };
}

/**
 * The event ids (`seq`) of the recipient's notifications in the database, in order,
 * after `lastEventId`: exactly what a subscriber that started there must have received.
 */
export async function eventIdsInDatabase(
  db: Database,
  userId: string,
  lastEventId = 0,
  stream: 'upload' | 'activity' = 'upload',
): Promise<string[]> {
  const rows = await db
    .select({ seq: notifications.seq })
    .from(notifications)
    .where(
      and(
        eq(notifications.recipientId, userId),
        stream === 'upload' ? eq(notifications.type, 'upload') : ne(notifications.type, 'upload'),
        gt(notifications.seq, lastEventId),
      ),
    )
    .orderBy(asc(notifications.seq));
  return rows.map((row) => String(row.seq));
}

/**
 * Waits until the subscriber has received as many events as the database holds for its
 * recipient, then returns both lists, for `expect(received).toEqual(expected)`: the same
 * ids in the same order, none lost, none twice, as they came off the wire.
 */
export async function deliveredAndExpected(
  watch: Watch,
  db: Database,
  userId: string,
  options: { lastEventId?: number; timeoutMs?: number; stream?: 'upload' | 'activity' } = {},
): Promise<{ received: string[]; expected: string[] }> {
  const expected = await eventIdsInDatabase(db, userId, options.lastEventId, options.stream);
  return { received: await receivedOnceExpected(watch, expected, options.timeoutMs), expected };
}

/**
 * The event ids of the person's upload notifications as `notifications.list` shows them, oldest
 * first: what a subscriber from "0" must have received (for servers whose database the
 * test cannot open, such as a PGlite folder held by another process).
 */
export async function eventIdsFromList(client: Client): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<Client['notifications']['list']['query']>> =
      await client.notifications.list.query({ cursor, limit: 100 });
    for (const item of page.items) if (item.type === 'upload') ids.push(item.eventId);
    cursor = page.nextCursor;
  } while (cursor);
  return ids.reverse();
}

/** Waits for `expected.length` deliveries (or the timeout), then returns every one received. */
export async function receivedOnceExpected(
  watch: Watch,
  expected: readonly string[],
  timeoutMs?: number,
): Promise<string[]> {
  await watch
    .until(
      () => watch.deliveries.length >= expected.length,
      `${expected.length} events (have ${watch.deliveries.length})`,
      timeoutMs,
    )
    .catch(() => {
      // The caller's comparison shows what is missing.
    });
  // A duplicate would arrive after the count is reached: give it a moment to show. This
  // can only make the comparison stricter, never let a wrong delivery pass.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return [...watch.deliveries];
}

/**
 * Drops and resumes random subscribers (seeded) until `stop()`, as people's flaky networks
 * would: half the time a resume at once, half a drop and a resume up to `maxGapMs` later.
 */
export function churn(
  watches: ReadonlyArray<ReturnType<typeof watchUploads>>,
  random: () => number,
  options: { maxGapMs: number; maxPauseMs: number },
) {
  let running = true;
  const done = (async () => {
    while (running) {
      const watch = watches[Math.floor(random() * watches.length)];
      if (random() < 0.5) watch?.resume();
      else {
        watch?.stop();
        await new Promise((resolve) => setTimeout(resolve, random() * options.maxGapMs));
        watch?.resume();
      }
      await new Promise((resolve) => setTimeout(resolve, random() * options.maxPauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}
