import { FollowListInput, SetNotifyInput, UserIdInput } from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { follow, listFollows, setNotify, unfollow } from '../services/follows';
import { protectedProcedure, publicProcedure } from '../trpc';

export const followsRouter = {
  follow: protectedProcedure.input(UserIdInput).mutation(async ({ ctx, input }) => {
    await ctx.limits.reactPerUser.consume(ctx.user.id);
    return follow(ctx, { followerId: ctx.user.id, followeeId: input.userId });
  }),
  unfollow: protectedProcedure.input(UserIdInput).mutation(async ({ ctx, input }) => {
    await ctx.limits.reactPerUser.consume(ctx.user.id);
    return unfollow(ctx.db, { followerId: ctx.user.id, followeeId: input.userId });
  }),
  setNotify: protectedProcedure.input(SetNotifyInput).mutation(({ ctx, input }) =>
    setNotify(ctx.db, {
      followerId: ctx.user.id,
      followeeId: input.userId,
      notify: input.notify,
    }),
  ),
  followers: publicProcedure
    .input(FollowListInput)
    .query(({ ctx, input }) => listFollows(ctx.db, { ...input, direction: 'followers' })),
  following: publicProcedure
    .input(FollowListInput)
    .query(({ ctx, input }) => listFollows(ctx.db, { ...input, direction: 'following' })),
} satisfies TRPCRouterRecord;
