import { ByUsernameInput, SearchUsersInput, UpdateProfileInput } from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { getProfile, searchUsers, updateProfile } from '../services/profiles';
import { protectedProcedure, publicProcedure } from '../trpc';

export const usersRouter = {
  byUsername: publicProcedure
    .input(ByUsernameInput)
    .query(({ ctx, input }) =>
      getProfile(ctx.db, { username: input.username, viewerId: ctx.user?.id ?? null }),
    ),
  search: publicProcedure
    .input(SearchUsersInput)
    .query(async ({ ctx, input }) => ({ items: await searchUsers(ctx.db, input) })),
  updateProfile: protectedProcedure.input(UpdateProfileInput).mutation(async ({ ctx, input }) => {
    const { username } = await updateProfile(ctx.db, { userId: ctx.user.id, ...input });
    return getProfile(ctx.db, { username, viewerId: ctx.user.id });
  }),
} satisfies TRPCRouterRecord;
