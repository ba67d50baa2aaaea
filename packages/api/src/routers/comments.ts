import { AddCommentInput, DeleteCommentInput, ListCommentsInput } from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { addComment, deleteComment, listComments } from '../services/comments';
import { protectedProcedure, publicProcedure } from '../trpc';

export const commentsRouter = {
  list: publicProcedure
    .input(ListCommentsInput)
    .query(({ ctx, input }) => listComments(ctx.db, input)),
  add: protectedProcedure.input(AddCommentInput).mutation(async ({ ctx, input }) => {
    await ctx.limits.commentPerUser.consume(ctx.user.id);
    return addComment(ctx, { ...input, authorId: ctx.user.id });
  }),
  delete: protectedProcedure
    .input(DeleteCommentInput)
    .mutation(({ ctx, input }) => deleteComment(ctx.db, { ...input, userId: ctx.user.id })),
} satisfies TRPCRouterRecord;
