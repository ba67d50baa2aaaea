import {
  MarkReadInput,
  NotificationsListInput,
  OnUploadInput,
  TokenMessages,
} from '@photogram/contracts';
import { TRPCError, type TRPCRouterRecord, tracked } from '@trpc/server';
import { CredentialRevokedError } from '../realtime/bus';
import {
  listNotifications,
  markRead,
  REPLAY_LOOK_BACK_SECONDS,
  replayNotifications,
  unreadCount,
} from '../services/notifications';
import { protectedProcedure } from '../trpc';

export const notificationsRouter = {
  /**
   * Live upload notifications of the signed-in user, as `tracked(id, notification)`.
   * Subscribes to the bus first, replays what came after `lastEventId` (with a look-back
   * window, so late commits are not skipped), then goes live without repeating an id.
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
      // Replayed ids that may still arrive live. Only rows from about the moment we
      // subscribed can (their upload published after that); older ones are not kept, so
      // a long replay costs no memory for the rest of the subscription.
      let replayed: Set<string> | null = null;
      if (input.lastEventId) {
        const liveSince = Date.now() - REPLAY_LOOK_BACK_SECONDS * 1000;
        for await (const notification of replayNotifications(ctx.db, {
          userId: ctx.user.id,
          afterId: input.lastEventId,
        })) {
          if (notification.createdAt.getTime() >= liveSince) {
            replayed ??= new Set();
            replayed.add(notification.id);
          }
          yield tracked(notification.id, notification);
        }
      }
      for await (const notification of live) {
        if (replayed?.delete(notification.id)) continue;
        yield tracked(notification.id, notification);
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
