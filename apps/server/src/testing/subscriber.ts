import type { AppRouter } from '@photogram/api';
import type { UploadNotification } from '@photogram/contracts';
import type { TRPCClientErrorLike } from '@trpc/client';
import type { createTestClient } from './client';

type Client = ReturnType<typeof createTestClient>['client'];

/**
 * Listens to `notifications.onUpload` the way an app would: it remembers the last event
 * id (to resume from), drops ids it already has, and records connection states.
 */
export function watchUploads(client: Client, options: { lastEventId?: string } = {}) {
  const byId = new Map<string, UploadNotification>();
  const deliveries: string[] = [];
  const states: string[] = [];
  // A new subscriber holds nothing yet: "0" asks for everything, so a connection that
  // drops before its first event still catches up (null would mean "live only").
  let lastEventId = options.lastEventId ?? '0';
  let error: TRPCClientErrorLike<AppRouter> | null = null;
  let started = false;

  let subscription = open();

  function open() {
    return client.notifications.onUpload.subscribe(
      { lastEventId },
      {
        onStarted: () => {
          started = true;
        },
        onData: ({ id, data }) => {
          deliveries.push(id);
          lastEventId = id;
          if (!byId.has(id)) byId.set(id, data);
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

  async function until(predicate: () => boolean, what: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; have ${[...byId.keys()].join(', ') || 'nothing'}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
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
    /** Waits until a notification for `postId` has arrived and returns it. */
    async forPost(postId: string, timeoutMs?: number) {
      await until(
        () => [...byId.values()].some((item) => item.post.id === postId),
        `a notification for post ${postId}`,
        timeoutMs,
      );
      const found = [...byId.values()].find((item) => item.post.id === postId);
      if (!found) throw new Error('unreachable');
      return found;
    },
    /** Closes the connection, as a tab going offline would. */
    stop() {
      subscription.unsubscribe();
    },
    /** Opens a new connection resuming from the last id received. */
    resume() {
      started = false;
      subscription.unsubscribe();
      subscription = open();
    },
  };
}
