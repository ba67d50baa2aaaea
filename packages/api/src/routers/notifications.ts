import {
  MarkGroupReadInput,
  MarkReadInput,
  NotificationGroupsInput,
  NotificationsListInput,
  OnActivityInput,
  OnUploadInput,
  TokenMessages,
} from '@photogram/contracts';
import { type TRPCRouterRecord, tracked } from '@trpc/server';
import { DomainError, UnauthorizedError } from '../errors';
import { activityStream } from '../realtime/activity-stream';
import {
  type BusSubscription,
  CredentialRevokedError,
  type SubscribeOptions,
} from '../realtime/bus';
import { uploadStream } from '../realtime/upload-stream';
import { listGroups } from '../services/notification-groups';
import { listNotifications, markGroupRead, markRead, unreadCount } from '../services/notifications';
import { protectedProcedure, toTRPCError } from '../trpc';

type StreamContext = Parameters<Parameters<typeof protectedProcedure.subscription>[0]>[0]['ctx'];

/**
 * One live stream of the signed-in person: counted against the stream caps, subscribed
 * to the bus before `read` starts (so nothing that commits meanwhile is missed), ended
 * by the client going away or by the credential being revoked, as a 401 that the client
 * does not retry.
 */
async function* liveStream<Item extends { eventId: string }>(
  ctx: StreamContext,
  signal: AbortSignal | undefined,
  subscribe: (options: SubscribeOptions) => BusSubscription,
  read: (live: BusSubscription) => AsyncIterable<Item>,
) {
  // Thrown inside the stream, a domain error needs its tRPC code here: the middleware
  // that maps them has returned by the time a subscription runs.
  let release: () => void;
  try {
    release = ctx.streamCaps.open(ctx.user.id, ctx.ip);
  } catch (error: unknown) {
    throw error instanceof DomainError ? toTRPCError(error) : error;
  }
  const live = subscribe({
    maxQueue: ctx.subscriberQueueLimit,
    onOverflow: () => ctx.disconnect(),
    credentialId: ctx.credentialId,
  });
  const stop = () => live.close();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const item of read(live)) yield tracked(item.eventId, item);
  } catch (error: unknown) {
    if (error instanceof CredentialRevokedError) {
      // Not retryable: the client stops instead of reconnecting with a dead credential.
      throw toTRPCError(
        new UnauthorizedError(
          ctx.authMethod === 'bearer' ? TokenMessages.tokenRevoked : TokenMessages.sessionEnded,
        ),
      );
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    live.close();
    release();
  }
}

export const notificationsRouter = {
  /**
   * Live upload notifications of the signed-in user, as `tracked(eventId, notification)`.
   * Subscribes to the bus first, then yields what came after `lastEventId` from the
   * database, then live ones: each once, in commit order (see `uploadStream`).
   */
  onUpload: protectedProcedure.input(OnUploadInput).subscription(({ ctx, input, signal }) =>
    liveStream(
      ctx,
      signal,
      (options) => ctx.bus.subscribe(ctx.user.id, options),
      (live) => uploadStream(ctx.db, live, { userId: ctx.user.id, lastEventId: input.lastEventId }),
    ),
  ),

  /**
   * Live follows, likes, comments and mentions of the signed-in user, with `onUpload`'s
   * guarantees (each once, in commit order, resumable from `lastEventId`) in a sequence
   * of their own (see `activityStream`).
   */
  onActivity: protectedProcedure.input(OnActivityInput).subscription(({ ctx, input, signal }) =>
    liveStream(
      ctx,
      signal,
      (options) => ctx.bus.subscribeActivity(ctx.user.id, options),
      (live) =>
        activityStream(ctx.db, live, { userId: ctx.user.id, lastEventId: input.lastEventId }),
    ),
  ),

  list: protectedProcedure
    .input(NotificationsListInput)
    .query(({ ctx, input }) => listNotifications(ctx.db, { ...input, userId: ctx.user.id })),

  /** The inbox as it shows: grouped (likes and comments per post, follows), newest first. */
  groups: protectedProcedure
    .input(NotificationGroupsInput)
    .query(({ ctx, input }) => listGroups(ctx.db, { ...input, userId: ctx.user.id })),

  /** Rows of the inbox (groups) with something unread: the badge (`capped` past 10,000 unread). */
  unreadCount: protectedProcedure.query(({ ctx }) => unreadCount(ctx.db, { userId: ctx.user.id })),

  /**
   * The signed-in person's open streams (`onUpload` and `onActivity`) on this process: how a test (or a
   * support person) tells that a browser with many tabs holds one stream, not one a tab.
   */
  streamCount: protectedProcedure.query(({ ctx }) => ({
    open: ctx.streamCaps.countFor(ctx.user.id),
  })),

  markRead: protectedProcedure
    .input(MarkReadInput)
    .mutation(({ ctx, input }) => markRead(ctx.db, { userId: ctx.user.id, ids: input.ids })),

  /** Marks one inbox row (a group) read, every notification in it. */
  markGroupRead: protectedProcedure
    .input(MarkGroupReadInput)
    .mutation(({ ctx, input }) => markGroupRead(ctx.db, { userId: ctx.user.id, key: input.key })),

  markAllRead: protectedProcedure.mutation(({ ctx }) => markRead(ctx.db, { userId: ctx.user.id })),
} satisfies TRPCRouterRecord;
