import { FeedInput } from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { listFeed } from '../services/feed';
import { protectedProcedure } from '../trpc';

export const feedRouter = {
  list: protectedProcedure
    .input(FeedInput)
    .query(({ ctx, input }) => listFeed(ctx.db, { ...input, viewerId: ctx.user.id })),
} satisfies TRPCRouterRecord;
