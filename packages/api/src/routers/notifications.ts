import {
  MarkReadInput,
  NotificationsListInput,
  OnUploadInput,
  TokenMessages,
} from '@photogram/contracts';
import { type TRPCRouterRecord, tracked } from '@trpc/server';
import { DomainError, UnauthorizedError } from '../errors';
import { CredentialRevokedError } from '../realtime/bus';
import { uploadStream } from '../realtime/upload-stream';
import { listNotifications, markRead, unreadCount } from '../services/notifications';
import { protectedProcedure, toTRPCError } from '../trpc';

export const notificationsRouter = {
  /**
   * Live upload notifications of the signed-in user, as `tracked(eventId, notification)`.
   * Subscribes to the bus first, then yields what came after `lastEventId` from the
   * database, then live ones: each once, in commit order (see `uploadStream`).
   */
  onUpload: protectedProcedure.input(OnUploadInput).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    // Thrown inside the stream, a domain error needs its tRPC code here: the middleware
    // that maps them has returned by the time a subscription runs.
    let release: () => void;
    try {
      release = ctx.streamCaps.open(ctx.user.id, ctx.ip);
    } catch (error: unknown) {
      throw error instanceof DomainError ? toTRPCError(error) : error;
    }
    const live = ctx.bus.subscribe(ctx.user.id, {
      maxQueue: ctx.subscriberQueueLimit,
      onOverflow: () => ctx.disconnect(),
      credentialId: ctx.credentialId,
    });
    const stop = () => live.close();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const notification of uploadStream(ctx.db, live, {
        userId: ctx.user.id,
        lastEventId: input.lastEventId,
      })) {
        yield tracked(notification.eventId, notification);
      }
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
  }),

  list: protectedProcedure
    .input(NotificationsListInput)
    .query(({ ctx, input }) => listNotifications(ctx.db, { ...input, userId: ctx.user.id })),

  unreadCount: protectedProcedure.query(({ ctx }) => unreadCount(ctx.db, { userId: ctx.user.id })),

  /**
   * The signed-in person's open `onUpload` streams on this process: how a test (or a
   * support person) tells that a browser with many tabs holds one stream, not one a tab.
   */
  streamCount: protectedProcedure.query(({ ctx }) => ({
    open: ctx.streamCaps.countFor(ctx.user.id),
  })),

  markRead: protectedProcedure
    .input(MarkReadInput)
    .mutation(({ ctx, input }) => markRead(ctx.db, { userId: ctx.user.id, ids: input.ids })),

  markAllRead: protectedProcedure.mutation(({ ctx }) => markRead(ctx.db, { userId: ctx.user.id })),
} satisfies TRPCRouterRecord;
