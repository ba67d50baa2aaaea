import { AddCommentInput, DeleteCommentInput, ListCommentsInput } from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { addComment, deleteComment, listComments } from '../services/comments';
import { protectedProcedure, publicProcedure } from '../trpc';

export const commentsRouter = {
  list: publicProcedure
    .input(ListCommentsInput)
    .query(({ ctx, input }) => listComments(ctx.db, input)),
  add: protectedProcedure
    .input(AddCommentInput)
    .mutation(({ ctx, input }) => addComment(ctx, { ...input, authorId: ctx.user.id })),
  delete: protectedProcedure
    .input(DeleteCommentInput)
    .mutation(({ ctx, input }) => deleteComment(ctx.db, { ...input, userId: ctx.user.id })),
} satisfies TRPCRouterRecord;
