import {
  ACCEPTED_IMAGE_TYPES,
  CAPTION_MAX,
  LikersInput,
  PostIdInput,
  PostMessages,
  PostsByUserInput,
  type UploadLimits,
  uploadPostInput,
} from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { ValidationError } from '../errors';
import { likePost, listLikers, unlikePost } from '../services/likes';
import { createPost, deletePost, getPost, listPostsByUser } from '../services/posts';
import { protectedProcedure, publicProcedure } from '../trpc';

// The byte limit is configuration (`MAX_UPLOAD_BYTES`), checked in the procedure below.
const UploadInput = uploadPostInput(Number.POSITIVE_INFINITY);

export const postsRouter = {
  upload: protectedProcedure.input(UploadInput).mutation(async ({ ctx, input }) => {
    if (input.image.size > ctx.maxUploadBytes) {
      throw new ValidationError(PostMessages.imageTooLarge(ctx.maxUploadBytes));
    }
    await ctx.limits.uploadPerUser.consume(ctx.user.id);
    return createPost(ctx, {
      authorId: ctx.user.id,
      image: input.image,
      caption: input.caption,
      altText: input.altText,
    });
  }),

  /** What `upload` accepts here, for forms that check a file before sending it. */
  limits: publicProcedure.query(
    ({ ctx }): UploadLimits => ({
      maxUploadBytes: ctx.maxUploadBytes,
      maxCaptionLength: CAPTION_MAX,
      acceptedImageTypes: [...ACCEPTED_IMAGE_TYPES],
    }),
  ),

  byId: publicProcedure
    .input(PostIdInput)
    .query(({ ctx, input }) => getPost(ctx.db, { ...input, viewerId: ctx.user?.id ?? null })),

  byUser: publicProcedure
    .input(PostsByUserInput)
    .query(({ ctx, input }) =>
      listPostsByUser(ctx.db, { ...input, viewerId: ctx.user?.id ?? null }),
    ),

  like: protectedProcedure.input(PostIdInput).mutation(async ({ ctx, input }) => {
    await ctx.limits.reactPerUser.consume(ctx.user.id);
    return likePost(ctx, { postId: input.postId, userId: ctx.user.id });
  }),

  unlike: protectedProcedure.input(PostIdInput).mutation(async ({ ctx, input }) => {
    await ctx.limits.reactPerUser.consume(ctx.user.id);
    return unlikePost(ctx.db, { postId: input.postId, userId: ctx.user.id });
  }),

  likers: publicProcedure.input(LikersInput).query(({ ctx, input }) => listLikers(ctx.db, input)),

  delete: protectedProcedure
    .input(PostIdInput)
    .mutation(({ ctx, input }) => deletePost(ctx, { postId: input.postId, userId: ctx.user.id })),
} satisfies TRPCRouterRecord;
