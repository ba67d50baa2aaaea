import {
  ByUsernameInput,
  PostMessages,
  SearchUsersInput,
  UpdateProfileInput,
  updateAvatarInput,
} from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { ValidationError } from '../errors';
import { removeAvatar, updateAvatar } from '../services/avatars';
import { getProfile, searchUsers, updateProfile } from '../services/profiles';
import { protectedProcedure, publicProcedure } from '../trpc';

// The byte limit is configuration (`MAX_UPLOAD_BYTES`), checked in the procedure below.
const AvatarInput = updateAvatarInput(Number.POSITIVE_INFINITY);

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
  /** A new profile photo: a post's files and limits, cropped square. Returns the profile. */
  updateAvatar: protectedProcedure.input(AvatarInput).mutation(async ({ ctx, input }) => {
    if (input.image.size > ctx.maxUploadBytes) {
      throw new ValidationError(PostMessages.imageTooLarge(ctx.maxUploadBytes));
    }
    await ctx.limits.uploadPerUser.consume(ctx.user.id);
    await updateAvatar(ctx, { userId: ctx.user.id, image: input.image });
    // By id: a rename in a parallel request must not turn a saved photo into a 404.
    return getProfile(ctx.db, { userId: ctx.user.id, viewerId: ctx.user.id });
  }),
  removeAvatar: protectedProcedure.mutation(async ({ ctx }) => {
    await removeAvatar(ctx, { userId: ctx.user.id });
    return getProfile(ctx.db, { userId: ctx.user.id, viewerId: ctx.user.id });
  }),
} satisfies TRPCRouterRecord;
