import { z } from 'zod';
import { decimalId } from './ids';
import { input } from './input';
import { PageFields } from './pagination';
import { PostId } from './posts';
import { text } from './text';
import { UserSummary } from './users';

export const COMMENT_MAX = 1_000;

export const CommentMessages = {
  bodyRequired: 'Write something to comment.',
  bodyTooLong: `Comments can be at most ${COMMENT_MAX.toLocaleString('en-US')} characters.`,
  invalidCommentId: 'That comment id is not valid.',
  commentNotFound: 'That comment does not exist or was deleted.',
  notYours: 'Only the person who wrote a comment, or the author of the post, can delete it.',
} as const;

/** A comment's text: multi-line, with the text rule of every field people type. */
export const CommentBody = text({
  subject: 'Comments',
  multiline: true,
  params: { error: CommentMessages.bodyRequired },
})
  .min(1, CommentMessages.bodyRequired)
  .max(COMMENT_MAX, CommentMessages.bodyTooLong);

export const CommentId = decimalId(CommentMessages.invalidCommentId);

export const Comment = z.object({
  id: z.string(),
  postId: z.string(),
  author: UserSummary,
  body: z.string(),
  createdAt: z.date(),
});
export type Comment = z.infer<typeof Comment>;

export const ListCommentsInput = input({ ...PageFields, postId: PostId });
export const AddCommentInput = input({ postId: PostId, body: CommentBody });
export type AddCommentInput = z.input<typeof AddCommentInput>;
export const DeleteCommentInput = input({ commentId: CommentId });
