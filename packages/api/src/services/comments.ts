import { type Comment, CommentMessages, PostMessages } from '@photogram/contracts';
import { comments, type Database, posts, queryRows, type Transaction, users } from '@photogram/db';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { ForbiddenError, NotFoundError } from '../errors';
import {
  type ActivityDeps,
  boundHeadLocks,
  mentionActivities,
  publishActivity,
  recordActivity,
} from './activity';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary, type UserSummaryRow, userSummaryColumns } from './user-summary';

const commentColumns = {
  id: comments.id,
  postId: comments.postId,
  body: comments.body,
  createdAt: comments.createdAt,
  author: userSummaryColumns,
};
interface CommentRow {
  id: number;
  postId: number;
  body: string;
  createdAt: Date;
  author: UserSummaryRow;
}

function toComment(row: CommentRow): Comment {
  return {
    id: String(row.id),
    postId: String(row.postId),
    author: toUserSummary(row.author),
    body: row.body,
    createdAt: row.createdAt,
  };
}

function selectComments(db: Database | Transaction) {
  return db.select(commentColumns).from(comments).innerJoin(users, eq(users.id, comments.authorId));
}

async function assertPostExists(db: Database | Transaction, postId: number) {
  const [post] = await db.select({ id: posts.id }).from(posts).where(eq(posts.id, postId));
  if (!post) throw new NotFoundError(PostMessages.postNotFound);
}

/** A post's comments, oldest first, as a conversation reads. */
export async function listComments(
  db: Database,
  params: { postId: string; cursor?: string | null; limit: number },
) {
  const postId = Number(params.postId);
  await assertPostExists(db, postId);
  const cursor = parseIdCursor(params.cursor);
  const rows = await selectComments(db)
    .where(
      and(eq(comments.postId, postId), cursor === undefined ? undefined : gt(comments.id, cursor)),
    )
    .orderBy(asc(comments.id))
    .limit(params.limit + 1);
  return toPage(rows, params.limit, toComment, (row) => row.id);
}

/**
 * Adds a comment and counts it on the post, in one transaction, with its notifications:
 * the post's author hears of the comment, each person @mentioned (at most ten) of the
 * mention; the writer hears of neither.
 */
export async function addComment(
  deps: ActivityDeps,
  params: { postId: string; authorId: string; body: string },
): Promise<Comment> {
  const postId = Number(params.postId);
  let recipients: string[] = [];
  const comment = await deps.db.transaction(async (tx) => {
    await boundHeadLocks(tx);
    // Counting first locks the post row, so a delete of the post cannot slip in between.
    const counted = await queryRows(
      tx,
      sql`update ${posts} set comment_count = comment_count + 1 where id = ${postId}
          returning id, author_id`,
    );
    const [post] = counted;
    if (!post) throw new NotFoundError(PostMessages.postNotFound);
    const postAuthorId = String(post.author_id);
    const [inserted] = await tx
      .insert(comments)
      .values({ postId, authorId: params.authorId, body: params.body })
      .returning({ id: comments.id });
    if (!inserted) throw new Error('insert into comments returned no row');
    const mentions = await mentionActivities(tx, {
      text: params.body,
      actorId: params.authorId,
      postId,
      commentId: inserted.id,
      skip: postAuthorId,
    });
    recipients = await recordActivity(tx, [
      {
        type: 'comment',
        recipientId: postAuthorId,
        actorId: params.authorId,
        postId,
        commentId: inserted.id,
      },
      ...mentions,
    ]);
    const [row] = await selectComments(tx).where(eq(comments.id, inserted.id));
    if (!row) throw new Error('a comment just inserted could not be read');
    return toComment(row);
  });
  await publishActivity(deps, recipients);
  return comment;
}

/**
 * Deletes a comment: its author may, and so may the author of the post it is on. Its
 * notifications (the comment's and its mentions') go with it.
 */
export async function deleteComment(
  db: Database,
  params: { commentId: string; userId: string },
): Promise<{ ok: true }> {
  const commentId = Number(params.commentId);
  return db.transaction(async (tx) => {
    await boundHeadLocks(tx);
    const [found] = await tx
      .select({
        authorId: comments.authorId,
        postId: comments.postId,
        postAuthorId: posts.authorId,
      })
      .from(comments)
      .innerJoin(posts, eq(posts.id, comments.postId))
      .where(eq(comments.id, commentId))
      .for('update', { of: comments });
    if (!found) throw new NotFoundError(CommentMessages.commentNotFound);
    if (found.authorId !== params.userId && found.postAuthorId !== params.userId) {
      throw new ForbiddenError(CommentMessages.notYours);
    }
    const deleted = await tx
      .delete(comments)
      .where(eq(comments.id, commentId))
      .returning({ id: comments.id });
    if (deleted.length > 0) {
      await tx
        .update(posts)
        .set({ commentCount: sql`${posts.commentCount} - 1` })
        .where(eq(posts.id, found.postId));
    }
    return { ok: true as const };
  });
}
