import {
  MarkReadInput,
  NotificationsListInput,
  OnUploadInput,
  TokenMessages,
} from '@photogram/contracts';
import { TRPCError, type TRPCRouterRecord, tracked } from '@trpc/server';
import { CredentialRevokedError } from '../realtime/bus';
import { uploadStream } from '../realtime/upload-stream';
import { listNotifications, markRead, unreadCount } from '../services/notifications';
import { protectedProcedure } from '../trpc';

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
        throw new TRPCError({
          code: 'UNAUTHORIZED',
          message:
            ctx.authMethod === 'bearer' ? TokenMessages.tokenRevoked : TokenMessages.sessionEnded,
        });
      }
      throw error;
    } finally {
      signal?.removeEventListener('abort', stop);
      live.close();
    }
  }),

  list: protectedProcedure
    .input(NotificationsListInput)
    .query(({ ctx, input }) => listNotifications(ctx.db, { ...input, userId: ctx.user.id })),

  unreadCount: protectedProcedure.query(({ ctx }) => unreadCount(ctx.db, { userId: ctx.user.id })),

  markRead: protectedProcedure
    .input(MarkReadInput)
    .mutation(({ ctx, input }) => markRead(ctx.db, { userId: ctx.user.id, ids: input.ids })),

  markAllRead: protectedProcedure.mutation(({ ctx }) => markRead(ctx.db, { userId: ctx.user.id })),
} satisfies TRPCRouterRecord;
