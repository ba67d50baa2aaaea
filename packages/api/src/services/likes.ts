import { type LikeResult, PostMessages, type UserSummary } from '@photogram/contracts';
import {
  type Database,
  FOREIGN_KEY_VIOLATION,
  likes,
  posts,
  queryRows,
  sqlState,
  type Transaction,
  users,
} from '@photogram/db';
import { and, desc, eq, lt, type SQL, sql } from 'drizzle-orm';
import { NotFoundError } from '../errors';
import {
  type ActivityDeps,
  boundHeadLocks,
  publishActivity,
  recordActivity,
  toldBefore,
  withdrawActivity,
} from './activity';
import { parseIdCursor, toPage } from './pagination';
import { toUserSummary, userSummaryColumns } from './user-summary';

/** The like statement; a post deleted while it ran fails its foreign key: a 404 too. */
async function likeStatement(tx: Transaction, query: SQL) {
  try {
    return await queryRows(tx, query);
  } catch (error: unknown) {
    if (sqlState(error) === FOREIGN_KEY_VIOLATION)
      throw new NotFoundError(PostMessages.postNotFound);
    throw error;
  }
}

/** The post's count as it stands; a post that does not exist (or was deleted) is a 404. */
async function currentCount(db: Database | Transaction, postId: number, liked: boolean) {
  const [row] = await db
    .select({ likeCount: posts.likeCount })
    .from(posts)
    .where(eq(posts.id, postId));
  if (!row) throw new NotFoundError(PostMessages.postNotFound);
  return { liked, likeCount: row.likeCount };
}

/**
 * Likes a post; liking it again changes nothing. The like and the count change are one
 * statement: of many concurrent likes by one person the first inserts the row, the
 * others wait on its primary key, find it there and leave the count alone. A new like
 * notifies the post's author (once per person and post, never for their own post).
 */
export async function likePost(
  deps: ActivityDeps,
  params: { postId: string; userId: string },
): Promise<LikeResult> {
  const postId = Number(params.postId);
  let recipients: string[] = [];
  const result = await deps.db.transaction(async (tx) => {
    await boundHeadLocks(tx);
    const rows = await likeStatement(
      tx,
      sql`with liked as (
            insert into ${likes} (post_id, user_id)
            select ${posts.id}, ${params.userId} from ${posts} where ${posts.id} = ${postId}
            on conflict do nothing
            returning post_id
          )
          update ${posts} set like_count = like_count + 1
          where id in (select post_id from liked)
          returning like_count, author_id`,
    );
    const [row] = rows;
    if (!row) return currentCount(tx, postId, true);
    // Only a like that was not there before tells the author, and only once.
    const activity = {
      type: 'like' as const,
      recipientId: String(row.author_id),
      actorId: params.userId,
      postId,
    };
    if (!(await toldBefore(tx, activity))) recipients = await recordActivity(tx, [activity]);
    return { liked: true, likeCount: Number(row.like_count) };
  });
  await publishActivity(deps, recipients);
  return result;
}

/** Takes a like back; unliking a post not liked changes nothing. Withdraws its unread notification. */
export async function unlikePost(
  db: Database,
  params: { postId: string; userId: string },
): Promise<LikeResult> {
  const postId = Number(params.postId);
  return db.transaction(async (tx) => {
    await boundHeadLocks(tx);
    const rows = await queryRows(
      tx,
      sql`with unliked as (
            delete from ${likes}
            where ${likes.postId} = ${postId} and ${likes.userId} = ${params.userId}
            returning post_id
          )
          update ${posts} set like_count = like_count - 1
          where id in (select post_id from unliked)
          returning like_count, author_id`,
    );
    const [row] = rows;
    if (!row) return currentCount(tx, postId, false);
    await withdrawActivity(tx, {
      type: 'like',
      recipientId: String(row.author_id),
      actorId: params.userId,
      postId,
    });
    return { liked: false, likeCount: Number(row.like_count) };
  });
}

/** Who likes a post, the latest like first. */
export async function listLikers(
  db: Database,
  params: { postId: string; cursor?: string | null; limit: number },
): Promise<{ items: UserSummary[]; nextCursor: string | null }> {
  const postId = Number(params.postId);
  const [post] = await db.select({ id: posts.id }).from(posts).where(eq(posts.id, postId));
  if (!post) throw new NotFoundError(PostMessages.postNotFound);
  const cursor = parseIdCursor(params.cursor);
  const rows = await db
    .select({ ...userSummaryColumns, likeId: likes.id })
    .from(likes)
    .innerJoin(users, eq(users.id, likes.userId))
    .where(and(eq(likes.postId, postId), cursor === undefined ? undefined : lt(likes.id, cursor)))
    .orderBy(desc(likes.id))
    .limit(params.limit + 1);
  return toPage(rows, params.limit, toUserSummary, (row) => row.likeId);
}
